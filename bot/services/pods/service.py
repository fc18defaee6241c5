"""Pods: opt-in matching into small standing groups that meet, round after round.

A manager turns pods on for a channel (cadence, day and time in the server's zone, pod size, rotate
or keep). At each round (one timer per channel, ``pods:{config_id}``, armed from the database) the
members who are in and not snoozed are matched (``bot.domain.pods``) and every pod gets a thread
with an intro; halfway through, pods that have not met get a nudge; on the round's last day every
pod is asked "Did you meet?"; when the round ends the answers are counted (two rounds in a row
without showing up: the member is asked whether to pause, and is left out until they answer).
Everything is rows first: a round that came due while the bot was down runs once when it is back.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Outgoing, enqueue
from bot.domain.availability import (
    Availability,
    format_windows,
    mask_intervals,
    slot_floor,
    slot_mask,
    week_intervals,
)
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.pod_schedule import (
    first_anchor,
    latest_slot,
    next_slot_after,
    parse_cadence,
    round_times,
)
from bot.domain.pods import MAX_POD_SIZE, MIN_POD_SIZE, Candidate, match_pods
from bot.domain.weeks import parse_day, parse_time
from bot.render.pods import PodIntro, PodMate
from bot.services.availability import availability_for
from bot.services.context import ServiceContext
from bot.services.pods import messages, queries
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
from bot.services.timezones import TimezoneService, guild_zone, zone_or_utc
from db.models import PodBlock, PodConfig, PodGroup, PodMember, PodRound, PodSeat

log = logging.getLogger(__name__)

__all__ = ["MAX_SNOOZE", "THREAD_PERMISSIONS", "PodService", "timer_key"]

MAX_SNOOZE = 12
HISTORY_ROUNDS = 3  # repeats of pairs from this many recent rounds are avoided
NO_SHOWS_BEFORE_ASKING = 2
RETRY_AFTER = timedelta(minutes=1)
SLOT = timedelta(minutes=15)
WEEK = timedelta(days=7)
# (permission attribute, the name a server admin sees)
THREAD_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("send_messages_in_threads", "Send Messages in Threads"),
)


def timer_key(config_id: int) -> str:
    return f"pods:{config_id}"


def _seed(config_id: int, number: int) -> int:
    """A round's matching seed: fixed by the round, so a rerun matches the same way."""
    return (config_id * 1_000_003 + number * 7_919) % (1 << 62)


def _and_join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class PodService:
    def __init__(self, ctx: ServiceContext, timezones: TimezoneService | None = None) -> None:
        self.ctx = ctx
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
                await self._retime(session, cfg, zone, now)
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
                await self._close(session, cfg, current, now)
            rnd, result = await self._start(session, cfg, zone, now, now)
            next_at = self._next_event(cfg, zone, rnd, now)
        self.ctx.delivery.wake()
        self._arm(cfg.id, next_at)
        return result

    # -- members -------------------------------------------------------------------------------

    async def join(
        self, guild_id: int, channel_id: int | None, user_id: int, name: str
    ) -> JoinResult:
        now = self.ctx.clock.now()
        placed: PodRef | None = None
        async with self.ctx.db.transaction() as session:
            cfg = await self._resolve(session, guild_id, channel_id)
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
                placed = await self._place(session, cfg, active, user_id, now)
            has_hours = bool(await availability_for(session, guild_id, [user_id]))
            next_at = self._next_round_at(cfg, zone, active, now)
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
            await self._leave_round(session, cfg, user_id)
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
                next_round_at=self._next_round_at(cfg, zone, active, now) if cfg.enabled else None,
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
                await self._leave_round(session, cfg, user_id)
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
                    await self._leave_round(session, cfg, user_id)
        self.ctx.delivery.wake()

    # -- the round timer -----------------------------------------------------------------------

    async def restore(self) -> None:
        """Re-arm every enabled channel of this process; a round due while down runs now."""
        async with self.ctx.db.transaction() as session:
            ids = await queries.enabled_config_ids(session)
            guilds = {cid: (await queries.config(session, cid)) for cid in ids}
        for config_id, cfg in guilds.items():
            if cfg is not None and self.ctx.handles_guild(cfg.guild_id):
                await self._timer_fired(config_id)

    async def _timer_fired(self, config_id: int) -> None:
        try:
            await self.run_due(config_id)
        except Exception:
            log.exception("pod round for config %s failed; retrying shortly", config_id)
            self._arm(config_id, self.ctx.clock.now() + RETRY_AFTER)

    async def run_due(self, config_id: int) -> list[str]:
        """Do whatever of the rounds is due (close, start, nudge, ask), then re-arm. Idempotent."""
        done: list[str] = []
        async with self.ctx.db.transaction() as session:
            cfg = await queries.config(session, config_id, lock=True)
            if cfg is None or not cfg.enabled:
                self.ctx.timers.cancel(timer_key(config_id))
                return done
            zone = await guild_zone(session, cfg.guild_id)
            now = self.ctx.clock.now()
            current = await queries.latest_round(session, cfg.id)
            if current is not None and current.closed_at is None and current.ends_at <= now:
                await self._close(session, cfg, current, now)
                done.append("close")
            if current is None or current.closed_at is not None:
                due = latest_slot(cfg.anchor, cfg.cadence_weeks, cfg.time_of_day, zone, now)
                if due is not None and (current is None or due >= current.ends_at):
                    current, _ = await self._start(session, cfg, zone, due, now)
                    done.append("start")
            if current is not None and current.closed_at is None:
                if current.asked_at is None and current.ask_at <= now:
                    await self._ask(session, cfg, current, now)
                    done.append("ask")
                elif current.nudged_at is None and current.nudge_at <= now:
                    await self._nudge(session, cfg, current, now)
                    done.append("nudge")
            next_at = self._next_event(cfg, zone, current, now)
        if done:
            self.ctx.delivery.wake()
        self._arm(config_id, next_at)
        return done

    def _arm(self, config_id: int, when: datetime | None) -> None:
        if when is None:
            self.ctx.timers.cancel(timer_key(config_id))
        else:
            self.ctx.timers.arm(timer_key(config_id), when, self._timer_fired, config_id)

    def _next_event(
        self, cfg: PodConfig, zone: ZoneInfo, current: PodRound | None, now: datetime
    ) -> datetime:
        if current is not None and current.closed_at is None:
            times = [current.ends_at]
            if current.asked_at is None:
                times.append(current.ask_at)
            if current.nudged_at is None:
                times.append(current.nudge_at)
            return min(times)
        after = max(now, current.starts_at) if current is not None else now
        return next_slot_after(cfg.anchor, cfg.cadence_weeks, cfg.time_of_day, zone, after)

    def _next_round_at(
        self, cfg: PodConfig, zone: ZoneInfo, active: PodRound | None, now: datetime
    ) -> datetime | None:
        if not cfg.enabled:
            return None
        if active is not None:
            return active.ends_at
        return next_slot_after(cfg.anchor, cfg.cadence_weeks, cfg.time_of_day, zone, now)

    async def _zone_changed(self, session: AsyncSession, guild_id: int) -> None:
        now = self.ctx.clock.now()
        zone = await guild_zone(session, guild_id)
        for cfg in await queries.configs_of_guild(session, guild_id):
            if cfg.enabled:
                await self._retime(session, cfg, zone, now)
                self._arm(cfg.id, now)

    async def _retime(
        self, session: AsyncSession, cfg: PodConfig, zone: ZoneInfo, now: datetime
    ) -> None:
        """The schedule or zone changed: the running round ends at the new schedule's slot."""
        if cfg.id is None:
            return
        current = await queries.latest_round(session, cfg.id)
        if current is None or current.closed_at is not None:
            return
        times = round_times(
            current.starts_at, cfg.anchor, cfg.cadence_weeks, cfg.time_of_day, zone, now=now
        )
        current.ends_at = times.ends_at
        current.nudge_at = times.nudge_at if current.nudged_at is None else current.nudge_at
        current.ask_at = times.ask_at if current.asked_at is None else current.ask_at

    # -- rounds --------------------------------------------------------------------------------

    async def _start(
        self,
        session: AsyncSession,
        cfg: PodConfig,
        zone: ZoneInfo,
        starts_at: datetime,
        now: datetime,
    ) -> tuple[PodRound, RoundResult]:
        latest = await queries.latest_round(session, cfg.id)
        number = latest.number + 1 if latest is not None else 1
        times = round_times(
            starts_at, cfg.anchor, cfg.cadence_weeks, cfg.time_of_day, zone, now=now
        )
        rnd = PodRound(
            config_id=cfg.id,
            number=number,
            seed=_seed(cfg.id, number),
            starts_at=times.starts_at,
            nudge_at=times.nudge_at,
            ask_at=times.ask_at,
            ends_at=times.ends_at,
            created_at=now,
        )
        session.add(rnd)
        await session.flush()

        eligible: list[PodMember] = []
        for member in await queries.members_in(session, cfg.id):
            if member.pause_asked:
                continue
            if member.snooze_rounds > 0:
                member.snooze_rounds -= 1
                continue
            eligible.append(member)
        ids = [m.user_id for m in eligible]
        begin = max(starts_at, now)
        grid = slot_floor(begin)
        hours = await availability_for(session, cfg.guild_id, ids)
        masks = {uid: slot_mask(week_intervals(a, grid), grid) for uid, a in hours.items()}
        default = Preference.KEEP if cfg.keep_default else Preference.ROTATE
        candidates = [
            Candidate(
                m.user_id,
                masks.get(m.user_id, 0),
                (Preference(m.preference) if m.preference else default) is Preference.KEEP,
            )
            for m in eligible
        ]
        previous = [
            r
            for r in await queries.recent_rounds(session, cfg.id, HISTORY_ROUNDS + 1)
            if r.id != rnd.id
        ][:HISTORY_ROUNDS]
        groups = await queries.round_groups(session, [r.id for r in previous])
        history = [groups.get(r.id, []) for r in previous]
        matching = match_pods(
            candidates,
            cfg.size,
            seed=rnd.seed,
            last_pods=history[0] if history else (),
            history=history,
            not_again=await queries.blocks_among(session, cfg.guild_id, ids),
        )

        # Many pods in one round: plain multi-row inserts, then the pods read back with ids.
        await queries.insert_pods(
            session,
            [
                {
                    "round_id": rnd.id,
                    "number": n,
                    "kept": found.kept,
                    "shared_minutes": found.shared_slots * (SLOT.seconds // 60),
                }
                for n, found in enumerate(matching.pods, 1)
            ],
        )
        pods = await queries.pods_of(session, rnd.id)
        await queries.insert_seats(
            session,
            [
                {"pod_id": pod.id, "user_id": uid}
                for pod, found in zip(pods, matching.pods, strict=True)
                for uid in found.members
            ],
        )
        names = {m.user_id: m.display_name for m in eligible}
        zones = await queries.personal_zones(session, [uid for uid in ids if uid not in hours])
        rows: list[Outgoing] = [
            messages.announce(
                cfg,
                number,
                len(pods),
                len(matching.placed),
                sum(p.kept for p in pods),
                matching.unmatched,
                times.ends_at,
            )
        ]
        until = min(begin + WEEK, times.ends_at)
        for pod, found in zip(pods, matching.pods, strict=True):
            intro = self._intro(
                pod,
                number,
                found.members,
                hours,
                zones,
                names,
                masks,
                begin,
                until,
                times.ends_at,
                now,
            )
            rows += messages.new_pod(cfg, pod, intro, [names.get(u, "") for u in found.members])
        await enqueue(session, *rows)
        log.info(
            "pods round %s in channel %s: %d pods, %d unmatched",
            number,
            cfg.channel_id,
            len(pods),
            len(matching.unmatched),
        )
        result = RoundResult(
            round_number=number,
            pods=len(pods),
            members=len(matching.placed),
            kept=sum(p.kept for p in pods),
            unmatched=matching.unmatched,
            ends_at=times.ends_at,
        )
        return rnd, result

    @staticmethod
    def _intro(
        pod: PodGroup,
        round_number: int,
        members: Sequence[int],
        hours: dict[int, Availability],
        zones: dict[int, str],
        names: dict[int, str],
        masks: dict[int, int],
        begin: datetime,
        until: datetime,
        ends_at: datetime,
        now: datetime,
    ) -> PodIntro:
        mates = []
        for uid in members:
            zone_name = hours[uid].zone.key if uid in hours else zones.get(uid)
            local = now.astimezone(zone_or_utc(zone_name)) if zone_name else None
            mates.append(PodMate(uid, names.get(uid, ""), zone_name, local, uid in hours))
        shared = _shared(members, masks, slot_floor(begin), until, after=begin)
        return PodIntro(
            pod_id=pod.id,
            number=pod.number,
            round_number=round_number,
            mates=tuple(mates),
            shared=shared,
            shared_minutes=sum(int((b - a).total_seconds() // 60) for a, b in shared),
            ends_at=ends_at,
            kept=pod.kept,
        )

    async def _close(
        self, session: AsyncSession, cfg: PodConfig, rnd: PodRound, now: datetime
    ) -> None:
        """Count the round's answers: a member nobody saw (no answer, pod didn't meet) twice in
        a row is asked whether to pause, and is left out of matching until they answer."""
        rnd.closed_at = now
        if rnd.asked_at is None:
            return  # never asked (e.g. ended early): no answers to count
        pods = {p.id: p for p in await queries.pods_of(session, rnd.id)}
        seats = await queries.seats_of_round(session, rnd.id)
        users = {s.user_id for group in seats.values() for s in group}
        members = await queries.members_by_user(session, cfg.id, users)
        await queries.resolve_threads(session, list(pods.values()))
        rows: list[Outgoing] = []
        for pod_id, group in seats.items():
            pod = pods[pod_id]
            for seat in group:
                member = members.get(seat.user_id)
                if seat.left_at is not None or member is None or not member.opted_in:
                    continue
                if seat.answer is None and pod.met_at is None:
                    member.no_shows += 1
                else:
                    member.no_shows = 0
                if member.no_shows >= NO_SHOWS_BEFORE_ASKING and not member.pause_asked:
                    member.pause_asked = True
                    rows.append(messages.pause_question(cfg, pod, member.user_id))
        if rows:
            await enqueue(session, *rows)

    async def _active_pods(
        self, session: AsyncSession, rnd: PodRound
    ) -> list[tuple[PodGroup, list[int]]]:
        pods = await queries.pods_of(session, rnd.id)
        seats = await queries.seats_of_round(session, rnd.id)
        await queries.resolve_threads(session, pods)
        out = []
        for pod in pods:
            ids = [s.user_id for s in seats.get(pod.id, []) if s.left_at is None]
            if ids:
                out.append((pod, ids))
        return out

    async def _nudge(
        self, session: AsyncSession, cfg: PodConfig, rnd: PodRound, now: datetime
    ) -> None:
        rnd.nudged_at = now
        pods = [(p, ids) for p, ids in await self._active_pods(session, rnd) if p.met_at is None]
        if not pods:
            return
        hours = await availability_for(session, cfg.guild_id, [u for _, ids in pods for u in ids])
        until = min(now + WEEK, rnd.ends_at)
        grid = slot_floor(now)
        masks = {uid: slot_mask(week_intervals(a, grid), grid) for uid, a in hours.items()}
        rows = []
        for pod, ids in pods:
            shared = _shared(ids, masks, grid, until, after=now)
            minutes = sum(int((b - a).total_seconds() // 60) for a, b in shared)
            rows.append(messages.nudge(cfg, pod, ids, shared, minutes, rnd.ends_at))
        await enqueue(session, *rows)

    async def _ask(
        self, session: AsyncSession, cfg: PodConfig, rnd: PodRound, now: datetime
    ) -> None:
        rnd.asked_at = now
        if rnd.nudged_at is None:
            rnd.nudged_at = now  # the question replaces a nudge that came due at the same time
        pods = await self._active_pods(session, rnd)
        if pods:
            await enqueue(session, *(messages.ask(cfg, p, ids, rnd.ends_at) for p, ids in pods))

    # -- moving members mid-round --------------------------------------------------------------

    async def _leave_round(self, session: AsyncSession, cfg: PodConfig, user_id: int) -> None:
        """Take the member out of the running round's pod; a pod left with one member moves
        that member to another pod with room, if one fits."""
        rnd = await queries.latest_round(session, cfg.id)
        if rnd is None or rnd.closed_at is not None:
            return
        found = await queries.seat_of(session, rnd.id, user_id)
        if found is None:
            return
        now = self.ctx.clock.now()
        seat, pod = found
        seat.left_at = now
        await queries.resolve_threads(session, [pod])
        others = [
            s
            for s in (await queries.seats_of_round(session, rnd.id)).get(pod.id, [])
            if s.left_at is None and s.user_id != user_id
        ]
        alone = others[0].user_id if len(others) == 1 else None
        rows = [messages.left(cfg, pod, user_id, alone)]
        await enqueue(session, *rows)
        if alone is not None:
            moved = await self._place(session, cfg, rnd, alone, now, exclude=pod.id)
            if moved is not None:
                others[0].left_at = now

    async def _place(
        self,
        session: AsyncSession,
        cfg: PodConfig,
        rnd: PodRound,
        user_id: int,
        now: datetime,
        *,
        exclude: int | None = None,
    ) -> PodRef | None:
        """Seat a member in a running round's pod with room (never with a "not again")."""
        pods = await queries.pods_of(session, rnd.id)
        seats = await queries.seats_of_round(session, rnd.id)
        everyone = {s.user_id for group in seats.values() for s in group} | {user_id}
        blocked = await queries.blocks_among(session, cfg.guild_id, everyone)
        avoid = set(blocked.get(user_id, set())) | {u for u, o in blocked.items() if user_id in o}
        best: tuple[int, int, PodGroup, list[int]] | None = None
        for pod in pods:
            ids = [s.user_id for s in seats.get(pod.id, []) if s.left_at is None]
            if pod.id == exclude or not ids or len(ids) > cfg.size or avoid & set(ids):
                continue
            if any(s.user_id == user_id for s in seats.get(pod.id, [])):
                continue  # they were in it before; don't bounce them back
            key = (len(ids), pod.number)
            if best is None or key < best[:2]:
                best = (key[0], key[1], pod, ids)
        if best is None:
            return None
        _, _, pod, mates = best
        session.add(PodSeat(pod_id=pod.id, user_id=user_id))
        await queries.resolve_threads(session, [pod])
        await enqueue(session, messages.moved_in(cfg, pod, user_id, mates))
        return PodRef(
            pod.id,
            pod.number,
            rnd.number,
            pod.thread_id,
            tuple(mates),
            pod.met_at is not None,
            rnd.ends_at,
        )

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
            next_round_at=self._next_round_at(cfg, zone, active, now),
            members_in=await queries.count_in(session, cfg.id),
            current=summary,
        )


def _shared(
    members: Sequence[int],
    masks: dict[int, int],
    begin: datetime,
    until: datetime,
    *,
    after: datetime | None = None,
) -> tuple[tuple[datetime, datetime], ...]:
    """The longest stretches every member with hours is free in ``[after, until)``, by time
    (``masks`` start at ``begin``, on the slot grid)."""
    known = [masks[u] for u in members if masks.get(u)]
    if len(known) < 2:
        return ()
    common = -1
    for mask in known:
        common &= mask
    stretches = [
        (iv.start, min(iv.end, until)) for iv in mask_intervals(common, begin) if iv.start < until
    ]
    longest = sorted(stretches, key=lambda s: (s[0] - s[1], s[0]))[:8]
    return tuple(sorted(longest))
