"""The members' pods use cases: opting in and out, snoozing, keep or rotate, "not again", their
status, and the answers on a pod thread's buttons. ``PodService`` inherits them."""

from __future__ import annotations

from bot.domain.availability import format_windows
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.services.availability import availability_for
from bot.services.context import ServiceContext
from bot.services.pods import moves, queries
from bot.services.pods.lookups import opted_in_member, pod_in_guild, pod_ref, resolve_config
from bot.services.pods.rounds import Rounds
from bot.services.pods.types import (
    Answer,
    AnswerResult,
    JoinResult,
    MemberStatus,
    PodRef,
    Preference,
)
from bot.services.privacy.gate import refuse_untracked
from bot.services.timezones import guild_zone
from db.models import PodBlock

__all__ = ["MAX_SNOOZE", "MemberUseCases"]

MAX_SNOOZE = 12


class MemberUseCases:
    """What members do; mixed into ``PodService`` (which provides ``ctx`` and ``rounds``)."""

    ctx: ServiceContext
    rounds: Rounds

    # -- members -------------------------------------------------------------------------------

    async def join(
        self, guild_id: int, channel_id: int | None, user_id: int, name: str
    ) -> JoinResult:
        now = self.ctx.clock.now()
        placed: PodRef | None = None
        async with self.ctx.db.transaction() as session:
            cfg = await resolve_config(session, guild_id, channel_id)
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
            cfg = await resolve_config(session, guild_id, channel_id, enabled_only=False)
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
            cfg = await resolve_config(session, guild_id, channel_id)
            member = await opted_in_member(session, cfg, user_id)
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
            cfg = await resolve_config(session, guild_id, channel_id)
            member = await opted_in_member(session, cfg, user_id)
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
            cfg = await resolve_config(session, guild_id, channel_id, enabled_only=False)
            zone = await guild_zone(session, guild_id)
            member = await queries.member(session, cfg.id, user_id)
            current = await queries.latest_round(session, cfg.id)
            active = current if current is not None and current.closed_at is None else None
            pod = await pod_ref(session, active, user_id) if active is not None else None
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
            pod, rnd, _cfg = await pod_in_guild(session, guild_id, pod_id)
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
            pod, _rnd, cfg = await pod_in_guild(session, guild_id, pod_id)
            seat = await queries.seat_in_pod(session, pod_id, user_id)
            if seat is None or seat.left_at is not None:
                raise PermissionDenied("That's another pod's button: only its members choose.")
            member = await opted_in_member(session, cfg, user_id)
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
