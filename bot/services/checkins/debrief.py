"""The end-of-sprint debrief: built from the database, posted when a sprint finishes or is
stopped (on the message in its channel that says so, and in the accountability week's live
thread when there is one), and edited when a member adds a note afterwards."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Outgoing, Priority, enqueue
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.goals import CheckInStatus, GoalStatus
from bot.domain.sprint import PhaseKind, SprintPlan, timeline
from bot.domain.text import clean_note
from bot.render import goals as render
from bot.render.accountability import thread_ref
from bot.services.checkins import queries
from bot.services.context import ServiceContext
from bot.services.events import EndingAddOn, SprintEnded
from bot.services.focus import focus_minutes
from bot.services.privacy.gate import refuse_untracked
from bot.services.timezones import current_week_start
from db import repositories as repo
from db.models import CheckIn, DebriefNote, Sprint

__all__ = [
    "BREAK_KINDS",
    "MAX_DEBRIEF_NOTES_PER_MEMBER",
    "POSTED_REASONS",
    "Debriefs",
    "plan_of",
    "resolve_huddles",
]

log = logging.getLogger(__name__)

ACTIVE = repo.ACTIVE_STATUSES
BREAK_KINDS = (PhaseKind.BREAK.value, PhaseKind.LONG_BREAK.value)
POSTED_REASONS = ("finished", "stopped")
MAX_DEBRIEF_NOTES_PER_MEMBER = 5


def plan_of(sprint: Sprint) -> SprintPlan | None:
    try:
        return SprintPlan.from_dict(sprint.plan)
    except (ValidationError, TypeError, AttributeError):
        log.warning("sprint %s has an unreadable plan %r", sprint.id, sprint.plan)
        return None


def break_rounds(plan: SprintPlan, reached_index: int) -> list[int]:
    """Rounds whose break has started by phase ``reached_index``."""
    return [
        p.round for p in timeline(plan) if p.kind.value in BREAK_KINDS and p.index <= reached_index
    ]


async def resolve_huddles(session: AsyncSession, rows: list[CheckIn]) -> None:
    """Fill ``huddle_thread_id`` from the outbox once the thread has been created."""
    missing = {
        render.huddle_ref(r.sprint_id, r.round, r.user_id): r
        for r in rows
        if r.huddle_thread_id is None
    }
    if not missing:
        return
    for ref, thread_id in (await queries.created_ids_of_refs(session, list(missing))).items():
        missing[ref].huddle_thread_id = thread_id
    await session.flush()


class Debriefs:
    """Builds, posts and refreshes debriefs; a SprintEndListener (wired in ``Services``)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def build(
        self, session: AsyncSession, sprint: Sprint, reason: str, now: datetime
    ) -> render.Debrief:
        """Everything the debrief shows, from the database."""
        parts = await queries.participants_of_sprint(session, sprint.id)
        goals = await queries.listed_sprint_goals(session, sprint.id)
        checkins = await queries.checkins_of_sprint(session, sprint.id)
        await resolve_huddles(session, [c for c in checkins if c.status == CheckInStatus.STUCK])
        notes = await queries.debrief_notes_of_sprint(session, sprint.id)
        focus = await focus_minutes(session, sprint_id=sprint.id, until=now)
        plan = plan_of(sprint)
        rounds = set(break_rounds(plan, sprint.phase_index) if plan is not None else [])
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
                        render.DebriefGoal(g.text, g.status == GoalStatus.DONE)
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
            sprint_id=sprint.id,
            title=sprint.title,
            reason=reason,
            ended_at=sprint.ended_at or now,
            members=tuple(members),
        )

    async def _week_thread(
        self, session: AsyncSession, sprint: Sprint
    ) -> tuple[int | None, str | None]:
        """(thread id, thread ref) of the accountability week's live thread, when there is one.

        The thread id is known once the sender created it; before that, the outbox row that
        creates it (ref ``acc_thread:{week_id}``) can be targeted by ``channel_ref``.
        """
        start = await current_week_start(session, sprint.guild_id, self.ctx.clock.now())
        week = await repo.week(session, sprint.guild_id, start)
        if week is None or week.archived_at is not None:
            return None, None
        if week.thread_id is not None:
            return int(week.thread_id), None
        ref = thread_ref(week.id)
        row = await queries.thread_row_of_ref(session, ref)
        if row is None:
            return None, None
        result_id, status = row
        if result_id is not None:
            return result_id, None
        return (None, ref) if status == "pending" else (None, None)

    async def sprint_ended(self, session: AsyncSession, event: SprintEnded) -> EndingAddOn | None:
        """Store the summary; for a sprint that finished or was stopped, the debrief rides on the
        message that says so (one message, whose ref is the debrief's so :meth:`refresh` can
        edit it), with a copy in the accountability week's live thread when there is one."""
        sprint = await session.get(Sprint, event.sprint_id)
        if sprint is None:
            return None
        now = sprint.ended_at or event.at
        data = await self.build(session, sprint, event.reason, now)
        sprint.summary = data.summary()
        await session.flush()
        if event.reason not in POSTED_REASONS:
            return None
        payload = render.debrief_payload(data)
        thread_id, thread_ref = await self._week_thread(session, sprint)
        if (thread_id is not None and thread_id != event.channel_id) or thread_ref is not None:
            await enqueue(
                session,
                Outgoing(
                    "send",
                    payload,
                    channel_id=thread_id,
                    channel_ref=thread_ref,
                    ref=render.debrief_ref(sprint.id, "week"),
                    priority=Priority.COSMETIC,
                    guild_id=event.guild_id,
                    sprint_id=sprint.id,
                ),
            )
        return EndingAddOn(
            embeds=tuple(payload["embeds"]),
            components=tuple(payload["components"]),
            ref=render.debrief_ref(sprint.id),
        )

    async def refresh(self, session: AsyncSession, sprint: Sprint) -> None:
        """Edit the posted debrief (channel and week thread) after a note was added."""
        if sprint.end_reason is not None and sprint.end_reason not in POSTED_REASONS:
            return
        refs = [render.debrief_ref(sprint.id), render.debrief_ref(sprint.id, "week")]
        targets = await queries.posted_targets(session, refs)
        if not targets:
            return
        now = sprint.ended_at or self.ctx.clock.now()
        data = await self.build(session, sprint, sprint.end_reason or "finished", now)
        payload = render.debrief_payload(data)
        await enqueue(
            session,
            *(
                Outgoing(
                    "edit",
                    payload,
                    channel_id=channel,
                    channel_ref=channel_ref,
                    target_ref=ref,
                    supersede_key=f"edit:{ref}",
                    priority=Priority.CARD,
                    guild_id=sprint.guild_id,
                    sprint_id=sprint.id,
                )
                for ref, (channel, channel_ref) in targets.items()
                if channel is not None or channel_ref is not None
            ),
        )

    async def _sprint_for_note(
        self, session: AsyncSession, guild_id: int, sprint_id: int, user_id: int
    ) -> Sprint:
        sprint = await session.get(Sprint, sprint_id)
        if sprint is None or sprint.guild_id != guild_id:
            raise NotFound("I can't find that sprint any more.")
        if not await queries.is_participant(session, sprint_id, user_id):
            raise PermissionDenied("Only members of this sprint can add a note to its debrief.")
        if await queries.debrief_note_count(session, sprint_id, user_id) >= (
            MAX_DEBRIEF_NOTES_PER_MEMBER
        ):
            raise Conflict(
                f"You've added {MAX_DEBRIEF_NOTES_PER_MEMBER} notes to this debrief, the most "
                "it keeps per member."
            )
        return sprint

    async def note_allowed(self, guild_id: int, sprint_id: int, user_id: int) -> None:
        """Check before the debrief form opens, so a refusal never costs typed text."""
        async with self.ctx.db.transaction() as session:
            await self._sprint_for_note(session, guild_id, sprint_id, user_id)

    async def add_note(self, guild_id: int, sprint_id: int, user_id: int, text: str) -> None:
        """The debrief's "Add a note" modal: stored and shown in the debrief."""
        cleaned = clean_note(text, 1000)
        async with self.ctx.db.transaction() as session:
            await refuse_untracked(session, user_id)  # issue 16: don't track me
            sprint = await self._sprint_for_note(session, guild_id, sprint_id, user_id)
            session.add(
                DebriefNote(
                    sprint_id=sprint_id,
                    user_id=user_id,
                    text=cleaned,
                    created_at=self.ctx.clock.now(),
                )
            )
            await session.flush()
            if sprint.status not in ACTIVE:
                await self.refresh(session, sprint)
        self.ctx.delivery.wake()
