"""What a series shows: occurrence and series views, its card, and the waitlist's places and
offers; times at the configured speed. ``Runner`` inherits them."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import enqueue, hold_until
from bot.domain.schedule import describe_repeat
from bot.domain.sprint import SprintPlan
from bot.render import sessions as render
from bot.services.context import ServiceContext
from bot.services.sessions import messages, queries
from bot.services.sessions.types import Attendee, OccurrenceView, Rsvp, SeriesView
from db.models import (
    SessionOccurrence,
    SessionSeries,
)

log = logging.getLogger(__name__)


__all__ = ["CARD_COALESCE", "OFFER_MINUTES", "SeriesCards", "minutes_of"]

CARD_COALESCE = timedelta(seconds=3)  # card edits from clicks within this wait for each other
OFFER_MINUTES = 30  # a freed place is held this long for the first waiting member


def minutes_of(plan: dict[str, object]) -> int:
    try:
        return SprintPlan.from_dict(plan).total_minutes()
    except Exception:
        return 60


class SeriesCards:
    """Mixed into ``Runner`` (which provides ``ctx``)."""

    ctx: ServiceContext

    # -- time at the configured speed ----------------------------------------------------------

    def scaled(self, minutes: float) -> timedelta:
        """Real time for ``minutes`` of session time (compressed in the demo and tests)."""
        return timedelta(minutes=minutes) / self.ctx.speed

    def ends_at(self, occ: SessionOccurrence, series: SessionSeries) -> datetime:
        return occ.starts_at + self.scaled(minutes_of(occ.plan or series.plan))

    # -- views ---------------------------------------------------------------------------------

    async def occurrence_view(
        self, session: AsyncSession, series: SessionSeries, occ: SessionOccurrence
    ) -> OccurrenceView:
        rows = await queries.rsvps_of(session, series.id, occ.id)

        def of(status: Rsvp) -> tuple[Attendee, ...]:
            return tuple(
                Attendee(r.user_id, r.display_name, status, r.offer_expires_at)
                for r in rows
                if r.status == status
            )

        return OccurrenceView(
            id=occ.id,
            series_id=series.id,
            starts_at=occ.starts_at,
            ends_at=self.ends_at(occ, series),
            status=occ.status,
            title=occ.title or series.title,
            plan=dict(occ.plan or series.plan),
            voice_channel_id=occ.voice_channel_id
            if occ.voice_channel_id is not None
            else series.voice_channel_id,
            norms=occ.norms if occ.norms is not None else series.norms,
            going=of(Rsvp.GOING),
            maybe=of(Rsvp.MAYBE),
            waitlist=of(Rsvp.WAITLIST),
            cant=sum(r.status == Rsvp.CANT for r in rows),
            skipping=sum(r.status == Rsvp.SKIP for r in rows),
            sprint_id=occ.sprint_id,
            edited=any(
                v is not None for v in (occ.title, occ.plan, occ.voice_channel_id, occ.norms)
            )
            or occ.starts_at != occ.scheduled_at,
        )

    async def view(
        self,
        session: AsyncSession,
        series: SessionSeries,
        occ: SessionOccurrence | None = None,
    ) -> SeriesView:
        if occ is None and series.cancelled_at is None:
            occ = await queries.next_occurrence(session, series.id)
        zone = ZoneInfo(series.zone)
        rows = await queries.occurrences_of(session, series.id)
        exdates = tuple(
            r.scheduled_at.astimezone(zone).replace(tzinfo=None)
            for r in rows
            if r.status in ("skipped", "cancelled")
        )
        ended = [r for r in rows if r.ended_at is not None]
        last = max(ended, key=lambda r: r.starts_at) if ended else None
        came = await queries.attendance_of(session, last.id) if last is not None else []
        await queries.card_message_id(session, series, messages.card_ref(series.id))
        return SeriesView(
            id=series.id,
            guild_id=series.guild_id,
            channel_id=series.channel_id,
            voice_channel_id=series.voice_channel_id,
            creator_id=series.creator_id,
            title=series.title,
            zone=series.zone,
            first_local=series.first_local,
            rrule=series.rrule,
            repeat_text=describe_repeat(series.rrule),
            plan=dict(series.plan),
            minutes=minutes_of(series.plan),
            capacity=series.capacity,
            role_id=series.role_id,
            norms=series.norms,
            reminders=tuple(int(m) for m in series.reminders),
            cancelled=series.cancelled_at is not None,
            card_message_id=series.card_message_id,
            next=None if occ is None else await self.occurrence_view(session, series, occ),
            exdates=exdates,
            last_at=last.starts_at if last is not None else None,
            last_showed=tuple(a.user_id for a in came if a.showed_up),
            last_missed=tuple(a.user_id for a in came if not a.showed_up and a.said == "going"),
        )

    # -- the card ------------------------------------------------------------------------------

    async def enqueue_card(
        self, session: AsyncSession, series: SessionSeries, now: datetime, *, coalesce: bool
    ) -> None:
        """Bring the card up to date. ``coalesce`` (RSVP clicks): wait a few seconds so a burst
        of clicks is one edit; an edit already waiting keeps its time (no edit is put off
        forever by a steady stream of clicks)."""
        view = await self.view(session, series)
        out = messages.card_edit(
            series.guild_id,
            series.channel_id,
            series.id,
            series.card_message_id,
            render.card_payload(view),
        )
        if not coalesce:
            await enqueue(session, out)
            return
        waiting = await queries.pending_edit_hold(session, messages.card_ref(series.id))
        hold_until(
            session, waiting if waiting is not None and waiting > now else now + CARD_COALESCE
        )
        try:
            await enqueue(session, out)
        finally:
            hold_until(session, None)

    # -- the waitlist --------------------------------------------------------------------------

    async def places_taken(
        self, session: AsyncSession, series: SessionSeries, occ: SessionOccurrence, now: datetime
    ) -> int:
        rows = await queries.rsvps_of(session, series.id, occ.id)
        return sum(
            r.status == Rsvp.GOING
            or (
                r.status == Rsvp.WAITLIST
                and r.offer_expires_at is not None
                and r.offer_expires_at > now
            )
            for r in rows
        )

    async def offer_places(
        self, session: AsyncSession, series: SessionSeries, occ: SessionOccurrence, now: datetime
    ) -> list[int]:
        """Offer every free place to the first waiting members (expired offers pass on: that
        member goes to the back of the waitlist). Returns who was offered one."""
        if series.capacity is None or occ.status != "upcoming" or occ.starts_at <= now:
            return []
        rows = await queries.rsvps_of(session, series.id, occ.id)
        for r in rows:
            expired = r.offer_expires_at is not None and r.offer_expires_at <= now
            if r.status == Rsvp.WAITLIST and expired:
                r.offer_expires_at, r.queued_at = None, now  # offered_at: when it was offered
        await session.flush()
        free = series.capacity - await self.places_taken(session, series, occ, now)
        offered: list[int] = []
        if free <= 0:
            return offered
        waiting = sorted(
            (r for r in rows if r.status == Rsvp.WAITLIST and r.offer_expires_at is None),
            key=lambda r: (r.queued_at, r.id),
        )
        view = None
        for r in waiting[:free]:
            expires = min(now + self.scaled(OFFER_MINUTES), occ.starts_at)
            r.offered_at, r.offer_expires_at = now, expires
            if view is None:
                view = await self.occurrence_view(session, series, occ)
            await enqueue(
                session,
                messages.line(
                    series.guild_id,
                    series.channel_id,
                    series.id,
                    render.offer_payload(series.id, view, r.user_id, expires),
                ),
            )
            offered.append(r.user_id)
        await session.flush()
        return offered
