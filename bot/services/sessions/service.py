"""Standing sessions: schedule a session or a series, list and show them, edit/skip/cancel,
calendars. Members' answers (RSVP, waitlist, reminders) are in :mod:`.rsvp`; channels and members
going away, signs of life and attendance at the sprint's end in :mod:`.signals`.

Each use case is one transaction with the series row locked (``with_for_update``; SQLite
serialises with ``BEGIN IMMEDIATE``), so two members pressing Going for the last place get one
place and one waitlist. The occurrence machinery and the timer are in :mod:`.runner`.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import enqueue
from bot.domain.errors import Conflict, PermissionDenied, ValidationError
from bot.domain.schedule import ScheduleError, moved_rule, parse_repeat, rrule_text, wall_to_utc
from bot.domain.text import clean_note, clean_title
from bot.domain.timezones import validate_zone
from bot.render import sessions as render
from bot.render.session_calendar import series_ics
from bot.services.actor import Actor
from bot.services.context import ServiceContext
from bot.services.events import OccurrenceListener
from bot.services.privacy.gate import refuse_untracked
from bot.services.sessions import messages, queries
from bot.services.sessions.cards import minutes_of
from bot.services.sessions.lookups import series_in_guild
from bot.services.sessions.rsvp import RsvpUseCases
from bot.services.sessions.runner import Runner
from bot.services.sessions.signals import SignalUseCases
from bot.services.sessions.typed import typed_instant, typed_start
from bot.services.sessions.types import (
    Calendar,
    EditRequest,
    Rsvp,
    Scheduled,
    ScheduleRequest,
    SeriesView,
)
from bot.services.sprints import SprintService
from bot.services.sprints.settings import defaults_of, plan_for
from bot.services.sprints.types import StartRequest
from bot.services.timezones import guild_zone, member_zone
from db.models import (
    SessionRsvp,
    SessionSeries,
)
from db.repositories import guild_settings

__all__ = ["DEFAULT_REMINDERS", "MAX_CAPACITY", "MAX_REMINDERS", "SessionService"]

MAX_CAPACITY = 99
MAX_REMINDERS = 3
MAX_REMINDER_MINUTES = 7 * 24 * 60
DEFAULT_REMINDERS = (15,)
NORMS_MAX = 500


class SessionService(RsvpUseCases, SignalUseCases):
    def __init__(self, ctx: ServiceContext, sprints: SprintService) -> None:
        self.ctx = ctx
        self.sprints = sprints
        self.runner = Runner(ctx, sprints)

    def add_listener(self, listener: OccurrenceListener) -> None:
        """Tell ``listener`` about every occurrence change (wired once by ``Services``)."""
        self.runner.listeners.append(listener)

    # -- schedule ------------------------------------------------------------------------------

    async def schedule(self, req: ScheduleRequest) -> SeriesView:
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            await refuse_untracked(session, req.creator_id)  # issue 16: don't track me
            done = await self.schedule_in(session, req, now)
        self.after_schedule(done)
        return done.view

    def after_schedule(self, done: Scheduled) -> None:
        """After the transaction of :meth:`schedule_in` committed: send the card, arm the timer."""
        self.ctx.delivery.wake()
        self.runner.arm(done.view.id, done.wake)

    async def schedule_in(
        self, session: AsyncSession, req: ScheduleRequest, now: datetime
    ) -> Scheduled:
        """Schedule inside the caller's transaction (a slot offer confirms and schedules in one);
        the caller calls :meth:`after_schedule` once it committed. ``req.at`` (an instant) is
        used as given instead of parsing ``req.when``; ``req.going`` are Going with the creator.
        """
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
        zone = await self._zone(session, req.guild_id, req.creator_id, req.zone)
        first = req.at.astimezone(zone) if req.at is not None else self._when(req.when, zone, now)
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
        plan = (
            dict(req.plan) if req.plan is not None else await self._plan(session, req.guild_id, req)
        )
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
        # The one who schedules it is going (they can say otherwise on the card), and so are
        # the members a confirmed offer brings (the standing answers roll into the occurrence).
        going = [(req.creator_id, req.creator_name)]
        going += [(u, n) for u, n in req.going if u != req.creator_id]
        for user_id, name in dict(going).items():
            session.add(
                SessionRsvp(
                    series_id=series.id,
                    occurrence_id=None,
                    user_id=user_id,
                    display_name=name[:100],
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
        return Scheduled(view, await self.runner.wake_at(session, series, occ))

    def _when(self, text: str, zone: ZoneInfo, now: datetime) -> datetime:
        return typed_start(text, zone, now, speed=self.ctx.speed)

    async def zone_of(
        self, session: AsyncSession, guild_id: int, user_id: int, name: str | None
    ) -> ZoneInfo:
        """The zone a member types times in (see :meth:`_zone`); for slot offers."""
        return await self._zone(session, guild_id, user_id, name)

    async def plan_of(
        self,
        session: AsyncSession,
        guild_id: int,
        *,
        preset: str | None = None,
        work: int | None = None,
        brk: int | None = None,
        rounds: int | None = None,
    ) -> dict[str, object]:
        """The plan a session would get for these options (the server's default filled in),
        checked against the bounds; for slot offers, resolved when offered."""
        return await self._plan(
            session,
            guild_id,
            EditRequest(preset=preset, work=work, brk=brk, rounds=rounds),
        )

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
            return await self.runner.view(
                session, await series_in_guild(session, guild_id, series_id)
            )

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
            series = await series_in_guild(session, guild_id, series_id)
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
            series = await series_in_guild(session, actor.guild_id, series_id, lock=True)
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
                    moved = when.astimezone(zone).replace(tzinfo=None)
                    was = occ.scheduled_at.astimezone(zone).replace(tzinfo=None)
                    try:
                        rule = moved_rule(series.rrule, series.first_local, zone.key, was, moved)
                    except ScheduleError as err:
                        raise ValidationError(str(err)) from None
                    series.first_local, series.rrule = moved, rule
                    # The instant occurrences() gives the new first start (a wall time in the
                    # spring-forward gap shifts forward), as /session schedule stores it.
                    occ.scheduled_at = occ.starts_at = wall_to_utc(moved, zone)
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
                    # An aware UTC instant like every other stored start, not the typed wall
                    # time: in the spring-forward gap that one compares unequal to every instant.
                    occ.starts_at = typed_instant(
                        change.when or "", zone, now, speed=self.ctx.speed
                    )
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
            series = await series_in_guild(session, actor.guild_id, series_id, lock=True)
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
            series = await series_in_guild(session, actor.guild_id, series_id, lock=True)
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

    # -- the timer -----------------------------------------------------------------------------

    async def restore(self) -> None:
        await self.runner.restore()

    async def run_due(self, series_id: int) -> list[str]:
        return await self.runner.run_due(series_id)

    @staticmethod
    def _may_manage(series: SessionSeries, actor: Actor, what: str) -> None:
        if actor.user_id != series.creator_id and not actor.manage_guild:
            raise PermissionDenied(
                f"Only the one who scheduled it (<@{series.creator_id}>) or members with the "
                f"Manage Server permission can {what} this series. Anyone can RSVP."
            )


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
