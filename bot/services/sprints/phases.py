"""The phase machine: catch-up on the schedule, phase changes, endings, and the timer.

Shared by every sprint use case. The database row is the truth (plan, speed, status, phase index
and times); the scheduler only holds one wake-up per active sprint (key ``sprint:{id}``) shortly
before ``phase_ends_at`` (``timing.prepare_ahead_ms``), rebuilt by :meth:`PhaseMachine.restore`
at start-up. The phase change is written at that wake-up and its messages are held in the outbox
until the phase really ends, so the transaction's own time does not make the announcement late.
Every change runs in the caller's transaction with the row locked, asks its observers (card
lines, break add-ons, endings) and enqueues its messages there; :meth:`PhaseMachine.after` arms
timers and tells phase listeners once the transaction has committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Outgoing, close_topic, enqueue, hold_until, sprint_topic
from bot.domain import sprint as domain
from bot.domain.errors import ValidationError
from bot.domain.sprint import EndReason, PhaseChange, PhaseKind, SprintPlan, SprintState, Status
from bot.ids import SprintAction
from bot.render import sprint as render
from bot.services.context import ServiceContext
from bot.services.events import BreakAddOn, EndingAddOn, SprintEnded, SprintObservers
from bot.services.sprints import messages, queries
from bot.services.sprints.settings import bounds, flag
from bot.services.sprints.types import (
    ParticipantView,
    PhaseListener,
    PhaseNotice,
    SprintView,
)
from db.models import GuildSettings, Sprint, WorkSpan
from db.repositories import guild_settings

log = logging.getLogger(__name__)

__all__ = ["EXTEND_MAX_MINUTES", "TIMER_RETRY", "AfterCommit", "PhaseMachine", "timer_key"]

TIMER_RETRY = timedelta(seconds=15)
EXTEND_MAX_MINUTES = 60  # per /sprint extend


def timer_key(sprint_id: int) -> str:
    return f"sprint:{sprint_id}"


@dataclass
class AfterCommit:
    """What to do once the transaction has committed."""

    arm: dict[int, datetime | None] = field(default_factory=dict)  # sprint -> wake-up (or none)
    notices: list[PhaseNotice] = field(default_factory=list)


class PhaseMachine:
    def __init__(self, ctx: ServiceContext, observers: SprintObservers) -> None:
        self.ctx = ctx
        self.observers = observers
        self.listeners: list[PhaseListener] = []
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- reading a row ------------------------------------------------------------------------

    async def view(self, session: AsyncSession, row: Sprint) -> SprintView:
        parts = await queries.participants_of(session, row.id)
        return SprintView(
            id=row.id,
            guild_id=row.guild_id,
            channel_id=row.channel_id,
            voice_channel_id=row.voice_channel_id,
            host_id=row.host_id,
            title=row.title,
            plan=SprintPlan.from_dict(row.plan),
            speed=row.speed,
            state=queries.state_of(row),
            participants=tuple(
                ParticipantView(p.user_id, p.display_name, p.active, p.ping, p.joined_at)
                for p in parts
            ),
            card_message_id=await queries.fill_card_message_id(
                session, row, messages.card_ref(row.id)
            ),
            created_at=row.created_at,
            end_reason=row.end_reason,
            summary=row.summary if isinstance(row.summary, dict) else None,
            version=row.version,
            control_seq=row.control_seq,
            phase_extended_min=row.phase_extended_min,
        )

    async def card_edit(
        self, session: AsyncSession, row: Sprint, now: datetime, *, view: SprintView | None = None
    ) -> Outgoing:
        """The card brought up to date, with what other areas add (member lines, its link)."""
        view = view or await self.view(session, row)
        lines = await self.observers.lines_for(session, row.id)
        link = await self.observers.link_for(session, row.id)
        return messages.card_edit(row, view, lines, now, link=link)

    async def card_send(
        self, session: AsyncSession, row: Sprint, now: datetime, *, view: SprintView | None = None
    ) -> Outgoing:
        """The card as a new message (a sprint starts, or its card was deleted)."""
        view = view or await self.view(session, row)
        lines = await self.observers.lines_for(session, row.id)
        link = await self.observers.link_for(session, row.id)
        return messages.card_send(row, view, lines, now, link=link)

    async def enqueue_card(self, session: AsyncSession, row: Sprint, now: datetime) -> None:
        await self.observers.changed(session, row.id, now)
        await enqueue(session, await self.card_edit(session, row, now))

    # ---- timing -------------------------------------------------------------------------------

    def prepare_ahead(self, speed: float) -> timedelta:
        """How long before a phase ends its change is written (its messages wait for the end).

        ``timing.prepare_ahead_ms`` is sprint time, like the phases: a sprint at speed 120 (a demo)
        is prepared 120 times closer to its phase ends.
        """
        return timedelta(milliseconds=self.ctx.settings.timing.prepare_ahead_ms / speed)

    def wake_at(self, row: Sprint) -> datetime | None:
        """When the timer of a running sprint fires: a little before its phase ends."""
        if row.phase_ends_at is None or row.status != Status.RUNNING.value:
            return None
        return row.phase_ends_at - self.prepare_ahead(row.speed)

    async def restore(self) -> set[int]:
        """Arm one timer per running sprint of this process's guilds (bulk, before start).

        Returns the voice channels linked to an active sprint.
        """
        async with self.ctx.db.transaction() as session:
            rows = await queries.running_sprint_timers(session)
        armed = 0
        links: set[int] = set()
        for sprint_id, guild_id, status, ends_at, voice_id, speed in rows:
            if not self.ctx.handles_guild(guild_id):
                continue
            if voice_id is not None:
                links.add(voice_id)
            if status == Status.RUNNING.value and ends_at is not None:
                when = ends_at - self.prepare_ahead(speed)
                self.ctx.timers.arm(timer_key(sprint_id), when, self._on_timer, sprint_id)
                armed += 1
        log.info("restored %d sprint timer(s), %d linked voice channel(s)", armed, len(links))
        return links

    async def _on_timer(self, sprint_id: int) -> None:
        try:
            await self.advance(sprint_id)
        except Exception:
            log.exception("advancing sprint %s failed; retrying", sprint_id)
            self.ctx.timers.arm(
                timer_key(sprint_id), self.ctx.clock.now() + TIMER_RETRY, self._on_timer, sprint_id
            )

    async def advance(self, sprint_id: int) -> PhaseChange | None:
        """Bring the sprint to where its schedule says it is now. Idempotent.

        Phases that passed while nobody advanced (the bot was down) are coalesced into one
        catch-up announcement. A phase that ends within ``prepare_ahead`` is changed now, as of its
        end: every message the change causes is held in the outbox until that moment.
        """
        after = AfterCommit()
        async with self.ctx.db.transaction() as session:
            row = await queries.locked_sprint(session, sprint_id)
            if row is None:
                after.arm[sprint_id] = None
                change = None
            else:
                now = self.ctx.clock.now()
                ends = row.phase_ends_at
                if (
                    row.status == Status.RUNNING.value
                    and ends is not None
                    and now < ends <= now + self.prepare_ahead(row.speed)
                ):
                    hold_until(session, ends)
                    now = ends
                change = await self.catch_up(session, row, now, after)
                after.arm[row.id] = self.wake_at(row)
        self.after(after)
        return change

    # ---- changes ------------------------------------------------------------------------------

    async def catch_up(
        self, session: AsyncSession, row: Sprint, now: datetime, after: AfterCommit
    ) -> PhaseChange | None:
        """Move a running sprint to the phase its schedule says it is in at ``now``."""
        if row.status != Status.RUNNING.value:
            return None
        plan = SprintPlan.from_dict(row.plan)
        old = queries.state_of(row)
        new, change = domain.advance(plan, old, now, row.speed)
        if change is None:
            return None
        await self.apply_change(session, row, old, new, change, now, after)
        return change

    async def apply_change(
        self,
        session: AsyncSession,
        row: Sprint,
        old: SprintState,
        new: SprintState,
        change: PhaseChange,
        now: datetime,
        after: AfterCommit,
        *,
        by: int | None = None,
    ) -> None:
        """Record a phase change (from advance or skip): spans, row, messages."""
        plan = SprintPlan.from_dict(row.plan)
        phases = domain.timeline(plan)
        # When the old phase ended: its scheduled end when phases were passed over, else the
        # change's own time (the scheduled boundary for advance, "now" for skip).
        boundary = old.phase_ends_at if change.skipped and old.phase_ends_at else change.at
        await queries.close_work(session, row.id, boundary)
        stop_at = change.to_index if change.to_index is not None else len(phases)
        for index in range(change.from_index + 1, stop_at):  # phases passed over entirely
            end = boundary + domain.phase_duration(phases[index].minutes, row.speed)
            if phases[index].kind is PhaseKind.WORK:
                session.add(WorkSpan(sprint_id=row.id, started_at=boundary, ended_at=end))
            boundary = end
        if change.to_index is not None and phases[change.to_index].kind is PhaseKind.WORK:
            session.add(WorkSpan(sprint_id=row.id, started_at=change.at))
        queries.apply_state(row, new)
        row.phase_extended_min = 0  # a new phase has had nothing added yet
        row.version += 1
        await session.flush()
        await self.observers.changed(session, row.id, change.at)

        gs = await guild_settings(session, row.guild_id)
        to_phase = phases[change.to_index] if change.to_index is not None else None
        catching_up = change.skipped > 0
        if change.finished:
            text = render.finished_line(row.title, plan, change.at, catching_up=catching_up, by=by)
            await self.end(
                session, row, EndReason.FINISHED, now, after, by=by, text=text, at=change.at
            )
            return
        view = await self.view(session, row)
        text = render.phase_line(view, catching_up=catching_up, skipped_by=by)
        ref = messages.phase_message_ref(row.id, row.phase_index)
        add_ons: list[BreakAddOn] = []
        if to_phase is not None and to_phase.kind in (PhaseKind.BREAK, PhaseKind.LONG_BREAK):
            # The check-in prompt (and its buttons) rides on the break announcement.
            add_ons = await self.observers.add_ons_for(session, row.id, to_phase.round)
        await self._announce(session, row, gs, text, ref=ref, add_ons=add_ons)
        out: list[Outgoing] = []
        if catching_up or by is not None:
            # The card shows the whole schedule as timestamps, so a phase change on time needs
            # no edit; a skip or a catch-up after downtime moved the schedule.
            out.append(await self.card_edit(session, row, now, view=view))
        if row.voice_channel_id is not None:
            out.append(messages.voice_status(view, gs))
        if out:
            await enqueue(session, *out)
        after.notices.append(
            PhaseNotice(
                row.id,
                row.guild_id,
                row.channel_id,
                row.voice_channel_id,
                view.phase.kind.value,
                False,
                flag(gs.chime),
                change.at,
            )
        )

    async def control(
        self,
        session: AsyncSession,
        row: Sprint,
        gs: GuildSettings,
        action: SprintAction,
        now: datetime,
        after: AfterCommit,
        *,
        minutes: int = 0,
        by: int,
    ) -> None:
        """A host control on a sprint that is active and caught up with its schedule.

        Every control bumps ``control_seq``, so one that was meant for the state before it is
        refused (see :meth:`SprintService.control`).
        """
        plan = SprintPlan.from_dict(row.plan)
        state = queries.state_of(row)
        row.control_seq += 1
        row.controlled_at = now
        if action is SprintAction.SKIP:
            new, change = domain.skip(plan, state, now, row.speed)
            await self.apply_change(session, row, state, new, change, now, after, by=by)
            return
        if action is SprintAction.STOP:
            await self.end(session, row, EndReason.STOPPED, now, after, by=by)
            return
        if action is SprintAction.PAUSE:
            new = domain.pause(state, now)
            await queries.close_work(session, row.id, now)
        elif action is SprintAction.RESUME:
            new = domain.resume(state, now)
            if domain.current_phase(plan, new).kind is PhaseKind.WORK:
                session.add(WorkSpan(sprint_id=row.id, started_at=now))
        elif action is SprintAction.EXTEND:
            phase = domain.current_phase(plan, state)
            limits = bounds(self.ctx.settings.sprint)
            if minutes > domain.extension_room(phase, limits, row.phase_extended_min):
                raise ValidationError(
                    render.extend_refusal(
                        phase, limits.longest(phase.kind), row.phase_extended_min, minutes
                    )
                )
            new = domain.extend(state, minutes, now, row.speed, EXTEND_MAX_MINUTES)
            row.phase_extended_min += minutes
        else:  # pragma: no cover - programming error
            raise ValueError(action)
        queries.apply_state(row, new)
        row.version += 1
        await session.flush()
        await self.observers.changed(session, row.id, now)
        out: list[Outgoing] = [await self.card_edit(session, row, now)]
        if row.voice_channel_id is not None:
            out.append(messages.voice_status(await self.view(session, row), gs))
        await enqueue(session, *out)

    async def end(
        self,
        session: AsyncSession,
        row: Sprint,
        reason: EndReason,
        now: datetime,
        after: AfterCommit,
        *,
        by: int | None = None,
        text: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """End the sprint (finished, stopped, empty or channel) and say so once."""
        ended_at = at or now
        if reason is not EndReason.FINISHED:
            queries.apply_state(row, domain.stop(queries.state_of(row), now))
        row.end_reason = reason.value
        row.ended_at = ended_at
        row.version += 1
        await close_topic(session, sprint_topic(row.id), ended_at)
        await queries.close_work(session, row.id, ended_at)
        await queries.close_presence(session, row.id, ended_at)
        await session.flush()
        endings = await self.observers.ended(
            session, SprintEnded(row.id, row.guild_id, row.channel_id, reason.value, ended_at)
        )
        gs = await guild_settings(session, row.guild_id)
        view = await self.view(session, row)
        if text is None:
            text = render.ended_line(row.title, reason, by=by)
        out: list[Outgoing] = []
        if reason is EndReason.CHANNEL:
            # The text channel is gone: the voice chat is the one place left to say so.
            if row.voice_channel_id is not None:
                out.append(messages.voice_line(row, text))
        else:
            # One message says it ended, with the debrief (``endings``) on it.
            if reason is EndReason.FINISHED:
                ref = messages.end_ref(row.id)
                await self._announce(session, row, gs, text, ref=ref, endings=endings)
            else:
                out.extend(messages.end_notice(row, gs, text, endings=endings))
            if reason is not EndReason.FINISHED or by is not None:
                # A sprint that finished on schedule keeps its card as it was: the card already
                # shows every phase with its time, the message above says it finished and sums it
                # up, and a click on its buttons redraws it for free (``cogs/_sprint_views``).
                # An early end or a skip moved the schedule, so the card is redrawn.
                out.append(await self.card_edit(session, row, now, view=view))
        if row.voice_channel_id is not None:
            out.append(messages.voice_status(view, gs))
        if out:
            await enqueue(session, *out)
        after.arm[row.id] = None
        if reason is EndReason.FINISHED:
            after.notices.append(
                PhaseNotice(
                    row.id,
                    row.guild_id,
                    row.channel_id,
                    row.voice_channel_id,
                    None,
                    True,
                    flag(gs.chime),
                    ended_at,
                )
            )

    async def _announce(
        self,
        session: AsyncSession,
        row: Sprint,
        gs: GuildSettings,
        text: str,
        *,
        ref: str,
        add_ons: list[BreakAddOn] | None = None,
        endings: list[EndingAddOn] | None = None,
    ) -> None:
        pings = (
            await queries.ping_targets(session, row.id, messages.MAX_PINGS)
            if flag(gs.ping_on_phase)
            else []
        )
        out = messages.announcement(
            row, gs, text, ref=ref, pings=pings, add_ons=add_ons or (), endings=endings or ()
        )
        await enqueue(session, *out)

    # ---- after commit -------------------------------------------------------------------------

    def after(self, after: AfterCommit) -> None:
        """Arm (or cancel) timers, wake the sender and tell phase listeners: after the commit."""
        for sprint_id, when in after.arm.items():
            key = timer_key(sprint_id)
            if when is None:
                self.ctx.timers.cancel(key)
            else:
                self.ctx.timers.arm(key, when, self._on_timer, sprint_id)
        self.ctx.delivery.wake()
        for notice in after.notices:
            for listener in self.listeners:
                try:
                    # Listeners must return quickly (spawn their own task for slow work).
                    self._spawn(listener(notice), notice.sprint_id)
                except Exception:
                    log.exception("phase listener failed for sprint %s", notice.sprint_id)

    def _spawn(self, coro: Awaitable[None], sprint_id: int) -> None:
        async def guarded() -> None:
            try:
                await coro
            except Exception:
                log.exception("phase listener failed for sprint %s", sprint_id)

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """Wait for the phase listeners still running (called once at shutdown)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
