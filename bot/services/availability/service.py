"""Use cases: a member sets, shows or clears their weekly available hours in a server."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bot.domain.availability import (
    Availability,
    format_windows,
    parse_windows,
    total_minutes,
    week_intervals,
    windows_to_json,
)
from bot.domain.errors import NotFound, ValidationError
from bot.domain.timezones import validate_zone
from bot.services.availability import queries, when
from bot.services.availability.types import AvailabilityView, WhenView
from bot.services.context import ServiceContext
from bot.services.privacy.gate import refuse_untracked
from bot.services.timezones import guild_zone, member_zone
from db.models import MemberAvailability

UPCOMING = 3


class AvailabilityService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def set(
        self, guild_id: int, user_id: int, when: str, zone: str | None = None
    ) -> AvailabilityView:
        """Store the member's weekly hours (replacing earlier ones). The zone: the one given,
        else the one stored with earlier hours, else their own ``/timezone me``, else the
        server's."""
        windows = parse_windows(when)
        if not windows:
            raise ValidationError(
                "That says you're never available. To remove your hours use "
                "`/availability clear`; otherwise write e.g. “weekdays 08:00–12:00”."
            )
        given = validate_zone(zone) if zone and zone.strip() else None
        async with self.ctx.db.transaction() as session:
            await refuse_untracked(session, user_id)  # issue 16: don't track me
            row = await queries.row_of(session, guild_id, user_id)
            if given is not None:
                chosen, source = given, "given"
            elif row is not None:
                chosen, source = validate_zone(row.zone), "stored"
            elif (own := await member_zone(session, user_id)) is not None:
                chosen, source = own, "personal"
            else:
                chosen, source = await guild_zone(session, guild_id), "server"
            if row is None:
                row = MemberAvailability(guild_id=guild_id, user_id=user_id)
                try:
                    async with session.begin_nested():
                        session.add(row)
                        row.zone, row.windows = chosen.key, windows_to_json(windows)
                except IntegrityError:  # set concurrently: update theirs
                    found = await queries.row_of(session, guild_id, user_id)
                    assert found is not None
                    row = found
            row.zone = chosen.key
            row.windows = windows_to_json(windows)
        return self._view(Availability(chosen, windows), source)

    async def show(self, guild_id: int, user_id: int) -> AvailabilityView:
        async with self.ctx.db.transaction() as session:
            found = await queries.availability_of(session, guild_id, user_id)
        if found is None:
            raise NotFound(
                "You haven't set your available hours here yet. Try "
                "`/availability set when: weekdays 08:00–12:00`."
            )
        return self._view(found, "stored")

    async def clear(self, guild_id: int, user_id: int) -> bool:
        async with self.ctx.db.transaction() as session:
            row = await queries.row_of(session, guild_id, user_id)
            if row is None:
                return False
            await session.delete(row)
        return True

    async def when(
        self, guild_id: int, user_id: int, text: str, members: str | None = None
    ) -> WhenView:
        """``/when``: a time typed in the member's zone, and what it is for the members named
        (their local time, and whether it is outside their hours or at night for them)."""
        return await when.time_for(self.ctx, guild_id, user_id, text, when.member_ids(members))

    def _view(self, found: Availability, source: str) -> AvailabilityView:
        now = self.ctx.clock.now()
        week = week_intervals(found, now)
        return AvailabilityView(
            zone=found.zone.key,
            zone_source=source,
            windows=found.windows,
            text=format_windows(found.windows),
            local_now=now.astimezone(found.zone),
            upcoming=tuple(week[:UPCOMING]),
            weekly_minutes=total_minutes(week),
        )
