"""The round engine of pods: one timer per pods channel (``pods:{config_id}``), armed from the
rounds stored in the database; at its time it closes the round that ended (counting the answers),
starts the one that is due (matching and a thread per pod), nudges pods that haven't met halfway
through and asks every pod "Did you meet?" on the last day. Idempotent: a rerun or a restart does
each step once, and a round that came due while the bot was down runs once when it is back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Outgoing, enqueue
from bot.domain.availability import (
    Availability,
    mask_intervals,
    slot_floor,
    slot_mask,
    week_intervals,
)
from bot.domain.pod_schedule import latest_slot, next_slot_after, round_times
from bot.domain.pods import Candidate, match_pods
from bot.render.pods import PodIntro, PodMate
from bot.services.availability import availability_for
from bot.services.context import ServiceContext
from bot.services.pods import messages, queries
from bot.services.pods.types import Preference, RoundResult
from bot.services.timezones import guild_zone, zone_or_utc
from db.models import PodConfig, PodGroup, PodMember, PodRound

log = logging.getLogger(__name__)

HISTORY_ROUNDS = 3  # repeats of pairs from this many recent rounds are avoided
NO_SHOWS_BEFORE_ASKING = 2
RETRY_AFTER = timedelta(minutes=1)
SLOT = timedelta(minutes=15)
WEEK = timedelta(days=7)


def timer_key(config_id: int) -> str:
    return f"pods:{config_id}"


def _seed(config_id: int, number: int) -> int:
    """A round's matching seed: fixed by the round, so a rerun matches the same way."""
    return (config_id * 1_000_003 + number * 7_919) % (1 << 62)


class Rounds:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

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
            self.arm(config_id, self.ctx.clock.now() + RETRY_AFTER)

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
                await self.close(session, cfg, current, now)
                done.append("close")
            if current is None or current.closed_at is not None:
                due = latest_slot(cfg.anchor, cfg.cadence_weeks, cfg.time_of_day, zone, now)
                if due is not None and (current is None or due >= current.ends_at):
                    current, _ = await self.start(session, cfg, zone, due, now)
                    done.append("start")
            if current is not None and current.closed_at is None:
                if current.asked_at is None and current.ask_at <= now:
                    await self._ask(session, cfg, current, now)
                    done.append("ask")
                elif current.nudged_at is None and current.nudge_at <= now:
                    await self._nudge(session, cfg, current, now)
                    done.append("nudge")
            next_at = self.next_event(cfg, zone, current, now)
        if done:
            self.ctx.delivery.wake()
        self.arm(config_id, next_at)
        return done

    def arm(self, config_id: int, when: datetime | None) -> None:
        if when is None:
            self.ctx.timers.cancel(timer_key(config_id))
        else:
            self.ctx.timers.arm(timer_key(config_id), when, self._timer_fired, config_id)

    def next_event(
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

    def next_round_at(
        self, cfg: PodConfig, zone: ZoneInfo, active: PodRound | None, now: datetime
    ) -> datetime | None:
        if not cfg.enabled:
            return None
        if active is not None:
            return active.ends_at
        return next_slot_after(cfg.anchor, cfg.cadence_weeks, cfg.time_of_day, zone, now)

    async def retime(
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

    async def start(
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

    async def close(
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
        await queries.mark_failed_threads(session, list(pods.values()))
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
        await queries.mark_failed_threads(session, pods)
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
