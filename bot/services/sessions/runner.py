"""The occurrence machinery: materialising the next occurrence, views, the card, the waitlist,
and the series timer (reminders, the start, offers that expire).

The database is the truth: a series has at most one ``upcoming`` occurrence materialised ahead
(skips and edits of later ones are rows too), each occurrence records which reminders went out
(``reminded``) and whether it started. Each series wakes at the next of: a reminder, the start,
an offer's expiry; :meth:`Runner.run_due` does whatever is due with the series row locked, so
nothing happens twice, and :meth:`Runner.restore` re-arms every series at start-up, so nothing
is lost.

Series that wake at the same instant share one timer (key ``sessions_at:{instant}``, see
:meth:`Runner.arm`): the Monday-morning herd of 10,000 series at 09:00 is one scheduler job whose
callback runs them in turn, not 10,000 jobs that APScheduler starts in one go (that burst held
the event loop ~0.4 s at the instant and made a running sprint's announcement late).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import enqueue
from bot.domain.errors import Conflict
from bot.domain.schedule import occurrences
from bot.render import sessions as render
from bot.scheduler import BULK
from bot.services.context import ServiceContext
from bot.services.events import OccurrenceListener
from bot.services.sessions import messages, queries
from bot.services.sessions.cards import SeriesCards
from bot.services.sessions.types import Rsvp
from bot.services.sprints import SprintService
from bot.services.sprints.phases import AfterCommit
from bot.services.sprints.types import StartRequest
from db.models import (
    SessionAttendance,
    SessionOccurrence,
    SessionRsvp,
    SessionSeries,
)

log = logging.getLogger(__name__)

__all__ = ["Runner", "instant_key"]

LATE_GRACE_S = 60  # a start later than this says so and runs for the time left
RETRY = timedelta(seconds=15)
CATCH_UP_LIMIT = 60  # occurrences recorded missed in one run (long downtime of a daily series)


def instant_key(when: datetime) -> str:
    """The timer of every series that wakes at ``when``."""
    return f"sessions_at:{when.astimezone(UTC).isoformat()}"


class _Instant:
    """The series that wake at one instant, and so share one timer."""

    __slots__ = ("series", "when")

    def __init__(self, when: datetime) -> None:
        self.when = when
        self.series: set[int] = set()


class Runner(SeriesCards):
    def __init__(self, ctx: ServiceContext, sprints: SprintService) -> None:
        self.ctx = ctx
        self.sprints = sprints
        self.listeners: list[OccurrenceListener] = []
        # instant -> the series armed for it (the one whose timer is armed, not yet fired)
        self._instants: dict[datetime, _Instant] = {}
        # series -> the instant it is armed for (also while that instant's callback runs)
        self._armed: dict[int, _Instant] = {}

    # -- telling others ------------------------------------------------------------------------

    async def changed(self, session: AsyncSession, occurrence_id: int, what: str) -> None:
        for listener in self.listeners:
            await listener.occurrence_changed(session, occurrence_id, what)

    # -- occurrences ---------------------------------------------------------------------------

    async def ensure_next(
        self, session: AsyncSession, series: SessionSeries, now: datetime
    ) -> SessionOccurrence | None:
        """The series' next upcoming occurrence, materialised from the rule when there is none
        (standing answers roll into it, within the capacity)."""
        if series.cancelled_at is not None:
            return None
        occ = await queries.next_occurrence(session, series.id, lock=True)
        if occ is not None:
            return occ
        rows = await queries.occurrences_of(session, series.id)
        after = max(r.scheduled_at for r in rows) if rows else datetime(1970, 1, 1, tzinfo=UTC)
        taken = {r.scheduled_at for r in rows}
        for when in occurrences(series.first_local, series.zone, series.rrule, after, 8):
            if when in taken:
                continue
            occ = SessionOccurrence(
                series_id=series.id,
                scheduled_at=when,
                starts_at=when,
                status="upcoming",
                # A reminder whose time had passed when the occurrence came to be (a session
                # scheduled for tomorrow with a reminder a day before) is not sent late.
                reminded=[int(m) for m in series.reminders if when - self.scaled(int(m)) <= now],
            )
            session.add(occ)
            await session.flush()
            await self._roll_in(session, series, occ, now)
            await self.changed(session, occ.id, "created")
            return occ
        return None

    async def _roll_in(
        self, session: AsyncSession, series: SessionSeries, occ: SessionOccurrence, now: datetime
    ) -> None:
        going = 0
        for row in await queries.standing(session, series.id):
            if row.status not in (Rsvp.GOING, Rsvp.MAYBE):
                continue
            status = Rsvp(row.status)
            if status is Rsvp.GOING and series.capacity is not None and going >= series.capacity:
                status = Rsvp.WAITLIST
            going += status is Rsvp.GOING
            session.add(
                SessionRsvp(
                    series_id=series.id,
                    occurrence_id=occ.id,
                    user_id=row.user_id,
                    display_name=row.display_name,
                    status=status.value,
                    queued_at=row.queued_at,
                    updated_at=now,
                )
            )
        await session.flush()

    # -- the timer -----------------------------------------------------------------------------

    async def wake_at(
        self, session: AsyncSession, series: SessionSeries, occ: SessionOccurrence | None
    ) -> datetime | None:
        if series.cancelled_at is not None:
            return None
        if occ is None:
            return None
        times = [occ.starts_at]
        for minutes in series.reminders:
            if int(minutes) not in occ.reminded:
                times.append(occ.starts_at - self.scaled(int(minutes)))
        for r in await queries.rsvps_of(session, series.id, occ.id):
            if r.status == Rsvp.WAITLIST and r.offer_expires_at is not None:
                times.append(r.offer_expires_at)
        return min(times)

    def arm(self, series_id: int, when: datetime | None) -> None:
        """Wake the series at ``when`` (None: not at all), in place of its earlier wake-up.

        Series due at one instant share its timer: the first one arms it, the last one to
        leave (re-armed elsewhere or cancelled) cancels it.
        """
        old = self._armed.pop(series_id, None)
        if old is not None:
            if when is not None and old.when == when and self._instants.get(when) is old:
                self._armed[series_id] = old  # armed there already
                return
            old.series.discard(series_id)
            if not old.series and self._instants.get(old.when) is old:
                del self._instants[old.when]
                self.ctx.timers.cancel(instant_key(old.when))
        if when is None:
            return
        instant = self._instants.get(when)
        if instant is None:
            instant = self._instants[when] = _Instant(when)
            # The bulk lane: one series at a time, only while no sprint's phase change is
            # pending, so a herd of sessions due at 09:00 never makes a running sprint late.
            self.ctx.timers.arm(instant_key(when), when, self._on_instant, instant, lane=BULK)
        instant.series.add(series_id)
        self._armed[series_id] = instant

    def when(self, series_id: int) -> datetime | None:
        """When the series' timer will fire (None: not armed); the instant being run now for
        a series whose turn in it has not come yet."""
        instant = self._armed.get(series_id)
        if instant is None:
            return None
        if self._instants.get(instant.when) is instant:
            return self.ctx.timers.when(instant_key(instant.when))
        return instant.when

    @property
    def armed(self) -> int:
        """How many series have a wake-up armed (far more than the timers they share)."""
        return len(self._armed)

    async def _on_instant(self, instant: _Instant) -> None:
        """Run every series due at the instant in turn (by id), giving way to urgent timers
        before each: a phase change due meanwhile waits for one series at most."""
        if self._instants.get(instant.when) is instant:
            del self._instants[instant.when]  # arming at this instant now starts a new timer
        for series_id in sorted(instant.series):
            await self.ctx.timers.give_way()
            if self._armed.get(series_id) is not instant:
                continue  # re-armed or cancelled since
            del self._armed[series_id]
            instant.series.discard(series_id)
            await self._on_timer(series_id)

    async def _on_timer(self, series_id: int) -> None:
        try:
            await self.run_due(series_id)
        except Exception:
            log.exception("session series %s: running what was due failed; retrying", series_id)
            self.arm(series_id, self.ctx.clock.now() + RETRY)

    async def restore(self) -> None:
        """Arm every live series of this process's guilds from three bulk queries (a start
        missed while down runs now; a series without an upcoming occurrence runs now to make
        one)."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            due = await queries.restore_rows(session)
            offers = await queries.offer_expiries(session)
        armed = 0
        for series_id, guild_id, reminders, starts_at, reminded in due:
            if not self.ctx.handles_guild(guild_id):
                continue
            if starts_at is None:
                self.arm(series_id, now)
            else:
                times = [starts_at]
                times += [
                    starts_at - self.scaled(int(m)) for m in reminders if int(m) not in reminded
                ]
                if series_id in offers:
                    times.append(offers[series_id])
                self.arm(series_id, min(times))
            armed += 1
        log.info("restored %d session series timer(s)", armed)

    async def run_due(self, series_id: int) -> list[str]:
        """Do what is due for the series now (reminders, the start or a missed start, expired
        offers), then re-arm. Idempotent: the series row is locked and every step is recorded."""
        done: list[str] = []
        after = AfterCommit()
        wake: datetime | None = None
        async with self.ctx.db.transaction() as session:
            series = await queries.locked_series(session, series_id)
            if series is None or series.cancelled_at is not None:
                self.arm(series_id, None)
                return done
            now = self.ctx.clock.now()
            occ = await self.ensure_next(session, series, now)
            for _ in range(CATCH_UP_LIMIT):
                if occ is None or occ.starts_at > now:
                    break
                done.append(await self._start_or_miss(session, series, occ, now, after))
                occ = await self.ensure_next(session, series, now)
            card = bool(done)  # a start or a miss: the card moves on to the next occurrence
            if occ is not None:
                sent = await self._remind(session, series, occ, now)
                if sent:
                    done.append(f"reminded {sent}")  # the card shows nothing new
                if await self.offer_places(session, series, occ, now):
                    done.append("offered")
                    card = True
            if card:
                await self.enqueue_card(session, series, now, coalesce=False)
            wake = await self.wake_at(session, series, occ)
        if after.arm:
            self.sprints.after_commit(after)
        self.ctx.delivery.wake()
        self.arm(series_id, wake)
        return done

    async def _remind(
        self, session: AsyncSession, series: SessionSeries, occ: SessionOccurrence, now: datetime
    ) -> int:
        due = [
            int(m)
            for m in series.reminders
            if int(m) not in occ.reminded and occ.starts_at - self.scaled(int(m)) <= now
        ]
        if not due:
            return 0
        occ.reminded = sorted({*occ.reminded, *due}, reverse=True)
        rows = await queries.rsvps_of(session, series.id, occ.id)
        wanted = [r.user_id for r in rows if r.status in (Rsvp.GOING, Rsvp.MAYBE)]
        off = await queries.opted_out(session, series.guild_id, wanted)
        pings = [u for u in wanted if u not in off][:90]
        if not pings:
            return 0
        view = await self.occurrence_view(session, series, occ)
        await enqueue(
            session,
            messages.line(
                series.guild_id,
                series.channel_id,
                series.id,
                render.reminder_payload(
                    await self.view(session, series, occ), view, pings, min(due)
                ),
            ),
        )
        return len(pings)

    async def _start_or_miss(
        self,
        session: AsyncSession,
        series: SessionSeries,
        occ: SessionOccurrence,
        now: datetime,
        after: AfterCommit,
    ) -> str:
        """Start the occurrence's sprint once (late: for the time left, saying so), or record it
        missed when the bot comes back after it would have ended."""
        view = await self.occurrence_view(session, series, occ)
        if now >= view.ends_at:
            occ.status = "missed"
            occ.note = "I was offline for the whole session, so it didn't start."
            await self._expire_offers(session, series, occ)
            await session.flush()
            await self.changed(session, occ.id, "missed")
            return "missed"
        late = now - occ.starts_at
        late_by = late if late > timedelta(seconds=LATE_GRACE_S) / self.ctx.speed else None
        going = [(a.user_id, a.name) for a in view.going]
        voice = view.voice_channel_id
        voice_gone = None
        if occ.note and occ.note.startswith("voice_gone:"):
            voice_gone = int(occ.note.split(":", 1)[1])
            voice = None
        await enqueue(
            session,
            messages.line(
                series.guild_id,
                series.channel_id,
                series.id,
                render.start_payload(
                    view, [u for u, _ in going][:90], late_by=late_by, voice_gone=voice_gone
                ),
            ),
        )
        plan = dict(view.plan)
        req = StartRequest(
            guild_id=series.guild_id,
            channel_id=series.channel_id,
            host_id=series.creator_id,
            host_name=view.title,
            work=_int(plan.get("work_min")),
            brk=_int(plan.get("break_min")),
            rounds=_int(plan.get("rounds")),
            long_break=_int(plan.get("long_break_min")),
            long_break_every=_int(plan.get("long_break_every")),
            intro=_int(plan.get("intro_min")),
            voice_channel_id=voice,
            title=view.title,
            members=tuple(going),
            host_joins=series.creator_id in {u for u, _ in going},
            started_at=occ.starts_at if late_by is not None else None,
        )
        sprint_id = await self._start_sprint(session, req, after)
        # The Going members are in from the start; they count as having shown up once they do
        # something (I'm here, a goal, a check-in, voice), see record_attendance.
        for user_id, _name in going:
            session.add(
                SessionAttendance(
                    occurrence_id=occ.id, user_id=user_id, said=Rsvp.GOING.value, recorded_at=now
                )
            )
        occ.status = "started"
        occ.sprint_id = sprint_id
        occ.started_at = now
        if late_by is not None:
            occ.note = f"Started {int(late_by.total_seconds() // 60)} min late (I was offline)."
        await self._expire_offers(session, series, occ)
        await session.flush()
        await self.changed(session, occ.id, "started")
        return "started late" if late_by is not None else "started"

    async def _start_sprint(
        self, session: AsyncSession, req: StartRequest, after: AfterCommit
    ) -> int | None:
        try:
            async with session.begin_nested():
                view = await self.sprints.start_in(session, req, after)
            return view.id
        except Conflict:
            pass
        # A sprint already runs in the channel (someone started one by hand): the Going members
        # join that one.
        running = await self.sprints.running_in(session, req.channel_id)
        if running is None:
            # The voice channel is linked elsewhere: start without it.
            req = StartRequest(**{**req.__dict__, "voice_channel_id": None})
            async with session.begin_nested():
                view = await self.sprints.start_in(session, req, after)
            return view.id
        for user_id, name in req.members:
            try:
                await self.sprints.add_participant(session, running, user_id, name)
            except Exception:
                log.info("could not join %s to sprint %s", user_id, running)
        await self.sprints.refresh_card(session, running)
        return running

    async def _expire_offers(
        self, session: AsyncSession, series: SessionSeries, occ: SessionOccurrence
    ) -> None:
        for r in await queries.rsvps_of(session, series.id, occ.id):
            if r.offer_expires_at is not None:
                r.offered_at, r.offer_expires_at = None, None

    # -- attendance ----------------------------------------------------------------------------

    async def record_attendance(
        self, session: AsyncSession, occ: SessionOccurrence, at: datetime
    ) -> tuple[list[int], list[int]]:
        """Who showed up: everyone who joined the sprint themselves (button, command, goal or
        voice), and the Going members joined at the start who then did something in it (I'm
        here, a goal, a check-in, a debrief note, voice). Going members who did nothing didn't."""
        assert occ.sprint_id is not None
        joined = await queries.sprint_members(session, occ.sprint_id)
        acted = await queries.acted_in_sprint(session, occ.sprint_id)
        said = {
            r.user_id: r.status
            for r in await queries.rsvps_of(session, occ.series_id, occ.id)
            if r.status in (Rsvp.GOING, Rsvp.MAYBE)
        }
        existing = {a.user_id: a for a in await queries.attendance_of(session, occ.id)}
        showed: list[int] = []
        missing: list[int] = []
        for user_id in sorted(joined | set(existing)):
            if user_id < 0:  # a former member (forget me)
                continue
            row = existing.get(user_id)
            if row is None:  # joined by themselves
                row = SessionAttendance(
                    occurrence_id=occ.id, user_id=user_id, said=said.get(user_id), recorded_at=at
                )
                session.add(row)
                row.showed_up = user_id in joined
            else:
                row.showed_up = bool(row.showed_up) or user_id in acted
                row.said = row.said or said.get(user_id)
            if row.showed_up:
                showed.append(user_id)
            elif row.said == Rsvp.GOING:
                missing.append(user_id)
        await session.flush()
        return showed, missing


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
