"""Finding the series and the occurrence a command or a button means (one sentence when not)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import Conflict, NotFound
from bot.domain.text import escape_markdown
from bot.services.sessions import queries
from bot.services.sessions.runner import Runner
from db.models import SessionOccurrence, SessionSeries

__all__ = ["open_occurrence", "series_in_guild"]


async def series_in_guild(
    session: AsyncSession, guild_id: int, series_id: int, *, lock: bool = False
) -> SessionSeries:
    series = (
        await queries.locked_series(session, series_id)
        if lock
        else await session.get(SessionSeries, series_id)
    )
    if series is None or series.guild_id != guild_id:
        raise NotFound(
            "I can't find that session in this server. `/session list` shows the ones "
            "scheduled here."
        )
    return series


async def open_occurrence(
    session: AsyncSession,
    runner: Runner,
    series: SessionSeries,
    occurrence_id: int | None,
    now: datetime,
) -> SessionOccurrence:
    """The occurrence an answer is for; refuses cancelled, skipped and past ones."""
    if series.cancelled_at is not None:
        raise Conflict(
            f"**{escape_markdown(series.title)}** was cancelled, so it takes no answers."
        )
    occ = (
        await queries.locked_occurrence(session, occurrence_id)
        if occurrence_id is not None
        else await runner.ensure_next(session, series, now)
    )
    if occ is None or occ.series_id != series.id:
        raise Conflict("This series has no more sessions to answer for.")
    if occ.status == "skipped":
        raise Conflict("That session was skipped: answer for the next one on the card.")
    if occ.status == "cancelled":
        raise Conflict("That session was cancelled, so it takes no answers.")
    if occ.status != "upcoming" or occ.starts_at <= now:
        raise Conflict(
            "That session has already started or is over, so it takes no more answers. "
            "Join its sprint with `/sprint join`, or answer for the next one on the card."
        )
    return occ
