"""Pods: opt-in matching into small standing groups that meet, round after round.

The use cases of managers (setup, show, disable, a round now) and Discord events (deleted threads
and channels, members leaving). What members do (join, leave, snooze, keep or rotate, "not again",
their status, the thread buttons) is in ``members.py``, mixed in here; finding the pods a command
means in ``lookups.py``. The rounds themselves (timer, matching, nudge, question, counting answers)
are in ``rounds.py``; members moving during a round in ``moves.py``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.pod_schedule import first_anchor, parse_cadence
from bot.domain.pods import MAX_POD_SIZE, MIN_POD_SIZE
from bot.domain.weeks import parse_day, parse_time
from bot.services.context import ServiceContext
from bot.services.pods import moves, queries
from bot.services.pods.lookups import and_join, pod_in_guild, resolve_config
from bot.services.pods.members import MAX_SNOOZE, MemberUseCases
from bot.services.pods.rounds import Rounds, timer_key
from bot.services.pods.types import (
    ConfigView,
    PodMembers,
    RoundResult,
    RoundSummary,
)
from bot.services.pods.weekly import SessionScheduler, WeeklyUseCases
from bot.services.timezones import TimezoneService, guild_zone
from db.models import PodConfig

__all__ = [
    "ACCOUNTABILITY_CHOICES",
    "MAX_SNOOZE",
    "THREAD_PERMISSIONS",
    "PodService",
    "timer_key",
]

# (permission attribute, the name a server admin sees)
THREAD_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("send_messages_in_threads", "Send Messages in Threads"),
)


ACCOUNTABILITY_CHOICES = ("server", "per_pod")


def _per_pod(choice: str | None) -> bool | None:
    """``accountability:`` of /pods setup: per_pod → True, server → False, omitted → None."""
    if choice is None:
        return None
    key = choice.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in ACCOUNTABILITY_CHOICES:
        raise ValidationError(
            "Accountability is per_pod (each pod's weekly goals in its own thread) or server "
            "(one weekly thread for the server)."
        )
    return key == "per_pod"


class PodService(MemberUseCases, WeeklyUseCases):
    def __init__(self, ctx: ServiceContext, timezones: TimezoneService | None = None) -> None:
        self.ctx = ctx
        self.rounds = Rounds(ctx)
        self.sessions: SessionScheduler | None = None  # wired by Services (meet_weekly)
        if timezones is not None:
            timezones.on_server_zone_changed(self._zone_changed)

    # -- managers ------------------------------------------------------------------------------

    async def setup(
        self,
        guild_id: int,
        channel_id: int,
        *,
        cadence: str | int | None = None,
        day: str | None = None,
        time_: str | None = None,
        size: int | None = None,
        keep: bool | None = None,
        accountability: str | None = None,
        bot_permissions: Collection[str] | None = None,
    ) -> ConfigView:
        """Turn pods on in a channel, or change its settings (omitted options stay as they are;
        new: weekly on Monday at 09:00, pairs, rotating, server-wide accountability).

        ``accountability``: ``per_pod`` runs the weekly accountability cycle in each pod's
        thread (from the next kickoff; the schedule is ``/accountability setup``'s), ``server``
        keeps the one server-wide thread."""
        weeks = parse_cadence(cadence) if cadence is not None else None
        day_n = parse_day(day) if day is not None else None
        at = parse_time(time_) if time_ is not None else None
        if size is not None and not MIN_POD_SIZE <= size <= MAX_POD_SIZE:
            raise ValidationError(
                f"Pods of {size} won't work: pick 2 (pairs), 3 or 4 members a pod."
            )
        per_pod = _per_pod(accountability)
        private = self._check_permissions(channel_id, bot_permissions)
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            if per_pod and not await queries.accountability_set_up(session, guild_id):
                raise Conflict(
                    "Weekly accountability isn't set up in this server yet, so pods can't run "
                    "it: `/accountability setup` first (its days and times are used in every "
                    "pod's thread), then `/pods setup accountability:per_pod`."
                )
            zone = await guild_zone(session, guild_id)
            cfg = await queries.config_by_channel(session, channel_id)
            if cfg is not None and cfg.guild_id != guild_id:
                raise NotFound("I can't find that channel in this server.")
            if cfg is None:
                cfg = PodConfig(
                    guild_id=guild_id,
                    channel_id=channel_id,
                    cadence_weeks=1,
                    day=0,
                    time_of_day=time(9, 0),
                    size=2,
                    keep_default=False,
                    enabled=True,
                    anchor=now.date(),
                    created_at=now,
                )
                session.add(cfg)
                changed_schedule = True
            else:
                cfg = await queries.config(session, cfg.id, lock=True)
                assert cfg is not None
                changed_schedule = not cfg.enabled or any(
                    new is not None and new != old
                    for new, old in (
                        (weeks, cfg.cadence_weeks),
                        (day_n, cfg.day),
                        (at, cfg.time_of_day),
                    )
                )
            cfg.cadence_weeks = weeks if weeks is not None else cfg.cadence_weeks
            cfg.day = day_n if day_n is not None else cfg.day
            cfg.time_of_day = at if at is not None else cfg.time_of_day
            cfg.size = size if size is not None else cfg.size
            cfg.keep_default = keep if keep is not None else cfg.keep_default
            if per_pod is not None:
                cfg.accountability_per_pod = per_pod
            cfg.private_threads = private
            cfg.enabled, cfg.disabled_reason = True, None
            if changed_schedule:
                cfg.anchor = first_anchor(cfg.day, cfg.time_of_day, zone, now)
                await self.rounds.retime(session, cfg, zone, now)
            await queries.acknowledge_problems(session, cfg)
            await session.flush()
            config_id = cfg.id
        await self.run_due(config_id)
        return await self.show(guild_id, channel_id)

    @staticmethod
    def _check_permissions(channel_id: int, granted: Collection[str] | None) -> bool:
        """Whether pod threads can be private; refuses, by name, what the bot lacks."""
        if granted is None:
            return False  # unknown: public threads need less
        missing = [label for attr, label in THREAD_PERMISSIONS if attr not in granted]
        private = "create_private_threads" in granted
        if not private and "create_public_threads" not in granted:
            missing.append("Create Private Threads (or Create Public Threads)")
        if missing:
            raise PermissionDenied(
                f"I can't run pods in <#{channel_id}>: I'm missing the {and_join(missing)} "
                f"permission{'s' if len(missing) > 1 else ''} there. Grant "
                f"{'them' if len(missing) > 1 else 'it'} to my role, or pick another channel."
            )
        return private

    async def show(self, guild_id: int, channel_id: int | None = None) -> ConfigView:
        async with self.ctx.db.transaction() as session:
            cfg = await resolve_config(session, guild_id, channel_id, enabled_only=False)
            return await self._view(session, cfg, self.ctx.clock.now())

    async def current_pods(self, guild_id: int) -> list[PodMembers]:
        """The pods of each pods channel's latest round in this server, with the members still
        in them: what /findtime's ``pod:`` offers."""
        out: list[PodMembers] = []
        async with self.ctx.db.transaction() as session:
            for cfg in await queries.configs_of_guild(session, guild_id):
                rnd = await queries.latest_round(session, cfg.id)
                if rnd is None:
                    continue
                seats = await queries.seats_of_round(session, rnd.id)
                for pod in await queries.pods_of(session, rnd.id):
                    here = tuple(s.user_id for s in seats.get(pod.id, []) if s.left_at is None)
                    out.append(PodMembers(pod.id, pod.number, rnd.number, cfg.channel_id, here))
        return out

    async def pod_members(self, guild_id: int, pod_id: int) -> PodMembers:
        """One pod of this server and who is still in it (a past round's pod too)."""
        async with self.ctx.db.transaction() as session:
            pod, rnd, cfg = await pod_in_guild(session, guild_id, pod_id)
            seats = (await queries.seats_of_round(session, rnd.id)).get(pod.id, [])
            here = tuple(s.user_id for s in seats if s.left_at is None)
            return PodMembers(pod.id, pod.number, rnd.number, cfg.channel_id, here)

    async def disable(self, guild_id: int, channel_id: int | None = None) -> ConfigView:
        async with self.ctx.db.transaction() as session:
            found = await resolve_config(session, guild_id, channel_id, enabled_only=False)
            cfg = await queries.config(session, found.id, lock=True)
            assert cfg is not None
            if not cfg.enabled:
                raise Conflict(f"Pods in <#{cfg.channel_id}> are already off.")
            cfg.enabled, cfg.disabled_reason = False, "Turned off by a manager."
            await session.flush()
            view = await self._view(session, cfg, self.ctx.clock.now())
        self.ctx.timers.cancel(timer_key(view.config_id))
        return view

    async def round_now(self, guild_id: int, channel_id: int | None = None) -> RoundResult:
        """End the current round (answers so far count) and match a new one now."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            found = await resolve_config(session, guild_id, channel_id)
            cfg = await queries.config(session, found.id, lock=True)
            assert cfg is not None
            zone = await guild_zone(session, guild_id)
            current = await queries.latest_round(session, cfg.id)
            if current is not None and current.closed_at is None:
                if now - current.starts_at < timedelta(minutes=1):
                    raise Conflict("A round just started; give it a minute.")
                current.ends_at = now
                await self.rounds.close(session, cfg, current, now)
            rnd, result = await self.rounds.start(session, cfg, zone, now, now)
            next_at = self.rounds.next_event(cfg, zone, rnd, now)
        self.ctx.delivery.wake()
        self.rounds.arm(cfg.id, next_at)
        return result

    # -- Discord events ------------------------------------------------------------------------

    async def thread_deleted(self, guild_id: int, thread_id: int) -> None:
        async with self.ctx.db.transaction() as session:
            pod = await queries.pod_by_thread(session, thread_id)
            if pod is not None:
                pod.thread_id, pod.thread_gone = thread_id, True

    async def channel_deleted(self, guild_id: int, channel_id: int) -> None:
        async with self.ctx.db.transaction() as session:
            cfg = await queries.config_by_channel(session, channel_id)
            if cfg is None or cfg.guild_id != guild_id or not cfg.enabled:
                return
            cfg.enabled = False
            cfg.disabled_reason = "The pods channel was deleted. `/pods setup` in another one."
            config_id = cfg.id
        self.ctx.timers.cancel(timer_key(config_id))

    async def member_left(self, guild_id: int, user_id: int) -> None:
        """Left the server: out of every pods channel; their pods carry on."""
        async with self.ctx.db.transaction() as session:
            for cfg in await queries.configs_of_guild(session, guild_id):
                member = await queries.member(session, cfg.id, user_id, lock=True)
                if member is not None and member.opted_in:
                    member.opted_in = False
                    await moves.leave_round(session, cfg, user_id, self.ctx.clock.now())
        self.ctx.delivery.wake()

    # -- the round timer (see rounds.py) --------------------------------------------------------

    async def restore(self) -> None:
        """Re-arm every enabled channel of this process; a round due while down runs now."""
        await self.rounds.restore()

    async def run_due(self, config_id: int) -> list[str]:
        """Do whatever of the rounds is due (close, start, nudge, ask), then re-arm."""
        return await self.rounds.run_due(config_id)

    async def catch_up(self, guild_id: int) -> None:
        """Run what is due in the guild's pods channels that run accountability per pod (called
        before the weekly posts, so a kickoff finds this round's pods)."""
        async with self.ctx.db.transaction() as session:
            ids = [
                cfg.id
                for cfg in await queries.configs_of_guild(session, guild_id)
                if cfg.enabled and cfg.accountability_per_pod
            ]
        for config_id in ids:
            await self.rounds.run_due(config_id)

    async def _zone_changed(self, session: AsyncSession, guild_id: int) -> None:
        now = self.ctx.clock.now()
        zone = await guild_zone(session, guild_id)
        for cfg in await queries.configs_of_guild(session, guild_id):
            if cfg.enabled:
                await self.rounds.retime(session, cfg, zone, now)
                self.rounds.arm(cfg.id, now)

    # -- what managers see -------------------------------------------------------------------

    async def _view(self, session: AsyncSession, cfg: PodConfig, now: datetime) -> ConfigView:
        zone = await guild_zone(session, cfg.guild_id)
        current = await queries.latest_round(session, cfg.id)
        active = current if current is not None and current.closed_at is None else None
        summary = None
        if active is not None:
            pods = await queries.pods_of(session, active.id)
            summary = RoundSummary(
                active.number,
                active.starts_at,
                active.ends_at,
                len(pods),
                sum(p.met_at is not None for p in pods),
            )
        return ConfigView(
            config_id=cfg.id,
            guild_id=cfg.guild_id,
            channel_id=cfg.channel_id,
            cadence_weeks=cfg.cadence_weeks,
            day=cfg.day,
            time_of_day=cfg.time_of_day,
            zone=zone.key,
            size=cfg.size,
            keep_default=cfg.keep_default,
            private_threads=cfg.private_threads,
            enabled=cfg.enabled,
            disabled_reason=cfg.disabled_reason,
            next_round_at=self.rounds.next_round_at(cfg, zone, active, now),
            members_in=await queries.count_in(session, cfg.id),
            current=summary,
            problems=tuple(await queries.problems(session, cfg)),
            accountability_per_pod=cfg.accountability_per_pod,
        )
