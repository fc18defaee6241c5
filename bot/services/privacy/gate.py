"""The don't-track-me flag, as every service checks it before storing something about a member.

Other services call :func:`refuse_untracked` inside their own transaction, before they write
anything that names the member (joining a sprint, adding a goal, a check-in). A service that
holds something *open* for a member, which would store more about them later without them
acting (an open slot offer whose confirmation records everyone on it Going), is an
:class:`UntrackListener`: ``Services`` wires it to ``PrivacyService``, which tells it in the
transaction that turns tracking off.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import Conflict
from bot.domain.privacy import user_hash
from db.models import PrivacyMark

__all__ = [
    "UNTRACKED_MESSAGE",
    "UntrackListener",
    "Untracked",
    "is_untracked",
    "refuse_untracked",
]

UNTRACKED_MESSAGE = (
    "You asked me not to keep anything about you, so I didn't store that. "
    "To take part again, run `/privacy track`."
)


class Untracked(Conflict):
    """The member turned tracking off; nothing was stored."""


async def is_untracked(session: AsyncSession, user_id: int) -> bool:
    stmt = select(PrivacyMark.untracked_since).where(PrivacyMark.user_hash == user_hash(user_id))
    return (await session.scalar(stmt)) is not None


async def refuse_untracked(session: AsyncSession, user_id: int) -> None:
    """Raise :class:`Untracked` (a UserError with the sentence above) for an untracked member."""
    if await is_untracked(session, user_id):
        raise Untracked(UNTRACKED_MESSAGE)


class UntrackListener(Protocol):
    async def member_untracked(
        self, session: AsyncSession, user_id: int, now: datetime
    ) -> Callable[[], None]:
        """``user_id`` turned tracking off, in that transaction (it may still roll back; don't
        commit): close what would store more about them later. Returns what to run once the
        transaction committed (e.g. cancel timers)."""
        ...
