"""Weekly accountability: a thread per week with kickoff, check-ins and a review, posted on time.

The schedule is local wall time in the server's zone (``bot.domain.weeks``), so posts stay right
across DST. The timer and the posts are in ``posts.py``; the week's figures in ``stats.py``; what
can break delivery in ``health.py``. Week goals belong to the goals service
(``bot.services.goals.week``): the thread's buttons go through it with this service's rule for when
a week takes changes (:meth:`AccountabilityService.live_week`), and this service refreshes the
week's summary when the goals service says a week's goals changed.

Posts whose time came before the schedule was set up are never caught up (``active_from``): a setup
on a Wednesday does not fire Monday's kickoff; ``/accountability post-now`` starts the week instead.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import Conflict, NotFound, PermissionDenied
from bot.domain.text import clean_note
from bot.domain.weeks import (
    PostKind,
    ScheduledPost,
    posts_for_week,
    week_end,
    week_label,
)
from bot.render import accountability as render
from bot.render.accountability import GoalLine, MemberWeek, ReviewLine
from bot.services.accountability import health, in_pods, members, queries, stats
from bot.services.accountability.config import (
    and_join,
    missing_permissions,
    parse_schedule,
    schedule_of,
    timer_key,
)
from bot.services.accountability.posts import WeekPosts, resolve_week_ids, thread_of
from bot.services.accountability.types import (
    AddGoalsResult,
    CarryResult,
    ConfigView,
    WeekStarted,
)
from bot.services.context import ServiceContext
from bot.services.goals import GoalService
from bot.services.privacy.gate import refuse_untracked
from bot.services.timezones import TimezoneService, current_week_start, guild_zone
from db import repositories
from db.models import (
    AccountabilityConfig,
    AccountabilityNote,
    AccountabilityWeek,
)

__all__ = ["AccountabilityService"]


class AccountabilityService:
    def __init__(
        self,
        ctx: ServiceContext,
        timezones: TimezoneService | None = None,
        *,
        goals: GoalService,
    ) -> None:
        self.ctx = ctx
        self.goals = goals
        self.posts = WeekPosts(ctx)
        goals.on_week_changed(self.goals_changed)
        if timezones is not None:
            timezones.on_server_zone_changed(self.posts.zone_changed)

    def follow_pod_rounds(self, rounds: in_pods.PodRoundsDue) -> None:
        """Bring per-pod pods channels' rounds up to date before each run of the weekly posts."""
        self.posts.pod_rounds = rounds

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
        schedule = parse_schedule(day, time_, checkin_days, checkin_time, review_day, review_time)
        if bot_permissions is not None:
            missing = missing_permissions(channel_is_forum, bot_permissions)
            if missing:
                kind = "forum" if channel_is_forum else "channel"
                raise PermissionDenied(
                    f"I can't run weekly threads in <#{channel_id}>: I'm missing the "
                    f"{and_join(missing)} permission{'s' if len(missing) > 1 else ''} in that "
                    f"{kind}. Grant {'them' if len(missing) > 1 else 'it'} to my role there, "
                    "or pick another channel."
                )
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            cfg = await queries.config_of(session, guild_id, for_update=True)
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
            await health.acknowledge_failures(session, guild_id)
        await self.run_due(guild_id)  # arms the timer; nothing before active_from is posted
        return await self.show(guild_id)

    async def show(self, guild_id: int) -> ConfigView:
        """The configuration, next posts and any problem (a failed post turns posting off)."""
        await self.check_delivery(guild_id)
        async with self.ctx.db.transaction() as session:
            cfg = await queries.config_of(session, guild_id)
            if cfg is None:
                raise NotFound(
                    "Weekly accountability isn't set up here yet. A manager can run "
                    "`/accountability setup` to pick a channel and times."
                )
            return await self._view(session, cfg, self.ctx.clock.now())

    async def disable(self, guild_id: int) -> ConfigView:
        async with self.ctx.db.transaction() as session:
            cfg = await queries.config_of(session, guild_id, for_update=True)
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
        await self.posts.catch_up_pods(guild_id)
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            cfg = await queries.config_of(session, guild_id, for_update=True)
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
            ws = await current_week_start(session, guild_id, now)
            week = await repositories.week(session, guild_id, ws)
            if week is not None and await queries.posts_done(session, week.id):
                if week.in_pods:
                    raise Conflict("This week is already up, in each pod's thread.")
                thread_id, _ = await resolve_week_ids(session, week)
                where = f": <#{thread_id}>" if thread_id else " (it's on its way)"
                raise Conflict(f"This week's thread is already up{where}.")
            review = next(
                p for p in posts_for_week(schedule, ws, zone) if p.kind is PostKind.REVIEW
            )
            if review.at <= now:
                following = next(
                    p
                    for p in posts_for_week(schedule, ws + timedelta(weeks=1), zone)
                    if p.kind is PostKind.KICKOFF
                )
                raise Conflict(
                    "This week's review time has passed, so I won't start this week now. "
                    f"Next week's thread starts {render.ts(following.at)}."
                )
            week = await self.posts.post_kickoff(session, cfg, zone, ws, scheduled_at=now, now=now)
            assert week is not None
            if week.in_pods and not await queries.pod_weeks_of(session, week.id):
                raise Conflict(  # rolls the kickoff back: the week can still start later
                    "No pods round is running, so there's no pod thread to start this week in. "
                    "`/pods round-now` matches pods now; then try again."
                )
            started = WeekStarted(week_id=week.id, week_start=ws, label=week_label(ws))
        self.ctx.delivery.wake()
        await self.run_due(guild_id)  # re-arms; posts due before this kickoff are not sent
        return started

    # -- the timer and the summary (posts.py) ---------------------------------------------------

    async def restore(self) -> None:
        """Re-arm every enabled guild of this process and post what came due while we were down."""
        await self.posts.restore()

    async def run_due(self, guild_id: int) -> list[str]:
        """Post whatever of the current week is due and not yet done, then re-arm. Idempotent."""
        return await self.posts.run_due(guild_id)

    async def goals_changed(self, week_id: int) -> None:
        """Week goals changed (the goals service tells us after the commit): refresh the week's
        summary within the request budget."""
        await self.posts.goals_changed(week_id)

    async def refresh_summary(self, week_id: int) -> bool:
        return await self.posts.refresh_summary(week_id)

    # -- the week's figures ---------------------------------------------------------------------

    async def _week(self, session: AsyncSession, week_id: int) -> AccountabilityWeek:
        week = await session.get(AccountabilityWeek, week_id)
        if week is None:
            raise NotFound("I can't find that week any more.")
        return week

    async def week_members(self, week_id: int) -> list[MemberWeek]:
        async with self.ctx.db.transaction() as session:
            return await stats.week_members(session, await self._week(session, week_id))

    async def review_lines(self, week_id: int) -> list[ReviewLine]:
        """The review figures of a week as of now (also what the review post shows)."""
        async with self.ctx.db.transaction() as session:
            week = await self._week(session, week_id)
            zone = await guild_zone(session, week.guild_id)
            return await stats.review_lines(session, week, zone, self.ctx.clock.now())

    # -- the week's rule for changes (goals.week.WeekRules) -------------------------------------

    async def live_week(
        self,
        session: AsyncSession,
        week_id: int,
        guild_id: int,
        *,
        allow_reviewed: bool = False,
        lock: bool = False,
    ) -> AccountabilityWeek:
        """The week if it still takes changes (locked for writes, so concurrent clicks on one
        week run one at a time); raises saying why not (reviewed, or over)."""
        week = (
            await queries.week_for_update(session, week_id)
            if lock
            else await session.get(AccountabilityWeek, week_id)
        )
        if week is None or week.guild_id != guild_id:
            raise NotFound("I can't find that week any more.")
        if allow_reviewed:
            return week
        label = week_label(week.week_start)
        if PostKind.REVIEW.value in await queries.posts_done(session, week_id):
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

    async def thread_of(self, session: AsyncSession, week: AccountabilityWeek) -> dict[str, Any]:
        return await thread_of(session, week)

    # -- goals from the thread (owned by the goals service) -------------------------------------

    async def accepts_goals(self, guild_id: int, week_id: int) -> bool:
        """Raise if the week's thread no longer takes goals; True when it is the current week."""
        async with self.ctx.db.transaction() as session:
            week = await self.live_week(session, week_id, guild_id)
            return week.week_start == await current_week_start(
                session, guild_id, self.ctx.clock.now()
            )

    async def add_goals(
        self, guild_id: int, week_id: int, user_id: int, display_name: str, text: str
    ) -> AddGoalsResult:
        """The thread's goal form: one week goal per non-blank line. Lines that can't be stored
        are returned with the reason (so the member can copy them back); the rest are kept."""
        await self.remember_member(guild_id, user_id, display_name)
        return await self.goals.week.add_lines(self, guild_id, week_id, user_id, text)

    async def open_goals(self, guild_id: int, week_id: int, user_id: int) -> list[GoalLine]:
        goals = await self.goals.week.open_goals(self, guild_id, week_id, user_id)
        return [GoalLine(g.id, g.text, False, g.carried_from_id is not None) for g in goals]

    async def mark_done(
        self,
        guild_id: int,
        week_id: int,
        user_id: int,
        goal_ids: Iterable[int],
        display_name: str = "",
    ) -> list[str]:
        """The thread's "Mark done" menu: tick off the member's own open goals of the week with
        the rules of ``/done``; already-done ones count once."""
        texts = await self.goals.week.mark_done(self, guild_id, week_id, user_id, goal_ids)
        if display_name:
            await self.remember_member(guild_id, user_id, display_name)
        return texts

    async def carry_over(
        self, guild_id: int, week_id: int, user_id: int, display_name: str = ""
    ) -> CarryResult:
        """Copy the member's open goals of the week into next week (once per goal)."""
        result = await self.goals.week.carry_over(self, guild_id, week_id, user_id)
        if display_name:
            await self.remember_member(guild_id, user_id, display_name)
        return result

    async def add_note(
        self, guild_id: int, week_id: int, user_id: int, display_name: str, text: str
    ) -> str:
        """Store a progress note for the week; returns the cleaned note (shown in the review)."""
        note = clean_note(text)
        async with self.ctx.db.transaction() as session:
            await refuse_untracked(session, user_id)  # issue 16: don't track me
            week = await self.live_week(session, week_id, guild_id)
            await members.remember(session, guild_id, user_id, display_name)
            session.add(
                AccountabilityNote(
                    week_id=week.id, user_id=user_id, text=note, created_at=self.ctx.clock.now()
                )
            )
        return note

    # -- members --------------------------------------------------------------------------------

    async def remember_member(self, guild_id: int, user_id: int, display_name: str) -> None:
        """Keep the member's current name (shown if they later leave); clears "left"."""
        async with self.ctx.db.transaction() as session:
            await members.remember(session, guild_id, user_id, display_name)

    async def member_left(self, guild_id: int, user_id: int, display_name: str = "") -> None:
        """The member left the server: their goals stay, they are shown by name, never pinged."""
        async with self.ctx.db.transaction() as session:
            await members.mark_left(session, guild_id, user_id, display_name, self.ctx.clock.now())

    # -- channels going away and delivery failures -------------------------------------------

    async def _week_of_thread(
        self, session: AsyncSession, guild_id: int, channel_id: int
    ) -> AccountabilityWeek | None:
        week = await queries.week_of_thread(session, guild_id, channel_id)
        if week is not None:
            return week
        for ref in await queries.refs_of_created(session, guild_id, channel_id):
            week_id = render.week_of_thread_ref(ref)
            if week_id is not None:
                return await session.get(AccountabilityWeek, week_id)
        return None

    async def channel_deleted(self, guild_id: int, channel_id: int) -> bool:
        """The accountability channel (or a week's thread) was deleted. The channel: weekly posts
        stop with a note for managers. A thread: the rest of that week is skipped there (a pod's
        thread: in that pod only)."""
        disabled = False
        async with self.ctx.db.transaction() as session:
            cfg = await queries.config_of(session, guild_id, for_update=True)
            if cfg is not None and cfg.channel_id == channel_id and cfg.enabled:
                health.disable_for(
                    session,
                    cfg,
                    "The accountability channel was deleted. Pick a new one with "
                    "`/accountability setup`.",
                    note=True,
                    now=self.ctx.clock.now(),
                )
                disabled = True
            week = await self._week_of_thread(session, guild_id, channel_id)
            if week is not None and week.archived_at is None:
                week.archived_at = self.ctx.clock.now()
            elif week is None:  # a pod's thread: that pod's weeks stop, the other pods carry on
                await in_pods.thread_deleted(session, channel_id, self.ctx.clock.now())
        if disabled:
            self.ctx.timers.cancel(timer_key(guild_id))
        return disabled

    async def check_delivery(self, guild_id: int) -> bool:
        """Disable the schedule if a post to the accountability channel failed for good (missing
        access, unknown channel). Returns True when it did. Also runs before every post."""
        async with self.ctx.db.transaction() as session:
            cfg = await queries.config_of(session, guild_id, for_update=True)
            if cfg is None or not cfg.enabled:
                return False
            problem = await health.channel_failure(session, cfg)
            if problem is None:
                return False
            health.disable_for(session, cfg, problem, note=False, now=self.ctx.clock.now())
        self.ctx.timers.cancel(timer_key(guild_id))
        return True

    # -- the view -------------------------------------------------------------------------------

    async def _view(
        self, session: AsyncSession, cfg: AccountabilityConfig, now: datetime
    ) -> ConfigView:
        zone = await guild_zone(session, cfg.guild_id)
        schedule = schedule_of(cfg)
        ws = await current_week_start(session, cfg.guild_id, now)
        week = await repositories.week(session, cfg.guild_id, ws)
        done = await queries.posts_done(session, week.id) if week is not None else {}
        thread_id = (await resolve_week_ids(session, week))[0] if week is not None else None
        posts = posts_for_week(schedule, ws, zone)
        kickoff = next(p for p in posts if p.kind is PostKind.KICKOFF)
        review = next(p for p in posts if p.kind is PostKind.REVIEW)
        started = PostKind.KICKOFF.value in done
        missed = (
            cfg.enabled
            and not started
            and kickoff.at <= now < review.at
            and cfg.active_from is not None
            and kickoff.at < cfg.active_from
        )
        # This week's posts still happen if its thread is up or its kickoff is still ahead (or
        # about to be caught up); otherwise only next week's.
        this_week_live = (
            started
            or kickoff.at > now
            or (cfg.active_from is not None and kickoff.at >= cfg.active_from)
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
            problems=tuple(await health.problems(session, cfg)),
            pods_channel_ids=tuple(await queries.per_pod_channel_ids(session, cfg.guild_id)),
        )
