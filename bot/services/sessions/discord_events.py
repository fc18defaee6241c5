"""A standing session's next occurrence as a native Discord Guild Scheduled Event.

Listens to the sessions service (:class:`~bot.services.events.OccurrenceListener`) and, in the
same transaction as each change, writes outbox rows (``event_create`` / ``event_edit``, see
:mod:`bot.delivery.outbox`): the next occurrence gets an event on its voice channel (VOICE) or,
without one, an EXTERNAL event whose location is a link to the text channel; it is updated when
edited, started when the sprint starts, completed when it ends and cancelled when skipped,
missed or cancelled. The event's id comes back on the delivered ``event_create`` row (its
``ref`` is :func:`event_ref`), so nothing here waits for Discord.

Per series (``event_enabled``): on by default. Whether the bot may manage events is asked of an
:class:`EventAccess` the adapter layer provides (it reads the bot's permissions from Discord's
cache); without the permission the series works without an event and its creator is told once,
in the series' channel, which permission would add it.

Members who click "Interested" on the event count as Maybe for that occurrence (and un-clicking
takes a Maybe back); an existing Going, waitlist place or Maybe is never changed by it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Outgoing, Priority, enqueue
from bot.domain.errors import PermissionDenied, UserError
from bot.domain.schedule import describe_repeat
from bot.services.actor import Actor
from bot.services.context import ServiceContext
from bot.services.privacy.gate import is_untracked
from bot.services.sessions import queries
from bot.services.sessions.runner import Runner
from bot.services.sessions.types import Rsvp
from db.models import OutboxMessage, SessionOccurrence, SessionRsvp, SessionSeries

__all__ = ["EventAccess", "SessionEvents", "event_ref"]

PERMISSION_SENTENCE = (
    "I need the **Manage Events** permission (or Create Events, and Connect in the voice "
    "channel) to show it as a Discord event"
)
_OPEN = ("upcoming", "started")  # occurrences that may have a live event


def event_ref(occurrence_id: int) -> str:
    """The outbox ref of the ``event_create`` row of an occurrence's Discord event."""
    return f"session_event:{occurrence_id}"


class EventAccess(Protocol):
    def can_manage_events(self, guild_id: int, voice_channel_id: int | None) -> bool | None:
        """Whether the bot may create and edit its scheduled events there (None: unknown)."""
        ...


class SessionEvents:
    """The sessions service's Discord-events listener (wired once in ``bot.services``)."""

    def __init__(self, ctx: ServiceContext, runner: Runner) -> None:
        self.ctx = ctx
        self.runner = runner
        self.access: EventAccess | None = None  # set by the adapter that can read permissions

    # -- following the occurrences -------------------------------------------------------------

    async def occurrence_changed(
        self, session: AsyncSession, occurrence_id: int, what: str
    ) -> None:
        occ = await session.get(SessionOccurrence, occurrence_id)
        if occ is None:
            return
        series = await session.get(SessionSeries, occ.series_id)
        if series is None or not series.event_enabled:
            return
        exists = await _event_row(session, occ.id) is not None
        if what == "created" or (what == "edited" and not exists):
            if occ.status == "upcoming":
                await self._create(session, series, occ)
        elif what == "edited" and occ.status == "upcoming":
            await self._edit(session, series, occ, self._body(series, occ))
        elif what == "started" and exists:
            await self._edit(session, series, occ, {"status": 2})
        elif what == "ended" and exists:
            await self._edit(session, series, occ, {"status": 3})
        elif what in ("skipped", "cancelled", "missed") and exists:
            await self._edit(session, series, occ, {"status": 4})

    async def _create(
        self, session: AsyncSession, series: SessionSeries, occ: SessionOccurrence
    ) -> None:
        voice = occ.voice_channel_id or series.voice_channel_id
        allowed = self.access.can_manage_events(series.guild_id, voice) if self.access else None
        if allowed is False:
            series.event_enabled = False
            await enqueue(session, _notice(series))
            return
        await enqueue(
            session,
            Outgoing(
                "event_create",
                {"guild_id": series.guild_id, "event": self._body(series, occ, create=True)},
                channel_id=series.channel_id,
                guild_id=series.guild_id,
                ref=event_ref(occ.id),
                priority=Priority.COSMETIC,
                topic=f"session:{series.id}",
            ),
        )

    async def _edit(
        self,
        session: AsyncSession,
        series: SessionSeries,
        occ: SessionOccurrence,
        event: dict[str, Any],
    ) -> None:
        await enqueue(
            session,
            Outgoing(
                "event_edit",
                {"guild_id": series.guild_id, "event": event},
                channel_id=series.channel_id,
                guild_id=series.guild_id,
                target_ref=event_ref(occ.id),
                priority=Priority.COSMETIC,
                topic=f"session:{series.id}",
            ),
        )

    def _body(
        self, series: SessionSeries, occ: SessionOccurrence, *, create: bool = False
    ) -> dict[str, Any]:
        """Discord's body for the occurrence: VOICE on its voice channel, else EXTERNAL."""
        title = occ.title or series.title
        ends = self.runner.ends_at(occ, series)
        link = f"https://discord.com/channels/{series.guild_id}/{series.channel_id}"
        body: dict[str, Any] = {
            "name": title[:100],
            "description": (
                f"Sprintbot coworking session ({describe_repeat(series.rrule)}). "
                f"RSVP on its card: {link} (Interested here counts as Maybe)."
            )[:1000],
            "scheduled_start_time": _iso(occ.starts_at),
            "scheduled_end_time": _iso(ends),
        }
        voice = occ.voice_channel_id or series.voice_channel_id
        if voice is not None:
            body |= {"entity_type": 2, "channel_id": str(voice), "entity_metadata": None}
        else:
            body |= {"entity_type": 3, "channel_id": None, "entity_metadata": {"location": link}}
        if create:
            body["privacy_level"] = 2
        return body

    # -- "Interested" ---------------------------------------------------------------------------

    async def interested(
        self, guild_id: int, event_id: int, user_id: int, name: str, on: bool
    ) -> bool:
        """A member clicked (``on``) or un-clicked "Interested" on a Discord event. True if their
        answer for that occurrence changed; events that are not a session's are ignored."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            if await is_untracked(session, user_id):
                return False  # asked not to be tracked: an event click stores nothing
            found = await _occurrence_of_event(session, guild_id, event_id)
            if found is None:
                return False
            series, occ = found
            row = await queries.rsvp(session, series.id, occ.id, user_id)
            if on:
                if row is not None and row.status in (Rsvp.GOING, Rsvp.WAITLIST, Rsvp.MAYBE):
                    return False
                if row is None:
                    row = SessionRsvp(
                        series_id=series.id,
                        occurrence_id=occ.id,
                        user_id=user_id,
                        display_name=name[:100],
                        status=Rsvp.MAYBE.value,
                        queued_at=now,
                        updated_at=now,
                    )
                    session.add(row)
                else:
                    row.status, row.updated_at = Rsvp.MAYBE.value, now
            else:
                if row is None or row.status != Rsvp.MAYBE:
                    return False
                await session.delete(row)
            await session.flush()
            await self.runner.enqueue_card(session, series, now, coalesce=True)
        self.ctx.delivery.wake()
        return True

    # -- the per-series toggle ------------------------------------------------------------------

    async def set_enabled(self, actor: Actor, series_id: int, on: bool) -> str:
        """Turn a series' Discord event on or off; the sentence to show the member."""
        async with self.ctx.db.transaction() as session:
            series = await queries.locked_series(session, series_id)
            if series is None or series.guild_id != actor.guild_id:
                raise UserError(f"There is no session series #{series_id} in this server.")
            if actor.user_id != series.creator_id and not actor.manage_guild:
                raise PermissionDenied(
                    "Only the series' creator or a member with Manage Server can change that."
                )
            occ = await queries.next_occurrence(session, series.id)
            exists = occ is not None and await _event_row(session, occ.id) is not None
            if on:
                voice = occ.voice_channel_id if occ and occ.voice_channel_id else None
                voice = voice or series.voice_channel_id
                allowed = (
                    self.access.can_manage_events(series.guild_id, voice) if self.access else None
                )
                if allowed is False:
                    raise PermissionDenied(f"{PERMISSION_SENTENCE}: grant it, then try again.")
                was = series.event_enabled
                series.event_enabled = True
                if occ is not None and not exists:
                    await self._create(session, series, occ)
                answer = "already shown" if was and exists else "now shown"
                return f"📅 **{series.title}**: its next session is {answer} as a Discord event."
            series.event_enabled = False
            if occ is not None and exists:
                await self._edit(session, series, occ, {"status": 4})
            return f"📅 **{series.title}** is no longer shown as a Discord event."


def _iso(when: datetime) -> str:
    return when.isoformat()


def _notice(series: SessionSeries) -> Outgoing:
    text = (
        f"<@{series.creator_id}> **{series.title}** is scheduled, but not as a Discord event: "
        f"{PERMISSION_SENTENCE}. Grant it, then turn it on with `/session events`."
    )
    return Outgoing(
        "send",
        {"content": text, "allowed_mentions": {"users": [str(series.creator_id)]}},
        channel_id=series.channel_id,
        guild_id=series.guild_id,
        priority=Priority.NOTICE,
        topic=f"session:{series.id}",
    )


async def _event_row(session: AsyncSession, occurrence_id: int) -> OutboxMessage | None:
    """The occurrence's ``event_create`` row (pending or delivered), by its indexed ref."""
    return (
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.ref == event_ref(occurrence_id),
                OutboxMessage.kind == "event_create",
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
    ).first()


async def _occurrence_of_event(
    session: AsyncSession, guild_id: int, event_id: int
) -> tuple[SessionSeries, SessionOccurrence] | None:
    """The open occurrence whose delivered event is ``event_id`` (None: not a session's)."""
    candidates: dict[str, tuple[SessionSeries, SessionOccurrence]] = {}
    for series in await queries.series_of_guild(session, guild_id):
        if series.cancelled_at is not None or not series.event_enabled:
            continue
        for occ in await queries.occurrences_of(session, series.id):
            if occ.status in _OPEN:
                candidates[event_ref(occ.id)] = (series, occ)
    if not candidates:
        return None
    rows = await session.execute(
        select(OutboxMessage.ref).where(
            OutboxMessage.ref.in_(list(candidates)),
            OutboxMessage.kind == "event_create",
            OutboxMessage.result_id == event_id,
        )
    )
    ref = rows.scalars().first()
    if ref is None:
        return None
    series, occ = candidates[ref]
    series.event_id = event_id
    return series, occ
