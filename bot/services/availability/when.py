"""Show a time in everyone's zone (issue #14, "the event time announcer").

A member types a time in their own zone (``/timezone me``, else the server's) with the grammar of
:func:`bot.domain.schedule.parse_when`; the answer is the moment itself (a Discord timestamp each
client shows in its own zone) and, for each member named, their local time there and a warning
when it falls outside the hours they set (``/availability``) or at night for them. A member's
zone: the one their hours are in, else their ``/timezone me``, else the server's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.availability import Availability, available_at, is_night
from bot.domain.errors import ValidationError
from bot.domain.schedule import parse_when
from bot.domain.text import truncate
from bot.services.availability import queries
from bot.services.availability.types import MemberTime, WhenView
from bot.services.context import ServiceContext
from bot.services.timezones import guild_zone, member_zone

__all__ = ["MAX_NAMED", "member_ids", "time_for"]

MAX_NAMED = 10
_MENTION = re.compile(r"^<@!?(\d{15,21})>$")
_SPLIT = re.compile(r"[\s,]+")


def member_ids(text: str | None) -> tuple[int, ...]:
    """The members named as mentions (``@ann @bob``), in order, each once."""
    if text is None or not text.strip():
        return ()
    out: list[int] = []
    for word in _SPLIT.split(text.replace("><", "> <").strip()):
        found = _MENTION.match(word)
        if found is None:
            raise ValidationError(
                f"“{truncate(word, 40)}” is not a member. Name members by mentioning them, "
                "e.g. `members: @ann @bob` (pick them from the list as you type @)."
            )
        if int(found[1]) not in out:
            out.append(int(found[1]))
    if len(out) > MAX_NAMED:
        raise ValidationError(
            f"That names {len(out)} members; I can show the time for up to {MAX_NAMED} at once."
        )
    return tuple(out)


async def time_for(
    ctx: ServiceContext, guild_id: int, user_id: int, text: str, named: Sequence[int]
) -> WhenView:
    """The moment ``text`` means in the asker's zone, and what it is for each of ``named``."""
    async with ctx.db.read() as session:
        own = await member_zone(session, user_id)
        server = await guild_zone(session, guild_id)
        zone = own or server
        local = parse_when(text, zone, ctx.clock.now())
        at = local.astimezone(UTC)
        hours = await queries.availability_for(session, guild_id, named)
        members = [await _member_time(session, uid, hours.get(uid), server, at) for uid in named]
    return WhenView(
        at=at,
        local=local,
        zone=zone.key,
        zone_source="personal" if own is not None else "server",
        members=tuple(members),
    )


async def _member_time(
    session: AsyncSession,
    user_id: int,
    found: Availability | None,
    server: ZoneInfo,
    at: datetime,
) -> MemberTime:
    if found is not None:
        zone, source = found.zone, "hours"
    elif (own := await member_zone(session, user_id)) is not None:
        zone, source = own, "personal"
    else:
        zone, source = server, "server"
    local = at.astimezone(zone)
    return MemberTime(
        user_id=user_id,
        zone=zone.key,
        zone_source=source,
        local=local,
        outside_hours=None if found is None or not found.windows else not available_at(found, at),
        night=is_night(local),
    )
