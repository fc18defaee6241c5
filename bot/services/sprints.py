"""Sprints: start, join/leave, pause/resume/skip/extend/stop, and the timer that advances phases.

The database row is the truth (plan, speed, status, phase index and times); the scheduler only
holds one wake-up per active sprint (key ``sprint:{id}``) shortly before ``phase_ends_at``
(``timing.prepare_ahead_ms``), rebuilt by :meth:`SprintService.restore` at start-up. The phase
change is written at that wake-up and its messages are held in the outbox until the phase really
ends, so the transaction's own time does not make the announcement late. Every state change
happens in one transaction with the row locked (``with_for_update``; SQLite serialises with
``BEGIN IMMEDIATE``), publishes its events and enqueues its messages in that same transaction,
and arms the timer after the commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import (
    Outgoing,
    Priority,
    close_topic,
    enqueue,
    hold_until,
    sprint_topic,
)
from bot.domain import sprint as domain
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.sprint import (
    PRESETS,
    Bounds,
    Phase,
    PhaseChange,
    PhaseKind,
    SprintPlan,
    SprintState,
    Status,
)
from bot.domain.text import clean_title, escape_markdown
from bot.render import sprint as render
from bot.services.context import ServiceContext
from bot.services.events import (
    BreakAddOn,
    ParticipantJoined,
    ParticipantLeft,
    PhaseChanged,
    SprintEnded,
    SprintStarted,
    SprintUpdated,
    phase_message_ref,
)
from db.models import (
    GuildSettings,
    OutboxMessage,
    Participant,
    PresenceSpan,
    Sprint,
    UserSettings,
    WorkSpan,
)
from db.repositories import ACTIVE_STATUSES, active_sprint_in_channel, guild_settings

log = logging.getLogger(__name__)

__all__ = [
    "ENDED_MESSAGE",
    "EXTEND_MAX_MINUTES",
    "Actor",
    "HistoryEntry",
    "JoinResult",
    "LeaveResult",
    "ParticipantView",
    "PhaseNotice",
    "SprintDefaults",
    "SprintService",
    "SprintView",
    "StartRequest",
    "timer_key",
]

ENDED_MESSAGE = "This sprint has ended."
EXTEND_MAX_MINUTES = 60
TIMER_RETRY = timedelta(seconds=15)
MAX_PINGS = 90  # Discord accepts at most 100 users in allowed_mentions


def timer_key(sprint_id: int) -> str:
    return f"sprint:{sprint_id}"


def card_ref(sprint_id: int) -> str:
    return f"sprint_card:{sprint_id}"


# -- value objects handed to cogs and renderers ---------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who is asking, with what they may do in the server (filled in by the cog)."""

    user_id: int
    manage_guild: bool = False
    role_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ParticipantView:
    user_id: int
    name: str
    active: bool
    ping: bool
    joined_at: datetime


@dataclass(frozen=True)
class SprintView:
    """A read-only snapshot of a sprint and its members."""

    id: int
    guild_id: int
    channel_id: int
    voice_channel_id: int | None
    host_id: int
    title: str
    plan: SprintPlan
    speed: float
    state: SprintState
    participants: tuple[ParticipantView, ...]
    card_message_id: int | None
    created_at: datetime
    end_reason: str | None
    summary: dict[str, Any] | None
    version: int

    @property
    def phases(self) -> list[Phase]:
        return domain.timeline(self.plan)

    @property
    def phase(self) -> Phase:
        return domain.current_phase(self.plan, self.state)

    @property
    def is_over(self) -> bool:
        return self.state.is_over

    @property
    def active(self) -> tuple[ParticipantView, ...]:
        return tuple(p for p in self.participants if p.active)

    @property
    def active_ids(self) -> tuple[int, ...]:
        return tuple(p.user_id for p in self.active)

    def card_url(self) -> str | None:
        if self.card_message_id is None:
            return None
        return (
            f"https://discord.com/channels/{self.guild_id}/{self.channel_id}/"
            f"{self.card_message_id}"
        )


@dataclass(frozen=True)
class StartRequest:
    guild_id: int
    channel_id: int
    host_id: int
    host_name: str
    preset: str | None = None
    work: int | None = None
    brk: int | None = None
    rounds: int | None = None
    long_break: int | None = None
    long_break_every: int | None = None
    intro: int | None = None
    voice_channel_id: int | None = None
    title: str | None = None
    # Members already in the linked voice channel (joined when auto-join is on).
    voice_members: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class JoinResult:
    sprint: SprintView
    already: bool  # was already in; nothing changed
    late: bool  # joined after the intro: offer "Add my goal"


@dataclass(frozen=True)
class LeaveResult:
    sprint: SprintView
    ended: bool  # the last member left and the sprint ended


@dataclass(frozen=True)
class SprintDefaults:
    """A server's /sprint settings with the bot-wide fallbacks applied."""

    work: int
    brk: int
    rounds: int
    long_break: int
    long_break_every: int
    intro: int
    manager_role_id: int | None
    ping_on_phase: bool
    auto_join_voice: bool
    chime: bool
    voice_chat: bool
    customised: frozenset[str]  # plan fields the server set itself

    def plan(self) -> SprintPlan:
        return SprintPlan(
            work_min=self.work,
            break_min=self.brk,
            rounds=self.rounds,
            long_break_min=self.long_break,
            long_break_every=self.long_break_every,
            intro_min=self.intro,
        )


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    title: str
    channel_id: int
    host_id: int
    status: str
    end_reason: str | None
    created_at: datetime
    ended_at: datetime | None
    rounds: int
    participant_ids: tuple[int, ...]
    summary: dict[str, Any] | None


@dataclass(frozen=True)
class PhaseNotice:
    """Told to phase listeners (the voice chime) after a phase change has been committed."""

    sprint_id: int
    guild_id: int
    channel_id: int
    voice_channel_id: int | None
    kind: str | None  # PhaseKind value, None when the sprint ended
    finished: bool
    chime: bool
    at: datetime  # when the change takes effect (it may be prepared a bit ahead)


PhaseListener = Callable[[PhaseNotice], Awaitable[None]]


@dataclass
class _AfterCommit:
    """What to do once the transaction has committed."""

    arm: dict[int, datetime | None] = field(default_factory=dict)  # sprint -> wake-up (or none)
    notices: list[PhaseNotice] = field(default_factory=list)


# -- the service ----------------------------------------------------------------------------------


class SprintService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._phase_listeners: list[PhaseListener] = []
        # Voice channels linked to an active sprint, known after restore(); None means unknown
        # (every voice event then asks the database). Stale entries only cost a query.
        self._voice_links: set[int] | None = None

    # ---- hooks ----------------------------------------------------------------------------------

    def add_phase_listener(self, listener: PhaseListener) -> None:
        """Call ``listener`` after each committed phase change (errors are logged, never raised)."""
        self._phase_listeners.append(listener)

    def remove_phase_listener(self, listener: PhaseListener) -> None:
        if listener in self._phase_listeners:
            self._phase_listeners.remove(listener)

    # ---- settings -------------------------------------------------------------------------------

    def bounds(self) -> Bounds:
        sp = self.ctx.settings.sprint
        return Bounds(
            work=(1, min(180, sp.max_work)),
            brk=(1, min(60, sp.max_break)),
            rounds=(1, min(12, sp.max_rounds)),
            intro=(0, min(15, sp.max_intro)),
            long_break_every=(1, 12),
        )

    def _defaults(self, gs: GuildSettings) -> SprintDefaults:
        sp = self.ctx.settings.sprint
        pairs = {
            "work": (gs.work_min, sp.work),
            "brk": (gs.break_min, sp.short_break),
            "rounds": (gs.rounds, sp.rounds),
            "long_break": (gs.long_break_min, sp.long_break),
            "long_break_every": (gs.long_break_every, sp.long_break_every),
            "intro": (gs.intro_min, sp.intro),
        }
        values = {k: (own if own is not None else fallback) for k, (own, fallback) in pairs.items()}
        return SprintDefaults(
            **values,
            manager_role_id=gs.manager_role_id,
            ping_on_phase=_flag(gs.ping_on_phase),
            auto_join_voice=_flag(gs.auto_join_voice),
            chime=_flag(gs.chime),
            voice_chat=bool(gs.voice_chat),
            customised=frozenset(k for k, (own, _) in pairs.items() if own is not None),
        )

    async def guild_defaults(self, guild_id: int) -> SprintDefaults:
        async with self.ctx.db.transaction() as session:
            return self._defaults(await guild_settings(session, guild_id))

    async def update_settings(
        self,
        guild_id: int,
        actor: Actor,
        *,
        work: int | None = None,
        brk: int | None = None,
        rounds: int | None = None,
        long_break: int | None = None,
        long_break_every: int | None = None,
        intro: int | None = None,
        manager_role_id: int | None = None,
        clear_manager_role: bool = False,
        ping_on_phase: bool | None = None,
        auto_join_voice: bool | None = None,
        chime: bool | None = None,
        voice_chat: bool | None = None,
        reset_defaults: bool = False,
    ) -> SprintDefaults:
        """Change the server's /sprint settings (Manage Server or the manager role)."""
        async with self.ctx.db.transaction() as session:
            gs = await guild_settings(session, guild_id)
            if not _is_manager(actor, gs.manager_role_id):
                raise PermissionDenied(
                    "Only members with the Manage Server permission"
                    + (f" or the <@&{gs.manager_role_id}> role" if gs.manager_role_id else "")
                    + " can change the sprint settings."
                )
            if reset_defaults:
                gs.work_min = gs.break_min = gs.rounds = None
                gs.long_break_min = gs.long_break_every = gs.intro_min = None
            current = self._defaults(gs)
            merged = SprintPlan(
                work_min=_pick(work, current.work),
                break_min=_pick(brk, current.brk),
                rounds=_pick(rounds, current.rounds),
                long_break_min=_pick(long_break, current.long_break),
                long_break_every=_pick(long_break_every, current.long_break_every),
                intro_min=_pick(intro, current.intro),
            )
            merged.validate(self.bounds())
            for column, value in (
                ("work_min", work),
                ("break_min", brk),
                ("rounds", rounds),
                ("long_break_min", long_break),
                ("long_break_every", long_break_every),
                ("intro_min", intro),
            ):
                if value is not None:
                    setattr(gs, column, value)
            if clear_manager_role:
                gs.manager_role_id = None
            elif manager_role_id is not None:
                if manager_role_id == guild_id:
                    raise ValidationError(
                        "@everyone can't be the manager role; pick a role only some members have."
                    )
                gs.manager_role_id = manager_role_id
            if ping_on_phase is not None:
                gs.ping_on_phase = ping_on_phase
            if auto_join_voice is not None:
                gs.auto_join_voice = auto_join_voice
            if chime is not None:
                gs.chime = chime
            if voice_chat is not None:
                gs.voice_chat = voice_chat
            await session.flush()
            return self._defaults(gs)

    def _plan_for(self, req: StartRequest, defaults: SprintDefaults) -> SprintPlan:
        if req.preset is not None:
            if req.preset not in PRESETS:
                names = ", ".join(PRESETS)
                raise ValidationError(f"Unknown preset “{req.preset}”. Pick one of: {names}.")
            base = PRESETS[req.preset]
        else:
            base = defaults.plan()
        return SprintPlan(
            work_min=_pick(req.work, base.work_min),
            break_min=_pick(req.brk, base.break_min),
            rounds=_pick(req.rounds, base.rounds),
            long_break_min=_pick(req.long_break, base.long_break_min),
            long_break_every=_pick(req.long_break_every, base.long_break_every),
            intro_min=_pick(req.intro, base.intro_min),
        )

    # ---- queries --------------------------------------------------------------------------------

    async def get(self, sprint_id: int) -> SprintView:
        async with self.ctx.db.transaction() as session:
            row = await session.get(Sprint, sprint_id)
            if row is None:
                raise NotFound("I can't find that sprint any more.")
            return await self._view(session, row)

    async def active_in_channel(self, channel_id: int) -> SprintView | None:
        """The active sprint of a text channel, or of a voice channel it is linked to."""
        async with self.ctx.db.transaction() as session:
            row = await self._active_row(session, channel_id)
            return None if row is None else await self._view(session, row)

    async def require_active(self, channel_id: int) -> SprintView:
        view = await self.active_in_channel(channel_id)
        if view is None:
            raise NotFound(
                "There's no sprint running in this channel. Start one with `/sprint start`."
            )
        return view

    async def active_for_voice(self, voice_channel_id: int) -> list[SprintView]:
        async with self.ctx.db.transaction() as session:
            rows = (
                await session.execute(
                    select(Sprint).where(
                        Sprint.voice_channel_id == voice_channel_id,
                        Sprint.status.in_(ACTIVE_STATUSES),
                    )
                )
            ).scalars()
            return [await self._view(session, row) for row in list(rows)]

    async def history(self, guild_id: int, limit: int = 10) -> list[HistoryEntry]:
        """The server's most recent sprints, newest first, with their summaries."""
        async with self.ctx.db.transaction() as session:
            rows = list(
                (
                    await session.execute(
                        select(Sprint)
                        .where(Sprint.guild_id == guild_id)
                        .order_by(Sprint.created_at.desc(), Sprint.id.desc())
                        .limit(limit)
                    )
                ).scalars()
            )
            people: dict[int, list[int]] = {row.id: [] for row in rows}
            if rows:
                for sid, uid in await session.execute(
                    select(Participant.sprint_id, Participant.user_id)
                    .where(Participant.sprint_id.in_(list(people)))
                    .order_by(Participant.joined_at, Participant.id)
                ):
                    people[sid].append(uid)
            return [
                HistoryEntry(
                    id=row.id,
                    title=row.title,
                    channel_id=row.channel_id,
                    host_id=row.host_id,
                    status=row.status,
                    end_reason=row.end_reason,
                    created_at=row.created_at,
                    ended_at=row.ended_at,
                    rounds=int(row.plan.get("rounds", 0)),
                    participant_ids=tuple(people[row.id]),
                    summary=row.summary if isinstance(row.summary, dict) else None,
                )
                for row in rows
            ]

    # ---- start ----------------------------------------------------------------------------------

    async def start(self, req: StartRequest) -> SprintView:
        title = clean_title(req.title) if req.title is not None else _default_title(req.host_name)
        after = _AfterCommit()
        async with self.ctx.db.transaction() as session:
            gs = await guild_settings(session, req.guild_id)
            defaults = self._defaults(gs)
            plan = self._plan_for(req, defaults)
            plan.validate(self.bounds())
            existing = await active_sprint_in_channel(session, req.channel_id)
            if existing is not None:
                raise await self._already_running(session, existing)
            if req.voice_channel_id is not None:
                linked = await self._active_row(session, req.voice_channel_id, voice_only=True)
                if linked is not None:
                    raise Conflict(
                        f"<#{req.voice_channel_id}> is already linked to the sprint in "
                        f"<#{linked.channel_id}>. Pick another voice channel or none."
                    )
            now = self.ctx.clock.now()
            speed = self.ctx.speed
            state = domain.start(plan, now, speed)
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
                existing = await active_sprint_in_channel(session, req.channel_id)
                if existing is None:
                    raise
                raise await self._already_running(session, existing) from None

            members: list[tuple[int, str]] = [(req.host_id, req.host_name)]
            if req.voice_channel_id is not None and defaults.auto_join_voice:
                members += [m for m in req.voice_members if m[0] != req.host_id]
            for user_id, name in members:
                session.add(
                    Participant(
                        sprint_id=row.id, user_id=user_id, display_name=name[:100],
                        active=True, ping=True, joined_at=now,
                    )
                )
                session.add(PresenceSpan(sprint_id=row.id, user_id=user_id, started_at=now))
            if domain.timeline(plan)[0].kind is PhaseKind.WORK:
                session.add(WorkSpan(sprint_id=row.id, started_at=now))
            await session.flush()

            events = self.ctx.events
            await events.publish(
                session, SprintStarted(row.id, row.guild_id, row.channel_id, now)
            )
            for user_id, _ in members:
                await events.publish(session, ParticipantJoined(row.id, user_id, now))
            view = await self._view(session, row)
            lines = await events.card_lines(session, row.id)
            out = [
                Outgoing(
                    kind="send",
                    payload=render.card_payload(view, lines, now),
                    channel_id=row.channel_id,
                    ref=card_ref(row.id),
                    priority=Priority.NOTICE,
                    guild_id=row.guild_id,
                    sprint_id=row.id,
                )
            ]
            if row.voice_channel_id is not None:
                out.append(self._voice_status(view, gs))
            await enqueue(session, *out)
            after.arm[row.id] = self._wake_at(row)
            if req.voice_channel_id is not None and self._voice_links is not None:
                self._voice_links.add(req.voice_channel_id)  # before the commit: no gap
        self._after(after)
        return view

    async def _already_running(self, session: AsyncSession, row: Sprint) -> Conflict:
        view = await self._view(session, row)
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
        after = _AfterCommit()
        async with self.ctx.db.transaction() as session:
            row = await self._locked(session, sprint_id, guild_id=guild_id)
            now = self.ctx.clock.now()
            await self._catch_up(session, row, now, after)
            _require_active(row)
            joined = await self._add_participant(session, row, user_id, name, now, ping=ping)
            if joined:
                await self._enqueue_card(session, row, now)
            view = await self._view(session, row)
        self._after(after)
        late = view.phase.kind is not PhaseKind.INTRO
        return JoinResult(sprint=view, already=not joined, late=late)

    async def add_participant(
        self, session: AsyncSession, sprint_id: int, user_id: int, name: str
    ) -> bool:
        """Join ``user_id`` inside the caller's transaction (e.g. adding a sprint goal joins).

        Writes what :meth:`join` writes (participant, presence span, version, ParticipantJoined)
        but not the card: call :meth:`refresh_card` once the caller's own changes are in.
        Returns True when the member joined now, False when already in.
        """
        row = await self._locked(session, sprint_id)
        _require_active(row)
        return await self._add_participant(session, row, user_id, name, self.ctx.clock.now())

    async def refresh_card(self, session: AsyncSession, sprint_id: int) -> None:
        """Enqueue a card edit for an active sprint in the caller's transaction."""
        row = await session.get(Sprint, sprint_id)
        if row is not None and row.status in ACTIVE_STATUSES:
            await self._enqueue_card(session, row, self.ctx.clock.now())

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
        part = await self._participant(session, row.id, user_id)
        already = part is not None and part.active
        if part is None:
            part = Participant(
                sprint_id=row.id, user_id=user_id, display_name=name[:100], active=True,
                ping=True if ping is None else ping, joined_at=now,
            )
            session.add(part)
        elif not part.active:
            part.active = True
            part.left_at = None
            part.display_name = name[:100] or part.display_name
        if ping is not None:
            part.ping = ping
        if already:
            return False
        session.add(PresenceSpan(sprint_id=row.id, user_id=user_id, started_at=now))
        row.version += 1
        await session.flush()
        await self.ctx.events.publish(session, ParticipantJoined(row.id, user_id, now))
        return True

    async def leave(
        self, sprint_id: int, user_id: int, *, guild_id: int | None = None
    ) -> LeaveResult:
        after = _AfterCommit()
        async with self.ctx.db.transaction() as session:
            row = await self._locked(session, sprint_id, guild_id=guild_id)
            now = self.ctx.clock.now()
            await self._catch_up(session, row, now, after)
            _require_active(row)
            part = await self._participant(session, row.id, user_id)
            if part is None or not part.active:
                raise Conflict("You're not in this sprint, so there's nothing to leave.")
            part.active = False
            part.left_at = now
            await self._close_presence(session, row.id, now, user_id=user_id)
            row.version += 1
            await session.flush()
            await self.ctx.events.publish(session, ParticipantLeft(row.id, user_id, now))
            remaining = await self._active_count(session, row.id)
            ended = remaining == 0
            if ended:
                await self._end(session, row, "empty", now, after)
            else:
                await self._enqueue_card(session, row, now)
            view = await self._view(session, row)
        self._after(after)
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

    async def pause(
        self, sprint_id: int, actor: Actor, *, guild_id: int | None = None
    ) -> SprintView:
        return await self._control(sprint_id, actor, "pause", guild_id=guild_id)

    async def resume(
        self, sprint_id: int, actor: Actor, *, guild_id: int | None = None
    ) -> SprintView:
        return await self._control(sprint_id, actor, "resume", guild_id=guild_id)

    async def skip(
        self, sprint_id: int, actor: Actor, *, guild_id: int | None = None
    ) -> SprintView:
        return await self._control(sprint_id, actor, "skip", guild_id=guild_id)

    async def stop(
        self, sprint_id: int, actor: Actor, *, guild_id: int | None = None
    ) -> SprintView:
        return await self._control(sprint_id, actor, "stop", guild_id=guild_id)

    async def extend(
        self, sprint_id: int, actor: Actor, minutes: int, *, guild_id: int | None = None
    ) -> SprintView:
        if not 1 <= minutes <= EXTEND_MAX_MINUTES:
            raise ValidationError(
                f"You can extend a phase by 1 to {EXTEND_MAX_MINUTES} minutes at a time "
                f"(you asked for {minutes})."
            )
        return await self._control(sprint_id, actor, "extend", minutes=minutes, guild_id=guild_id)

    async def _control(
        self,
        sprint_id: int,
        actor: Actor,
        action: str,
        *,
        minutes: int = 0,
        guild_id: int | None = None,
    ) -> SprintView:
        after = _AfterCommit()
        async with self.ctx.db.transaction() as session:
            row = await self._locked(session, sprint_id, guild_id=guild_id)
            gs = await guild_settings(session, row.guild_id)
            if not (actor.user_id == row.host_id or _is_manager(actor, gs.manager_role_id)):
                raise PermissionDenied(_who_may(action, row.host_id, gs.manager_role_id))
            now = self.ctx.clock.now()
            await self._catch_up(session, row, now, after)
            _require_active(row)
            plan = SprintPlan.from_dict(row.plan)
            state = _state_of(row)
            if action == "pause":
                new = domain.pause(state, now)
                await self._close_work(session, row.id, now)
                _apply_state(row, new)
                await self._after_control(session, row, gs, now)
            elif action == "resume":
                new = domain.resume(state, now)
                if domain.current_phase(plan, new).kind is PhaseKind.WORK:
                    session.add(WorkSpan(sprint_id=row.id, started_at=now))
                _apply_state(row, new)
                await self._after_control(session, row, gs, now)
            elif action == "extend":
                new = domain.extend(state, minutes, now, row.speed, EXTEND_MAX_MINUTES)
                _apply_state(row, new)
                await self._after_control(session, row, gs, now)
            elif action == "skip":
                new, change = domain.skip(plan, state, now, row.speed)
                await self._apply_change(
                    session, row, state, new, change, now, after, by=actor.user_id
                )
            elif action == "stop":
                await self._end(session, row, "stopped", now, after, by=actor.user_id)
            else:  # pragma: no cover - programming error
                raise ValueError(action)
            after.arm[row.id] = self._wake_at(row)
            view = await self._view(session, row)
        self._after(after)
        return view

    async def _after_control(
        self, session: AsyncSession, row: Sprint, gs: GuildSettings, now: datetime
    ) -> None:
        row.version += 1
        await session.flush()
        await self._enqueue_card(session, row, now)
        if row.voice_channel_id is not None:
            view = await self._view(session, row)
            await enqueue(session, self._voice_status(view, gs))

    # ---- the timer ------------------------------------------------------------------------------

    async def restore(self) -> None:
        """Arm one timer per running sprint of this process's guilds (bulk, before start)."""
        async with self.ctx.db.transaction() as session:
            rows = (
                await session.execute(
                    select(
                        Sprint.id, Sprint.guild_id, Sprint.status, Sprint.phase_ends_at,
                        Sprint.voice_channel_id, Sprint.speed,
                    ).where(Sprint.status.in_(ACTIVE_STATUSES))
                )
            ).all()
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
        self._voice_links = links
        log.info("restored %d sprint timer(s), %d linked voice channel(s)", armed, len(links))

    async def _on_timer(self, sprint_id: int) -> None:
        try:
            await self.advance(sprint_id)
        except Exception:
            log.exception("advancing sprint %s failed; retrying", sprint_id)
            self.ctx.timers.arm(
                timer_key(sprint_id), self.ctx.clock.now() + TIMER_RETRY, self._on_timer, sprint_id
            )

    def prepare_ahead(self, speed: float) -> timedelta:
        """How long before a phase ends its change is written (its messages wait for the end).

        ``timing.prepare_ahead_ms`` is sprint time, like the phases: a sprint at speed 120 (a demo)
        is prepared 120 times closer to its phase ends.
        """
        return timedelta(milliseconds=self.ctx.settings.timing.prepare_ahead_ms / speed)

    def _wake_at(self, row: Sprint) -> datetime | None:
        """When the timer of a running sprint fires: a little before its phase ends."""
        if row.phase_ends_at is None or row.status != Status.RUNNING.value:
            return None
        return row.phase_ends_at - self.prepare_ahead(row.speed)

    async def advance(self, sprint_id: int) -> PhaseChange | None:
        """Bring the sprint to where its schedule says it is now. Idempotent.

        Phases that passed while nobody advanced (the bot was down) are coalesced into one
        catch-up announcement. A phase that ends within ``prepare_ahead`` is changed now, as of its
        end: every message the change causes is held in the outbox until that moment.
        """
        after = _AfterCommit()
        async with self.ctx.db.transaction() as session:
            row = (
                await session.execute(
                    select(Sprint).where(Sprint.id == sprint_id).with_for_update()
                )
            ).scalar_one_or_none()
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
                change = await self._catch_up(session, row, now, after)
                after.arm[row.id] = self._wake_at(row)
        self._after(after)
        return change

    # ---- channels going away --------------------------------------------------------------------

    async def channel_deleted(self, channel_id: int) -> list[int]:
        """A channel was deleted (or delivery found it gone): end sprints posting there cleanly.

        A deleted text channel ends its sprint (reason "channel"); a deleted voice channel is
        unlinked and the sprint carries on. Returns the ids of the sprints ended.
        """
        after = _AfterCommit()
        ended: list[int] = []
        async with self.ctx.db.transaction() as session:
            rows = list(
                (
                    await session.execute(
                        select(Sprint)
                        .where(
                            Sprint.status.in_(ACTIVE_STATUSES),
                            (Sprint.channel_id == channel_id)
                            | (Sprint.voice_channel_id == channel_id),
                        )
                        .with_for_update()
                    )
                ).scalars()
            )
            now = self.ctx.clock.now()
            for row in rows:
                if row.channel_id == channel_id:
                    await self._end(session, row, "channel", now, after)
                    ended.append(row.id)
                else:
                    row.voice_channel_id = None
                    row.version += 1
                    await session.flush()
                    await self._enqueue_card(session, row, now)
        self._after(after)
        return ended

    # Delivery may call this when Discord says a channel no longer exists.
    channel_gone = channel_deleted

    # ---- internals: state transitions -----------------------------------------------------------

    async def _catch_up(
        self, session: AsyncSession, row: Sprint, now: datetime, after: _AfterCommit
    ) -> PhaseChange | None:
        if row.status != Status.RUNNING.value:
            return None
        plan = SprintPlan.from_dict(row.plan)
        old = _state_of(row)
        new, change = domain.advance(plan, old, now, row.speed)
        if change is None:
            return None
        await self._apply_change(session, row, old, new, change, now, after)
        return change

    async def _apply_change(
        self,
        session: AsyncSession,
        row: Sprint,
        old: SprintState,
        new: SprintState,
        change: PhaseChange,
        now: datetime,
        after: _AfterCommit,
        *,
        by: int | None = None,
    ) -> None:
        """Record a phase change (from advance or skip): spans, row, events, messages."""
        plan = SprintPlan.from_dict(row.plan)
        phases = domain.timeline(plan)
        # When the old phase ended: its scheduled end when phases were passed over, else the
        # change's own time (the scheduled boundary for advance, "now" for skip).
        boundary = old.phase_ends_at if change.skipped and old.phase_ends_at else change.at
        await self._close_work(session, row.id, boundary)
        stop_at = change.to_index if change.to_index is not None else len(phases)
        for index in range(change.from_index + 1, stop_at):  # phases passed over entirely
            end = boundary + domain.phase_duration(phases[index].minutes, row.speed)
            if phases[index].kind is PhaseKind.WORK:
                session.add(WorkSpan(sprint_id=row.id, started_at=boundary, ended_at=end))
            boundary = end
        if change.to_index is not None and phases[change.to_index].kind is PhaseKind.WORK:
            session.add(WorkSpan(sprint_id=row.id, started_at=change.at))
        _apply_state(row, new)
        row.version += 1
        await session.flush()

        gs = await guild_settings(session, row.guild_id)
        to_phase = phases[change.to_index] if change.to_index is not None else None
        await self.ctx.events.publish(
            session,
            PhaseChanged(
                sprint_id=row.id,
                guild_id=row.guild_id,
                channel_id=row.channel_id,
                from_index=change.from_index,
                to_index=change.to_index,
                to_kind=to_phase.kind.value if to_phase is not None else None,
                round=to_phase.round if to_phase is not None else plan.rounds,
                finished=change.finished,
                at=change.at,
            ),
        )
        catching_up = change.skipped > 0
        if change.finished:
            text = render.finished_line(
                row.title, plan, change.at, catching_up=catching_up, by=by
            )
            await self._end(session, row, "finished", now, after, text=text, at=change.at)
            return
        view = await self._view(session, row)
        text = render.phase_line(view, catching_up=catching_up, skipped_by=by)
        ref = phase_message_ref(row.id, row.phase_index)
        add_ons: list[BreakAddOn] = []
        if to_phase is not None and to_phase.kind in (PhaseKind.BREAK, PhaseKind.LONG_BREAK):
            # The check-in prompt (and its buttons) rides on the break announcement.
            add_ons = await self.ctx.events.break_add_ons(session, row.id, to_phase.round)
        await self._announce(session, row, gs, text, ref=ref, add_ons=add_ons)
        out: list[Outgoing] = []
        if catching_up or by is not None:
            # The card shows the whole schedule as timestamps, so a phase change on time needs
            # no edit; a skip or a catch-up after downtime moved the schedule.
            lines = await self.ctx.events.card_lines(session, row.id)
            out.append(self._card_edit(row, view, lines, now))
        if row.voice_channel_id is not None:
            out.append(self._voice_status(view, gs))
        if out:
            await enqueue(session, *out)
        after.notices.append(
            PhaseNotice(
                row.id, row.guild_id, row.channel_id, row.voice_channel_id,
                view.phase.kind.value, False, _flag(gs.chime), change.at,
            )
        )

    async def _end(
        self,
        session: AsyncSession,
        row: Sprint,
        reason: str,
        now: datetime,
        after: _AfterCommit,
        *,
        by: int | None = None,
        text: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """End the sprint (finished, stopped, empty or channel) and say so once."""
        ended_at = at or now
        if reason != "finished":
            _apply_state(row, domain.stop(_state_of(row), now))
        row.end_reason = reason
        row.ended_at = ended_at
        row.version += 1
        await close_topic(session, sprint_topic(row.id), ended_at)
        await self._close_work(session, row.id, ended_at)
        await self._close_presence(session, row.id, ended_at)
        await session.flush()
        await self.ctx.events.publish(
            session, SprintEnded(row.id, row.guild_id, row.channel_id, reason, ended_at)
        )
        gs = await guild_settings(session, row.guild_id)
        view = await self._view(session, row)
        if text is None:
            text = render.ended_line(row.title, reason, by=by)
        out: list[Outgoing] = []
        if reason == "channel":
            # The text channel is gone: the voice chat is the one place left to say so.
            if row.voice_channel_id is not None:
                out.append(self._voice_line(row, text))
        else:
            if reason == "finished":
                await self._announce(session, row, gs, text, ref=f"sprint_end:{row.id}")
            else:
                out.append(
                    Outgoing(
                        kind="send",
                        payload={"content": text, "allowed_mentions": {"parse": []}},
                        channel_id=row.channel_id,
                        ref=f"sprint_end:{row.id}",
                        priority=Priority.ANNOUNCE,
                        guild_id=row.guild_id,
                        sprint_id=row.id,
                    )
                )
                if row.voice_channel_id is not None and gs.voice_chat:
                    out.append(self._voice_line(row, text))
            lines = await self.ctx.events.card_lines(session, row.id)
            out.append(self._card_edit(row, view, lines, now))
        if row.voice_channel_id is not None:
            out.append(self._voice_status(view, gs))
        if out:
            await enqueue(session, *out)
        after.arm[row.id] = None
        if reason == "finished":
            after.notices.append(
                PhaseNotice(
                    row.id, row.guild_id, row.channel_id, row.voice_channel_id, None, True,
                    _flag(gs.chime), ended_at,
                )
            )

    # ---- internals: messages --------------------------------------------------------------------

    async def _announce(
        self,
        session: AsyncSession,
        row: Sprint,
        gs: GuildSettings,
        text: str,
        *,
        ref: str,
        add_ons: Sequence[BreakAddOn] = (),
    ) -> None:
        """The phase line in the text channel (pinging who wants it), and in the voice chat when
        the server asked for copies there (``voice_chat``; the voice status shows it anyway).

        ``add_ons`` (e.g. the check-in prompt) go on the text channel's copy only; the voice
        chat gets the plain line.
        """
        users = await self._ping_targets(session, row.id) if _flag(gs.ping_on_phase) else []
        extra = [a.text for a in add_ons if a.text]
        pings = [" ".join(f"<@{uid}>" for uid in users)] if users else []
        content = "\n".join([text, *extra, *pings])
        payload: dict[str, Any] = {
            "content": render.clip_content(content),
            "allowed_mentions": {"parse": [], "users": [str(u) for u in users]},
        }
        components = [c for a in add_ons for c in a.components][:5]  # Discord: 5 action rows
        if components:
            payload["components"] = components
        out = [
            Outgoing(
                kind="send",
                payload=payload,
                channel_id=row.channel_id,
                ref=ref,
                priority=Priority.ANNOUNCE,
                guild_id=row.guild_id,
                sprint_id=row.id,
            )
        ]
        if row.voice_channel_id is not None and gs.voice_chat:
            out.append(self._voice_line(row, text))
        await enqueue(session, *out)

    def _voice_line(self, row: Sprint, text: str) -> Outgoing:
        assert row.voice_channel_id is not None
        return Outgoing(
            kind="send",
            payload={"content": render.clip_content(text), "allowed_mentions": {"parse": []}},
            channel_id=row.voice_channel_id,
            priority=Priority.ANNOUNCE,
            guild_id=row.guild_id,
            sprint_id=row.id,
        )

    def _voice_status(self, view: SprintView, gs: GuildSettings) -> Outgoing:
        assert view.voice_channel_id is not None
        return Outgoing(
            kind="voice_status",
            payload={"status": render.voice_status_text(view, gs.timezone or "UTC")},
            channel_id=view.voice_channel_id,
            supersede_key=f"voice_status:{view.voice_channel_id}",
            priority=Priority.CARD,
            guild_id=view.guild_id,
            sprint_id=view.id,
        )

    def _card_edit(
        self, row: Sprint, view: SprintView, lines: dict[int, str], now: datetime
    ) -> Outgoing:
        return Outgoing(
            kind="edit",
            payload=render.card_payload(view, lines, now),
            channel_id=row.channel_id,
            target_message_id=row.card_message_id,
            target_ref=card_ref(row.id),
            supersede_key=card_ref(row.id),
            priority=Priority.CARD,
            guild_id=row.guild_id,
            sprint_id=row.id,
        )

    async def _enqueue_card(self, session: AsyncSession, row: Sprint, now: datetime) -> None:
        await self.ctx.events.publish(session, SprintUpdated(row.id, now))
        view = await self._view(session, row)
        lines = await self.ctx.events.card_lines(session, row.id)
        await enqueue(session, self._card_edit(row, view, lines, now))

    async def _ping_targets(self, session: AsyncSession, sprint_id: int) -> list[int]:
        rows = await session.execute(
            select(Participant.user_id, UserSettings.ping_on_phase)
            .outerjoin(UserSettings, UserSettings.user_id == Participant.user_id)
            .where(
                Participant.sprint_id == sprint_id,
                Participant.active.is_(True),
                Participant.ping.is_(True),
            )
            .order_by(Participant.joined_at, Participant.id)
        )
        return [uid for uid, wants in rows if wants is None or wants][:MAX_PINGS]

    # ---- internals: rows ------------------------------------------------------------------------

    async def _locked(
        self, session: AsyncSession, sprint_id: int, *, guild_id: int | None = None
    ) -> Sprint:
        row = (
            await session.execute(select(Sprint).where(Sprint.id == sprint_id).with_for_update())
        ).scalar_one_or_none()
        if row is None or (guild_id is not None and row.guild_id != guild_id):
            raise NotFound("I can't find that sprint any more.")
        return row

    async def _active_row(
        self, session: AsyncSession, channel_id: int, *, voice_only: bool = False
    ) -> Sprint | None:
        if not voice_only:
            row = await active_sprint_in_channel(session, channel_id)
            if row is not None:
                return row
        return (
            await session.execute(
                select(Sprint)
                .where(
                    Sprint.voice_channel_id == channel_id, Sprint.status.in_(ACTIVE_STATUSES)
                )
                .order_by(Sprint.id)
                .limit(1)
            )
        ).scalar_one_or_none()

    async def _participant(
        self, session: AsyncSession, sprint_id: int, user_id: int
    ) -> Participant | None:
        return (
            await session.execute(
                select(Participant).where(
                    Participant.sprint_id == sprint_id, Participant.user_id == user_id
                )
            )
        ).scalar_one_or_none()

    async def _active_count(self, session: AsyncSession, sprint_id: int) -> int:
        rows = await session.execute(
            select(Participant.id).where(
                Participant.sprint_id == sprint_id, Participant.active.is_(True)
            )
        )
        return len(rows.all())

    async def _close_work(self, session: AsyncSession, sprint_id: int, at: datetime) -> None:
        spans = (
            await session.execute(
                select(WorkSpan).where(WorkSpan.sprint_id == sprint_id, WorkSpan.ended_at.is_(None))
            )
        ).scalars()
        for span in spans:
            span.ended_at = max(at, span.started_at)

    async def _close_presence(
        self, session: AsyncSession, sprint_id: int, at: datetime, *, user_id: int | None = None
    ) -> None:
        stmt = select(PresenceSpan).where(
            PresenceSpan.sprint_id == sprint_id, PresenceSpan.ended_at.is_(None)
        )
        if user_id is not None:
            stmt = stmt.where(PresenceSpan.user_id == user_id)
        for span in (await session.execute(stmt)).scalars():
            span.ended_at = max(at, span.started_at)

    async def _card_message_id(self, session: AsyncSession, row: Sprint) -> int | None:
        if row.card_message_id is None:
            found = (
                await session.execute(
                    select(OutboxMessage.result_id)
                    .where(
                        OutboxMessage.ref == card_ref(row.id),
                        OutboxMessage.kind == "send",
                        OutboxMessage.result_id.is_not(None),
                    )
                    .limit(1)
                )
            ).scalar_one_or_none()
            if found is not None:
                # A harmless cache fill; safe to write in any transaction that reads the row.
                await session.execute(
                    update(Sprint)
                    .where(Sprint.id == row.id, Sprint.card_message_id.is_(None))
                    .values(card_message_id=found)
                )
                row.card_message_id = found
        return row.card_message_id

    async def _view(self, session: AsyncSession, row: Sprint) -> SprintView:
        parts = (
            await session.execute(
                select(Participant)
                .where(Participant.sprint_id == row.id)
                .order_by(Participant.joined_at, Participant.id)
            )
        ).scalars()
        return SprintView(
            id=row.id,
            guild_id=row.guild_id,
            channel_id=row.channel_id,
            voice_channel_id=row.voice_channel_id,
            host_id=row.host_id,
            title=row.title,
            plan=SprintPlan.from_dict(row.plan),
            speed=row.speed,
            state=_state_of(row),
            participants=tuple(
                ParticipantView(p.user_id, p.display_name, p.active, p.ping, p.joined_at)
                for p in parts
            ),
            card_message_id=await self._card_message_id(session, row),
            created_at=row.created_at,
            end_reason=row.end_reason,
            summary=row.summary if isinstance(row.summary, dict) else None,
            version=row.version,
        )

    # ---- after commit ---------------------------------------------------------------------------

    def _after(self, after: _AfterCommit) -> None:
        for sprint_id, when in after.arm.items():
            key = timer_key(sprint_id)
            if when is None:
                self.ctx.timers.cancel(key)
            else:
                self.ctx.timers.arm(key, when, self._on_timer, sprint_id)
        self.ctx.delivery.wake()
        for notice in after.notices:
            for listener in self._phase_listeners:
                try:
                    # Listeners must return quickly (spawn their own task for slow work).
                    coro = listener(notice)
                    _spawn(coro)
                except Exception:
                    log.exception("phase listener failed for sprint %s", notice.sprint_id)


# -- helpers --------------------------------------------------------------------------------------

_background: set[asyncio.Task[None]] = set()


def _spawn(coro: Awaitable[None]) -> None:
    async def guarded() -> None:
        try:
            await coro
        except Exception:
            log.exception("phase listener failed")

    task = asyncio.get_running_loop().create_task(guarded())
    _background.add(task)
    task.add_done_callback(_background.discard)


def _flag(value: bool | None) -> bool:
    return True if value is None else bool(value)


def _pick(value: int | None, fallback: int) -> int:
    return fallback if value is None else value


def _default_title(host_name: str) -> str:
    name = " ".join(host_name.split())[:80] or "Coworking"
    return f"{name}'s sprint"


def _is_manager(actor: Actor, manager_role_id: int | None) -> bool:
    return actor.manage_guild or (
        manager_role_id is not None and manager_role_id in actor.role_ids
    )


_ACTION_WORDS = {
    "pause": "pause",
    "resume": "resume",
    "skip": "skip a phase of",
    "extend": "extend",
    "stop": "stop",
}


def _who_may(action: str, host_id: int, manager_role_id: int | None) -> str:
    role = f", members with the <@&{manager_role_id}> role" if manager_role_id else ""
    return (
        f"Only the host (<@{host_id}>){role} or members with the Manage Server permission can "
        f"{_ACTION_WORDS.get(action, action)} this sprint. Anyone can join or leave."
    )


def _require_active(row: Sprint) -> None:
    if row.status not in ACTIVE_STATUSES:
        raise Conflict(ENDED_MESSAGE)


def _state_of(row: Sprint) -> SprintState:
    return SprintState(
        status=Status(row.status),
        phase_index=row.phase_index,
        phase_started_at=row.phase_started_at,
        phase_ends_at=row.phase_ends_at,
        paused_remaining=(
            None if row.paused_remaining_s is None else timedelta(seconds=row.paused_remaining_s)
        ),
        ended_at=row.ended_at,
    )


def _apply_state(row: Sprint, state: SprintState) -> None:
    row.status = state.status.value
    row.phase_index = state.phase_index
    row.phase_started_at = state.phase_started_at
    row.phase_ends_at = state.phase_ends_at
    row.paused_remaining_s = (
        state.paused_remaining.total_seconds() if state.paused_remaining is not None else None
    )
    row.ended_at = state.ended_at

