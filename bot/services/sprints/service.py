"""Sprints: start, join/leave, pause/resume/skip/extend/stop, settings and history.

Each use case is one transaction with the sprint row locked (``with_for_update``; SQLite
serialises with ``BEGIN IMMEDIATE``): it first catches the sprint up with its schedule, then
changes it, tells its observers and enqueues its messages in that same transaction, and arms the
timer after the commit. The phase machinery they share is :class:`~.phases.PhaseMachine`; the
SQL is in :mod:`.queries`; what a change posts is in :mod:`.messages`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import enqueue
from bot.domain import sprint as domain
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.sprint import EndReason, PhaseChange, PhaseKind, Status
from bot.domain.text import clean_title, escape_markdown
from bot.ids import SprintAction
from bot.render import sprint as render
from bot.services.actor import Actor
from bot.services.context import ServiceContext
from bot.services.events import SprintObservers
from bot.services.privacy.gate import is_untracked, refuse_untracked
from bot.services.sprints import messages, queries
from bot.services.sprints import settings as sprint_settings
from bot.services.sprints.gone import GoneUseCases
from bot.services.sprints.phases import EXTEND_MAX_MINUTES, AfterCommit, PhaseMachine
from bot.services.sprints.settings import SettingsUseCases
from bot.services.sprints.types import (
    ControlResult,
    HistoryEntry,
    JoinResult,
    LeaveResult,
    PhaseListener,
    SprintView,
    StartRequest,
)
from db.models import Sprint, WorkSpan
from db.repositories import ACTIVE_STATUSES, guild_settings

log = logging.getLogger(__name__)

__all__ = ["ENDED_MESSAGE", "EXTEND_MAX_MINUTES", "SprintService"]

ENDED_MESSAGE = "This sprint has ended."
# A command's sent time comes from its Discord snowflake, in whole milliseconds.
SENT_AT_PRECISION = timedelta(milliseconds=1)


class ControlAt(TypedDict, total=False):
    """Which sprint state a control was meant for (see :meth:`SprintService.control`)."""

    guild_id: int | None
    expected: int | None
    sent_at: datetime | None


_ACTION_WORDS = {
    SprintAction.PAUSE: "pause",
    SprintAction.RESUME: "resume",
    SprintAction.SKIP: "skip a phase of",
    SprintAction.EXTEND: "extend",
    SprintAction.STOP: "stop",
}


class SprintService(SettingsUseCases, GoneUseCases):
    def __init__(self, ctx: ServiceContext, observers: SprintObservers | None = None) -> None:
        self.ctx = ctx
        # The other areas this one tells about its changes (wired once by ``Services``).
        self.observers = observers if observers is not None else SprintObservers()
        self.phases = PhaseMachine(ctx, self.observers)
        # Voice channels linked to an active sprint, known after restore(); None means unknown
        # (every voice event then asks the database). Stale entries only cost a query.
        self._voice_links: set[int] | None = None
        # Sprint -> when its card was last posted again (see gone.py).
        self._reposted: dict[int, datetime] = {}

    # ---- hooks ----------------------------------------------------------------------------------

    def add_phase_listener(self, listener: PhaseListener) -> None:
        """Call ``listener`` after each committed phase change (errors are logged, never raised)."""
        self.phases.listeners.append(listener)

    def remove_phase_listener(self, listener: PhaseListener) -> None:
        if listener in self.phases.listeners:
            self.phases.listeners.remove(listener)

    async def aclose(self) -> None:
        """Wait for background work this service started (at shutdown)."""
        await self.phases.aclose()

    # ---- queries --------------------------------------------------------------------------------

    async def get(self, sprint_id: int) -> SprintView:
        async with self.ctx.db.transaction() as session:
            row = await session.get(Sprint, sprint_id)
            if row is None:
                raise NotFound("I can't find that sprint any more.")
            return await self.phases.view(session, row)

    async def ended_card(self, sprint_id: int) -> dict[str, Any] | None:
        """The card of an ended sprint as it stands now (None while it runs): a click on a card
        that was not redrawn at the end (a sprint that finished on schedule) redraws it."""
        async with self.ctx.db.transaction() as session:
            row = await session.get(Sprint, sprint_id)
            if row is None or row.status in ACTIVE_STATUSES:
                return None
            card = await self.phases.card_edit(session, row, self.ctx.clock.now())
        return card.payload

    async def active_in_channel(self, channel_id: int) -> SprintView | None:
        """The active sprint of a text channel, or of a voice channel it is linked to."""
        async with self.ctx.db.transaction() as session:
            row = await queries.active_in_channel(session, channel_id)
            return None if row is None else await self.phases.view(session, row)

    async def running_in(self, session: AsyncSession, channel_id: int) -> int | None:
        """The id of the active sprint of a text channel, in the caller's transaction."""
        row = await queries.active_sprint_in_channel(session, channel_id)
        return None if row is None else row.id

    async def require_active(self, channel_id: int) -> SprintView:
        view = await self.active_in_channel(channel_id)
        if view is None:
            raise NotFound(
                "There's no sprint running in this channel. Start one with `/sprint start`."
            )
        return view

    async def active_for_voice(self, voice_channel_id: int) -> list[SprintView]:
        async with self.ctx.db.transaction() as session:
            rows = await queries.sprints_linked_to_voice(session, voice_channel_id)
            return [await self.phases.view(session, row) for row in rows]

    async def history(self, guild_id: int, limit: int = 10) -> list[HistoryEntry]:
        """The server's most recent sprints, newest first, with their summaries."""
        async with self.ctx.db.transaction() as session:
            return await queries.history_entries(session, guild_id, limit)

    # ---- start ----------------------------------------------------------------------------------

    async def start(self, req: StartRequest) -> SprintView:
        after = AfterCommit()
        async with self.ctx.db.transaction() as session:
            view = await self.start_in(session, req, after)
        self.phases.after(after)
        return view

    async def start_in(
        self, session: AsyncSession, req: StartRequest, after: AfterCommit
    ) -> SprintView:
        """Start a sprint inside the caller's transaction (a standing session starts its sprint
        in the transaction that marks the occurrence started); call :meth:`after_commit` with
        ``after`` once it has committed.

        ``req.members`` join at once besides the host (``req.host_joins``: the host too), and a
        sprint that should have started at ``req.started_at`` (the bot was down) starts as of
        then, caught up to now, so it runs for the time that is left.
        """
        title = clean_title(req.title) if req.title is not None else _default_title(req.host_name)
        gs = await guild_settings(session, req.guild_id)
        defaults = self._defaults(gs)
        plan = sprint_settings.plan_for(req, defaults)
        plan.validate(self.bounds())
        existing = await queries.active_sprint_in_channel(session, req.channel_id)
        if existing is not None:
            raise await self._already_running(session, existing)
        if req.voice_channel_id is not None:
            linked = await queries.active_in_channel(session, req.voice_channel_id, voice_only=True)
            if linked is not None:
                raise Conflict(
                    f"<#{req.voice_channel_id}> is already linked to the sprint in "
                    f"<#{linked.channel_id}>. Pick another voice channel or none."
                )
        if req.host_joins:
            await refuse_untracked(session, req.host_id)  # issue 16: don't track me
        now = self.ctx.clock.now()
        begun = req.started_at if req.started_at is not None and req.started_at < now else now
        speed = self.ctx.speed
        state = domain.start(plan, begun, speed)
        row = Sprint(
            guild_id=req.guild_id,
            channel_id=req.channel_id,
            voice_channel_id=req.voice_channel_id,
            host_id=req.host_id,
            title=title,
            plan=plan.to_dict(),
            speed=speed,
            status=state.status.value,
            phase_index=state.phase_index,
            phase_started_at=state.phase_started_at,
            phase_ends_at=state.phase_ends_at,
            paused_remaining_s=None,
            version=0,
            created_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
        except IntegrityError:  # another start in this channel won the race
            existing = await queries.active_sprint_in_channel(session, req.channel_id)
            if existing is None:
                raise
            raise await self._already_running(session, existing) from None

        members: list[tuple[int, str]] = [(req.host_id, req.host_name)] if req.host_joins else []
        members += [m for m in req.members if m[0] not in {u for u, _ in members}]
        if req.voice_channel_id is not None and defaults.auto_join_voice:
            members += [m for m in req.voice_members if m[0] not in {u for u, _ in members}]
        members = [m for m in members if not await is_untracked(session, m[0])]
        queries.add_first_members(session, row.id, members, begun)
        if domain.timeline(plan)[0].kind is PhaseKind.WORK:
            session.add(WorkSpan(sprint_id=row.id, started_at=begun))
        await session.flush()

        view = await self.phases.view(session, row)
        out = [await self.phases.card_send(session, row, now, view=view)]
        if row.voice_channel_id is not None:
            out.append(messages.voice_status(view, gs))
        await enqueue(session, *out)
        if begun < now:  # late: the phases that passed are one catch-up announcement
            await self.phases.catch_up(session, row, now, after)
            view = await self.phases.view(session, row)
        after.arm[row.id] = self.phases.wake_at(row)
        if req.voice_channel_id is not None and self._voice_links is not None:
            self._voice_links.add(req.voice_channel_id)  # before the commit: no gap
        return view

    def after_commit(self, after: AfterCommit) -> None:
        """Arm timers and wake the sender once a transaction that used ``start_in`` committed."""
        self.phases.after(after)

    async def _already_running(self, session: AsyncSession, row: Sprint) -> Conflict:
        view = await self.phases.view(session, row)
        where = f"see its card: {view.card_url()}" if view.card_message_id else "see its card above"
        return Conflict(
            f"There's already a sprint running in this channel: **{escape_markdown(row.title)}** "
            f"({where}). Join it with `/sprint join` or the Join button, or start yours in "
            "another channel."
        )

    # ---- join / leave ---------------------------------------------------------------------------

    async def join(
        self,
        sprint_id: int,
        user_id: int,
        name: str,
        *,
        ping: bool | None = None,
        guild_id: int | None = None,
    ) -> JoinResult:
        after = AfterCommit()
        async with self.ctx.db.transaction() as session:
            row = await self._locked(session, sprint_id, guild_id=guild_id)
            now = self.ctx.clock.now()
            await self.phases.catch_up(session, row, now, after)
            _require_active(row)
            joined = await self._add_participant(session, row, user_id, name, now, ping=ping)
            if joined:
                await self.phases.enqueue_card(session, row, now)
            await self.observers.present(session, row.id, user_id)  # even when already in
            view = await self.phases.view(session, row)
        self.phases.after(after)
        late = view.phase.kind is not PhaseKind.INTRO
        return JoinResult(sprint=view, already=not joined, late=late)

    async def add_participant(
        self, session: AsyncSession, sprint_id: int, user_id: int, name: str
    ) -> bool:
        """Join ``user_id`` inside the caller's transaction (e.g. adding a sprint goal joins).

        Writes what :meth:`join` writes (participant, presence span, version) but not the card:
        call :meth:`refresh_card` once the caller's own changes are in.
        Returns True when the member joined now, False when already in.
        """
        row = await self._locked(session, sprint_id)
        _require_active(row)
        return await self._add_participant(session, row, user_id, name, self.ctx.clock.now())

    async def refresh_card(self, session: AsyncSession, sprint_id: int) -> None:
        """Enqueue a card edit for an active sprint in the caller's transaction."""
        row = await session.get(Sprint, sprint_id)
        if row is not None and row.status in ACTIVE_STATUSES:
            await self.phases.enqueue_card(session, row, self.ctx.clock.now())

    async def _add_participant(
        self,
        session: AsyncSession,
        row: Sprint,
        user_id: int,
        name: str,
        now: datetime,
        *,
        ping: bool | None = None,
    ) -> bool:
        await refuse_untracked(session, user_id)  # issue 16: don't track me
        if not await queries.activate_participant(session, row.id, user_id, name, now, ping=ping):
            return False
        row.version += 1
        await session.flush()
        await self.observers.changed(session, row.id, now)
        return True

    async def leave(
        self, sprint_id: int, user_id: int, *, guild_id: int | None = None
    ) -> LeaveResult:
        after = AfterCommit()
        async with self.ctx.db.transaction() as session:
            row = await self._locked(session, sprint_id, guild_id=guild_id)
            now = self.ctx.clock.now()
            await self.phases.catch_up(session, row, now, after)
            _require_active(row)
            part = await queries.participant(session, row.id, user_id)
            if part is None or not part.active:
                raise Conflict("You're not in this sprint, so there's nothing to leave.")
            part.active = False
            part.left_at = now
            await queries.close_presence(session, row.id, now, user_id=user_id)
            row.version += 1
            await session.flush()
            await self.observers.changed(session, row.id, now)
            ended = await queries.active_count(session, row.id) == 0
            if ended:
                await self.phases.end(session, row, EndReason.EMPTY, now, after)
            else:
                await self.phases.enqueue_card(session, row, now)
            view = await self.phases.view(session, row)
        self.phases.after(after)
        return LeaveResult(sprint=view, ended=ended)

    async def voice_joined(self, voice_channel_id: int, user_id: int, name: str) -> list[int]:
        """Join ``user_id`` to the sprints linked to this voice channel (when auto-join is on).

        Returns the ids of the sprints joined. Never raises for sprints that just ended.
        """
        joined: list[int] = []
        for view in await self._linked(voice_channel_id):
            if not await self._auto_join_enabled(view.guild_id):
                continue
            try:
                result = await self.join(view.id, user_id, name)
            except (Conflict, NotFound):
                continue
            if not result.already:
                joined.append(view.id)
        return joined

    async def voice_left(self, voice_channel_id: int, user_id: int) -> list[int]:
        """Leaving the linked voice channel leaves its sprints (when auto-join is on)."""
        left: list[int] = []
        for view in await self._linked(voice_channel_id):
            if user_id not in view.active_ids or not await self._auto_join_enabled(view.guild_id):
                continue
            try:
                await self.leave(view.id, user_id)
            except (Conflict, NotFound):
                continue
            left.append(view.id)
        return left

    async def _linked(self, voice_channel_id: int) -> list[SprintView]:
        if self._voice_links is not None and voice_channel_id not in self._voice_links:
            return []
        views = await self.active_for_voice(voice_channel_id)
        if not views and self._voice_links is not None:
            self._voice_links.discard(voice_channel_id)
        return views

    async def _auto_join_enabled(self, guild_id: int) -> bool:
        return (await self.guild_defaults(guild_id)).auto_join_voice

    # ---- host controls --------------------------------------------------------------------------

    # Shortcuts for one action each (tests, the bench, the console); the cogs call control().

    async def pause(self, sprint_id: int, actor: Actor, **at: Unpack[ControlAt]) -> SprintView:
        return (await self.control(sprint_id, actor, SprintAction.PAUSE, **at)).sprint

    async def resume(self, sprint_id: int, actor: Actor, **at: Unpack[ControlAt]) -> SprintView:
        return (await self.control(sprint_id, actor, SprintAction.RESUME, **at)).sprint

    async def skip(self, sprint_id: int, actor: Actor, **at: Unpack[ControlAt]) -> SprintView:
        return (await self.control(sprint_id, actor, SprintAction.SKIP, **at)).sprint

    async def stop(self, sprint_id: int, actor: Actor, **at: Unpack[ControlAt]) -> SprintView:
        return (await self.control(sprint_id, actor, SprintAction.STOP, **at)).sprint

    async def extend(
        self, sprint_id: int, actor: Actor, minutes: int, **at: Unpack[ControlAt]
    ) -> SprintView:
        action = SprintAction.EXTEND
        return (await self.control(sprint_id, actor, action, minutes=minutes, **at)).sprint

    async def control(
        self,
        sprint_id: int,
        actor: Actor,
        action: SprintAction,
        *,
        minutes: int = 0,
        guild_id: int | None = None,
        expected: int | None = None,
        sent_at: datetime | None = None,
    ) -> ControlResult:
        """Pause, resume, skip, extend (by ``minutes``) or stop, as the host or a manager.

        The action names the state it was meant for: ``expected`` is the ``control_seq`` the
        card's button carries (or a command read when it was parsed), and ``sent_at`` when a
        command was sent. When another control changed the sprint since (a different
        ``control_seq``, or committed after ``sent_at``), the action is refused ("already moved
        on") and nothing changes, so a double-click on Skip, or two managers' /sprint skip at
        once, skip one phase. Stop needs neither: it means "stop now".
        """
        if action is SprintAction.EXTEND and not 1 <= minutes <= EXTEND_MAX_MINUTES:
            raise ValidationError(
                f"You can extend a phase by 1 to {EXTEND_MAX_MINUTES} minutes at a time "
                f"(you asked for {minutes})."
            )
        after = AfterCommit()
        async with self.ctx.db.transaction() as session:
            row = await self._locked(session, sprint_id, guild_id=guild_id)
            gs = await guild_settings(session, row.guild_id)
            if not (actor.user_id == row.host_id or actor.may_manage(gs.manager_role_id)):
                raise PermissionDenied(_who_may(action, row.host_id, gs.manager_role_id))
            now = self.ctx.clock.now()
            await self.phases.catch_up(session, row, now, after)
            _require_active(row)
            if (expected is not None and expected != row.control_seq) or (
                sent_at is not None
                and row.controlled_at is not None
                and row.controlled_at > sent_at + SENT_AT_PRECISION
            ):
                view = await self.phases.view(session, row)
                raise Conflict(render.already_moved_on(view, action))
            was_paused = row.status == Status.PAUSED.value
            await self.phases.control(
                session, row, gs, action, now, after, minutes=minutes, by=actor.user_id
            )
            after.arm[row.id] = self.phases.wake_at(row)
            view = await self.phases.view(session, row)
        self.phases.after(after)
        resumed = was_paused and action is SprintAction.SKIP and not view.is_over
        return ControlResult(sprint=view, resumed=resumed)

    # ---- the timer ------------------------------------------------------------------------------

    async def restore(self) -> None:
        """Arm one timer per running sprint of this process's guilds (bulk, before start)."""
        self._voice_links = await self.phases.restore()

    def prepare_ahead(self, speed: float) -> timedelta:
        return self.phases.prepare_ahead(speed)

    async def advance(self, sprint_id: int) -> PhaseChange | None:
        """Bring the sprint to where its schedule says it is now. Idempotent (see PhaseMachine)."""
        return await self.phases.advance(sprint_id)

    # ---- rows -----------------------------------------------------------------------------------

    async def _locked(
        self, session: AsyncSession, sprint_id: int, *, guild_id: int | None = None
    ) -> Sprint:
        row = await queries.locked_sprint(session, sprint_id)
        if row is None or (guild_id is not None and row.guild_id != guild_id):
            raise NotFound("I can't find that sprint any more.")
        return row


def _default_title(host_name: str) -> str:
    name = " ".join(host_name.split())[:80] or "Coworking"
    return f"{name}'s sprint"


def _who_may(action: SprintAction, host_id: int, manager_role_id: int | None) -> str:
    role = f", members with the <@&{manager_role_id}> role" if manager_role_id else ""
    return (
        f"Only the host (<@{host_id}>){role} or members with the Manage Server permission can "
        f"{_ACTION_WORDS.get(action, action.value)} this sprint. Anyone can join or leave."
    )


def _require_active(row: Sprint) -> None:
    if row.status not in ACTIVE_STATUSES:
        raise Conflict(ENDED_MESSAGE)
