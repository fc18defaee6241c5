"""Members' answers: Going / Maybe / Can't / Skip, the waitlist and its offers, leaving a series,
reminders on or off. ``SessionService`` inherits them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import Conflict, PermissionDenied, ValidationError
from bot.domain.text import escape_markdown
from bot.services.context import ServiceContext
from bot.services.privacy.gate import refuse_untracked
from bot.services.sessions import queries
from bot.services.sessions.lookups import open_occurrence, series_in_guild
from bot.services.sessions.runner import Runner
from bot.services.sessions.types import Rsvp, RsvpResult, SeriesView
from db.models import SessionReminderOptOut, SessionRsvp, SessionSeries

__all__ = ["RsvpUseCases"]


class RsvpUseCases:
    """What members answer; mixed into ``SessionService`` (which provides ``ctx`` and ``runner``).

    Each use case is one transaction with the series row locked, so two members pressing Going
    for the last place get one place and one waitlist."""

    ctx: ServiceContext
    runner: Runner

    # -- RSVP ----------------------------------------------------------------------------------

    async def rsvp(
        self,
        guild_id: int,
        series_id: int,
        occurrence_id: int | None,
        user_id: int,
        name: str,
        answer: Rsvp,
    ) -> RsvpResult:
        """Going / Maybe / Can't (this and the next ones) or Skip (this one only). With a
        capacity, Going beyond it goes on the waitlist."""
        if answer is Rsvp.WAITLIST:
            raise ValidationError("Press Going: with no place free you go on the waitlist.")
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            await refuse_untracked(session, user_id)
            series = await series_in_guild(session, guild_id, series_id, lock=True)
            occ = await open_occurrence(session, self.runner, series, occurrence_id, now)
            row = await queries.rsvp(session, series.id, occ.id, user_id)
            before = Rsvp(row.status) if row is not None else None
            status: Rsvp = answer
            full = (
                answer is Rsvp.GOING
                and before is not Rsvp.GOING
                and series.capacity is not None
                and await self.runner.places_taken(session, series, occ, now) >= series.capacity
            )
            if full:
                offered = (
                    row is not None
                    and row.offer_expires_at is not None
                    and row.offer_expires_at > now
                )
                status = Rsvp.GOING if offered else Rsvp.WAITLIST
            if row is None:
                row = SessionRsvp(
                    series_id=series.id,
                    occurrence_id=occ.id,
                    user_id=user_id,
                    display_name=name[:100],
                    status=status.value,
                    queued_at=now,
                    updated_at=now,
                )
                session.add(row)
            else:
                if status is Rsvp.WAITLIST and before is not Rsvp.WAITLIST:
                    row.queued_at = now
                row.status, row.display_name, row.updated_at = status.value, name[:100], now
                if status is not Rsvp.WAITLIST:
                    row.offered_at, row.offer_expires_at = None, None
            if answer is not Rsvp.SKIP:
                await self._set_standing(session, series, user_id, name, answer, now)
            await session.flush()
            changed = before is not status
            if before is Rsvp.GOING and status is not Rsvp.GOING:
                await self.runner.offer_places(session, series, occ, now)
            if changed:
                await self.runner.enqueue_card(session, series, now, coalesce=True)
            position = None
            if status is Rsvp.WAITLIST:
                waiting = [
                    r.user_id
                    for r in await queries.rsvps_of(session, series.id, occ.id)
                    if r.status == Rsvp.WAITLIST
                ]
                position = waiting.index(user_id) + 1
            view = await self.runner.view(session, series, occ)
            wake = await self.runner.wake_at(session, series, occ)
        self.ctx.delivery.wake()
        self.runner.arm(series_id, wake)
        return RsvpResult(view, status, changed, position)

    async def accept(
        self, guild_id: int, series_id: int, occurrence_id: int, user_id: int, name: str
    ) -> RsvpResult:
        """Take the place a waitlist offer holds for you."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            series = await series_in_guild(session, guild_id, series_id, lock=True)
            occ = await open_occurrence(session, self.runner, series, occurrence_id, now)
            row = await queries.rsvp(session, series.id, occ.id, user_id)
            if row is not None and row.status == Rsvp.GOING:
                raise Conflict("You already have a place: you're going.")
            if row is None or row.status != Rsvp.WAITLIST or row.offered_at is None:
                raise PermissionDenied(
                    "This offer is for someone else. Press Going on the card to join the waitlist."
                )
            if row.offer_expires_at is None or row.offer_expires_at <= now:
                raise Conflict(
                    "That offer has expired and passed to the next member; you're still on the "
                    "waitlist."
                )
            row.status, row.offered_at, row.offer_expires_at = Rsvp.GOING.value, None, None
            row.updated_at = now
            await self._set_standing(session, series, user_id, name, Rsvp.GOING, now)
            await session.flush()
            await self.runner.enqueue_card(session, series, now, coalesce=True)
            view = await self.runner.view(session, series, occ)
            wake = await self.runner.wake_at(session, series, occ)
        self.ctx.delivery.wake()
        self.runner.arm(series_id, wake)
        return RsvpResult(view, Rsvp.GOING, True)

    async def _set_standing(
        self,
        session: AsyncSession,
        series: SessionSeries,
        user_id: int,
        name: str,
        answer: Rsvp,
        now: datetime,
    ) -> None:
        row = await queries.rsvp(session, series.id, None, user_id)
        if row is None:
            session.add(
                SessionRsvp(
                    series_id=series.id,
                    occurrence_id=None,
                    user_id=user_id,
                    display_name=name[:100],
                    status=answer.value,
                    queued_at=now,
                    updated_at=now,
                )
            )
        elif row.status != answer.value:
            row.status, row.updated_at = answer.value, now
            row.queued_at = now if answer is Rsvp.GOING else row.queued_at

    async def leave(self, guild_id: int, series_id: int, user_id: int) -> SeriesView:
        """Out of the series: no answer, no more pings. A place it held is offered on."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            series = await series_in_guild(session, guild_id, series_id, lock=True)
            occ = await queries.next_occurrence(session, series.id)
            held = occ is not None and await queries.rsvp(session, series.id, occ.id, user_id)
            if not await queries.forget_member(session, series.id, user_id):
                raise Conflict(f"You're not in **{escape_markdown(series.title)}**.")
            if occ is not None:
                if held:
                    await self.runner.offer_places(session, series, occ, now)
                await self.runner.enqueue_card(session, series, now, coalesce=True)
            view = await self.runner.view(session, series)
        self.ctx.delivery.wake()
        return view

    async def set_reminders(self, guild_id: int, user_id: int, on: bool) -> bool:
        """Turn the member's session reminders in this server on or off; True when it changed."""
        async with self.ctx.db.transaction() as session:
            row = await session.get(SessionReminderOptOut, (guild_id, user_id))
            if on:
                if row is None:
                    return False
                await session.delete(row)
                return True
            if row is not None:
                return False
            await refuse_untracked(session, user_id)
            session.add(
                SessionReminderOptOut(
                    guild_id=guild_id, user_id=user_id, created_at=self.ctx.clock.now()
                )
            )
            return True
