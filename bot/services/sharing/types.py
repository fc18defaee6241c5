"""View types of the sharing area: links, the live page's view model and calendar feed entries.

Nothing here carries a Discord id or token: the page and the feeds are public to whoever holds the
link, so they see names (when the host allows), text and times only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class ShareKind(StrEnum):
    SPRINT = "sprint"  # a sprint's live page
    MEMBER_FEED = "member_feed"  # a member's private calendar feed
    GUILD_FEED = "guild_feed"  # a server's public calendar feed


@dataclass(frozen=True)
class ShareLink:
    """A secret link as its owner sees it (in an ephemeral reply)."""

    id: int
    kind: ShareKind
    token: str
    url: str
    show_people: bool
    created: bool  # made now (False: the existing link was handed out again)


@dataclass(frozen=True)
class Share:
    """A live link found by its token (what a request may see)."""

    id: int
    kind: ShareKind
    guild_id: int
    sprint_id: int | None
    user_id: int | None
    show_people: bool


@dataclass(frozen=True)
class PhaseItem:
    kind: str  # intro | work | break | long_break
    label: str
    minutes: int
    round: int
    state: str  # done | current | next


@dataclass(frozen=True)
class GoalItem:
    text: str
    done: bool


@dataclass(frozen=True)
class PersonItem:
    name: str
    goals: tuple[GoalItem, ...]


@dataclass(frozen=True)
class SummaryMember:
    name: str
    goals_done: int
    goals_total: int
    focus_minutes: int | None


@dataclass(frozen=True)
class SummaryView:
    reason: str  # a sentence: "Finished", "Stopped by the host", ...
    rounds_done: int
    rounds: int
    took_part: int
    focus_minutes: int
    members: tuple[SummaryMember, ...]  # empty unless the host shows names


@dataclass(frozen=True)
class LivePage:
    """Everything the live page shows, at one moment (``version`` orders updates)."""

    title: str
    status: str  # running | paused | finished | cancelled
    phase_kind: str
    phase_label: str
    round: int
    rounds: int
    phase_started_at: datetime
    phase_ends_at: datetime | None
    paused_remaining_s: float | None
    phase_seconds: float  # the phase's whole length in real seconds (for the progress ring)
    timeline: tuple[PhaseItem, ...]
    participant_count: int
    people: tuple[PersonItem, ...] | None  # None: the host keeps names private
    summary: SummaryView | None
    version: int

    @property
    def is_over(self) -> bool:
        return self.status in ("finished", "cancelled")

    def to_json(self) -> dict[str, Any]:
        """The state the page's script reads (times as Unix milliseconds)."""
        return {
            "title": self.title,
            "status": self.status,
            "phase": {
                "kind": self.phase_kind,
                "label": self.phase_label,
                "round": self.round,
                "rounds": self.rounds,
                "started": _ms(self.phase_started_at),
                "ends": _ms(self.phase_ends_at),
                "paused_remaining_ms": (
                    None
                    if self.paused_remaining_s is None
                    else round(self.paused_remaining_s * 1000)
                ),
                "length_ms": round(self.phase_seconds * 1000),
            },
            "timeline": [
                {
                    "kind": p.kind,
                    "label": p.label,
                    "minutes": p.minutes,
                    "round": p.round,
                    "state": p.state,
                }
                for p in self.timeline
            ],
            "count": self.participant_count,
            "people": None
            if self.people is None
            else [
                {"name": p.name, "goals": [{"text": g.text, "done": g.done} for g in p.goals]}
                for p in self.people
            ],
            "summary": None
            if self.summary is None
            else {
                "reason": self.summary.reason,
                "rounds_done": self.summary.rounds_done,
                "rounds": self.summary.rounds,
                "took_part": self.summary.took_part,
                "focus_minutes": self.summary.focus_minutes,
                "members": [
                    {
                        "name": m.name,
                        "goals_done": m.goals_done,
                        "goals_total": m.goals_total,
                        "focus_minutes": m.focus_minutes,
                    }
                    for m in self.summary.members
                ],
            },
            "version": self.version,
        }


@dataclass(frozen=True)
class FeedEntry:
    """One (usually weekly) event of a calendar feed, in its own time zone."""

    uid: str
    title: str
    description: str
    start: datetime  # aware, in ``zone``
    minutes: int
    zone: str  # IANA name
    weekly: bool
    updated: datetime  # aware UTC: when the series last changed


@dataclass(frozen=True)
class Feed:
    name: str
    description: str
    entries: tuple[FeedEntry, ...]


def _ms(when: datetime | None) -> int | None:
    return None if when is None else round(when.timestamp() * 1000)
