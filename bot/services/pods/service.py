"""Pods: opt-in matching into small standing groups that meet, round after round.

The use cases of managers (setup, show, disable, a round now), members (join, leave, snooze,
keep or rotate, "not again", their status), the thread buttons (did you meet, keep/rotate, pause)
and Discord events (deleted threads and channels, members leaving). The rounds themselves (timer,
matching, nudge, question, counting answers) are in ``rounds.py``; members moving during a round
in ``moves.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.availability import format_windows
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.pod_schedule import first_anchor, parse_cadence
from bot.domain.pods import MAX_POD_SIZE, MIN_POD_SIZE
from bot.domain.weeks import parse_day, parse_time
from bot.services.availability import availability_for
from bot.services.context import ServiceContext
from bot.services.pods import moves, queries
from bot.services.pods.rounds import Rounds, timer_key
from bot.services.pods.types import (
    Answer,
    AnswerResult,
    ConfigView,
    JoinResult,
    MemberStatus,
    PodRef,
    Preference,
    RoundResult,
    RoundSummary,
)
from bot.services.privacy.gate import refuse_untracked
from bot.services.timezones import TimezoneService, guild_zone
from db.models import PodBlock, PodConfig, PodGroup, PodMember, PodRound

__all__ = ["MAX_SNOOZE", "THREAD_PERMISSIONS", "PodService", "timer_key"]

MAX_SNOOZE = 12
# (permission attribute, the name a server admin sees)
THREAD_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("send_messages_in_threads", "Send Messages in Threads"),
)


def _and_join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class PodService:
    def __init__(self, ctx: ServiceContext, timezones: TimezoneService | None = None) -> None:
        self.ctx = ctx
        self.rounds = Rounds(ctx)
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
        bot_permissions: Collection[str] | None = None,
    ) -> ConfigView:
        """Turn pods on in a channel, or change its settings (omitted options stay as they are;
        new: weekly on Monday at 09:00, pairs, rotating)."""
        weeks = parse_cadence(cadence) if cadence is not None else None
        day_n = parse_day(day) if day is not None else None
        at = parse_time(time_) if time_ is not None else None
        if size is not None and not MIN_POD_SIZE <= size <= MAX_POD_SIZE:
            raise ValidationError(
                f"Pods of {size} won't work: pick 2 (pairs), 3 or 4 members a pod."
            )
        private = self._check_permissions(channel_id, bot_permissions)
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
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
                f"I can't run pods in <#{channel_id}>: I'm missing the {_and_join(missing)} "
                f"permission{'s' if len(missing) > 1 else ''} there. Grant "
                f"{'them' if len(missing) > 1 else 'it'} to my role, or pick another channel."
            )
        return private

    async def show(self, guild_id: int, channel_id: int | None = None) -> ConfigView:
        async with self.ctx.db.transaction() as session:
            cfg = await self._resolve(session, guild_id, channel_id, enabled_only=False)
            return await self._view(session, cfg, self.ctx.clock.now())

    async def disable(self, guild_id: int, channel_id: int | None = None) -> ConfigView:
        async with self.ctx.db.transaction() as session:
            found = await self._resolve(session, guild_id, channel_id, enabled_only=False)
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
            found = await self._resolve(session, guild_id, channel_id)
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

    # -- members -------------------------------------------------------------------------------

    async def join(
        self, guild_id: int, channel_id: int | None, user_id: int, name: str
    ) -> JoinResult:
        now = self.ctx.clock.now()
        placed: PodRef | None = None
        async with self.ctx.db.transaction() as session:
            cfg = await self._resolve(session, guild_id, channel_id)
            await refuse_untracked(session, user_id)  # issue 16: don't track me
            member, _ = await queries.get_or_create_member(session, cfg.id, user_id, name)
            member.display_name = name[:100] or member.display_name
            zone = await guild_zone(session, guild_id)
            current = await queries.latest_round(session, cfg.id)
            active = current if current is not None and current.closed_at is None else None
            if member.opted_in and not member.pause_asked:
                seat = await queries.seat_of(session, active.id, user_id) if active else None
                where = f" Your pod: <#{seat[1].thread_id}>." if seat and seat[1].thread_id else ""
                raise Conflict(
                    f"You're already in the pods of <#{cfg.channel_id}>.{where} "
                    "`/pods me` shows your pod and settings."
                )
            member.opted_in, member.pause_asked, member.no_shows = True, False, 0
            member.snooze_rounds = 0
            if active is not None and await queries.seat_of(session, active.id, user_id) is None:
                placed = await moves.place(session, cfg, active, user_id, now)
            has_hours = bool(await availability_for(session, guild_id, [user_id]))
            next_at = self.rounds.next_round_at(cfg, zone, active, now)
        if placed is not None:
            self.ctx.delivery.wake()
        return JoinResult(cfg.channel_id, next_at, placed, has_hours)

    async def leave(self, guild_id: int, channel_id: int | None, user_id: int) -> int:
        """Opt out; a pod the member is in carries on without them. Returns the channel."""
        async with self.ctx.db.transaction() as session:
            cfg = await self._resolve(session, guild_id, channel_id, enabled_only=False)
            member = await queries.member(session, cfg.id, user_id, lock=True)
            if member is None or not member.opted_in:
                raise Conflict(f"You're not in the pods of <#{cfg.channel_id}>.")
            member.opted_in = False
            member.pause_asked = False
            await moves.leave_round(session, cfg, user_id, self.ctx.clock.now())
        self.ctx.delivery.wake()
        return cfg.channel_id

    async def snooze(
        self, guild_id: int, channel_id: int | None, user_id: int, rounds: int
    ) -> MemberStatus:
        if not 0 <= rounds <= MAX_SNOOZE:
            raise ValidationError(
                f"Snooze for 1 to {MAX_SNOOZE} rounds (0 ends a snooze). For longer, "
                "`/pods leave`: you can `/pods join` again any time."
            )
        async with self.ctx.db.transaction() as session:
            cfg = await self._resolve(session, guild_id, channel_id)
            member = await self._member_in(session, cfg, user_id)
            member.snooze_rounds = rounds
        return await self.me(guild_id, cfg.channel_id, user_id)

    async def prefer(
        self, guild_id: int, channel_id: int | None, user_id: int, preference: str
    ) -> MemberStatus:
        try:
            pref = Preference(preference.strip().lower())
        except ValueError:
            raise ValidationError("Choose keep (stay with your pod) or rotate.") from None
        async with self.ctx.db.transaction() as session:
            cfg = await self._resolve(session, guild_id, channel_id)
            member = await self._member_in(session, cfg, user_id)
            member.preference = pref.value
        return await self.me(guild_id, cfg.channel_id, user_id)

    async def not_again(
        self, guild_id: int, user_id: int, other_id: int, *, undo: bool = False
    ) -> bool:
        """Never match ``user_id`` with ``other_id`` again (private: nobody is told). True when
        it changed something."""
        if other_id == user_id:
            raise ValidationError("That's you: pick someone else.")
        async with self.ctx.db.transaction() as session:
            row = await queries.block(session, guild_id, user_id, other_id)
            if undo:
                if row is None:
                    return False
                await session.delete(row)
                return True
            if row is not None:
                return False
            session.add(
                PodBlock(
                    guild_id=guild_id,
                    user_id=user_id,
                    other_id=other_id,
                    created_at=self.ctx.clock.now(),
                )
            )
            return True

    async def me(self, guild_id: int, channel_id: int | None, user_id: int) -> MemberStatus:
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            cfg = await self._resolve(session, guild_id, channel_id, enabled_only=False)
            zone = await guild_zone(session, guild_id)
            member = await queries.member(session, cfg.id, user_id)
            current = await queries.latest_round(session, cfg.id)
            active = current if current is not None and current.closed_at is None else None
            pod = await self._pod_ref(session, active, user_id) if active is not None else None
            found = (await availability_for(session, guild_id, [user_id])).get(user_id)
            hours = f"{format_windows(found.windows)} ({found.zone.key})" if found else None
            default = Preference.KEEP if cfg.keep_default else Preference.ROTATE
            pref = Preference(member.preference) if member and member.preference else default
            return MemberStatus(
                config_id=cfg.id,
                channel_id=cfg.channel_id,
                opted_in=bool(member and member.opted_in),
                snooze_rounds=member.snooze_rounds if member else 0,
                preference=pref,
                preference_is_default=not (member and member.preference),
                pause_asked=bool(member and member.pause_asked),
                pod=pod,
                next_round_at=self.rounds.next_round_at(cfg, zone, active, now)
                if cfg.enabled
                else None,
                availability=hours,
            )

    # -- buttons -------------------------------------------------------------------------------

    async def answer(
        self, guild_id: int, pod_id: int, user_id: int, answer: Answer
    ) -> AnswerResult:
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            pod, rnd, _cfg = await self._pod(session, guild_id, pod_id)
            seat = await queries.seat_in_pod(session, pod_id, user_id)
            if seat is None or seat.left_at is not None:
                raise PermissionDenied("That's another pod's button: only its members answer.")
            if rnd.closed_at is not None:
                raise Conflict(
                    "That round is over, so its answers are closed. `/pods me` shows your pod now."
                )
            changed = seat.answer != answer.value
            seat.answer, seat.answered_at = answer.value, now
            if answer is Answer.MET and pod.met_at is None:
                pod.met_at = now
            return AnswerResult(pod.number, answer, changed)

    async def pod_preference(
        self, guild_id: int, pod_id: int, user_id: int, preference: Preference
    ) -> int:
        """Keep or rotate, from a pod's buttons. Returns the pod's number."""
        async with self.ctx.db.transaction() as session:
            pod, _rnd, cfg = await self._pod(session, guild_id, pod_id)
            seat = await queries.seat_in_pod(session, pod_id, user_id)
            if seat is None or seat.left_at is not None:
                raise PermissionDenied("That's another pod's button: only its members choose.")
            member = await self._member_in(session, cfg, user_id)
            member.preference = preference.value
            return pod.number

    async def pause_answer(self, guild_id: int, config_id: int, user_id: int, pause: bool) -> int:
        """The member's answer to "shall I pause pods for you?". Returns the channel."""
        async with self.ctx.db.transaction() as session:
            cfg = await queries.config(session, config_id)
            if cfg is None or cfg.guild_id != guild_id:
                raise NotFound("Those pods don't exist any more.")
            member = await queries.member(session, config_id, user_id, lock=True)
            if member is None:
                raise NotFound("You're not in these pods.")
            member.pause_asked, member.no_shows = False, 0
            if pause:
                member.opted_in = False
                await moves.leave_round(session, cfg, user_id, self.ctx.clock.now())
            else:
                member.opted_in = True
            channel = cfg.channel_id
        self.ctx.delivery.wake()
        return channel

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

    async def _zone_changed(self, session: AsyncSession, guild_id: int) -> None:
        now = self.ctx.clock.now()
        zone = await guild_zone(session, guild_id)
        for cfg in await queries.configs_of_guild(session, guild_id):
            if cfg.enabled:
                await self.rounds.retime(session, cfg, zone, now)
                self.rounds.arm(cfg.id, now)

    # -- lookups -------------------------------------------------------------------------------

    async def _resolve(
        self,
        session: AsyncSession,
        guild_id: int,
        channel_id: int | None,
        *,
        enabled_only: bool = True,
    ) -> PodConfig:
        """The pods a command means: its channel's (or the channel a pod thread is in), else the
        server's only pods channel."""
        cfg: PodConfig | None = None
        if channel_id is not None:
            cfg = await queries.config_by_channel(session, channel_id)
            if cfg is None:
                cfg = await queries.config_of_thread(session, guild_id, channel_id)
        if cfg is None or cfg.guild_id != guild_id:
            configs = [
                c
                for c in await queries.configs_of_guild(session, guild_id)
                if c.enabled or not enabled_only
            ]
            if not configs:
                raise NotFound(
                    "Pods aren't on in this server yet. A manager can turn them on with "
                    "`/pods setup`."
                )
            if len(configs) > 1:
                where = _and_join([f"<#{c.channel_id}>" for c in configs])
                raise ValidationError(
                    f"Pods run in {where}: run this there (or pick one with `channel:`)."
                )
            cfg = configs[0]
        if enabled_only and not cfg.enabled:
            raise Conflict(
                f"Pods in <#{cfg.channel_id}> are off ({cfg.disabled_reason or 'turned off'})."
            )
        return cfg

    async def _member_in(self, session: AsyncSession, cfg: PodConfig, user_id: int) -> PodMember:
        member = await queries.member(session, cfg.id, user_id, lock=True)
        if member is None or not member.opted_in:
            raise Conflict(
                f"You're not in the pods of <#{cfg.channel_id}> yet: `/pods join` first."
            )
        return member

    async def _pod(
        self, session: AsyncSession, guild_id: int, pod_id: int
    ) -> tuple[PodGroup, PodRound, PodConfig]:
        pod = await session.get(PodGroup, pod_id, with_for_update=True)
        rnd = await session.get(PodRound, pod.round_id) if pod is not None else None
        cfg = await session.get(PodConfig, rnd.config_id) if rnd is not None else None
        if pod is None or rnd is None or cfg is None or cfg.guild_id != guild_id:
            raise NotFound("I can't find that pod any more.")
        return pod, rnd, cfg

    async def _pod_ref(self, session: AsyncSession, rnd: PodRound, user_id: int) -> PodRef | None:
        found = await queries.seat_of(session, rnd.id, user_id)
        if found is None:
            return None
        _seat, pod = found
        await queries.resolve_threads(session, [pod])
        seats = (await queries.seats_of_round(session, rnd.id)).get(pod.id, [])
        mates = tuple(s.user_id for s in seats if s.left_at is None and s.user_id != user_id)
        return PodRef(
            pod.id,
            pod.number,
            rnd.number,
            pod.thread_id,
            mates,
            pod.met_at is not None,
            rnd.ends_at,
        )

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
        )
