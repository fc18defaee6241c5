"""The week's figures: who has which goals, sprints attended, focus minutes, streaks, notes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.goals import GoalStatus
from bot.render.accountability import GoalLine, MemberRef, MemberWeek, ReviewLine
from bot.services.accountability import queries
from bot.services.accountability.config import week_bounds
from bot.services.focus import focus_minutes
from db.models import AccountabilityWeek

__all__ = ["member_refs", "review_lines", "streaks", "week_members"]


async def member_refs(
    session: AsyncSession, guild_id: int, user_ids: Iterable[int]
) -> dict[int, MemberRef]:
    """How to show each member: their stored name, and whether they left the server."""
    refs = {uid: MemberRef(uid) for uid in set(user_ids)}
    for row in await queries.members_named(session, guild_id, refs):
        refs[row.user_id] = MemberRef(row.user_id, row.display_name, row.left_at is not None)
    return refs


async def week_members(session: AsyncSession, week: AccountabilityWeek) -> list[MemberWeek]:
    """The members with goals this week and their goals, in the order goals were added."""
    by_user: dict[int, list[GoalLine]] = {}
    for g in await queries.listed_week_goals(session, week.id):
        by_user.setdefault(g.user_id, []).append(
            GoalLine(g.id, g.text, g.status == GoalStatus.DONE, g.carried_from_id is not None)
        )
    refs = await member_refs(session, week.guild_id, by_user)
    return [MemberWeek(refs[uid], tuple(lines)) for uid, lines in by_user.items()]


async def streaks(session: AsyncSession, guild_id: int, ws: date) -> dict[int, int]:
    """Consecutive weeks up to ``ws`` in which the member finished at least one week goal."""
    weeks: dict[int, set[date]] = defaultdict(set)
    for uid, start in await queries.weeks_with_done_goals(session, guild_id, ws):
        weeks[uid].add(start)
    out: dict[int, int] = {}
    for uid, done_weeks in weeks.items():
        n = 0
        while ws - timedelta(weeks=n) in done_weeks:
            n += 1
        out[uid] = n
    return out


async def review_lines(
    session: AsyncSession, week: AccountabilityWeek, zone: ZoneInfo, now: datetime
) -> list[ReviewLine]:
    """The review figures of a week as of ``now``: members with goals first, then members who
    only sprinted."""
    start, end = week_bounds(week.week_start, zone)
    members = await week_members(session, week)
    sprints = await queries.sprints_attended(session, week.guild_id, start, end)
    focus = await focus_minutes(session, guild_id=week.guild_id, since=start, until=min(end, now))
    streak = await streaks(session, week.guild_id, week.week_start)
    notes = await queries.latest_notes(session, week.id)
    order = [m.member.user_id for m in members]
    order += sorted(uid for uid in set(sprints) | set(focus) if uid not in order)
    refs = await member_refs(session, week.guild_id, order)
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
                streak=streak.get(uid, 0),
                note=notes.get(uid),
            )
        )
    return lines
