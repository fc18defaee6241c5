"""The weekly posts: the timer, what is due, kickoff/check-in/review, and the summary refresh.

One timer per guild (``accountability:{guild_id}``) is armed at the next post; when it fires,
:meth:`WeekPosts.run_due` posts whatever is due in the current week and re-arms. Each post of a
week happens at most once: the ``AccountabilityPost`` row (unique ``(week_id, key)``) is inserted in
the same transaction as its outbox rows, under a lock on the guild's config row, so a catch-up
after downtime, a second timer or a concurrent run can never post twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Outgoing, enqueue
from bot.domain.weeks import (
    PostKind,
    ScheduledPost,
    due_posts,
    next_post,
    posts_for_week,
)
from bot.render import accountability as render
from bot.render.accountability import MemberWeek, WeekTimes
from bot.services.accountability import health, in_pods, messages, queries
from bot.services.accountability.config import (
    RETRY_AFTER,
    schedule_of,
    summary_timer_key,
    timer_key,
)
from bot.services.accountability.stats import review_lines, week_members
from bot.services.context import ServiceContext
from bot.services.timezones import current_week_start, guild_zone
from db import repositories
from db.models import AccountabilityConfig, AccountabilityPost, AccountabilityWeek

__all__ = ["WeekPosts", "resolve_week_ids", "thread_of"]

log = logging.getLogger(__name__)


@dataclass
class _Run:
    posted: list[str] = field(default_factory=list)
    next_at: datetime | None = None
    woke: bool = False


async def resolve_week_ids(
    session: AsyncSession, week: AccountabilityWeek
) -> tuple[int | None, int | None]:
    """The week's thread and summary message ids, once the sender created them (cached on the
    week row)."""
    if week.thread_id is None or week.summary_message_id is None:
        refs = {
            render.thread_ref(week.id): "thread_id",
            render.summary_ref(week.id): "summary_message_id",
        }
        for ref, result_id in (await queries.created_ids_of_refs(session, list(refs))).items():
            if getattr(week, refs[ref]) is None:
                setattr(week, refs[ref], result_id)
    return week.thread_id, week.summary_message_id


async def thread_of(session: AsyncSession, week: AccountabilityWeek) -> messages.Where:
    """Where to post in the week's thread: its id once created (resolves at once, also after a
    restart), else the ref the kickoff's thread row will fill in."""
    thread_id, _ = await resolve_week_ids(session, week)
    if thread_id:
        return {"channel_id": thread_id}
    return {"channel_ref": render.thread_ref(week.id)}


def _review_at(cfg: AccountabilityConfig, ws: date, zone: ZoneInfo) -> datetime:
    return next(
        p.at for p in posts_for_week(schedule_of(cfg), ws, zone) if p.kind is PostKind.REVIEW
    )


class WeekPosts:
    """Posts the weeks of every guild on time; refreshes summaries within the request budget."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        # Brings per-pod pods channels' rounds up to date before a run (wired by ``Services``).
        self.pod_rounds: in_pods.PodRoundsDue | None = None
        self._last_summary: dict[int, datetime] = {}
        self._summary_pending: set[int] = set()  # weeks with a refresh timer armed
        self._summary_lock = asyncio.Lock()

    # -- the timer ------------------------------------------------------------------------------

    async def restore(self) -> None:
        """Re-arm every enabled guild of this process and post what came due while we were down."""
        async with self.ctx.db.transaction() as session:
            guild_ids = await queries.enabled_guild_ids(session)
        for guild_id in guild_ids:
            if self.ctx.handles_guild(guild_id):
                await self._timer_fired(guild_id)

    async def _timer_fired(self, guild_id: int) -> None:
        try:
            await self.run_due(guild_id)
        except Exception:
            log.exception("weekly posts for guild %s failed; retrying shortly", guild_id)
            self.ctx.timers.arm(
                timer_key(guild_id),
                self.ctx.clock.now() + RETRY_AFTER,
                self._timer_fired,
                guild_id,
            )

    def arm(self, guild_id: int, when: datetime | None) -> None:
        if when is None:
            self.ctx.timers.cancel(timer_key(guild_id))
            return
        self.ctx.timers.arm(timer_key(guild_id), when, self._timer_fired, guild_id)

    async def catch_up_pods(self, guild_id: int) -> None:
        """Let per-pod pods channels start a round that is due first (a failure there is logged
        and does not stop the weekly posts)."""
        if self.pod_rounds is None:
            return
        try:
            await self.pod_rounds.catch_up(guild_id)
        except Exception:
            log.exception("pods rounds of guild %s before the weekly posts failed", guild_id)

    async def run_due(self, guild_id: int) -> list[str]:
        """Post whatever of the current week is due and not yet done, then re-arm. Idempotent."""
        run = _Run()
        await self.catch_up_pods(guild_id)
        async with self.ctx.db.transaction() as session:
            cfg = await queries.config_of(session, guild_id, for_update=True)
            if cfg is None or not cfg.enabled:
                self.ctx.timers.cancel(timer_key(guild_id))
                return []
            now = self.ctx.clock.now()
            problem = await health.channel_failure(session, cfg)
            if problem is not None:
                health.disable_for(session, cfg, problem, note=False, now=now)
                self.ctx.timers.cancel(timer_key(guild_id))
                return []
            await self._run_due(session, cfg, now, run)
        if run.posted or run.woke:
            self.ctx.delivery.wake()
        self.arm(guild_id, run.next_at)
        return run.posted

    async def _run_due(
        self, session: AsyncSession, cfg: AccountabilityConfig, now: datetime, run: _Run
    ) -> None:
        zone = await guild_zone(session, cfg.guild_id)
        schedule = schedule_of(cfg)
        ws = await current_week_start(session, cfg.guild_id, now)
        week = await repositories.week(session, cfg.guild_id, ws)
        done = await queries.posts_done(session, week.id) if week is not None else {}
        due = due_posts(schedule, zone, now, {(ws, k) for k in done}, week=ws)
        handled = {(ws, k) for k in done} | {p.done_key for p in due}
        kickoff_at = done.get(PostKind.KICKOFF.value)
        for i, post in enumerate(due):
            later = due[i + 1 :]
            if cfg.active_from is not None and post.at < cfg.active_from:
                continue
            if post.kind is PostKind.KICKOFF:
                week = await self.post_kickoff(session, cfg, zone, ws, post.at, now)
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
        upcoming = next_post(schedule, zone, now, handled, week=ws)
        run.next_at = upcoming.at if upcoming is not None else None

    async def zone_changed(self, session: AsyncSession, guild_id: int) -> None:
        """The server's zone changed (inside that transaction): run the schedule right away so
        the timer moves with the zone. The config row lock makes that run wait for the commit."""
        cfg = await queries.config_of(session, guild_id, for_update=True)
        if cfg is not None and cfg.enabled:
            self.arm(guild_id, self.ctx.clock.now())

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

    async def post_kickoff(
        self,
        session: AsyncSession,
        cfg: AccountabilityConfig,
        zone: ZoneInfo,
        ws: date,
        scheduled_at: datetime,
        now: datetime,
    ) -> AccountabilityWeek | None:
        """Start the week ``ws``: its kickoff, thread and summary (None if it already started)."""
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
        if await in_pods.runs_in_pods(session, cfg.guild_id):
            await enqueue(session, *await in_pods.start_week(session, cfg, week, times, now))
        else:
            members = await week_members(session, week)
            await enqueue(session, *messages.kickoff_posts(cfg, week, ws, times, members, now))
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
        review_at = _review_at(cfg, week.week_start, zone)
        if week.in_pods:
            await enqueue(session, *await in_pods.checkin_rows(session, week, review_at, now))
            self._last_summary[week.id] = now
            return True
        members = await week_members(session, week)
        open_members = [m for m in members if m.open_goals]
        await enqueue(
            session,
            messages.checkin_post(week, open_members, review_at, await thread_of(session, week)),
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
        if week.in_pods:
            await enqueue(session, *await in_pods.review_rows(session, week, zone, now))
        else:
            await enqueue(session, *await self._server_review(session, cfg, week, now, zone))
        self._last_summary[week.id] = now
        self._summary_pending.discard(week.id)
        self.ctx.timers.cancel(summary_timer_key(week.id))
        return True

    async def _server_review(
        self,
        session: AsyncSession,
        cfg: AccountabilityConfig,
        week: AccountabilityWeek,
        now: datetime,
        zone: ZoneInfo,
    ) -> list[Outgoing]:
        lines = await review_lines(session, week, zone, now)
        members = await week_members(session, week)
        review, archived = messages.review_posts(
            week, lines, archive=cfg.archive_after_review, thread=await thread_of(session, week)
        )
        rows = [review, await self._summary_edit(session, week, members, now, final=True)]
        if archived is not None:
            rows.append(archived)
            week.archived_at = now
        return rows

    async def _summary_edit(
        self,
        session: AsyncSession,
        week: AccountabilityWeek,
        members: list[MemberWeek],
        now: datetime,
        *,
        final: bool = False,
    ) -> Outgoing:
        _, summary_id = await resolve_week_ids(session, week)
        return messages.summary_edit(
            week,
            members,
            now,
            thread=await thread_of(session, week),
            summary_id=summary_id,
            final=final,
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
                    summary_timer_key(week_id),
                    last + interval,
                    self._refresh_summary_job,
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
            done = await queries.posts_done(session, week_id)
            if PostKind.KICKOFF.value not in done or PostKind.REVIEW.value in done:
                return False
            if week.in_pods:
                await enqueue(session, *await in_pods.summary_rows(session, week, now))
            else:
                members = await week_members(session, week)
                await enqueue(session, await self._summary_edit(session, week, members, now))
        self._last_summary[week_id] = now
        return True
