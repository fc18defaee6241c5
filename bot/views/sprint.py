"""What a sprint looks like to render and cogs: snapshots built by the sprint service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain import sprint as domain
from bot.domain.sprint import Phase, SprintPlan, SprintState

__all__ = [
    "ControlResult",
    "HistoryEntry",
    "JoinResult",
    "LeaveResult",
    "ParticipantView",
    "PhaseNotice",
    "SprintDefaults",
    "SprintView",
]


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
    control_seq: int = 0  # bumped by every host control; buttons and commands name it
    phase_extended_min: int = 0  # minutes /sprint extend added to the current phase

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
            f"https://discord.com/channels/{self.guild_id}/{self.channel_id}/{self.card_message_id}"
        )


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
class ControlResult:
    sprint: SprintView
    resumed: bool = False  # a skip while paused: the sprint runs again


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
