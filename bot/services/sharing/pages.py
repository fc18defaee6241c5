"""The live page's view model, read for many sprints at once (a handful of queries in all).

Used for a page load (one sprint) and by the live hub, which reads every sprint that changed in
one transaction, so a burst of phase changes costs a few queries rather than a few per sprint.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Set
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import sprint as domain
from bot.domain.sprint import PhaseKind, SprintPlan, SprintState, Status
from bot.services.sharing import queries
from bot.services.sharing.types import (
    GoalItem,
    LivePage,
    PersonItem,
    PhaseItem,
    SummaryMember,
    SummaryView,
)
from db.models import Participant, Sprint

PHASE_LABELS = {
    PhaseKind.INTRO: "Intro",
    PhaseKind.WORK: "Work",
    PhaseKind.BREAK: "Break",
    PhaseKind.LONG_BREAK: "Long break",
}
END_REASONS = {
    "finished": "Finished",
    "stopped": "Stopped early",
    "empty": "Ended: everyone left",
    "channel": "Ended: its channel was deleted",
}

Goals = dict[int, list[GoalItem]]  # user -> their goals in the sprint


async def read_pages(
    session: AsyncSession, wanted: Mapping[int, Set[bool]], now: datetime
) -> dict[int, dict[bool, LivePage]]:
    """For each sprint id, its page with (True) and/or without (False) names and goals."""
    sprints = await queries.sprint_rows(session, list(wanted))
    if not sprints:
        return {}
    ids = list(sprints)
    parts = await queries.participants_of(session, ids)
    over = {sid for sid, row in sprints.items() if row.status not in ("running", "paused")}
    need_goals = [sid for sid in ids if sid in over or True in wanted[sid]]
    goals = await queries.goals_of(session, need_goals) if need_goals else {}
    focus = await queries.work_seconds_of(session, sorted(over), now) if over else {}
    out: dict[int, dict[bool, LivePage]] = {}
    for sid, row in sprints.items():
        by_user: Goals = defaultdict(list)
        for user_id, text, status in goals.get(sid, ()):
            by_user[user_id].append(GoalItem(text=text, done=status == "done"))
        out[sid] = {
            flag: build_page(row, parts.get(sid, []), by_user, focus.get(sid, 0.0), flag)
            for flag in wanted[sid]
        }
    return out


def build_page(
    sprint: Sprint,
    parts: list[Participant],
    goals: Goals,
    work_seconds: float,
    show_people: bool,
) -> LivePage:
    plan = SprintPlan.from_dict(sprint.plan)
    state = SprintState(
        status=Status(sprint.status),
        phase_index=sprint.phase_index,
        phase_started_at=sprint.phase_started_at,
        phase_ends_at=sprint.phase_ends_at,
        paused_remaining=(
            None
            if sprint.paused_remaining_s is None
            else timedelta(seconds=sprint.paused_remaining_s)
        ),
        ended_at=sprint.ended_at,
    )
    phase = domain.current_phase(plan, state)
    planned = domain.phase_duration(phase.minutes, sprint.speed).total_seconds()
    if state.phase_ends_at is not None:
        length = max(planned, (state.phase_ends_at - state.phase_started_at).total_seconds())
    elif state.paused_remaining is not None:
        length = max(planned, state.paused_remaining.total_seconds())
    else:
        length = planned
    finished = state.status is Status.FINISHED
    timeline = tuple(
        PhaseItem(
            kind=p.kind.value,
            label=PHASE_LABELS[p.kind],
            minutes=p.minutes,
            round=p.round,
            state=(
                "done"
                if finished or p.index < phase.index
                else "current"
                if p.index == phase.index
                else "next"
            ),
        )
        for p in domain.timeline(plan)
    )
    shown = parts if state.is_over else [p for p in parts if p.active]
    people = None
    if show_people:
        people = tuple(
            PersonItem(name=p.display_name or "Someone", goals=tuple(goals.get(p.user_id, ())))
            for p in shown
        )
    summary = None
    if state.is_over:
        summary = _summary(sprint, plan, phase, parts, goals, work_seconds, show_people)
    return LivePage(
        title=sprint.title,
        status=state.status.value,
        phase_kind=phase.kind.value,
        phase_label=phase_label(phase.kind, phase.round, plan.rounds),
        round=phase.round,
        rounds=plan.rounds,
        phase_started_at=state.phase_started_at,
        phase_ends_at=state.phase_ends_at,
        paused_remaining_s=(
            None if state.paused_remaining is None else state.paused_remaining.total_seconds()
        ),
        phase_seconds=length,
        timeline=timeline,
        participant_count=len(shown),
        people=people,
        summary=summary,
        version=sprint.version,
    )


def _summary(
    sprint: Sprint,
    plan: SprintPlan,
    phase: domain.Phase,
    parts: list[Participant],
    goals: Goals,
    work_seconds: float,
    show_people: bool,
) -> SummaryView:
    finished = sprint.status == Status.FINISHED.value
    if finished:
        rounds_done = plan.rounds
    elif phase.kind is PhaseKind.WORK:
        rounds_done = max(0, phase.round - 1)  # the round it stopped in was not completed
    else:
        rounds_done = phase.round if phase.kind is not PhaseKind.INTRO else 0
    members: tuple[SummaryMember, ...] = ()
    if show_people:
        members = tuple(
            SummaryMember(
                name=p.display_name or "Someone",
                goals_done=sum(1 for g in goals.get(p.user_id, ()) if g.done),
                goals_total=len(goals.get(p.user_id, ())),
                focus_minutes=None,
            )
            for p in parts
        )
    return SummaryView(
        reason=END_REASONS.get(sprint.end_reason or "", "Ended"),
        rounds_done=rounds_done,
        rounds=plan.rounds,
        took_part=len(parts),
        focus_minutes=round(work_seconds * sprint.speed / 60),
        members=members,
    )


def phase_label(kind: PhaseKind, round_: int, rounds: int) -> str:
    if kind is PhaseKind.INTRO:
        return "Intro: say hi and post your goal"
    if kind is PhaseKind.WORK:
        return f"Work · round {round_} of {rounds}"
    if kind is PhaseKind.LONG_BREAK:
        return f"Long break · after round {round_} of {rounds}"
    return f"Break · after round {round_} of {rounds}"
