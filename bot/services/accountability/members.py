"""Members as the weekly thread shows them: their latest name, and whether they left the server
(then they are shown by that name and never pinged)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.text import truncate
from db.models import AccountabilityMember

__all__ = ["mark_left", "remember"]


async def remember(session: AsyncSession, guild_id: int, user_id: int, display_name: str) -> None:
    """Keep the member's current name (shown if they later leave); clears "left"."""
    name = truncate(" ".join(display_name.split()), 100) if display_name.strip() else ""
    row = await session.get(AccountabilityMember, (guild_id, user_id))
    if row is None:
        try:
            async with session.begin_nested():
                session.add(
                    AccountabilityMember(guild_id=guild_id, user_id=user_id, display_name=name)
                )
            return
        except IntegrityError:
            row = await session.get(
                AccountabilityMember, (guild_id, user_id), populate_existing=True
            )
            assert row is not None
    if name and row.display_name != name:
        row.display_name = name
    if row.left_at is not None:
        row.left_at = None


async def mark_left(
    session: AsyncSession, guild_id: int, user_id: int, display_name: str, now: datetime
) -> None:
    """The member left the server at ``now`` (their name is kept if none was stored)."""
    row = await session.get(AccountabilityMember, (guild_id, user_id))
    if row is None:
        try:
            async with session.begin_nested():
                session.add(
                    AccountabilityMember(
                        guild_id=guild_id,
                        user_id=user_id,
                        display_name=truncate(display_name, 100),
                        left_at=now,
                    )
                )
        except IntegrityError:
            row = await session.get(
                AccountabilityMember, (guild_id, user_id), populate_existing=True
            )
    if row is not None:
        row.left_at = now
        if display_name and not row.display_name:
            row.display_name = truncate(display_name, 100)
