"""The one loader of focus minutes (the debrief, the weekly review, and any later stats use it).

Focus is the time a member was present while a work phase ran (``bot.domain.focus``), read from
the stored ``WorkSpan`` and ``PresenceSpan`` rows. Minutes are *sprint minutes*: real seconds ×
the sprint's ``speed`` / 60, rounded to the nearest minute. At speed 1 (the only speed outside
tests and demos) that is plain real minutes.

Two copies used to disagree here: the debrief scaled by speed and rounded
(``tests/services/test_checkins.py::test_focus_minutes_are_sprint_minutes_at_test_speeds``), the
weekly review ignored speed and rounded down. The tests assert the debrief's rule, and the weekly
tests only use speed-1 sprints of whole minutes (same figures under both rules), so the
debrief's rule is the one kept.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.focus import focus_seconds
from bot.domain.sprint import Span
from db.models import PresenceSpan, Sprint, WorkSpan

__all__ = ["focus_minutes"]


def _clip(
    started: datetime, ended: datetime | None, since: datetime | None, until: datetime
) -> Span | None:
    lo = started if since is None else max(started, since)
    hi = min(ended if ended is not None else until, until)
    return Span(lo, hi) if hi > lo else None


async def focus_minutes(
    session: AsyncSession,
    *,
    until: datetime,
    sprint_id: int | None = None,
    guild_id: int | None = None,
    since: datetime | None = None,
) -> dict[int, int]:
    """Sprint minutes each member was present while work ran, within ``[since, until)``.

    Over one sprint (``sprint_id``) or every sprint of a server (``guild_id``); spans still open
    run until ``until``. A member present only while no work ran is listed with 0.
    """
    if since is not None and until <= since:
        return {}
    sprints: Select[tuple[int]] = select(Sprint.id)
    if sprint_id is not None:
        sprints = sprints.where(Sprint.id == sprint_id)
    if guild_id is not None:
        sprints = sprints.where(Sprint.guild_id == guild_id)

    def overlapping(model: type[WorkSpan] | type[PresenceSpan]) -> Any:
        cond = and_(model.sprint_id.in_(sprints), model.started_at < until)
        if since is not None:
            cond = and_(cond, or_(model.ended_at.is_(None), model.ended_at > since))
        return cond

    work: dict[int, list[Span]] = defaultdict(list)
    for w in await session.scalars(select(WorkSpan).where(overlapping(WorkSpan))):
        span = _clip(w.started_at, w.ended_at, since, until)
        if span is not None:
            work[w.sprint_id].append(span)
    presence: dict[tuple[int, int], list[Span]] = defaultdict(list)
    for p in await session.scalars(select(PresenceSpan).where(overlapping(PresenceSpan))):
        span = _clip(p.started_at, p.ended_at, since, until)
        if span is not None:
            presence[(p.sprint_id, int(p.user_id))].append(span)
    speeds = dict(
        (await session.execute(select(Sprint.id, Sprint.speed).where(Sprint.id.in_(sprints))))
        .tuples()
        .all()
    )
    seconds: dict[int, float] = defaultdict(float)
    for (sid, user_id), spans in presence.items():
        speed = speeds.get(sid) or 1.0
        seconds[user_id] += focus_seconds(work.get(sid, []), spans, until) * speed
    return {user_id: round(s / 60) for user_id, s in seconds.items()}
