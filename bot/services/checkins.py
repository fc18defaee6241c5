"""Break check-ins, stuck huddles, and the end-of-sprint debrief.

The check-in prompt (three buttons and a note button, no pings of its own) rides on the sprint's
break announcement (``break_add_on``, asked by the sprint service), so a break costs one message; a
stuck member's huddle thread starts from that announcement. The sprint ending writes
``Sprint.summary`` and, for a sprint that finished or was stopped, posts the debrief in the channel
(and in the accountability week's thread when there is one). Each member has at most one check-in
per round (unique sprint/user/round): clicks update it, so two clicks at once never count twice.

Focus minutes are reported in sprint minutes: real focus seconds × the sprint's speed / 60, which
is plain real minutes at speed 1 (the only speed outside tests and demos).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Outgoing, Priority, enqueue
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.focus import focus_seconds
from bot.domain.sprint import PhaseKind, Span, SprintPlan, timeline
from bot.domain.text import clean_note
from bot.render import goals as render
from bot.services.context import ServiceContext
from bot.services.events import BreakAddOn, SprintEnded, phase_message_ref
from bot.services.goals import GoalService, Scope
from db import repositories as repo
from db.models import (
    CheckIn,
    DebriefNote,
    Goal,
    OutboxMessage,
    Participant,
    PresenceSpan,
    Sprint,
    WorkSpan,
)

log = logging.getLogger(__name__)

ACTIVE = repo.ACTIVE_STATUSES
BREAK_KINDS = (PhaseKind.BREAK.value, PhaseKind.LONG_BREAK.value)
POSTED_REASONS = ("finished", "stopped")
HUDDLE_ARCHIVE_MINUTES = 60
MAX_DEBRIEF_NOTES_PER_MEMBER = 5


@dataclass(frozen=True)
class CheckInResult:
    sprint_id: int
    round: int
    status: str
    previous: str | None  # the status before this click (None: first check-in this round)
    note: str | None
    huddle_thread_id: int | None
    sprint_active: bool = True


@dataclass(frozen=True)
class HuddleResult:
    thread_id: int | None  # known once the thread exists
    created: bool  # a new thread was requested by this call
    name: str


def week_thread_ref(week_id: int) -> str:
    """The outbox ref weekly accountability gives a week's thread (bot.render.accountability)."""
    return f"acc_thread:{week_id}"


def _break_rounds(plan: SprintPlan, reached_index: int) -> list[int]:
    """Rounds whose break has started by phase ``reached_index``."""
    return [
        p.round for p in timeline(plan) if p.kind.value in BREAK_KINDS and p.index <= reached_index
    ]


def _break_message_ref(sprint: Sprint, round_: int) -> str:
    """The ref of the break announcement (with the check-in buttons) after ``round_``."""
    plan = _plan(sprint)
    phases = timeline(plan) if plan is not None else []
    index = next(
        (p.index for p in phases if p.kind.value in BREAK_KINDS and p.round == round_),
        2 * round_ - 1 + (1 if plan is not None and plan.intro_min else 0),
    )
    return phase_message_ref(sprint.id, index)


def _plan(sprint: Sprint) -> SprintPlan | None:
    try:
        return SprintPlan.from_dict(sprint.plan)
    except (ValidationError, TypeError, AttributeError):
        log.warning("sprint %s has an unreadable plan %r", sprint.id, sprint.plan)
        return None


class CheckInService:
    def __init__(self, ctx: ServiceContext, goals: GoalService) -> None:
        self.ctx = ctx
        self.goals = goals

    # -- the check-in prompt -------------------------------------------------------------------

    async def break_add_on(
        self, session: AsyncSession, sprint_id: int, round_: int
    ) -> BreakAddOn | None:
        """The check-in text and buttons the sprint's break announcement carries."""
        sprint = await session.get(Sprint, sprint_id)
        if sprint is None:
            return None
        plan = _plan(sprint)
        rounds = plan.rounds if plan is not None else round_ + 1
        return BreakAddOn(
            text=render.checkin_prompt_text(round_, rounds),
            components=tuple(render.checkin_components(sprint_id, round_)),
        )

    # -- recording clicks ----------------------------------------------------------------------

    async def _sprint_for_checkin(
        self, session: AsyncSession, guild_id: int, sprint_id: int, round_: int,
        *, allow_ended: bool = False,
    ) -> Sprint:
        sprint = await session.get(Sprint, sprint_id)
        if sprint is None or sprint.guild_id != guild_id:
            raise NotFound("I can't find that sprint any more.")
        if sprint.status not in ACTIVE and not allow_ended:
            raise Conflict(
                "This sprint has ended, so its check-ins are closed. You can add a note to "
                "the debrief instead."
            )
        plan = _plan(sprint)
        if plan is not None and not 1 <= round_ < max(plan.rounds, 2):
            raise ValidationError(f"This sprint has no break after round {round_}.")
        return sprint

    async def _require_member(self, session: AsyncSession, sprint_id: int, user_id: int) -> None:
        stmt = select(Participant.id).where(
            Participant.sprint_id == sprint_id, Participant.user_id == user_id
        )
        if (await session.execute(stmt)).first() is None:
            raise PermissionDenied(
                "Only members of this sprint can check in. Press **Join** on the sprint card "
                "(or use `/sprint join`) first."
            )

    async def _upsert(
        self, session: AsyncSession, sprint_id: int, user_id: int, round_: int, *,
        status: str | None = None, note: str | None = None,
    ) -> tuple[CheckIn, str | None]:
        """The member's check-in for the round, created or updated; returns (row, old status).

        A concurrent insert of the same (sprint, user, round) loses on the unique constraint and
        becomes an update of the winner's row, so the round is never counted twice.
        """
        now = self.ctx.clock.now()

        async def find() -> CheckIn | None:
            stmt = (
                select(CheckIn)
                .where(
                    CheckIn.sprint_id == sprint_id, CheckIn.user_id == user_id,
                    CheckIn.round == round_,
                )
                .with_for_update()
            )
            return (await session.execute(stmt)).scalar_one_or_none()

        row = await find()
        if row is None:
            row = CheckIn(
                sprint_id=sprint_id, user_id=user_id, round=round_,
                status=status or "progress", note=note, created_at=now, updated_at=now,
            )
            try:
                async with session.begin_nested():
                    session.add(row)
            except IntegrityError:  # the other click won the insert: update its row
                row = await find()
                assert row is not None
            else:
                return row, None
        previous = row.status
        if status is not None:
            row.status = status
        if note is not None:
            row.note = note
        row.updated_at = now
        await session.flush()
        return row, previous

    async def record(
        self, guild_id: int, sprint_id: int, round_: int, user_id: int, status: str
    ) -> CheckInResult:
        """A check-in button: record or change the member's check-in for the round."""
        if status not in render.CHECKIN_STATUSES:
            raise ValidationError("Check in with Done, Progress or Stuck.")
        async with self.ctx.db.transaction() as session:
            await self._sprint_for_checkin(session, guild_id, sprint_id, round_)
            await self._require_member(session, sprint_id, user_id)
            row, previous = await self._upsert(
                session, sprint_id, user_id, round_, status=status
            )
            await self.goals._card_changed(session, sprint_id)
            result = CheckInResult(
                sprint_id, round_, row.status, previous, row.note, row.huddle_thread_id
            )
        self.ctx.delivery.wake()
        return result

    async def set_note(
        self, guild_id: int, sprint_id: int, round_: int, user_id: int, note: str
    ) -> CheckInResult:
        """The note modal. Also accepted after the sprint ended (then the debrief is updated)."""
        cleaned = clean_note(note)
        async with self.ctx.db.transaction() as session:
            sprint = await self._sprint_for_checkin(
                session, guild_id, sprint_id, round_, allow_ended=True
            )
            await self._require_member(session, sprint_id, user_id)
            row, _ = await self._upsert(session, sprint_id, user_id, round_, note=cleaned)
            active = sprint.status in ACTIVE
            if active:
                await self.goals._card_changed(session, sprint_id)
            else:
                await self._refresh_debrief(session, sprint)
            result = CheckInResult(
                sprint_id, round_, row.status, row.status, row.note, row.huddle_thread_id,
                sprint_active=active,
            )
        self.ctx.delivery.wake()
        return result

    async def note_target(
        self, guild_id: int, sprint_id: int, round_: int, user_id: int
    ) -> str | None:
        """Check before the note form opens (so typed text is never refused afterwards for a
        reason known now); returns the note already saved for the round, if any."""
        async with self.ctx.db.transaction() as session:
            await self._sprint_for_checkin(session, guild_id, sprint_id, round_, allow_ended=True)
            await self._require_member(session, sprint_id, user_id)
            stmt = select(CheckIn.note).where(
                CheckIn.sprint_id == sprint_id, CheckIn.user_id == user_id,
                CheckIn.round == round_,
            )
            return (await session.execute(stmt)).scalar_one_or_none()

    # -- huddles -------------------------------------------------------------------------------

    async def _resolve_huddles(self, session: AsyncSession, rows: list[CheckIn]) -> None:
        """Fill ``huddle_thread_id`` from the outbox once the thread has been created."""
        missing = {
            render.huddle_ref(r.sprint_id, r.round, r.user_id): r
            for r in rows
            if r.huddle_thread_id is None
        }
        if not missing:
            return
        stmt = select(OutboxMessage.ref, OutboxMessage.result_id).where(
            OutboxMessage.ref.in_(list(missing)), OutboxMessage.result_id.is_not(None)
        )
        for ref, result_id in (await session.execute(stmt)).tuples():
            if ref is not None and result_id is not None:
                missing[ref].huddle_thread_id = int(result_id)
        await session.flush()

    async def huddle(
        self, guild_id: int, sprint_id: int, round_: int, user_id: int, display_name: str
    ) -> HuddleResult:
        """Open a "🆘 name's huddle" thread for a stuck member (once per member and round).

        The first huddle of a break starts from the check-in message; a message has only one
        thread, so later ones that break are started in the channel next to it.
        """
        name = render.huddle_name(display_name)
        async with self.ctx.db.transaction() as session:
            sprint = await self._sprint_for_checkin(session, guild_id, sprint_id, round_)
            await self._require_member(session, sprint_id, user_id)
            row, _ = await self._upsert(session, sprint_id, user_id, round_)
            if row.status != "stuck":
                row.status = "stuck"
            await self._resolve_huddles(session, [row])
            if row.huddle_thread_id is not None:
                return HuddleResult(row.huddle_thread_id, False, name)
            ref = render.huddle_ref(sprint_id, round_, user_id)
            asked = await session.execute(
                select(OutboxMessage.id).where(OutboxMessage.ref == ref).limit(1)
            )
            if asked.first() is not None:  # requested earlier, not created yet
                return HuddleResult(None, False, name)
            others = await session.execute(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.ref.like(f"huddle:{sprint_id}:{round_}:%"),
                    OutboxMessage.kind == "thread",
                    OutboxMessage.target_ref.is_not(None),
                )
                .limit(1)
            )
            from_message = others.first() is None
            if from_message:
                existing = await session.execute(
                    select(CheckIn.id).where(
                        CheckIn.sprint_id == sprint_id, CheckIn.round == round_,
                        CheckIn.huddle_thread_id.is_not(None),
                    ).limit(1)
                )
                from_message = existing.first() is None
            thread_payload: dict[str, object] = {
                "name": name, "auto_archive_duration": HUDDLE_ARCHIVE_MINUTES,
            }
            if from_message:
                thread = Outgoing(
                    "thread", thread_payload, channel_id=sprint.channel_id,
                    target_ref=_break_message_ref(sprint, round_), ref=ref,
                    priority=Priority.NOTICE, guild_id=guild_id, sprint_id=sprint_id,
                )
            else:
                thread_payload["type"] = 11  # a public thread in the channel
                thread = Outgoing(
                    "thread", thread_payload, channel_id=sprint.channel_id, ref=ref,
                    priority=Priority.NOTICE, guild_id=guild_id, sprint_id=sprint_id,
                )
            intro = Outgoing(
                "send", render.huddle_intro_payload(user_id, round_, row.note), channel_ref=ref,
                priority=Priority.NOTICE, guild_id=guild_id, sprint_id=sprint_id,
            )
            await enqueue(session, thread, intro)
            await self.goals._card_changed(session, sprint_id)
        self.ctx.delivery.wake()
        return HuddleResult(None, True, name)

    # -- the sprint card -----------------------------------------------------------------------

    async def card_lines(self, session: AsyncSession, sprint_id: int) -> dict[int, str]:
        """Each member's latest check-in, e.g. ``check-in 🔜``."""
        stmt = (
            select(CheckIn.user_id, CheckIn.status)
            .where(CheckIn.sprint_id == sprint_id)
            .order_by(CheckIn.round, CheckIn.id)
        )
        latest: dict[int, str] = {}
        for user_id, status in (await session.execute(stmt)).tuples():
            latest[int(user_id)] = render.checkin_card_line(status)
        return {u: line for u, line in latest.items() if line}

    # -- debrief -------------------------------------------------------------------------------

    async def focus_minutes(
        self, session: AsyncSession, sprint: Sprint, now: datetime
    ) -> dict[int, int]:
        """Focus minutes per member from the stored work and presence spans (see module doc)."""
        work = [
            Span(w.started_at, w.ended_at)
            for w in (
                await session.execute(select(WorkSpan).where(WorkSpan.sprint_id == sprint.id))
            ).scalars()
        ]
        presence: dict[int, list[Span]] = {}
        stmt = select(PresenceSpan).where(PresenceSpan.sprint_id == sprint.id)
        for p in (await session.execute(stmt)).scalars():
            presence.setdefault(int(p.user_id), []).append(Span(p.started_at, p.ended_at))
        speed = sprint.speed or 1.0
        return {
            user_id: round(focus_seconds(work, spans, now) * speed / 60)
            for user_id, spans in presence.items()
        }

    async def build_debrief(
        self, session: AsyncSession, sprint: Sprint, reason: str, now: datetime
    ) -> render.Debrief:
        """Everything the debrief shows, from the database."""
        parts = list(
            (
                await session.execute(
                    select(Participant)
                    .where(Participant.sprint_id == sprint.id)
                    .order_by(Participant.joined_at, Participant.id)
                )
            ).scalars()
        )
        goals = list(
            (
                await session.execute(
                    select(Goal)
                    .where(
                        Goal.sprint_id == sprint.id, Goal.scope == Scope.SPRINT.value,
                        Goal.status.in_(("open", "done")),
                    )
                    .order_by(Goal.created_at, Goal.id)
                )
            ).scalars()
        )
        checkins = list(
            (
                await session.execute(
                    select(CheckIn).where(CheckIn.sprint_id == sprint.id).order_by(CheckIn.round)
                )
            ).scalars()
        )
        await self._resolve_huddles(session, [c for c in checkins if c.status == "stuck"])
        notes = list(
            (
                await session.execute(
                    select(DebriefNote)
                    .where(DebriefNote.sprint_id == sprint.id)
                    .order_by(DebriefNote.created_at, DebriefNote.id)
                )
            ).scalars()
        )
        focus = await self.focus_minutes(session, sprint, now)
        plan = _plan(sprint)
        rounds = set(_break_rounds(plan, sprint.phase_index) if plan is not None else [])
        rounds |= {c.round for c in checkins}
        order: list[int] = []
        names: dict[int, str] = {}
        for p in parts:
            if p.user_id not in names:
                order.append(p.user_id)
            names[p.user_id] = p.display_name or names.get(p.user_id, "")
        for g in goals:
            if g.user_id not in names:
                order.append(g.user_id)
                names[g.user_id] = ""
        members: list[render.DebriefMember] = []
        for user_id in order:
            mine = [c for c in checkins if c.user_id == user_id]
            by_round = {c.round: c for c in mine}
            members.append(
                render.DebriefMember(
                    user_id=user_id,
                    name=names[user_id] or f"member {user_id}",
                    goals=tuple(
                        render.DebriefGoal(g.text, g.status == "done")
                        for g in goals
                        if g.user_id == user_id
                    ),
                    focus_minutes=focus.get(user_id, 0),
                    trail=tuple(
                        (r, by_round[r].status if r in by_round else None) for r in sorted(rounds)
                    ),
                    checkin_notes=tuple((c.round, c.note) for c in mine if c.note),
                    debrief_notes=tuple(n.text for n in notes if n.user_id == user_id),
                    huddles=tuple(
                        c.huddle_thread_id for c in mine if c.huddle_thread_id is not None
                    ),
                )
            )
        return render.Debrief(
            sprint_id=sprint.id, title=sprint.title, reason=reason,
            ended_at=sprint.ended_at or now, members=tuple(members),
        )

    async def _week_thread(
        self, session: AsyncSession, sprint: Sprint
    ) -> tuple[int | None, str | None]:
        """(thread id, thread ref) of the accountability week's live thread, when there is one.

        The thread id is known once the sender created it; before that, the outbox row that
        creates it (ref ``acc_thread:{week_id}``) can be targeted by ``channel_ref``.
        """
        start = await self.goals.current_week_start(session, sprint.guild_id)
        week = await repo.week(session, sprint.guild_id, start)
        if week is None or week.archived_at is not None:
            return None, None
        if week.thread_id is not None:
            return int(week.thread_id), None
        ref = week_thread_ref(week.id)
        row = (
            await session.execute(
                select(OutboxMessage.result_id, OutboxMessage.status)
                .where(OutboxMessage.ref == ref, OutboxMessage.kind == "thread")
                .limit(1)
            )
        ).first()
        if row is None:
            return None, None
        result_id, status = row
        if result_id is not None:
            return int(result_id), None
        return (None, ref) if status == "pending" else (None, None)

    async def sprint_ended(self, session: AsyncSession, event: SprintEnded) -> None:
        sprint = await session.get(Sprint, event.sprint_id)
        if sprint is None:
            return
        now = sprint.ended_at or event.at
        data = await self.build_debrief(session, sprint, event.reason, now)
        sprint.summary = data.summary()
        await session.flush()
        if event.reason not in POSTED_REASONS:
            return
        payload = render.debrief_payload(data)
        out = [
            Outgoing(
                "send", payload, channel_id=event.channel_id,
                ref=render.debrief_ref(sprint.id), priority=Priority.NOTICE,
                guild_id=event.guild_id, sprint_id=sprint.id,
            )
        ]
        thread_id, thread_ref = await self._week_thread(session, sprint)
        if (thread_id is not None and thread_id != event.channel_id) or thread_ref is not None:
            out.append(
                Outgoing(
                    "send", payload, channel_id=thread_id, channel_ref=thread_ref,
                    ref=render.debrief_ref(sprint.id, "week"), priority=Priority.COSMETIC,
                    guild_id=event.guild_id, sprint_id=sprint.id,
                )
            )
        await enqueue(session, *out)

    async def _refresh_debrief(self, session: AsyncSession, sprint: Sprint) -> None:
        """Edit the posted debrief (channel and week thread) after a note was added."""
        if sprint.end_reason is not None and sprint.end_reason not in POSTED_REASONS:
            return
        refs = [render.debrief_ref(sprint.id), render.debrief_ref(sprint.id, "week")]
        posted = await session.execute(
            select(OutboxMessage.ref, OutboxMessage.channel_id, OutboxMessage.channel_ref)
            .where(OutboxMessage.ref.in_(refs), OutboxMessage.kind == "send")
        )
        targets = {
            ref: (channel, channel_ref) for ref, channel, channel_ref in posted.tuples()
            if ref is not None
        }
        if not targets:
            return
        now = sprint.ended_at or self.ctx.clock.now()
        data = await self.build_debrief(session, sprint, sprint.end_reason or "finished", now)
        payload = render.debrief_payload(data)
        await enqueue(
            session,
            *(
                Outgoing(
                    "edit", payload, channel_id=channel, channel_ref=channel_ref,
                    target_ref=ref, supersede_key=f"edit:{ref}", priority=Priority.CARD,
                    guild_id=sprint.guild_id, sprint_id=sprint.id,
                )
                for ref, (channel, channel_ref) in targets.items()
                if channel is not None or channel_ref is not None
            ),
        )

    async def _debrief_sprint(
        self, session: AsyncSession, guild_id: int, sprint_id: int, user_id: int
    ) -> Sprint:
        sprint = await session.get(Sprint, sprint_id)
        if sprint is None or sprint.guild_id != guild_id:
            raise NotFound("I can't find that sprint any more.")
        member = await session.execute(
            select(Participant.id).where(
                Participant.sprint_id == sprint_id, Participant.user_id == user_id
            )
        )
        if member.first() is None:
            raise PermissionDenied("Only members of this sprint can add a note to its debrief.")
        count = await session.execute(
            select(DebriefNote.id).where(
                DebriefNote.sprint_id == sprint_id, DebriefNote.user_id == user_id
            )
        )
        if len(count.all()) >= MAX_DEBRIEF_NOTES_PER_MEMBER:
            raise Conflict(
                f"You've added {MAX_DEBRIEF_NOTES_PER_MEMBER} notes to this debrief, the most "
                "it keeps per member."
            )
        return sprint

    async def debrief_note_allowed(self, guild_id: int, sprint_id: int, user_id: int) -> None:
        """Check before the debrief form opens, so a refusal never costs typed text."""
        async with self.ctx.db.transaction() as session:
            await self._debrief_sprint(session, guild_id, sprint_id, user_id)

    async def add_debrief_note(
        self, guild_id: int, sprint_id: int, user_id: int, text: str
    ) -> None:
        """The debrief's "Add a note" modal: stored and shown in the debrief."""
        cleaned = clean_note(text, 1000)
        async with self.ctx.db.transaction() as session:
            sprint = await self._debrief_sprint(session, guild_id, sprint_id, user_id)
            session.add(
                DebriefNote(
                    sprint_id=sprint_id, user_id=user_id, text=cleaned,
                    created_at=self.ctx.clock.now(),
                )
            )
            await session.flush()
            if sprint.status not in ACTIVE:
                await self._refresh_debrief(session, sprint)
        self.ctx.delivery.wake()


__all__ = ["CheckInResult", "CheckInService", "HuddleResult"]
