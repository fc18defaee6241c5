"""One click from a pod's intro: its first shared free time becomes a weekly standing session in
the pod's thread (issue #15), only for the pod's members, a week on when that time has passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.domain.errors import Conflict, PermissionDenied
from bot.render.pods import PodIntro, PodMate, intro_payload
from bot.services.sessions import SessionService
from bot.services.sprints import SprintService
from db.engine import Database
from db.models import OutboxMessage, PodGroup, PodSeat, SessionRsvp, SessionSeries
from tests.services.test_pods import GUILD, World, started

THREAD = 10**17 + 77


async def _pod(w: World) -> tuple[int, list[int]]:
    """The first pod, its thread made by the sender (result id THREAD), and its members."""
    async with w.db.transaction() as s:
        pod = (await s.execute(select(PodGroup).order_by(PodGroup.id).limit(1))).scalar_one()
        thread = (
            await s.execute(
                select(OutboxMessage).where(OutboxMessage.ref == f"pod_thread:{pod.id}")
            )
        ).scalar_one()
        thread.result_id = THREAD
        members = list(
            (await s.execute(select(PodSeat.user_id).where(PodSeat.pod_id == pod.id))).scalars()
        )
        return pod.id, members


def _wire(w: World) -> None:
    ctx = w.pods.ctx
    w.pods.sessions = SessionService(ctx, SprintService(ctx))


async def test_a_member_makes_the_first_free_time_the_pods_weekly_session(
    database: Database,
) -> None:
    w = await started(database, 4)
    _wire(w)
    pod_id, (member, _mate) = await _pod(w)
    await w.tz.set_member_zone(member, "America/New_York")
    at = w.clock.now() + timedelta(days=2, hours=3)  # the intro's first shared free time
    view = await w.pods.meet_weekly(GUILD, pod_id, member, "member", at)
    assert view.channel_id == THREAD and view.title.startswith("Pod ")
    assert view.zone == "America/New_York" and "every" in view.repeat_text
    assert view.next is not None and view.next.starts_at == at
    async with database.transaction() as s:
        series = (await s.execute(select(SessionSeries))).scalar_one()
        assert series.rrule is not None and "FREQ=WEEKLY" in series.rrule
        going = set((await s.execute(select(SessionRsvp.user_id, SessionRsvp.status))).all())
    assert going == {(member, "going")}  # the one who pressed; the mates answer on the card
    card = [
        r
        for r in await w.posts("")
        if r.channel_id == THREAD and r.ref and r.ref.startswith("session")
    ]
    assert card, "the series' card goes to the pod's thread"


async def test_a_past_free_time_moves_a_week_on(database: Database) -> None:
    w = await started(database, 2)
    _wire(w)
    pod_id, (member, _mate) = await _pod(w)
    at = w.clock.now() - timedelta(hours=1)
    view = await w.pods.meet_weekly(GUILD, pod_id, member, "member", at)
    assert view.next is not None and view.next.starts_at == at + timedelta(days=7)


async def test_only_the_pods_members_may_and_a_gone_thread_says_so(database: Database) -> None:
    w = await started(database, 4)
    _wire(w)
    pod_id, (member, _mate) = await _pod(w)
    async with database.transaction() as s:
        other = (
            await s.execute(select(PodSeat.user_id).where(PodSeat.pod_id != pod_id).limit(1))
        ).scalar_one()
    at = w.clock.now() + timedelta(days=1)
    with pytest.raises(PermissionDenied, match="Only the members of Pod"):
        await w.pods.meet_weekly(GUILD, pod_id, other, "other", at)
    await w.pods.thread_deleted(GUILD, THREAD)
    with pytest.raises(Conflict, match="no thread any more"):
        await w.pods.meet_weekly(GUILD, pod_id, member, "member", at)
    async with database.transaction() as s:
        assert (await s.execute(select(SessionSeries))).first() is None


def test_the_intro_offers_the_button_only_with_a_shared_free_time() -> None:
    start = datetime(2027, 1, 5, 14, tzinfo=UTC)
    mates = (PodMate(1, "a", "UTC", start, True), PodMate(2, "b", "UTC", start, True))
    base = dict(pod_id=9, number=1, round_number=1, mates=mates, ends_at=start, kept=False)
    with_time = intro_payload(
        PodIntro(shared=((start, start + timedelta(hours=1)),), shared_minutes=60, **base)
    )
    ids = [c["custom_id"] for row in with_time["components"] for c in row["components"]]
    assert f"podweekly:9:{int(start.timestamp())}" in ids
    without = intro_payload(PodIntro(shared=(), shared_minutes=0, **base))
    ids = [c["custom_id"] for row in without["components"] for c in row["components"]]
    assert not any(i.startswith("podweekly:") for i in ids)
