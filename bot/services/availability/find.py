"""Finding a time: the next slots when a set of members are free, from their stored weekly
hours (issue #14). The search itself is :func:`bot.domain.overlap.find_slots`."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from bot.domain.errors import ValidationError
from bot.domain.overlap import find_slots
from bot.services.availability.queries import availability_for
from bot.services.context import ServiceContext
from bot.views.findtime import FindTimeView
from db.models import MemberAvailability

__all__ = [
    "MAX_DAYS",
    "MAX_LENGTH",
    "MAX_MEMBERS",
    "MAX_ROLE_SCAN",
    "MIN_LENGTH",
    "SUGGESTIONS",
    "FindTimeView",
    "find_time",
    "members_with_hours",
]

MIN_LENGTH, MAX_LENGTH = 15, 8 * 60
MAX_DAYS = 28
MAX_MEMBERS = 100
MAX_ROLE_SCAN = 1000  # members with hours looked at to find a role's members
SUGGESTIONS = 5
STEP = 30  # a 15-minute session still starts on the hour or half hour


async def find_time(
    ctx: ServiceContext,
    guild_id: int,
    user_ids: Sequence[int],
    *,
    length_minutes: int = 60,
    days: int = 14,
    role_id: int | None = None,
) -> FindTimeView:
    """The best :data:`SUGGESTIONS` separate slots of ``length_minutes`` in the next ``days``
    when the most of ``user_ids`` are free (at least two of them when two or more have hours)."""
    asked = tuple(dict.fromkeys(user_ids))
    if not asked:
        raise ValidationError("Name at least one member to find a time for.")
    if len(asked) > MAX_MEMBERS:
        raise ValidationError(
            f"That's {len(asked)} members; I find a time for at most {MAX_MEMBERS} at once."
        )
    if not MIN_LENGTH <= length_minutes <= MAX_LENGTH:
        raise ValidationError(
            f"A session of {length_minutes} minutes won't do: pick a length from {MIN_LENGTH} "
            f"to {MAX_LENGTH} minutes."
        )
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"I can't look {days} days ahead: pick from 1 to {MAX_DAYS} days.")
    async with ctx.db.transaction() as session:
        hours = await availability_for(session, guild_id, asked)
    hours = {uid: av for uid, av in hours.items() if av.windows}
    missing = tuple(uid for uid in asked if uid not in hours)
    if not hours:
        who = "Nobody you named has" if len(asked) > 1 else "That member hasn't"
        raise ValidationError(
            f"{who} set their usual hours here yet, so I can't find a time. Each of them can "
            "run `/availability set` (e.g. “weekdays 08:00–12:00”) once."
        )
    slots = find_slots(
        hours,
        ctx.clock.now(),
        length_minutes=length_minutes,
        step_minutes=STEP,
        horizon_days=days,
        minimum=min(2, len(hours)),
        limit=SUGGESTIONS,
        apart=True,
    )
    return FindTimeView(
        asked=asked,
        zones={uid: av.zone.key for uid, av in hours.items()},
        missing=missing,
        slots=tuple(slots),
        length_minutes=length_minutes,
        days=days,
        role_id=role_id,
    )


async def members_with_hours(ctx: ServiceContext, guild_id: int) -> list[int]:
    """Who has set their hours in this server (the first :data:`MAX_ROLE_SCAN` by id): without
    the privileged members intent a role's member list can't be read, so a role is matched
    against these."""
    async with ctx.db.transaction() as session:
        rows = await session.scalars(
            select(MemberAvailability.user_id)
            .where(MemberAvailability.guild_id == guild_id)
            .order_by(MemberAvailability.user_id)
            .limit(MAX_ROLE_SCAN)
        )
        return list(rows)
