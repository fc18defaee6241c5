"""Weekly accountability: a thread per week with kickoff, check-ins and a review, posted on time.

The schedule is local wall time in the server's zone (``bot.domain.weeks``), so posts stay right
across DST. One timer per guild (``accountability:{guild_id}``) is armed at the next post; when it
fires, :meth:`AccountabilityService.run_due` posts whatever is due in the current week and re-arms.
Each post of a week happens at most once: the ``AccountabilityPost`` row (unique ``(week_id, key)``)
is inserted in the same transaction as its outbox rows, under a lock on the guild's config row, so
a catch-up after downtime, a second timer or a concurrent run can never post twice.

Posts whose time came before the schedule was set up are never caught up (``active_from``): a setup
on a Wednesday does not fire Monday's kickoff; ``/accountability post-now`` starts the week instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Outgoing, Priority, enqueue
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.focus import focus_seconds
from bot.domain.sprint import Span
from bot.domain.text import clean_goal_text, clean_note, split_lines_goals, truncate
from bot.domain.weeks import (
    PostKind,
    ScheduledPost,
    WeekSchedule,
    due_posts,
    local_to_utc,
    next_post,
    parse_day,
    parse_days,
    parse_time,
    posts_for_week,
    week_end,
    week_label,
    week_start,
)
from bot.render import accountability as render
from bot.render.accountability import GoalLine, MemberRef, MemberWeek, ReviewLine, WeekTimes
from bot.services.context import ServiceContext
from bot.services.privacy.gate import is_untracked, refuse_untracked
from bot.services.timezones import TimezoneService, guild_zone
from db import repositories
from db.models import (
    AccountabilityConfig,
    AccountabilityMember,
    AccountabilityNote,
    AccountabilityPost,
    AccountabilityWeek,
    DeliveryFailure,
    Goal,
    OutboxMessage,
    Participant,
    PresenceSpan,
    Sprint,
    WorkSpan,
)

__all__ = [
    "FORUM_PERMISSIONS",
    "MAX_WEEK_GOALS",
    "TEXT_PERMISSIONS",
    "AccountabilityService",
    "AddGoalsResult",
    "CarryResult",
    "ConfigView",
    "WeekStarted",
    "missing_permissions",
    "timer_key",
]

log = logging.getLogger(__name__)

MAX_WEEK_GOALS = 20  # per member per week
RETRY_AFTER = timedelta(minutes=1)
OPEN, DONE = "open", "done"

# (discord.Permissions attribute, the name a server admin sees in Discord's settings)
TEXT_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("create_public_threads", "Create Public Threads"),
    ("send_messages_in_threads", "Send Messages in Threads"),
    ("embed_links", "Embed Links"),
)
FORUM_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("send_messages_in_threads", "Send Messages in Threads"),
    ("embed_links", "Embed Links"),
)


def timer_key(guild_id: int) -> str:
    return f"accountability:{guild_id}"


def summary_timer_key(week_id: int) -> str:
    return f"accountability_summary:{week_id}"


def missing_permissions(is_forum: bool, granted: Collection[str]) -> list[str]:
    """Names of the permissions the bot lacks to run weekly threads in a channel of that kind."""
    needed = FORUM_PERMISSIONS if is_forum else TEXT_PERMISSIONS
    missing = [attr for attr, _ in needed if attr not in granted]
    if "send_messages" in missing:
        # Without Send Messages, Discord also withholds Embed Links: granting the first is enough.
        missing = [attr for attr in missing if attr != "embed_links"]
    labels = dict(needed)
    return [labels[attr] for attr in missing]


def _and_join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def schedule_of(cfg: AccountabilityConfig) -> WeekSchedule:
    return WeekSchedule(
        kickoff_day=cfg.kickoff_day,
        kickoff_time=cfg.kickoff_time,
        checkin_days=tuple(int(d) for d in cfg.checkin_days),
        checkin_time=cfg.checkin_time,
        review_day=cfg.review_day,
        review_time=cfg.review_time,
    )


def week_bounds(week: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants the server-local week starting Monday ``week`` begins and ends."""
    return local_to_utc(week, time(0, 0), zone), week_end(week, zone)


# -- results handed to cogs ----------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigView:
    guild_id: int
    channel_id: int
    is_forum: bool
    schedule: WeekSchedule
    zone: str
    role_id: int | None
    archive_after_review: bool
    enabled: bool
    disabled_reason: str | None
    next_posts: tuple[ScheduledPost, ...]
    this_week: date
    this_week_thread_id: int | None
    this_week_started: bool
    kickoff_missed: bool  # this week's kickoff time passed before setup: offer post-now
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class WeekStarted:
    week_id: int
    week_start: date
    label: str


@dataclass(frozen=True)
class AddGoalsResult:
    week_id: int
    week_start: date
    added: tuple[str, ...]
    duplicates: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()  # (line as typed, why)
    over_limit: tuple[str, ...] = ()  # lines not stored because of MAX_WEEK_GOALS


@dataclass(frozen=True)
class CarryResult:
    next_week: date
    carried: tuple[str, ...]
    already: tuple[str, ...]


@dataclass
class _Run:
    posted: list[str] = field(default_factory=list)
    next_at: datetime | None = None
    woke: bool = False


# -- the service ---------------------------------------------------------------------------------


class AccountabilityService:
    def __init__(self, ctx: ServiceContext, timezones: TimezoneService | None = None) -> None:
        self.ctx = ctx
        self._last_summary: dict[int, datetime] = {}
        self._summary_pending: set[int] = set()  # weeks with a refresh timer armed
        self._summary_lock = asyncio.Lock()
        if timezones is not None:
            timezones.on_server_zone_changed(self._zone_changed)

    # -- configuration --------------------------------------------------------------------------

    async def setup(
        self,
        guild_id: int,
        channel_id: int,
        *,
        channel_is_forum: bool,
        bot_permissions: Collection[str] | None = None,
        day: str | None = None,
        time_: str | None = None,
        checkin_days: str | None = None,
        checkin_time: str | None = None,
        review_day: str | None = None,
        review_time: str | None = None,
        role_id: int | None = None,
        archive_after_review: bool | None = None,
    ) -> ConfigView:
        """Where and when the week's thread is posted. Omitted options take the defaults
        (Monday 09:00 kickoff, Wednesday 12:00 check-in, Friday 17:00 review).

        ``bot_permissions`` are the permission names the bot has in the channel (the cog reads
        them from the interaction); missing ones are refused by name.
        """
        schedule = _parse_schedule(day, time_, checkin_days, checkin_time, review_day, review_time)
        if bot_permissions is not None:
            missing = missing_permissions(channel_is_forum, bot_permissions)
            if missing:
                kind = "forum" if channel_is_forum else "channel"
                raise PermissionDenied(
                    f"I can't run weekly threads in <#{channel_id}>: I'm missing the "
                    f"{_and_join(missing)} permission{'s' if len(missing) > 1 else ''} in that "
                    f"{kind}. Grant {'them' if len(missing) > 1 else 'it'} to my role there, "
                    "or pick another channel."
                )
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            cfg = await self._config(session, guild_id, for_update=True)
            if cfg is None:
                cfg = AccountabilityConfig(guild_id=guild_id)
                session.add(cfg)
            cfg.channel_id = channel_id
            cfg.channel_is_forum = channel_is_forum
            cfg.kickoff_day = schedule.kickoff_day
            cfg.kickoff_time = schedule.kickoff_time
            cfg.checkin_days = list(schedule.checkin_days)
            cfg.checkin_time = schedule.checkin_time
            cfg.review_day = schedule.review_day
            cfg.review_time = schedule.review_time
            cfg.role_id = role_id
            cfg.archive_after_review = (
                True if archive_after_review is None else bool(archive_after_review)
            )
            cfg.enabled = True
            cfg.disabled_reason = None
            cfg.active_from = now
            await session.flush()
            await self._acknowledge_failures(session, guild_id)
        await self.run_due(guild_id)  # arms the timer; nothing before active_from is posted
        return await self.show(guild_id)

    async def show(self, guild_id: int) -> ConfigView:
        """The configuration, next posts and any problem (a failed post turns posting off)."""
        await self.check_delivery(guild_id)
        async with self.ctx.db.transaction() as session:
            cfg = await self._config(session, guild_id)
            if cfg is None:
                raise NotFound(
                    "Weekly accountability isn't set up here yet. A manager can run "
                    "`/accountability setup` to pick a channel and times."
                )
            return await self._view(session, cfg, self.ctx.clock.now())

    async def disable(self, guild_id: int) -> ConfigView:
        async with self.ctx.db.transaction() as session:
            cfg = await self._config(session, guild_id, for_update=True)
            if cfg is None:
                raise NotFound(
                    "Weekly accountability isn't set up here, so there's nothing to turn off."
                )
            if not cfg.enabled:
                raise Conflict(
                    "Weekly posts are already off. `/accountability setup` turns them back on."
                )
            cfg.enabled = False
            cfg.disabled_reason = "Turned off by a manager."
            await session.flush()
            view = await self._view(session, cfg, self.ctx.clock.now())
        self.ctx.timers.cancel(timer_key(guild_id))
        return view

    async def post_now(self, guild_id: int) -> WeekStarted:
        """Start this week's thread now if there is none (its kickoff then counts as done)."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            cfg = await self._config(session, guild_id, for_update=True)
            if cfg is None:
                raise NotFound(
                    "Weekly accountability isn't set up here yet. "
                    "Run `/accountability setup` first."
                )
            if not cfg.enabled:
                raise Conflict(
                    f"Weekly posts are off ({cfg.disabled_reason or 'turned off'}). "
                    "Run `/accountability setup` to turn them back on first."
                )
            zone = await guild_zone(session, guild_id)
            schedule = schedule_of(cfg)
            ws = week_start(now.astimezone(zone).date())
            week = await repositories.week(session, guild_id, ws)
            if week is not None and await self._done_keys(session, week.id):
                thread_id = await self._thread_id(session, week)
                where = f": <#{thread_id}>" if thread_id else " (it's on its way)"
                raise Conflict(f"This week's thread is already up{where}.")
            review = next(
                p for p in posts_for_week(schedule, ws, zone) if p.kind is PostKind.REVIEW
            )
            if review.at <= now:
                following = next(
                    p for p in posts_for_week(schedule, ws + timedelta(weeks=1), zone)
                    if p.kind is PostKind.KICKOFF
                )
                raise Conflict(
                    "This week's review time has passed, so I won't start this week now. "
                    f"Next week's thread starts {render.ts(following.at)}."
                )
            week = await self._post_kickoff(session, cfg, zone, ws, scheduled_at=now, now=now)
            assert week is not None
            started = WeekStarted(week_id=week.id, week_start=ws, label=week_label(ws))
        self.ctx.delivery.wake()
        await self.run_due(guild_id)  # re-arms; posts due before this kickoff are not sent
        return started

    # -- the timer ------------------------------------------------------------------------------

    async def restore(self) -> None:
        """Re-arm every enabled guild of this process and post what came due while we were down."""
        async with self.ctx.db.transaction() as session:
            guild_ids = (
                await session.execute(
                    select(AccountabilityConfig.guild_id).where(AccountabilityConfig.enabled)
                )
            ).scalars().all()
        for guild_id in guild_ids:
            if self.ctx.handles_guild(guild_id):
                await self._timer_fired(guild_id)

    async def _timer_fired(self, guild_id: int) -> None:
        try:
            await self.run_due(guild_id)
        except Exception:
            log.exception("weekly posts for guild %s failed; retrying shortly", guild_id)
            self.ctx.timers.arm(
                timer_key(guild_id), self.ctx.clock.now() + RETRY_AFTER, self._timer_fired,
                guild_id,
            )

    async def run_due(self, guild_id: int) -> list[str]:
        """Post whatever of the current week is due and not yet done, then re-arm. Idempotent."""
        run = _Run()
        async with self.ctx.db.transaction() as session:
            cfg = await self._config(session, guild_id, for_update=True)
            if cfg is None or not cfg.enabled:
                self.ctx.timers.cancel(timer_key(guild_id))
                return []
            now = self.ctx.clock.now()
            problem = await self._channel_failure(session, cfg)
            if problem is not None:
                await self._disable_for(session, cfg, problem, note=False)
                self.ctx.timers.cancel(timer_key(guild_id))
                return []
            await self._run_due(session, cfg, now, run)
        if run.posted or run.woke:
            self.ctx.delivery.wake()
        self._arm(guild_id, run.next_at)
        return run.posted

    async def _run_due(
        self, session: AsyncSession, cfg: AccountabilityConfig, now: datetime, run: _Run
    ) -> None:
        zone = await guild_zone(session, cfg.guild_id)
        schedule = schedule_of(cfg)
        ws = week_start(now.astimezone(zone).date())
        week = await repositories.week(session, cfg.guild_id, ws)
        done = await self._done_keys(session, week.id) if week is not None else {}
        due = due_posts(schedule, zone, now, {(ws, k) for k in done})
        handled = {(ws, k) for k in done} | {p.done_key for p in due}
        kickoff_at = done.get(PostKind.KICKOFF.value)
        for i, post in enumerate(due):
            later = due[i + 1:]
            if cfg.active_from is not None and post.at < cfg.active_from:
                continue
            if post.kind is PostKind.KICKOFF:
                week = await self._post_kickoff(session, cfg, zone, ws, post.at, now)
                if week is not None:
                    run.posted.append(post.key)
                    kickoff_at = post.at
                continue
            if week is None or kickoff_at is None or post.at < kickoff_at:
                continue  # no thread this week (set up after its kickoff): nothing to post into
            if week.archived_at is not None:
                continue  # the thread is gone or already archived
            if post.kind is PostKind.CHECKIN:
                if later:
                    continue  # coalesce: a later post of this week is due as well
                if await self._post_checkin(session, cfg, week, post, now, zone):
                    run.posted.append(post.key)
            elif await self._post_review(session, cfg, week, post, now, zone):
                run.posted.append(post.key)
        posts = posts_for_week(schedule, ws, zone)
        kickoff = next(p for p in posts if p.kind is PostKind.KICKOFF)
        if kickoff_at is None and kickoff.at <= now:
            # This week's thread never started (set up after its kickoff): none of its later
            # posts will happen, so don't wake up for them.
            handled |= {p.done_key for p in posts}
        upcoming = next_post(schedule, zone, now, handled)
        run.next_at = upcoming.at if upcoming is not None else None

    def _arm(self, guild_id: int, when: datetime | None) -> None:
        if when is None:
            self.ctx.timers.cancel(timer_key(guild_id))
            return
        self.ctx.timers.arm(timer_key(guild_id), when, self._timer_fired, guild_id)

    async def _zone_changed(self, session: AsyncSession, guild_id: int) -> None:
        """The server's zone changed (inside that transaction): run the schedule right away so
        the timer moves with the zone. The config row lock makes that run wait for the commit."""
        cfg = await self._config(session, guild_id, for_update=True)
        if cfg is not None and cfg.enabled:
            self._arm(guild_id, self.ctx.clock.now())

    # -- the posts ------------------------------------------------------------------------------

    async def _claim(
        self, session: AsyncSession, week_id: int, key: str, scheduled_at: datetime, now: datetime
    ) -> bool:
        """Insert the week's post row; False when that post already happened."""
        try:
            async with session.begin_nested():
                session.add(
                    AccountabilityPost(
                        week_id=week_id, key=key, scheduled_at=scheduled_at, posted_at=now
                    )
                )
        except IntegrityError:
            return False
        return True

    async def _post_kickoff(
        self,
        session: AsyncSession,
        cfg: AccountabilityConfig,
        zone: ZoneInfo,
        ws: date,
        scheduled_at: datetime,
        now: datetime,
    ) -> AccountabilityWeek | None:
        week, _ = await repositories.get_or_create_week(session, cfg.guild_id, ws, cfg.channel_id)
        if not await self._claim(session, week.id, PostKind.KICKOFF.value, scheduled_at, now):
            return None
        week.channel_id = cfg.channel_id
        posts = posts_for_week(schedule_of(cfg), ws, zone)
        times = WeekTimes(
            checkins=tuple(
                p.at for p in posts if p.kind is PostKind.CHECKIN and p.at >= scheduled_at
            ),
            review=next(p.at for p in posts if p.kind is PostKind.REVIEW),
        )
        message = render.kickoff_payload(week.id, ws, times, cfg.role_id)
        thread_ref = render.thread_ref(week.id)
        name = render.thread_name(ws)
        rows: list[Outgoing] = []
        if cfg.channel_is_forum:
            rows.append(
                Outgoing(
                    "thread",
                    payload={
                        "name": name,
                        "auto_archive_duration": render.ARCHIVE_AFTER_MINUTES,
                        "message": message,
                    },
                    channel_id=cfg.channel_id,
                    ref=thread_ref,
                    guild_id=cfg.guild_id,
                    priority=Priority.ANNOUNCE,
                )
            )
        else:
            starter = render.kickoff_ref(week.id)
            rows.append(
                Outgoing(
                    "send", payload=message, channel_id=cfg.channel_id, ref=starter,
                    guild_id=cfg.guild_id, priority=Priority.ANNOUNCE,
                )
            )
            rows.append(
                Outgoing(
                    "thread",
                    payload={"name": name, "auto_archive_duration": render.ARCHIVE_AFTER_MINUTES},
                    channel_id=cfg.channel_id,
                    target_ref=starter,
                    ref=thread_ref,
                    guild_id=cfg.guild_id,
                    priority=Priority.ANNOUNCE,
                )
            )
        members = await self._week_members(session, week)
        rows.append(
            Outgoing(
                "send",
                payload=render.summary_payload(week.id, ws, members, updated_at=now),
                channel_ref=thread_ref,
                ref=render.summary_ref(week.id),
                guild_id=cfg.guild_id,
                priority=Priority.NOTICE,
            )
        )
        await enqueue(session, *rows)
        self._last_summary[week.id] = now
        return week

    async def _post_checkin(
        self,
        session: AsyncSession,
        cfg: AccountabilityConfig,
        week: AccountabilityWeek,
        post: ScheduledPost,
        now: datetime,
        zone: ZoneInfo,
    ) -> bool:
        if not await self._claim(session, week.id, post.key, post.at, now):
            return False
        members = await self._week_members(session, week)
        open_members = [m for m in members if m.open_goals]
        review = next(
            p.at for p in posts_for_week(schedule_of(cfg), week.week_start, zone)
            if p.kind is PostKind.REVIEW
        )
        await enqueue(
            session,
            Outgoing(
                "send",
                payload=render.checkin_payload(week.id, week.week_start, open_members, review),
                guild_id=cfg.guild_id,
                priority=Priority.ANNOUNCE,
                **await self._in_thread(session, week),
            ),
            await self._summary_edit(session, week, members, now),
        )
        self._last_summary[week.id] = now
        return True

    async def _post_review(
        self,
        session: AsyncSession,
        cfg: AccountabilityConfig,
        week: AccountabilityWeek,
        post: ScheduledPost,
        now: datetime,
        zone: ZoneInfo,
    ) -> bool:
        if not await self._claim(session, week.id, post.key, post.at, now):
            return False
        lines = await self._review_lines(session, week, zone, now)
        members = await self._week_members(session, week)
        archive = cfg.archive_after_review
        thread = await self._in_thread(session, week)
        rows = [
            Outgoing(
                "send",
                payload=render.review_payload(week.id, week.week_start, lines, archived=archive),
                guild_id=cfg.guild_id,
                priority=Priority.ANNOUNCE,
                **thread,
            ),
            await self._summary_edit(session, week, members, now, final=True),
        ]
        if archive:
            rows.append(
                Outgoing(
                    "channel_edit",
                    payload=render.archive_payload(),
                    guild_id=cfg.guild_id,
                    priority=Priority.COSMETIC,
                    **thread,
                )
            )
            week.archived_at = now
        await enqueue(session, *rows)
        self._last_summary[week.id] = now
        self._summary_pending.discard(week.id)
        self.ctx.timers.cancel(summary_timer_key(week.id))
        return True

    async def _in_thread(
        self, session: AsyncSession, week: AccountabilityWeek
    ) -> dict[str, Any]:
        """Where to post in the week's thread: its id once created (resolves at once, also
        after a restart), else the ref the kickoff's thread row will fill in."""
        thread_id, _ = await self._resolve(session, week)
        if thread_id:
            return {"channel_id": thread_id}
        return {"channel_ref": render.thread_ref(week.id)}

    async def _summary_edit(
        self,
        session: AsyncSession,
        week: AccountabilityWeek,
        members: Sequence[MemberWeek],
        now: datetime,
        *,
        final: bool = False,
    ) -> Outgoing:
        _, summary_id = await self._resolve(session, week)
        target: dict[str, Any] = (
            {"target_message_id": summary_id} if summary_id
            else {"target_ref": render.summary_ref(week.id)}
        )
        return Outgoing(
            "edit",
            payload=render.summary_payload(
                week.id, week.week_start, members, updated_at=now, final=final
            ),
            supersede_key=render.summary_supersede_key(week.id),
            guild_id=week.guild_id,
            priority=Priority.CARD,
            **await self._in_thread(session, week),
            **target,
        )

    # -- the summary, refreshed within the request budget ---------------------------------------

    async def goals_changed(self, week_id: int) -> None:
        """Week goals changed (added, done, carried): refresh the summary at most once per
        ``settings.delivery.card_refresh_seconds`` — now if the last refresh is old enough, else
        one coalescing timer at the end of the window. Call after the change is committed."""
        async with self._summary_lock:
            now = self.ctx.clock.now()
            if week_id in self._summary_pending:
                return  # a refresh is already coming and will read the latest state
            interval = timedelta(seconds=self.ctx.settings.delivery.card_refresh_seconds)
            last = self._last_summary.get(week_id)
            if last is not None and now - last < interval:
                self._summary_pending.add(week_id)
                self.ctx.timers.arm(
                    summary_timer_key(week_id), last + interval, self._refresh_summary_job,
                    week_id,
                )
                return
            refreshed = await self.refresh_summary(week_id)
        if refreshed:
            self.ctx.delivery.wake()

    async def _refresh_summary_job(self, week_id: int) -> None:
        async with self._summary_lock:
            self._summary_pending.discard(week_id)
            refreshed = await self.refresh_summary(week_id)
        if refreshed:
            self.ctx.delivery.wake()

    async def refresh_summary(self, week_id: int) -> bool:
        """Enqueue an edit of the week's summary now (if the week has a live thread)."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            week = await session.get(AccountabilityWeek, week_id)
            if week is None or week.archived_at is not None:
                return False
            done = await self._done_keys(session, week_id)
            if PostKind.KICKOFF.value not in done or PostKind.REVIEW.value in done:
                return False
            members = await self._week_members(session, week)
            await enqueue(session, await self._summary_edit(session, week, members, now))
        self._last_summary[week_id] = now
        return True

    # -- goals from the thread ------------------------------------------------------------------

    async def _live_week(
        self,
        session: AsyncSession,
        week_id: int,
        guild_id: int,
        *,
        allow_reviewed: bool = False,
        lock: bool = False,
    ) -> AccountabilityWeek:
        """The week (locked for writes, so concurrent clicks on one week run one at a time)."""
        stmt = select(AccountabilityWeek).where(AccountabilityWeek.id == week_id)
        if lock:
            stmt = stmt.with_for_update()
        week = (await session.execute(stmt)).scalar_one_or_none()
        if week is None or week.guild_id != guild_id:
            raise NotFound("I can't find that week any more.")
        if allow_reviewed:
            return week
        label = week_label(week.week_start)
        if PostKind.REVIEW.value in await self._done_keys(session, week_id):
            raise Conflict(
                f"The {label[0].lower()}{label[1:]} has been reviewed. Add goals for the "
                "current week with `/goal`, or in this week's thread."
            )
        zone = await guild_zone(session, guild_id)
        if self.ctx.clock.now() >= week_end(week.week_start, zone):
            raise Conflict(
                f"The {label[0].lower()}{label[1:]} is over. Add goals for this week with `/goal`."
            )
        return week

    async def accepts_goals(self, guild_id: int, week_id: int) -> bool:
        """Raise if the week's thread no longer takes goals; True when it is the current week
        (so the goals service, which adds to the current week, can store them)."""
        async with self.ctx.db.transaction() as session:
            week = await self._live_week(session, week_id, guild_id)
            zone = await guild_zone(session, guild_id)
            return week.week_start == week_start(self.ctx.clock.now().astimezone(zone).date())

    async def add_goals(
        self, guild_id: int, week_id: int, user_id: int, display_name: str, text: str
    ) -> AddGoalsResult:
        """Store one week goal per non-blank line. Lines that can't be stored are returned with
        the reason (so the member can copy them back); the rest are kept."""
        lines = split_lines_goals(text)
        if not lines:
            raise ValidationError("Write at least one goal, one per line.")
        now = self.ctx.clock.now()
        added: list[str] = []
        duplicates: list[str] = []
        refused: list[tuple[str, str]] = []
        over: list[str] = []
        async with self.ctx.db.transaction() as session:
            week = await self._live_week(session, week_id, guild_id, lock=True)
            await self._remember(session, guild_id, user_id, display_name)
            existing = (
                await session.execute(
                    select(Goal)
                    .where(Goal.week_id == week.id, Goal.user_id == user_id,
                           Goal.status.in_((OPEN, DONE)))
                    .with_for_update()
                )
            ).scalars().all()
            seen = {g.text.casefold() for g in existing}
            count = len(existing)
            for line in lines:
                try:
                    cleaned = clean_goal_text(line)
                except ValidationError as err:
                    refused.append((line, str(err)))
                    continue
                if cleaned.casefold() in seen:
                    duplicates.append(cleaned)
                    continue
                if count >= MAX_WEEK_GOALS:
                    over.append(cleaned)
                    continue
                session.add(
                    Goal(guild_id=guild_id, user_id=user_id, text=cleaned, scope="week",
                         week_id=week.id, status=OPEN, created_at=now)
                )
                seen.add(cleaned.casefold())
                count += 1
                added.append(cleaned)
        if added:
            await self.goals_changed(week_id)
        return AddGoalsResult(
            week_id=week_id, week_start=week.week_start, added=tuple(added),
            duplicates=tuple(duplicates), refused=tuple(refused), over_limit=tuple(over),
        )

    async def open_goals(self, guild_id: int, week_id: int, user_id: int) -> list[GoalLine]:
        async with self.ctx.db.transaction() as session:
            await self._live_week(session, week_id, guild_id)
            rows = (
                await session.execute(
                    select(Goal)
                    .where(Goal.week_id == week_id, Goal.user_id == user_id, Goal.status == OPEN)
                    .order_by(Goal.id)
                )
            ).scalars().all()
            return [GoalLine(g.id, g.text, False, g.carried_from_id is not None) for g in rows]

    async def mark_done(
        self, guild_id: int, week_id: int, user_id: int, goal_ids: Iterable[int]
    ) -> list[str]:
        """Tick off the member's own open goals of the week; already-done ones count once."""
        ids = [int(i) for i in goal_ids]
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            await self._live_week(session, week_id, guild_id)
            rows = (
                await session.execute(
                    select(Goal)
                    .where(Goal.id.in_(ids), Goal.week_id == week_id, Goal.user_id == user_id,
                           Goal.status == OPEN)
                    .with_for_update()
                )
            ).scalars().all()
            texts = [g.text for g in rows]
            if rows:
                await session.execute(
                    update(Goal)
                    .where(Goal.id.in_([g.id for g in rows]), Goal.status == OPEN)
                    .values(status=DONE, done_at=now)
                )
        if texts:
            await self.goals_changed(week_id)
        return texts

    async def add_note(
        self, guild_id: int, week_id: int, user_id: int, display_name: str, text: str
    ) -> str:
        """Store a progress note for the week; returns the cleaned note (shown in the review)."""
        note = clean_note(text)
        async with self.ctx.db.transaction() as session:
            await refuse_untracked(session, user_id)  # issue 16: don't track me
            week = await self._live_week(session, week_id, guild_id)
            await self._remember(session, guild_id, user_id, display_name)
            session.add(AccountabilityNote(week_id=week.id, user_id=user_id, text=note,
                                           created_at=self.ctx.clock.now()))
        return note

    async def carry_over(self, guild_id: int, week_id: int, user_id: int) -> CarryResult:
        """Copy the member's open goals of the week into next week. Idempotent: a goal already
        carried (a goal with ``carried_from_id`` pointing at it) is not carried again."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            week = await self._live_week(
                session, week_id, guild_id, allow_reviewed=True, lock=True
            )
            open_rows = (
                await session.execute(
                    select(Goal)
                    .where(Goal.week_id == week.id, Goal.user_id == user_id, Goal.status == OPEN)
                    .order_by(Goal.id)
                    .with_for_update()
                )
            ).scalars().all()
            next_start = week.week_start + timedelta(days=7)
            if not open_rows:
                raise Conflict(
                    f"You have no open goals in the {week_label(week.week_start)} to carry over."
                )
            cfg = await self._config(session, guild_id)
            channel_id = cfg.channel_id if cfg is not None else week.channel_id
            target, _ = await repositories.get_or_create_week(
                session, guild_id, next_start, channel_id
            )
            carried_ids = set(
                (
                    await session.execute(
                        select(Goal.carried_from_id).where(
                            Goal.carried_from_id.in_([g.id for g in open_rows])
                        )
                    )
                ).scalars().all()
            )
            carried: list[str] = []
            already: list[str] = []
            for goal in open_rows:
                if goal.id in carried_ids:
                    already.append(goal.text)
                    continue
                session.add(
                    Goal(guild_id=guild_id, user_id=user_id, text=goal.text, scope="week",
                         week_id=target.id, status=OPEN, carried_from_id=goal.id, created_at=now)
                )
                carried.append(goal.text)
            target_id = target.id
        if carried:
            await self.goals_changed(target_id)
        return CarryResult(next_week=next_start, carried=tuple(carried), already=tuple(already))

    # -- members --------------------------------------------------------------------------------

    async def remember_member(self, guild_id: int, user_id: int, display_name: str) -> None:
        """Keep the member's current name (shown if they later leave); clears "left"."""
        async with self.ctx.db.transaction() as session:
            await self._remember(session, guild_id, user_id, display_name)

    async def member_left(self, guild_id: int, user_id: int, display_name: str = "") -> None:
        """The member left the server: their goals stay, they are shown by name, never pinged."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            if await is_untracked(session, user_id):  # issue 16: no name kept for them
                return
            row = await session.get(AccountabilityMember, (guild_id, user_id))
            if row is None:
                try:
                    async with session.begin_nested():
                        session.add(
                            AccountabilityMember(guild_id=guild_id, user_id=user_id,
                                                 display_name=truncate(display_name, 100),
                                                 left_at=now)
                        )
                except IntegrityError:
                    row = await session.get(AccountabilityMember, (guild_id, user_id),
                                            populate_existing=True)
            if row is not None:
                row.left_at = now
                if display_name and not row.display_name:
                    row.display_name = truncate(display_name, 100)

    async def _remember(
        self, session: AsyncSession, guild_id: int, user_id: int, display_name: str
    ) -> None:
        if await is_untracked(session, user_id):  # issue 16: no name kept for them
            return
        name = truncate(" ".join(display_name.split()), 100) if display_name.strip() else ""
        row = await session.get(AccountabilityMember, (guild_id, user_id))
        if row is None:
            try:
                async with session.begin_nested():
                    session.add(
                        AccountabilityMember(guild_id=guild_id, user_id=user_id, display_name=name)
                    )
                return
            except IntegrityError:
                row = await session.get(AccountabilityMember, (guild_id, user_id),
                                        populate_existing=True)
                assert row is not None
        if name and row.display_name != name:
            row.display_name = name
        if row.left_at is not None:
            row.left_at = None

    # -- channels going away and delivery failures -------------------------------------------

    async def channel_deleted(self, guild_id: int, channel_id: int) -> bool:
        """The accountability channel (or a week's thread) was deleted. The channel: weekly posts
        stop with a note for managers. A thread: the rest of that week is skipped."""
        disabled = False
        async with self.ctx.db.transaction() as session:
            cfg = await self._config(session, guild_id, for_update=True)
            if cfg is not None and cfg.channel_id == channel_id and cfg.enabled:
                await self._disable_for(
                    session, cfg,
                    "The accountability channel was deleted. Pick a new one with "
                    "`/accountability setup`.",
                    note=True,
                )
                disabled = True
            week = await self._week_by_thread(session, guild_id, channel_id)
            if week is not None and week.archived_at is None:
                week.archived_at = self.ctx.clock.now()
        if disabled:
            self.ctx.timers.cancel(timer_key(guild_id))
        return disabled

    async def check_delivery(self, guild_id: int) -> bool:
        """Disable the schedule if a post to the accountability channel failed for good (missing
        access, unknown channel). Returns True when it did. Also runs before every post."""
        async with self.ctx.db.transaction() as session:
            cfg = await self._config(session, guild_id, for_update=True)
            if cfg is None or not cfg.enabled:
                return False
            problem = await self._channel_failure(session, cfg)
            if problem is None:
                return False
            await self._disable_for(session, cfg, problem, note=False)
        self.ctx.timers.cancel(timer_key(guild_id))
        return True

    async def _disable_for(
        self, session: AsyncSession, cfg: AccountabilityConfig, reason: str, *, note: bool
    ) -> None:
        cfg.enabled = False
        cfg.disabled_reason = truncate(reason, 200)
        if note:
            session.add(
                DeliveryFailure(guild_id=cfg.guild_id, channel_id=cfg.channel_id, outbox_id=None,
                                reason=truncate(reason, 300), created_at=self.ctx.clock.now())
            )
        log.warning("weekly accountability disabled in guild %s: %s", cfg.guild_id, reason)

    def _ours(self) -> Any:
        return or_(
            OutboxMessage.ref.startswith("acc_", autoescape=True),
            OutboxMessage.channel_ref.startswith("acc_", autoescape=True),
            OutboxMessage.target_ref.startswith("acc_", autoescape=True),
        )

    async def _channel_failure(
        self, session: AsyncSession, cfg: AccountabilityConfig
    ) -> str | None:
        """The reason of a permanent failure of one of our posts to the configured channel."""
        stmt = (
            select(DeliveryFailure.reason)
            .join(OutboxMessage, OutboxMessage.id == DeliveryFailure.outbox_id)
            .where(
                DeliveryFailure.guild_id == cfg.guild_id,
                DeliveryFailure.acknowledged.is_(False),
                OutboxMessage.channel_id == cfg.channel_id,
                self._ours(),
            )
            .order_by(DeliveryFailure.id.desc())
            .limit(1)
        )
        if cfg.active_from is not None:
            stmt = stmt.where(DeliveryFailure.created_at >= cfg.active_from)
        reason = (await session.execute(stmt)).scalar_one_or_none()
        if reason is None:
            return None
        return f"Posting in <#{cfg.channel_id}> failed: {reason}"

    async def _acknowledge_failures(self, session: AsyncSession, guild_id: int) -> None:
        ours = select(OutboxMessage.id).where(self._ours())
        await session.execute(
            update(DeliveryFailure)
            .where(
                DeliveryFailure.guild_id == guild_id,
                DeliveryFailure.acknowledged.is_(False),
                or_(DeliveryFailure.outbox_id.is_(None), DeliveryFailure.outbox_id.in_(ours)),
            )
            .values(acknowledged=True)
        )

    async def _problems(self, session: AsyncSession, cfg: AccountabilityConfig) -> list[str]:
        ours = select(OutboxMessage.id).where(self._ours())
        rows = (
            await session.execute(
                select(DeliveryFailure.reason)
                .where(
                    DeliveryFailure.guild_id == cfg.guild_id,
                    DeliveryFailure.acknowledged.is_(False),
                    or_(
                        and_(DeliveryFailure.outbox_id.is_(None),
                             DeliveryFailure.channel_id == cfg.channel_id),
                        DeliveryFailure.outbox_id.in_(ours),
                    ),
                )
                .order_by(DeliveryFailure.id.desc())
                .limit(3)
            )
        ).scalars().all()
        return list(rows)

    # -- queries --------------------------------------------------------------------------------

    async def _config(
        self, session: AsyncSession, guild_id: int, *, for_update: bool = False
    ) -> AccountabilityConfig | None:
        stmt: Select[tuple[AccountabilityConfig]] = select(AccountabilityConfig).where(
            AccountabilityConfig.guild_id == guild_id
        )
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return (await session.execute(stmt)).scalar_one_or_none()

    async def _done_keys(self, session: AsyncSession, week_id: int) -> dict[str, datetime]:
        """The week's posts that happened: key → the time it was scheduled for."""
        rows = (
            await session.execute(
                select(AccountabilityPost.key, AccountabilityPost.scheduled_at).where(
                    AccountabilityPost.week_id == week_id
                )
            )
        ).all()
        return {key: at for key, at in rows}

    async def _resolve(
        self, session: AsyncSession, week: AccountabilityWeek
    ) -> tuple[int | None, int | None]:
        """The week's thread and summary message ids, once the sender created them (cached on
        the week row)."""
        if week.thread_id is None or week.summary_message_id is None:
            refs = {render.thread_ref(week.id): "thread_id",
                    render.summary_ref(week.id): "summary_message_id"}
            rows = await session.execute(
                select(OutboxMessage.ref, OutboxMessage.result_id).where(
                    OutboxMessage.ref.in_(list(refs)), OutboxMessage.result_id.is_not(None)
                )
            )
            for ref, result_id in rows.all():
                if getattr(week, refs[ref]) is None:
                    setattr(week, refs[ref], result_id)
        return week.thread_id, week.summary_message_id

    async def _thread_id(self, session: AsyncSession, week: AccountabilityWeek) -> int | None:
        return (await self._resolve(session, week))[0]

    async def _week_by_thread(
        self, session: AsyncSession, guild_id: int, channel_id: int
    ) -> AccountabilityWeek | None:
        week = (
            await session.execute(
                select(AccountabilityWeek).where(
                    AccountabilityWeek.guild_id == guild_id,
                    AccountabilityWeek.thread_id == channel_id,
                )
            )
        ).scalar_one_or_none()
        if week is not None:
            return week
        ref = (
            await session.execute(
                select(OutboxMessage.ref).where(
                    OutboxMessage.guild_id == guild_id,
                    OutboxMessage.result_id == channel_id,
                    OutboxMessage.ref.startswith("acc_thread:", autoescape=True),
                )
            )
        ).scalar_one_or_none()
        if ref is None:
            return None
        return await session.get(AccountabilityWeek, int(ref.split(":", 1)[1]))

    async def _members(
        self, session: AsyncSession, guild_id: int, user_ids: Iterable[int]
    ) -> dict[int, MemberRef]:
        ids = list(set(user_ids))
        refs = {uid: MemberRef(uid) for uid in ids}
        if not ids:
            return refs
        rows = (
            await session.execute(
                select(AccountabilityMember).where(
                    AccountabilityMember.guild_id == guild_id,
                    AccountabilityMember.user_id.in_(ids),
                )
            )
        ).scalars().all()
        for row in rows:
            refs[row.user_id] = MemberRef(row.user_id, row.display_name, row.left_at is not None)
        return refs

    async def _week_members(
        self, session: AsyncSession, week: AccountabilityWeek
    ) -> list[MemberWeek]:
        goals = (
            await session.execute(
                select(Goal)
                .where(Goal.week_id == week.id, Goal.status.in_((OPEN, DONE)))
                .order_by(Goal.id)
            )
        ).scalars().all()
        by_user: dict[int, list[GoalLine]] = {}
        for g in goals:
            by_user.setdefault(g.user_id, []).append(
                GoalLine(g.id, g.text, g.status == DONE, g.carried_from_id is not None)
            )
        refs = await self._members(session, week.guild_id, by_user)
        return [MemberWeek(refs[uid], tuple(lines)) for uid, lines in by_user.items()]

    async def week_members(self, week_id: int) -> list[MemberWeek]:
        async with self.ctx.db.transaction() as session:
            week = await session.get(AccountabilityWeek, week_id)
            if week is None:
                raise NotFound("I can't find that week any more.")
            return await self._week_members(session, week)

    async def review_lines(self, week_id: int) -> list[ReviewLine]:
        """The review figures of a week as of now (also what the review post shows)."""
        async with self.ctx.db.transaction() as session:
            week = await session.get(AccountabilityWeek, week_id)
            if week is None:
                raise NotFound("I can't find that week any more.")
            zone = await guild_zone(session, week.guild_id)
            return await self._review_lines(session, week, zone, self.ctx.clock.now())

    async def _review_lines(
        self, session: AsyncSession, week: AccountabilityWeek, zone: ZoneInfo, now: datetime
    ) -> list[ReviewLine]:
        start, end = week_bounds(week.week_start, zone)
        until = min(end, now)
        members = await self._week_members(session, week)
        sprints = await self._sprints_attended(session, week.guild_id, start, end)
        focus = await self._focus_minutes(session, week.guild_id, start, until)
        streaks = await self._streaks(session, week.guild_id, week.week_start)
        notes = await self._latest_notes(session, week.id)
        order = [m.member.user_id for m in members]
        order += sorted(uid for uid in set(sprints) | set(focus) if uid not in order)
        refs = await self._members(session, week.guild_id, order)
        goals = {m.member.user_id: m for m in members}
        lines: list[ReviewLine] = []
        for uid in order:
            mw = goals.get(uid)
            lines.append(
                ReviewLine(
                    member=refs[uid],
                    done=tuple(g.text for g in mw.goals if g.done) if mw else (),
                    open=tuple(g.text for g in mw.goals if not g.done) if mw else (),
                    sprints=sprints.get(uid, 0),
                    focus_minutes=focus.get(uid, 0),
                    streak=streaks.get(uid, 0),
                    note=notes.get(uid),
                )
            )
        return lines

    async def _sprints_attended(
        self, session: AsyncSession, guild_id: int, start: datetime, end: datetime
    ) -> dict[int, int]:
        rows = (
            await session.execute(
                select(Participant.user_id, func.count(func.distinct(Participant.sprint_id)))
                .join(Sprint, Sprint.id == Participant.sprint_id)
                .where(
                    Sprint.guild_id == guild_id,
                    Participant.joined_at >= start,
                    Participant.joined_at < end,
                )
                .group_by(Participant.user_id)
            )
        ).all()
        return {uid: int(n) for uid, n in rows}

    async def _focus_minutes(
        self, session: AsyncSession, guild_id: int, start: datetime, until: datetime
    ) -> dict[int, int]:
        """Minutes each member was present while work ran, within [start, until)."""
        if until <= start:
            return {}
        in_guild = select(Sprint.id).where(Sprint.guild_id == guild_id)

        def overlapping(model: type[WorkSpan] | type[PresenceSpan]) -> Any:
            return and_(
                model.sprint_id.in_(in_guild),
                model.started_at < until,
                or_(model.ended_at.is_(None), model.ended_at > start),
            )

        work = (await session.execute(select(WorkSpan).where(overlapping(WorkSpan)))).scalars()
        work_by_sprint: dict[int, list[Span]] = defaultdict(list)
        for w in work:
            span = _clip(w.started_at, w.ended_at, start, until)
            if span is not None:
                work_by_sprint[w.sprint_id].append(span)
        presence = (
            await session.execute(select(PresenceSpan).where(overlapping(PresenceSpan)))
        ).scalars()
        presence_by: dict[tuple[int, int], list[Span]] = defaultdict(list)
        for p in presence:
            span = _clip(p.started_at, p.ended_at, start, until)
            if span is not None:
                presence_by[(p.sprint_id, p.user_id)].append(span)
        seconds: dict[int, float] = defaultdict(float)
        for (sprint_id, user_id), spans in presence_by.items():
            seconds[user_id] += focus_seconds(work_by_sprint.get(sprint_id, []), spans, until)
        return {uid: int(s // 60) for uid, s in seconds.items()}

    async def _streaks(
        self, session: AsyncSession, guild_id: int, ws: date
    ) -> dict[int, int]:
        """Consecutive weeks up to ``ws`` in which the member finished at least one week goal."""
        rows = (
            await session.execute(
                select(Goal.user_id, AccountabilityWeek.week_start)
                .join(AccountabilityWeek, AccountabilityWeek.id == Goal.week_id)
                .where(
                    AccountabilityWeek.guild_id == guild_id,
                    AccountabilityWeek.week_start <= ws,
                    Goal.status == DONE,
                )
                .distinct()
            )
        ).all()
        weeks: dict[int, set[date]] = defaultdict(set)
        for uid, start in rows:
            weeks[uid].add(start)
        streaks: dict[int, int] = {}
        for uid, done_weeks in weeks.items():
            n = 0
            while ws - timedelta(weeks=n) in done_weeks:
                n += 1
            streaks[uid] = n
        return streaks

    async def _latest_notes(self, session: AsyncSession, week_id: int) -> dict[int, str]:
        rows = (
            await session.execute(
                select(AccountabilityNote.user_id, AccountabilityNote.text)
                .where(AccountabilityNote.week_id == week_id)
                .order_by(AccountabilityNote.id)
            )
        ).all()
        return {uid: text for uid, text in rows}  # the last one wins

    async def _view(
        self, session: AsyncSession, cfg: AccountabilityConfig, now: datetime
    ) -> ConfigView:
        zone = await guild_zone(session, cfg.guild_id)
        schedule = schedule_of(cfg)
        ws = week_start(now.astimezone(zone).date())
        week = await repositories.week(session, cfg.guild_id, ws)
        done = await self._done_keys(session, week.id) if week is not None else {}
        thread_id = await self._thread_id(session, week) if week is not None else None
        posts = posts_for_week(schedule, ws, zone)
        kickoff = next(p for p in posts if p.kind is PostKind.KICKOFF)
        review = next(p for p in posts if p.kind is PostKind.REVIEW)
        started = PostKind.KICKOFF.value in done
        missed = (
            cfg.enabled and not started and kickoff.at <= now < review.at
            and cfg.active_from is not None and kickoff.at < cfg.active_from
        )
        # This week's posts still happen if its thread is up or its kickoff is still ahead (or
        # about to be caught up); otherwise only next week's.
        this_week_live = started or kickoff.at > now or (
            cfg.active_from is not None and kickoff.at >= cfg.active_from
        )
        upcoming: list[ScheduledPost] = []
        if cfg.enabled:
            for offset in range(3):
                if offset == 0 and not this_week_live:
                    continue
                for p in posts_for_week(schedule, ws + timedelta(weeks=offset), zone):
                    if p.at > now and not (offset == 0 and p.key in done):
                        upcoming.append(p)
            upcoming = upcoming[:3]
        return ConfigView(
            guild_id=cfg.guild_id,
            channel_id=cfg.channel_id,
            is_forum=cfg.channel_is_forum,
            schedule=schedule,
            zone=zone.key,
            role_id=cfg.role_id,
            archive_after_review=cfg.archive_after_review,
            enabled=cfg.enabled,
            disabled_reason=cfg.disabled_reason,
            next_posts=tuple(upcoming),
            this_week=ws,
            this_week_thread_id=thread_id,
            this_week_started=started,
            kickoff_missed=bool(missed),
            problems=tuple(await self._problems(session, cfg)),
        )


def _clip(
    started: datetime, ended: datetime | None, start: datetime, until: datetime
) -> Span | None:
    lo = max(started, start)
    hi = min(ended if ended is not None else until, until)
    return Span(lo, hi) if hi > lo else None


def _parse_schedule(
    day: str | None,
    time_: str | None,
    checkin_days: str | None,
    checkin_time: str | None,
    review_day: str | None,
    review_time: str | None,
) -> WeekSchedule:
    defaults = WeekSchedule()

    def parsed(label: str, value: str | None, parse: Any, default: Any) -> Any:
        if value is None or not value.strip():
            return default
        try:
            return parse(value)
        except ValidationError as err:
            raise ValidationError(f"{label}: {err}") from None

    return WeekSchedule(
        kickoff_day=parsed("Kickoff day", day, parse_day, defaults.kickoff_day),
        kickoff_time=parsed("Kickoff time", time_, parse_time, defaults.kickoff_time),
        checkin_days=parsed("Check-in days", checkin_days, parse_days, defaults.checkin_days),
        checkin_time=parsed("Check-in time", checkin_time, parse_time, defaults.checkin_time),
        review_day=parsed("Review day", review_day, parse_day, defaults.review_day),
        review_time=parsed("Review time", review_time, parse_time, defaults.review_time),
    )

