"""Named queries on ``member_availability``."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.availability import Availability, windows_from_json
from bot.services.timezones import zone_or_utc
from db.models import MemberAvailability


async def row_of(session: AsyncSession, guild_id: int, user_id: int) -> MemberAvailability | None:
    return await session.get(MemberAvailability, (guild_id, user_id))


async def availability_of(
    session: AsyncSession, guild_id: int, user_id: int
) -> Availability | None:
    row = await row_of(session, guild_id, user_id)
    return _as_domain(row) if row is not None else None


async def availability_for(
    session: AsyncSession, guild_id: int, user_ids: Collection[int]
) -> dict[int, Availability]:
    """The availability of each of ``user_ids`` who set one (in chunks: big servers)."""
    ids = list(user_ids)
    out: dict[int, Availability] = {}
    for at in range(0, len(ids), 500):
        rows = (
            await session.execute(
                select(MemberAvailability).where(
                    MemberAvailability.guild_id == guild_id,
                    MemberAvailability.user_id.in_(ids[at : at + 500]),
                )
            )
        ).scalars()
        for row in rows:
            out[row.user_id] = _as_domain(row)
    return out


def _as_domain(row: MemberAvailability) -> Availability:
    return Availability(zone=zone_or_utc(row.zone), windows=windows_from_json(row.windows))
