"""How goals reach the other areas (the sprint card, the sprint join, the accountability week)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from db.models import Sprint
from db.repositories import ACTIVE_STATUSES

__all__ = ["CardHook", "JoinHook", "SprintHooks"]

CardHook = Callable[[AsyncSession, int], Awaitable[Any]]
JoinHook = Callable[[AsyncSession, int, int, str], Awaitable[bool]]


@dataclass
class SprintHooks:
    """How goals reach the other areas: ``card_changed`` refreshes the sprint card in the
    caller's transaction (so it shows "✅ 2/3" and the latest check-in); ``join`` adds a member to
    a sprint in the caller's transaction."""

    card_changed: CardHook | None = None
    join: JoinHook | None = None

    @classmethod
    def for_service(cls, sprints: object | None, clock: Clock) -> SprintHooks:
        """Hooks onto the sprint service (``refresh_card(session, sprint_id)`` — else its card
        edit ``_enqueue_card(session, row, now)`` — and ``add_participant(session, sprint_id,
        user_id, name)``)."""
        hooks = cls(join=getattr(sprints, "add_participant", None))
        public = getattr(sprints, "refresh_card", None)
        private = getattr(sprints, "_enqueue_card", None)
        if public is not None:
            hooks.card_changed = public
        elif private is not None:

            async def card_changed(session: AsyncSession, sprint_id: int) -> None:
                row = await session.get(Sprint, sprint_id)
                if row is not None and row.status in ACTIVE_STATUSES:
                    await private(session, row, clock.now())

            hooks.card_changed = card_changed
        return hooks
