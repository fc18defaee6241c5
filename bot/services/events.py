"""How the sprint area and the other areas reach each other: small typed Protocols.

Every link is wired once, in :class:`bot.services.Services`: the sprint service asks its
:class:`SprintObservers` (inside the transaction of a change, with the same session, so what they
enqueue commits or rolls back with it) for the per-member suffixes on its card (goal progress
"✅ 2/3", the latest check-in), for the card's link button (the live page, once shared), for what
rides on a break announcement (the check-in prompt and its buttons, so a break costs one
message), and tells them when a sprint ended (the debrief, which rides on the message that says
so) and when anything a sprint shows changed (a live page pushes itself once the change commits).
Goals reach the sprint service through :class:`SprintMembership`. Observers must be quick and must
not commit. (Week goals are not a sprint matter: weekly accountability follows them through
``GoalService.on_week_changed``, also wired in ``Services``.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "BreakAddOn",
    "BreakAddOnSource",
    "CardLineSource",
    "CardLinkSource",
    "EndingAddOn",
    "OccurrenceListener",
    "SprintChangeListener",
    "SprintChanged",
    "SprintEndListener",
    "SprintEnded",
    "SprintMembership",
    "SprintObservers",
    "phase_message_ref",
]


@dataclass(frozen=True)
class SprintEnded:
    """Finished normally (``reason`` "finished") or ended early ("stopped", "empty", "channel")."""

    sprint_id: int
    guild_id: int
    channel_id: int
    reason: str  # an EndReason value
    at: datetime


@dataclass(frozen=True)
class SprintChanged:
    """Something a sprint shows changed: its phase (``at`` is when a change prepared ahead takes
    effect), pause/resume/extend, its members, its goals (the card), or it ended."""

    sprint_id: int
    at: datetime


def phase_message_ref(sprint_id: int, phase_index: int) -> str:
    """The outbox ref of the announcement posted when a sprint enters ``phase_index``."""
    return f"sprint_phase:{sprint_id}:{phase_index}"


@dataclass(frozen=True)
class BreakAddOn:
    """Extra text and message components (action rows, Discord JSON) for a break announcement."""

    text: str = ""
    components: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class EndingAddOn:
    """What rides on the message that says a sprint ended (the debrief's embed and buttons), so
    the end costs one message. ``ref`` names that message, so its owner can edit it later."""

    embeds: tuple[dict[str, Any], ...] = ()
    components: tuple[dict[str, Any], ...] = ()
    ref: str | None = None


class CardLineSource(Protocol):
    async def card_lines(self, session: AsyncSession, sprint_id: int) -> dict[int, str]:
        """A short suffix per member (user id) for the sprint card."""
        ...


class CardLinkSource(Protocol):
    async def link_for_card(self, session: AsyncSession, sprint_id: int) -> str | None:
        """A URL for the card's link button (the live page), or None."""
        ...


class BreakAddOnSource(Protocol):
    async def break_add_on(
        self, session: AsyncSession, sprint_id: int, round_: int
    ) -> BreakAddOn | None:
        """What to add to the announcement of the break after ``round_`` (None: nothing)."""
        ...


class SprintEndListener(Protocol):
    async def sprint_ended(self, session: AsyncSession, event: SprintEnded) -> EndingAddOn | None:
        """The sprint ended, in the transaction that ended it; what to add to the message that
        says so (None: nothing)."""
        ...


class SprintChangeListener(Protocol):
    async def sprint_changed(self, session: AsyncSession, change: SprintChanged) -> None:
        """A sprint changed, in the transaction that changed it (it may still roll back)."""
        ...


class SprintMembership(Protocol):
    """What other areas may do to a sprint inside their own transaction."""

    async def add_participant(
        self, session: AsyncSession, sprint_id: int, user_id: int, name: str
    ) -> bool:
        """Join ``user_id`` to the active sprint; True when they joined now."""
        ...

    async def refresh_card(self, session: AsyncSession, sprint_id: int) -> None:
        """Bring the card of an active sprint up to date (e.g. after a goal changed)."""
        ...


class OccurrenceListener(Protocol):
    async def occurrence_changed(
        self, session: AsyncSession, occurrence_id: int, what: str
    ) -> None:
        """A standing session's occurrence changed, in the transaction that changed it.

        ``what``: "created", "edited", "started", "ended", "skipped", "cancelled" or "missed".
        The sessions service calls this wherever an occurrence changes (e.g. Discord Scheduled
        Events sync); listeners must be quick and must not commit.
        """
        ...


@dataclass
class SprintObservers:
    """Who the sprint service tells about its changes (filled in once by ``Services``)."""

    card_lines: list[CardLineSource] = field(default_factory=list)
    card_links: list[CardLinkSource] = field(default_factory=list)
    break_add_ons: list[BreakAddOnSource] = field(default_factory=list)
    endings: list[SprintEndListener] = field(default_factory=list)
    changes: list[SprintChangeListener] = field(default_factory=list)

    def add(
        self,
        *,
        card_lines: Iterable[CardLineSource] = (),
        card_links: Iterable[CardLinkSource] = (),
        break_add_ons: Iterable[BreakAddOnSource] = (),
        endings: Iterable[SprintEndListener] = (),
        changes: Iterable[SprintChangeListener] = (),
    ) -> None:
        self.card_lines.extend(card_lines)
        self.card_links.extend(card_links)
        self.break_add_ons.extend(break_add_ons)
        self.endings.extend(endings)
        self.changes.extend(changes)

    async def lines_for(self, session: AsyncSession, sprint_id: int) -> dict[int, str]:
        """Per-member suffixes for the sprint card, joined from every source."""
        out: dict[int, list[str]] = defaultdict(list)
        for source in self.card_lines:
            for user_id, text in (await source.card_lines(session, sprint_id)).items():
                out[user_id].append(text)
        return {user_id: " · ".join(parts) for user_id, parts in out.items()}

    async def link_for(self, session: AsyncSession, sprint_id: int) -> str | None:
        """The URL of the card's link button: the first source's that has one."""
        for source in self.card_links:
            link = await source.link_for_card(session, sprint_id)
            if link:
                return link
        return None

    async def add_ons_for(
        self, session: AsyncSession, sprint_id: int, round_: int
    ) -> list[BreakAddOn]:
        """What every source adds to the announcement of the break after ``round_``."""
        out: list[BreakAddOn] = []
        for source in self.break_add_ons:
            add_on = await source.break_add_on(session, sprint_id, round_)
            if add_on is not None:
                out.append(add_on)
        return out

    async def ended(self, session: AsyncSession, event: SprintEnded) -> list[EndingAddOn]:
        """Tell every ending listener; what they add to the message that says the sprint ended."""
        out: list[EndingAddOn] = []
        for listener in self.endings:
            add_on = await listener.sprint_ended(session, event)
            if add_on is not None:
                out.append(add_on)
        await self.changed(session, event.sprint_id, event.at)
        return out

    async def changed(self, session: AsyncSession, sprint_id: int, at: datetime) -> None:
        change = SprintChanged(sprint_id, at)
        for listener in self.changes:
            await listener.sprint_changed(session, change)
