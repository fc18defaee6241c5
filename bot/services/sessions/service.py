"""Standing sessions: schedule a session or a series, RSVP, the waitlist, reminders opt-out,
edit/skip/cancel, calendars, and attendance when an occurrence's sprint ends.

Each use case is one transaction with the series row locked (``with_for_update``; SQLite
serialises with ``BEGIN IMMEDIATE``), so two members pressing Going for the last place get one
place and one waitlist. The occurrence machinery and the timer are in :mod:`.runner`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import enqueue
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.schedule import ScheduleError, parse_repeat, parse_when, rrule_text
from bot.domain.text import clean_note, clean_title, escape_markdown
from bot.domain.timezones import validate_zone
from bot.render import sessions as render
from bot.render.session_calendar import series_ics
from bot.services.actor import Actor
from bot.services.context import ServiceContext
from bot.services.events import OccurrenceListener, SprintEnded
from bot.services.privacy.gate import refuse_untracked
from bot.services.sessions import messages, queries
from bot.services.sessions.runner import Runner, minutes_of
from bot.services.sessions.types import (
    Calendar,
    EditRequest,
    Rsvp,
    RsvpResult,
    ScheduleRequest,
    SeriesView,
)
from bot.services.sprints import SprintService
from bot.services.sprints.settings import defaults_of, plan_for
from bot.services.sprints.types import StartRequest
from bot.services.timezones import guild_zone, member_zone
from db.models import SessionOccurrence, SessionReminderOptOut, SessionRsvp, SessionSeries
from db.repositories import guild_settings

__all__ = ["DEFAULT_REMINDERS", "MAX_CAPACITY", "MAX_REMINDERS", "SessionService"]

MAX_CAPACITY = 99
MAX_REMINDERS = 3
MAX_REMINDER_MINUTES = 7 * 24 * 60
DEFAULT_REMINDERS = (15,)
NORMS_MAX = 500
_RELATIVE = re.compile(r"in\s+(\d{1,4})\s*(m|min|mins|minutes?|h|hours?)", re.IGNORECASE)


class SessionService:
    def __init__(self, ctx: ServiceContext, sprints: SprintService) -> None:
        self.ctx = ctx
        self.sprints = sprints
        self.runner = Runner(ctx, sprints)

    def add_listener(self, listener: OccurrenceListener) -> None:
        """Tell ``listener`` about every occurrence change (wired once by ``Services``)."""
        self.runner.listeners.append(listener)

    # -- schedule ------------------------------------------------------------------------------

    async def schedule(self, req: ScheduleRequest) -> SeriesView:
        title = clean_title(req.title)
        if not req.can_post:
            raise PermissionDenied(
                f"I can't post in <#{req.channel_id}>: I need View Channel, Send Messages and "
                "Embed Links there. Grant them to my role, or pick another channel."
            )
        if req.role_id is not None and not req.role_mentionable:
            raise PermissionDenied(
                f"I can't mention <@&{req.role_id}>: make the role mentionable or give me "
                "Mention @everyone, @here and All Roles, or leave the role out."
            )
        capacity = _capacity(req.capacity)
        reminders = _reminders(req.reminders)
        norms = _norms(req.norms)
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            await refuse_untracked(session, req.creator_id)  # issue 16: don't track me
            zone = await self._zone(session, req.guild_id, req.creator_id, req.zone)
            first = self._when(req.when, zone, now)
            # parse_when gives the typed wall clock in ``zone`` (a time typed inside a DST gap
            # stays as typed; occurrences() shifts it the same way every time).
            first_local = (first if first.tzinfo is zone else first.astimezone(zone)).replace(
                tzinfo=None
            )
            try:
                repeat = parse_repeat(req.repeat or "none", until=req.until, count=req.count)
                rule = rrule_text(first_local, repeat)
            except ScheduleError as err:
                raise ValidationError(str(err)) from None
            plan = await self._plan(session, req.guild_id, req)
            series = SessionSeries(
                guild_id=req.guild_id,
                channel_id=req.channel_id,
                voice_channel_id=req.voice_channel_id,
                creator_id=req.creator_id,
                title=title,
                first_local=first_local,
                zone=zone.key,
                rrule=rule,
                plan=plan,
                minutes=minutes_of(plan),
                capacity=capacity,
                role_id=req.role_id,
                norms=norms,
                reminders=list(reminders),
                event_enabled=True,
                created_at=now,
            )
            session.add(series)
            await session.flush()
            # The one who schedules it is going (they can say otherwise on the card).
            session.add(
                SessionRsvp(
                    series_id=series.id,
                    occurrence_id=None,
                    user_id=req.creator_id,
                    display_name=req.creator_name[:100],
                    status=Rsvp.GOING.value,
                    queued_at=now,
                    updated_at=now,
                )
            )
            await session.flush()
            occ = await self.runner.ensure_next(session, series, now)
            if occ is None:
                raise ValidationError(
                    "That repeat has no session after now: check the date, until and count."
                )
            view = await self.runner.view(session, series, occ)
            await enqueue(
                session,
                messages.card_send(
                    series.guild_id,
                    series.channel_id,
                    series.id,
                    render.card_payload(view, invite_role=True),
                ),
            )
            wake = await self.runner.wake_at(session, series, occ)
        self.ctx.delivery.wake()
        self.runner.arm(view.id, wake)
        return view

    def _when(self, text: str, zone: ZoneInfo, now: datetime) -> datetime:
        found = _RELATIVE.fullmatch(text.strip())
        if found is not None:  # "in 30 min": handy for a session right now (and the demo)
            amount, unit = int(found[1]), found[2].lower()
            delta = timedelta(hours=amount) if unit.startswith("h") else timedelta(minutes=amount)
            if not timedelta(minutes=1) <= delta <= timedelta(days=60):
                raise ValidationError("“in …” takes 1 minute to 60 days.")
            if self.ctx.speed != 1:  # session time runs at the configured speed (the demo)
                return (now + delta / self.ctx.speed).astimezone(zone)
            when = (now + delta).astimezone(zone)
            return when.replace(second=0, microsecond=0) + timedelta(minutes=1)
        try:
            return parse_when(text, zone, now)
        except ScheduleError as err:
            raise ValidationError(str(err)) from None

    async def _zone(
        self, session: AsyncSession, guild_id: int, user_id: int, name: str | None
    ) -> ZoneInfo:
        """The zone times are typed in: the one asked for, else the creator's, else the server's."""
        if name:
            return validate_zone(name)
        return await member_zone(session, user_id) or await guild_zone(session, guild_id)

    async def _plan(
        self, session: AsyncSession, guild_id: int, req: ScheduleRequest | EditRequest
    ) -> dict[str, object]:
        defaults = defaults_of(await guild_settings(session, guild_id), self.ctx.settings.sprint)
        start = StartRequest(
            guild_id=guild_id,
            channel_id=0,
            host_id=0,
            host_name="",
            preset=req.preset,
            work=req.work,
            brk=req.brk,
            rounds=req.rounds,
            intro=req.intro,
        )
        plan = plan_for(start, defaults)
        plan.validate(self.sprints.bounds())
        return {**plan.to_dict(), "preset": req.preset}

    # -- reading -------------------------------------------------------------------------------

    async def upcoming(self, guild_id: int) -> list[SeriesView]:
        """The server's live series, soonest next occurrence first."""
        async with self.ctx.db.transaction() as session:
            views = [
                await self.runner.view(session, s)
                for s in await queries.series_of_guild(session, guild_id)
            ]
        far = datetime.max.replace(tzinfo=self.ctx.clock.now().tzinfo)
        return sorted(views, key=lambda v: v.next.starts_at if v.next else far)

    async def show(self, guild_id: int, series_id: int) -> SeriesView:
        async with self.ctx.db.transaction() as session:
            return await self.runner.view(session, await self._series(session, guild_id, series_id))

    async def choices(self, guild_id: int, current: str) -> list[tuple[str, int]]:
        """Autocomplete: (label, series id) of the server's live series matching ``current``."""
        word = current.strip().lower()
        async with self.ctx.db.transaction() as session:
            found = [
                (f"{s.title} (#{s.id})"[:100], s.id)
                for s in await queries.series_of_guild(session, guild_id)
                if word in s.title.lower() or word == str(s.id)
            ]
        return found[:25]

    async def calendar(self, guild_id: int, series_id: int) -> Calendar:
        async with self.ctx.db.transaction() as session:
            series = await self._series(session, guild_id, series_id)
            view = await self.runner.view(session, series)
        ics = series_ics(
            uid=f"sprintbot-session-{series.id}-{series.guild_id}@sprintbot",
            title=series.title,
            description=f"Coworking session: {render.plan_text(series.plan)}",
            first_local=series.first_local,
            zone=series.zone,
            minutes=series.minutes,
            rrule=series.rrule,
            exdates=list(view.exdates),
            url=view.card_url(),
            now=self.ctx.clock.now(),
        )
        slug = re.sub(r"[^A-Za-z0-9]+", "-", series.title).strip("-").lower() or "session"
        return Calendar(f"{slug[:40]}.ics", ics, render.google_link(view))

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
            series = await self._series(session, guild_id, series_id, lock=True)
            occ = await self._open_occurrence(session, series, occurrence_id, now)
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
            series = await self._series(session, guild_id, series_id, lock=True)
            occ = await self._open_occurrence(session, series, occurrence_id, now)
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
            series = await self._series(session, guild_id, series_id, lock=True)
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

    # -- managing ------------------------------------------------------------------------------

    async def edit(self, actor: Actor, series_id: int, change: EditRequest) -> SeriesView:
        """Change the next occurrence only, or the series from the next occurrence on."""
        capacity = _capacity(change.capacity) if change.capacity is not None else None
        reminders = _reminders(change.reminders) if change.reminders is not None else None
        norms = _norms(change.norms) if change.norms is not None else None
        title = clean_title(change.title) if change.title is not None else None
        if not change.future and (capacity is not None or reminders is not None):
            raise ValidationError(
                "Capacity and reminders belong to the whole series: edit with "
                "`scope: this and all future`."
            )
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            series = await self._series(session, actor.guild_id, series_id, lock=True)
            self._may_manage(series, actor, "edit")
            if series.cancelled_at is not None:
                raise Conflict("This series is cancelled; schedule a new one.")
            occ = await self.runner.ensure_next(session, series, now)
            if occ is None:
                raise Conflict("This series has no more sessions to edit.")
            zone = ZoneInfo(series.zone)
            when = self._when(change.when, zone, now) if change.when is not None else None
            has_plan = any(
                v is not None
                for v in (change.preset, change.work, change.brk, change.rounds, change.intro)
            )
            plan = await self._plan(session, series.guild_id, change) if has_plan else None
            voice = None if change.clear_voice else change.voice_channel_id
            if change.future:
                if title is not None:
                    series.title = title
                if plan is not None:
                    series.plan, series.minutes = plan, minutes_of(plan)
                if change.clear_voice or voice is not None:
                    series.voice_channel_id = voice
                if norms is not None:
                    series.norms = norms or None
                if capacity is not None:
                    series.capacity = capacity
                if reminders is not None:
                    series.reminders = list(reminders)
                if when is not None:
                    series.first_local = when.astimezone(zone).replace(tzinfo=None)
                    series.rrule = _same_rule_on(series.rrule, series.first_local.weekday())
                    occ.scheduled_at = occ.starts_at = when.astimezone(ZoneInfo("UTC"))
                    occ.reminded = []
                occ.title = occ.plan = occ.voice_channel_id = occ.norms = None
            else:
                if title is not None:
                    occ.title = title
                if plan is not None:
                    occ.plan = plan
                if voice is not None:
                    occ.voice_channel_id = voice
                if norms is not None:
                    occ.norms = norms
                if when is not None:
                    occ.starts_at = when
                    occ.reminded = []
            await session.flush()
            await self.runner.offer_places(session, series, occ, now)
            await self.runner.changed(session, occ.id, "edited")
            await self.runner.enqueue_card(session, series, now, coalesce=False)
            view = await self.runner.view(session, series, occ)
            wake = await self.runner.wake_at(session, series, occ)
        self.ctx.delivery.wake()
        self.runner.arm(series_id, wake)
        return view

    async def skip(self, actor: Actor, series_id: int) -> tuple[datetime, SeriesView]:
        """Skip the next occurrence (nobody is reminded, no sprint); the series carries on."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            series = await self._series(session, actor.guild_id, series_id, lock=True)
            self._may_manage(series, actor, "skip a session of")
            occ = await self.runner.ensure_next(session, series, now)
            if occ is None:
                raise Conflict("This series has no more sessions to skip.")
            occ.status = "skipped"
            skipped = occ.starts_at
            await session.flush()
            await self.runner.changed(session, occ.id, "skipped")
            nxt = await self.runner.ensure_next(session, series, now)
            await self.runner.enqueue_card(session, series, now, coalesce=False)
            view = await self.runner.view(session, series, nxt)
            wake = await self.runner.wake_at(session, series, nxt)
        self.ctx.delivery.wake()
        self.runner.arm(series_id, wake)
        return skipped, view

    async def cancel(self, actor: Actor, series_id: int) -> SeriesView:
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            series = await self._series(session, actor.guild_id, series_id, lock=True)
            self._may_manage(series, actor, "cancel")
            if series.cancelled_at is not None:
                raise Conflict("This series is already cancelled.")
            await self._cancel(session, series, now)
            view = await self.runner.view(session, series)
        self.ctx.delivery.wake()
        self.runner.arm(series_id, None)
        return view

    async def _cancel(self, session: AsyncSession, series: SessionSeries, now: datetime) -> None:
        series.cancelled_at = now
        for occ in await queries.occurrences_of(session, series.id):
            if occ.status == "upcoming":
                occ.status = "cancelled"
                await self.runner.changed(session, occ.id, "cancelled")
        await session.flush()
        await self.runner.enqueue_card(session, series, now, coalesce=False)

    # -- Discord events ------------------------------------------------------------------------

    async def channel_deleted(self, guild_id: int, channel_id: int) -> list[int]:
        """A deleted text channel cancels its series; a deleted voice channel is dropped (the
        next start runs without it and says so). Returns the series changed."""
        now = self.ctx.clock.now()
        changed: list[int] = []
        cancelled: list[int] = []
        async with self.ctx.db.transaction() as session:
            for series in await queries.series_of_guild(session, guild_id):
                if series.channel_id == channel_id:
                    cancelled.append(series.id)
                    series.cancelled_at = now
                    for occ in await queries.occurrences_of(session, series.id):
                        if occ.status == "upcoming":
                            occ.status = "cancelled"
                    changed.append(series.id)
                else:
                    nxt = await queries.next_occurrence(session, series.id)
                    hit = series.voice_channel_id == channel_id
                    if nxt is not None and nxt.voice_channel_id == channel_id:
                        nxt.voice_channel_id, hit = None, True
                    if not hit:
                        continue
                    if series.voice_channel_id == channel_id:
                        series.voice_channel_id = None
                    if nxt is not None and nxt.note is None:
                        nxt.note = f"voice_gone:{channel_id}"
                    await session.flush()
                    await self.runner.enqueue_card(session, series, now, coalesce=False)
                    changed.append(series.id)
        for series_id in cancelled:
            self.runner.arm(series_id, None)
        return changed

    # -- the sprint ended (SprintEndListener) ---------------------------------------------------

    async def sprint_ended(self, session: AsyncSession, event: SprintEnded) -> None:
        occ = await queries.occurrence_of_sprint(session, event.sprint_id)
        if occ is None or occ.ended_at is not None:
            return
        series = await session.get(SessionSeries, occ.series_id)
        if series is None:
            return
        occ.ended_at = event.at
        showed, missing = await self.runner.record_attendance(session, occ, event.at)
        await self.runner.changed(session, occ.id, "ended")
        nxt = await queries.next_occurrence(session, series.id)
        view = await self.runner.view(session, series, nxt)
        if event.reason == "channel":
            return
        await enqueue(
            session,
            messages.line(
                series.guild_id,
                event.channel_id,
                series.id,
                {
                    "content": render.attendance_text(
                        occ.title or series.title,
                        series.id,
                        showed,
                        missing,
                        nxt.starts_at if nxt is not None else None,
                        view.card_url(),
                    ),
                    "allowed_mentions": {"parse": []},
                },
                sprint_id=event.sprint_id,
            ),
        )

    # -- the timer -----------------------------------------------------------------------------

    async def restore(self) -> None:
        await self.runner.restore()

    async def aclose(self) -> None:
        await self.runner.aclose()

    async def run_due(self, series_id: int) -> list[str]:
        return await self.runner.run_due(series_id)

    # -- lookups -------------------------------------------------------------------------------

    async def _series(
        self, session: AsyncSession, guild_id: int, series_id: int, *, lock: bool = False
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

    async def _open_occurrence(
        self,
        session: AsyncSession,
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
            else await self.runner.ensure_next(session, series, now)
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

    @staticmethod
    def _may_manage(series: SessionSeries, actor: Actor, what: str) -> None:
        if actor.user_id != series.creator_id and not actor.manage_guild:
            raise PermissionDenied(
                f"Only the one who scheduled it (<@{series.creator_id}>) or members with the "
                f"Manage Server permission can {what} this series. Anyone can RSVP."
            )


_RR_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _same_rule_on(rule: str | None, weekday: int) -> str | None:
    """A weekly rule on one day moved with its first start to ``weekday``."""
    if rule is None:
        return None
    found = re.search(r"BYDAY=([A-Z]{2})(?=;|$)", rule)
    if found is None:
        return rule
    return rule[: found.start(1)] + _RR_DAYS[weekday] + rule[found.end(1) :]


def _capacity(value: int | None) -> int | None:
    if value is None:
        return None
    if not 1 <= value <= MAX_CAPACITY:
        raise ValidationError(
            f"A capacity of {value} won't work: give 1 to {MAX_CAPACITY} places, or leave it "
            "out for no limit."
        )
    return value


def _reminders(text: str | None) -> tuple[int, ...]:
    """``"15"``, ``"1d, 1h, 15m"``, ``"none"``: up to three reminders, in minutes before."""
    if text is None:
        return DEFAULT_REMINDERS
    t = text.strip().lower()
    if t in ("", "none", "off", "0 reminders"):
        return ()
    out: list[int] = []
    for part in re.split(r"[,\s]+", t):
        if not part:
            continue
        found = re.fullmatch(r"(\d{1,5})\s*(m|min|h|d)?", part)
        if found is None:
            raise ValidationError(
                f"I can't read the reminder “{part}”: give minutes before, like `15` or "
                "`1d, 1h, 15m` (up to three), or `none`."
            )
        unit = {"h": 60, "d": 1440}.get(found[2] or "m", 1)
        out.append(int(found[1]) * unit)
    out = sorted(set(out), reverse=True)
    if len(out) > MAX_REMINDERS:
        raise ValidationError(f"Up to {MAX_REMINDERS} reminders a series (you gave {len(out)}).")
    if any(m > MAX_REMINDER_MINUTES for m in out):
        raise ValidationError("A reminder goes at most 7 days before the session.")
    return tuple(out)


def _norms(text: str | None) -> str | None:
    if text is None:
        return None
    if not text.strip():
        return ""
    try:
        return clean_note(text, NORMS_MAX)
    except ValidationError:
        raise ValidationError(
            f"Norms can be at most {NORMS_MAX} characters (yours: {len(text.strip())}): a few "
            "short lines, like “cameras optional, mute during work”."
        ) from None
