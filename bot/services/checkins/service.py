"""Break check-ins, stuck huddles, and the end-of-sprint debrief.

The check-in prompt (three buttons and a note button, no pings of its own) rides on the sprint's
break announcement (``break_add_on``, asked by the sprint service), so a break costs one message; a
stuck member's huddle thread starts from that announcement. The sprint ending writes
``Sprint.summary`` and, for a sprint that finished or was stopped, posts the debrief in the channel
(and in the accountability week's thread when there is one): see ``debrief.py``. Each member has at
most one check-in per round (unique sprint/user/round): clicks update it, so two clicks at once
never count twice.

Focus minutes are reported in sprint minutes (``bot.services.focus``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Outgoing, Priority, enqueue
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.goals import CheckInStatus
from bot.domain.sprint import timeline
from bot.domain.text import clean_note
from bot.render import goals as render
from bot.services.checkins import queries
from bot.services.checkins.debrief import BREAK_KINDS, Debriefs, plan_of, resolve_huddles
from bot.services.checkins.types import CheckInResult, HuddleResult
from bot.services.context import ServiceContext
from bot.services.events import BreakAddOn, phase_message_ref
from bot.services.focus import focus_minutes
from bot.services.goals import GoalService
from bot.services.privacy.gate import refuse_untracked
from db import repositories as repo
from db.models import CheckIn, Sprint

__all__ = ["CheckInService"]

ACTIVE = repo.ACTIVE_STATUSES
HUDDLE_ARCHIVE_MINUTES = 60


def _break_message_ref(sprint: Sprint, round_: int) -> str:
    """The ref of the break announcement (with the check-in buttons) after ``round_``."""
    plan = plan_of(sprint)
    phases = timeline(plan) if plan is not None else []
    index = next(
        (p.index for p in phases if p.kind.value in BREAK_KINDS and p.round == round_),
        2 * round_ - 1 + (1 if plan is not None and plan.intro_min else 0),
    )
    return phase_message_ref(sprint.id, index)


class CheckInService:
    def __init__(self, ctx: ServiceContext, goals: GoalService) -> None:
        self.ctx = ctx
        self.goals = goals
        self.debriefs = Debriefs(ctx)  # wired in Services to hear when a sprint ends

    # -- the check-in prompt -------------------------------------------------------------------

    async def break_add_on(
        self, session: AsyncSession, sprint_id: int, round_: int
    ) -> BreakAddOn | None:
        """The check-in text and buttons the sprint's break announcement carries."""
        sprint = await session.get(Sprint, sprint_id)
        if sprint is None:
            return None
        plan = plan_of(sprint)
        rounds = plan.rounds if plan is not None else round_ + 1
        return BreakAddOn(
            text=render.checkin_prompt_text(round_, rounds),
            components=tuple(render.checkin_components(sprint_id, round_)),
        )

    # -- recording clicks ----------------------------------------------------------------------

    async def _sprint_for_checkin(
        self,
        session: AsyncSession,
        guild_id: int,
        sprint_id: int,
        round_: int,
        *,
        allow_ended: bool = False,
    ) -> Sprint:
        sprint = await session.get(Sprint, sprint_id)
        if sprint is None or sprint.guild_id != guild_id:
            raise NotFound("I can't find that sprint any more.")
        if sprint.status not in ACTIVE and not allow_ended:
            raise Conflict(
                "This sprint has ended, so its check-ins are closed. You can add a note to "
                "the debrief instead."
            )
        plan = plan_of(sprint)
        if plan is not None and not 1 <= round_ < max(plan.rounds, 2):
            raise ValidationError(f"This sprint has no break after round {round_}.")
        return sprint

    async def _require_member(self, session: AsyncSession, sprint_id: int, user_id: int) -> None:
        if not await queries.is_participant(session, sprint_id, user_id):
            raise PermissionDenied(
                "Only members of this sprint can check in. Press **Join** on the sprint card "
                "(or use `/sprint join`) first."
            )

    async def _upsert(
        self,
        session: AsyncSession,
        sprint_id: int,
        user_id: int,
        round_: int,
        *,
        status: str | None = None,
        note: str | None = None,
    ) -> tuple[CheckIn, str | None]:
        """The member's check-in for the round, created or updated; returns (row, old status).

        A concurrent insert of the same (sprint, user, round) loses on the unique constraint and
        becomes an update of the winner's row, so the round is never counted twice.
        """
        await refuse_untracked(session, user_id)  # issue 16: don't track me
        now = self.ctx.clock.now()
        row = await queries.checkin_for_update(session, sprint_id, user_id, round_)
        if row is None:
            row = CheckIn(
                sprint_id=sprint_id,
                user_id=user_id,
                round=round_,
                status=status or CheckInStatus.PROGRESS,
                note=note,
                created_at=now,
                updated_at=now,
            )
            try:
                async with session.begin_nested():
                    session.add(row)
            except IntegrityError:  # the other click won the insert: update its row
                row = await queries.checkin_for_update(session, sprint_id, user_id, round_)
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
                session, sprint_id, user_id, round_, status=CheckInStatus(status)
            )
            await self.goals.card_changed(session, sprint_id)
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
                await self.goals.card_changed(session, sprint_id)
            else:
                await self.debriefs.refresh(session, sprint)
            result = CheckInResult(
                sprint_id,
                round_,
                row.status,
                row.status,
                row.note,
                row.huddle_thread_id,
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
            return await queries.checkin_note(session, sprint_id, user_id, round_)

    # -- huddles -------------------------------------------------------------------------------

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
            if row.status != CheckInStatus.STUCK:
                row.status = CheckInStatus.STUCK
            await resolve_huddles(session, [row])
            if row.huddle_thread_id is not None:
                return HuddleResult(row.huddle_thread_id, False, name)
            ref = render.huddle_ref(sprint_id, round_, user_id)
            if await queries.outbox_ref_exists(session, ref):  # requested, not created yet
                return HuddleResult(None, False, name)
            from_message = not (
                await queries.threads_started_in_channel_for_round(session, sprint_id, round_)
                or await queries.has_huddle_thread_in_round(session, sprint_id, round_)
            )
            thread_payload: dict[str, object] = {
                "name": name,
                "auto_archive_duration": HUDDLE_ARCHIVE_MINUTES,
            }
            if from_message:
                thread = Outgoing(
                    "thread",
                    thread_payload,
                    channel_id=sprint.channel_id,
                    target_ref=_break_message_ref(sprint, round_),
                    ref=ref,
                    priority=Priority.NOTICE,
                    guild_id=guild_id,
                    sprint_id=sprint_id,
                )
            else:
                thread_payload["type"] = 11  # a public thread in the channel
                thread = Outgoing(
                    "thread",
                    thread_payload,
                    channel_id=sprint.channel_id,
                    ref=ref,
                    priority=Priority.NOTICE,
                    guild_id=guild_id,
                    sprint_id=sprint_id,
                )
            intro = Outgoing(
                "send",
                render.huddle_intro_payload(user_id, round_, row.note),
                channel_ref=ref,
                priority=Priority.NOTICE,
                guild_id=guild_id,
                sprint_id=sprint_id,
            )
            await enqueue(session, thread, intro)
            await self.goals.card_changed(session, sprint_id)
        self.ctx.delivery.wake()
        return HuddleResult(None, True, name)

    # -- the sprint card -----------------------------------------------------------------------

    async def card_lines(self, session: AsyncSession, sprint_id: int) -> dict[int, str]:
        """Each member's latest check-in, e.g. ``check-in 🔜``."""
        latest = await queries.latest_checkin_statuses(session, sprint_id)
        lines = {u: render.checkin_card_line(status) for u, status in latest.items()}
        return {u: line for u, line in lines.items() if line}

    # -- debrief -------------------------------------------------------------------------------

    async def focus_minutes(
        self, session: AsyncSession, sprint: Sprint, now: datetime
    ) -> dict[int, int]:
        """Focus minutes per member of one sprint (``bot.services.focus``)."""
        return await focus_minutes(session, sprint_id=sprint.id, until=now)

    async def build_debrief(
        self, session: AsyncSession, sprint: Sprint, reason: str, now: datetime
    ) -> render.Debrief:
        return await self.debriefs.build(session, sprint, reason, now)

    async def debrief_note_allowed(self, guild_id: int, sprint_id: int, user_id: int) -> None:
        """Check before the debrief form opens, so a refusal never costs typed text."""
        await self.debriefs.note_allowed(guild_id, sprint_id, user_id)

    async def add_debrief_note(
        self, guild_id: int, sprint_id: int, user_id: int, text: str
    ) -> None:
        """The debrief's "Add a note" modal: stored and shown in the debrief."""
        await self.debriefs.add_note(guild_id, sprint_id, user_id, text)
