"""The weekly cycle inside pods: kickoff, check-ins, review and summary in each pod's thread.

A pods channel set up with ``/pods setup accountability:per_pod`` runs the guild's weekly cycle
(its days and times from ``/accountability setup``) in each pod's thread instead of one
server-wide thread. The choice is made at each kickoff: the week is marked ``in_pods`` and gets an
``AccountabilityPodWeek`` per pod of the round running then, so a re-match moves members' weeks to
their new pod threads at the next kickoff, never mid-week. Each pod thread shows only its members'
goals, pings only its members at a check-in, and its review lists only them. Week goals stay the
guild week's (the same ``/goal`` and buttons). A pod whose thread was deleted is skipped from then
on; the other pods carry on.

Before the weekly posts run, :class:`PodRoundsDue` brings those pods channels' rounds up to date,
so a kickoff at the same moment a new round starts goes to the new pods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Outgoing
from bot.render import accountability as render
from bot.render.accountability import MemberWeek, WeekTimes
from bot.render.pods import thread_ref as pod_thread_ref
from bot.services.accountability import messages, queries
from bot.services.accountability.stats import review_lines, week_members
from bot.services.pods import queries as pod_queries
from db.models import AccountabilityConfig, AccountabilityPodWeek, AccountabilityWeek, PodGroup

__all__ = [
    "PodRoundsDue",
    "checkin_rows",
    "review_rows",
    "runs_in_pods",
    "start_week",
    "summary_rows",
    "thread_deleted",
]


class PodRoundsDue(Protocol):
    async def catch_up(self, guild_id: int) -> None:
        """Run whatever is due of the rounds of the guild's per-pod pods channels."""
        ...


@dataclass(frozen=True)
class _Place:
    """One pod's week: where its posts go and who is in it."""

    pod_week: AccountabilityPodWeek
    members: frozenset[int]
    thread: messages.Where


def _thread(pod: PodGroup) -> messages.Where:
    if pod.thread_id is not None:
        return {"channel_id": pod.thread_id}
    return {"channel_ref": pod_thread_ref(pod.id)}


def _of(members: Sequence[MemberWeek], place: _Place) -> list[MemberWeek]:
    return [m for m in members if m.member.user_id in place.members]


async def runs_in_pods(session: AsyncSession, guild_id: int) -> bool:
    """Whether a week starting now runs in pod threads (a pods channel chose it)."""
    return bool(await queries.per_pod_configs(session, guild_id))


async def start_week(
    session: AsyncSession,
    cfg: AccountabilityConfig,
    week: AccountabilityWeek,
    times: WeekTimes,
    now: datetime,
) -> list[Outgoing]:
    """The kickoff in the thread of every pod of the rounds running now (the week is marked)."""
    week.in_pods = True
    everyone = await week_members(session, week)
    rows: list[Outgoing] = []
    for pods_cfg in await queries.per_pod_configs(session, cfg.guild_id):
        rnd = await pod_queries.latest_round(session, pods_cfg.id)
        if rnd is None or rnd.closed_at is not None:
            continue  # no round on: nobody to post to in this channel this week
        pods = await pod_queries.pods_of(session, rnd.id)
        await pod_queries.resolve_threads(session, pods)
        seated = await queries.pod_members(session, [p.id for p in pods])
        for pod in pods:
            if pod.thread_gone or not seated.get(pod.id):
                continue
            pod_week = AccountabilityPodWeek(week_id=week.id, pod_id=pod.id, created_at=now)
            session.add(pod_week)
            await session.flush()
            place = _Place(pod_week, frozenset(seated[pod.id]), _thread(pod))
            rows += messages.pod_kickoff_posts(
                week, pod_week, times, _of(everyone, place), now, thread=place.thread
            )
    return rows


async def _places(session: AsyncSession, week: AccountabilityWeek, now: datetime) -> list[_Place]:
    """The week's pod threads still running; a pod whose thread is gone is archived here."""
    found = await queries.pod_weeks_of(session, week.id)
    pods = [pod for _, pod in found]
    await pod_queries.resolve_threads(session, pods)
    seated = await queries.pod_members(session, [p.id for p in pods])
    places: list[_Place] = []
    for pod_week, pod in found:
        if pod.thread_gone:
            pod_week.archived_at = now
            continue
        places.append(_Place(pod_week, frozenset(seated.get(pod.id, ())), _thread(pod)))
    return places


async def _summary_edit(
    session: AsyncSession,
    week: AccountabilityWeek,
    place: _Place,
    members: Sequence[MemberWeek],
    now: datetime,
    *,
    final: bool = False,
) -> Outgoing:
    pod_week = place.pod_week
    ref = render.pod_summary_ref(pod_week.id)
    if pod_week.summary_message_id is None:
        pod_week.summary_message_id = (await queries.created_ids_of_refs(session, [ref])).get(ref)
    return messages.summary_edit(
        week,
        members,
        now,
        thread=place.thread,
        summary_id=pod_week.summary_message_id,
        final=final,
        summary_ref=ref,
        supersede_key=render.pod_summary_supersede_key(pod_week.id),
    )


async def checkin_rows(
    session: AsyncSession, week: AccountabilityWeek, review_at: datetime, now: datetime
) -> list[Outgoing]:
    """A check-in in every pod thread, pinging that pod's members with open goals."""
    everyone = await week_members(session, week)
    rows: list[Outgoing] = []
    for place in await _places(session, week, now):
        members = _of(everyone, place)
        open_members = [m for m in members if m.open_goals]
        rows.append(messages.checkin_post(week, open_members, review_at, place.thread))
        rows.append(await _summary_edit(session, week, place, members, now))
    return rows


async def review_rows(
    session: AsyncSession, week: AccountabilityWeek, zone: ZoneInfo, now: datetime
) -> list[Outgoing]:
    """The review in every pod thread, with that pod's members only. A pod's thread belongs to
    the pod, so it is never archived by the review."""
    lines = await review_lines(session, week, zone, now)
    everyone = await week_members(session, week)
    rows: list[Outgoing] = []
    for place in await _places(session, week, now):
        pod_lines = [line for line in lines if line.member.user_id in place.members]
        review, _ = messages.review_posts(
            week,
            pod_lines,
            archive=False,
            thread=place.thread,
            ref=render.pod_review_ref(place.pod_week.id),
        )
        rows.append(review)
        rows.append(
            await _summary_edit(session, week, place, _of(everyone, place), now, final=True)
        )
    return rows


async def summary_rows(
    session: AsyncSession, week: AccountabilityWeek, now: datetime
) -> list[Outgoing]:
    """An up-to-date summary in every pod thread of the week."""
    everyone = await week_members(session, week)
    return [
        await _summary_edit(session, week, place, _of(everyone, place), now)
        for place in await _places(session, week, now)
    ]


async def thread_deleted(session: AsyncSession, thread_id: int, now: datetime) -> bool:
    """A deleted thread that was a pod's: its weeks stop posting there. True if it was one."""
    pod = await pod_queries.pod_by_thread(session, thread_id)
    if pod is None:
        return False
    for pod_week in await queries.pod_weeks_of_pod(session, pod.id):
        pod_week.archived_at = now
    return True
