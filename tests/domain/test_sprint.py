from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import Conflict, UserError, ValidationError
from bot.domain.sprint import (
    PRESET_LABELS,
    PRESETS,
    Bounds,
    Phase,
    PhaseChange,
    PhaseKind,
    SprintPlan,
    SprintState,
    Status,
    advance,
    extend,
    pause,
    phase_duration,
    progress,
    progress_bar,
    resume,
    skip,
    start,
    stop,
    time_left,
    timeline,
    total_duration,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POMODORO = PRESETS["pomodoro"]
SIMPLE = SprintPlan(
    work_min=10, break_min=5, rounds=3, long_break_min=20, long_break_every=2, intro_min=0
)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


# --- plan, bounds, presets -----------------------------------------------------------------------


def test_plan_round_trips_through_dict() -> None:
    assert SprintPlan.from_dict(POMODORO.to_dict()) == POMODORO


def test_plan_from_dict_rejects_missing_field() -> None:
    data = POMODORO.to_dict()
    del data["rounds"]
    with pytest.raises(ValidationError, match="rounds"):
        SprintPlan.from_dict(data)


def test_validate_names_field_range_and_request() -> None:
    plan = SprintPlan(300, 5, 4, 15, 4, 2)
    with pytest.raises(ValidationError) as err:
        plan.validate(Bounds())
    assert str(err.value) == "Work must be between 1 and 180 minutes (you asked for 300)."


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"break_min": 0}, "Break must be between 1 and 60 minutes (you asked for 0)."),
        ({"rounds": 13}, "Rounds must be between 1 and 12 (you asked for 13)."),
        ({"long_break_min": 61}, "Long break must be between 1 and 60 minutes"),
        ({"intro_min": 16}, "Intro must be between 0 and 15 minutes (you asked for 16)."),
        ({"long_break_every": 0}, "Long break every must be between 1 and 12 rounds"),
    ],
)
def test_validate_reports_each_out_of_range_field(changes: dict[str, int], expected: str) -> None:
    plan = SprintPlan(**{**POMODORO.to_dict(), **changes})
    with pytest.raises(ValidationError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        plan.validate(Bounds())


def test_validate_respects_custom_bounds() -> None:
    with pytest.raises(ValidationError, match=r"between 1 and 20 minutes \(you asked for 25\)"):
        POMODORO.validate(Bounds(work=(1, 20)))


def test_validation_error_is_a_user_error() -> None:
    assert issubclass(ValidationError, UserError)
    assert issubclass(Conflict, UserError)


def test_every_preset_is_valid_and_labelled() -> None:
    assert set(PRESETS) == {"pomodoro", "50/10", "45/10", "90/15"}
    assert set(PRESET_LABELS) == set(PRESETS)
    for plan in PRESETS.values():
        plan.validate(Bounds())


def test_pomodoro_preset_matches_the_classic_shape() -> None:
    plan = PRESETS["pomodoro"]
    assert plan == SprintPlan(25, 5, 4, 15, 4, 2)
    assert (PRESETS["50/10"].work_min, PRESETS["50/10"].break_min, PRESETS["50/10"].rounds) == (
        50,
        10,
        3,
    )
    assert (PRESETS["90/15"].work_min, PRESETS["90/15"].rounds) == (90, 2)


# --- timeline ------------------------------------------------------------------------------------


def test_timeline_starts_with_intro_and_ends_on_last_work_round() -> None:
    kinds = [(p.kind, p.round, p.minutes) for p in timeline(POMODORO)]
    assert kinds == [
        (PhaseKind.INTRO, 0, 2),
        (PhaseKind.WORK, 1, 25),
        (PhaseKind.BREAK, 1, 5),
        (PhaseKind.WORK, 2, 25),
        (PhaseKind.BREAK, 2, 5),
        (PhaseKind.WORK, 3, 25),
        (PhaseKind.BREAK, 3, 5),
        (PhaseKind.WORK, 4, 25),
    ]


def test_timeline_without_intro_starts_with_work() -> None:
    assert timeline(SIMPLE)[0] == Phase(index=0, kind=PhaseKind.WORK, round=1, minutes=10)


def test_timeline_puts_long_break_after_every_nth_round() -> None:
    plan = SprintPlan(10, 5, 5, 20, 2, 0)
    breaks = [p.kind for p in timeline(plan) if p.kind is not PhaseKind.WORK]
    assert breaks == [
        PhaseKind.BREAK,
        PhaseKind.LONG_BREAK,
        PhaseKind.BREAK,
        PhaseKind.LONG_BREAK,
    ]


def test_single_round_timeline_has_no_break() -> None:
    plan = SprintPlan(30, 5, 1, 15, 1, 0)
    assert [p.kind for p in timeline(plan)] == [PhaseKind.WORK]


@given(
    rounds=st.integers(1, 12),
    every=st.integers(1, 12),
    intro=st.integers(0, 15),
)
def test_timeline_shape_invariants(rounds: int, every: int, intro: int) -> None:
    plan = SprintPlan(25, 5, rounds, 15, every, intro)
    phases = timeline(plan)
    assert [p.index for p in phases] == list(range(len(phases)))
    assert len(phases) == 2 * rounds - 1 + (1 if intro else 0)
    assert phases[-1].kind is PhaseKind.WORK and phases[-1].round == rounds
    work = [p for p in phases if p.kind is PhaseKind.WORK]
    assert [p.round for p in work] == list(range(1, rounds + 1))
    for a, b in itertools.pairwise(phases):
        assert (a.kind is PhaseKind.WORK) != (b.kind is PhaseKind.WORK)


# --- start / advance -----------------------------------------------------------------------------


def test_start_runs_first_phase_for_its_length() -> None:
    state = start(POMODORO, T0, speed=1)
    assert state == SprintState(Status.RUNNING, 0, T0, T0 + minutes(2), None, None)


def test_speed_scales_phase_length() -> None:
    state = start(POMODORO, T0, speed=60)
    assert state.phase_ends_at == T0 + timedelta(seconds=2)
    assert phase_duration(25, 60) == timedelta(seconds=25)


def test_speed_below_minimum_is_rejected() -> None:
    with pytest.raises(ValidationError, match="Speed"):
        start(POMODORO, T0, speed=0)


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        start(POMODORO, datetime(2026, 1, 1), speed=1)


def test_advance_before_phase_end_changes_nothing() -> None:
    state = start(SIMPLE, T0, 1)
    assert advance(SIMPLE, state, T0 + minutes(9.99), 1) == (state, None)


def test_advance_at_phase_end_moves_to_next_phase_starting_at_scheduled_time() -> None:
    state = start(SIMPLE, T0, 1)
    new, change = advance(SIMPLE, state, T0 + minutes(10), 1)
    assert change == PhaseChange(0, 1, T0 + minutes(10), 0, False)
    assert new == SprintState(Status.RUNNING, 1, T0 + minutes(10), T0 + minutes(15), None, None)


def test_late_advance_keeps_schedule_without_drift() -> None:
    state = start(SIMPLE, T0, 1)
    new, change = advance(SIMPLE, state, T0 + minutes(12), 1)
    assert change is not None and change.at == T0 + minutes(10)
    assert new.phase_ends_at == T0 + minutes(15)


def test_advance_is_idempotent_for_the_same_now() -> None:
    state = start(SIMPLE, T0, 1)
    now = T0 + minutes(11)
    once, _ = advance(SIMPLE, state, now, 1)
    assert advance(SIMPLE, once, now, 1) == (once, None)


def test_downtime_coalesces_missed_phases_into_one_change() -> None:
    # SIMPLE: work 0-10, break 10-15, work 15-25, long break 25-45, work 45-55
    state = start(SIMPLE, T0, 1)
    new, change = advance(SIMPLE, state, T0 + minutes(30), 1)
    assert change == PhaseChange(0, 3, T0 + minutes(25), 2, False)
    assert new.phase_index == 3
    assert new.phase_started_at == T0 + minutes(25)
    assert new.phase_ends_at == T0 + minutes(45)


def test_advance_past_last_phase_finishes_at_scheduled_end() -> None:
    state = start(SIMPLE, T0, 1)
    new, change = advance(SIMPLE, state, T0 + minutes(500), 1)
    assert change == PhaseChange(0, None, T0 + minutes(55), 4, True)
    assert new.status is Status.FINISHED
    assert new.ended_at == T0 + minutes(55)
    assert new.phase_ends_at is None
    assert advance(SIMPLE, new, T0 + minutes(600), 1) == (new, None)


def test_advance_from_last_phase_finishes_without_skips() -> None:
    plan = SprintPlan(10, 5, 1, 5, 1, 0)
    new, change = advance(plan, start(plan, T0, 1), T0 + minutes(10), 1)
    assert change == PhaseChange(0, None, T0 + minutes(10), 0, True)
    assert new.status is Status.FINISHED


def test_advance_ignores_paused_sprint() -> None:
    paused = pause(start(SIMPLE, T0, 1), T0 + minutes(1))
    assert advance(SIMPLE, paused, T0 + minutes(100), 1) == (paused, None)


@settings(max_examples=200)
@given(
    rounds=st.integers(1, 6),
    intro=st.integers(0, 3),
    speed=st.sampled_from([1.0, 2.0, 60.0, 0.5]),
    wakeups=st.lists(st.integers(0, 400 * 60), min_size=1, max_size=15),
)
def test_any_wakeup_pattern_ends_where_a_single_catch_up_would(
    rounds: int, intro: int, speed: float, wakeups: list[int]
) -> None:
    plan = SprintPlan(25, 5, rounds, 15, 2, intro)
    state = start(plan, T0, speed)
    announced = 0
    for seconds in sorted(wakeups):
        state, change = advance(plan, state, T0 + timedelta(seconds=seconds), speed)
        if change is not None:
            announced += 1 + change.skipped
            assert change.to_index is None or change.to_index == state.phase_index
    final_now = T0 + timedelta(seconds=max(wakeups))
    direct, _ = advance(plan, start(plan, T0, speed), final_now, speed)
    assert state == direct
    assert announced == state.phase_index + (1 if state.status is Status.FINISHED else 0)


@given(now_s=st.integers(0, 300 * 60))
def test_scheduled_phase_boundaries_are_sums_of_phase_lengths(now_s: int) -> None:
    state, _ = advance(POMODORO, start(POMODORO, T0, 1), T0 + timedelta(seconds=now_s), 1)
    if state.status is Status.RUNNING:
        before = sum(p.minutes for p in timeline(POMODORO)[: state.phase_index])
        assert state.phase_started_at == T0 + minutes(before)
        assert state.phase_ends_at is not None
        assert state.phase_started_at <= T0 + timedelta(seconds=now_s) < state.phase_ends_at
    else:
        assert state.ended_at == T0 + total_duration(POMODORO, 1)


# --- pause / resume ------------------------------------------------------------------------------


def test_pause_keeps_remaining_time_and_clears_end() -> None:
    paused = pause(start(SIMPLE, T0, 1), T0 + minutes(4))
    assert paused.status is Status.PAUSED
    assert paused.paused_remaining == minutes(6)
    assert paused.phase_ends_at is None
    assert time_left(paused, T0 + minutes(50)) == minutes(6)


def test_pause_twice_is_a_conflict() -> None:
    paused = pause(start(SIMPLE, T0, 1), T0)
    with pytest.raises(Conflict, match=r"^The sprint is already paused\.$"):
        pause(paused, T0)


def test_pause_finished_sprint_is_a_conflict() -> None:
    done, _ = advance(SIMPLE, start(SIMPLE, T0, 1), T0 + minutes(100), 1)
    with pytest.raises(Conflict, match="finished"):
        pause(done, T0 + minutes(100))


def test_resume_continues_with_the_time_that_was_left() -> None:
    paused = pause(start(SIMPLE, T0, 1), T0 + minutes(4))
    resumed = resume(paused, T0 + minutes(30))
    assert resumed.status is Status.RUNNING
    assert resumed.phase_ends_at == T0 + minutes(36)
    assert resumed.paused_remaining is None


def test_resume_running_sprint_is_a_conflict() -> None:
    with pytest.raises(Conflict, match=r"^The sprint is not paused\.$"):
        resume(start(SIMPLE, T0, 1), T0)


def test_resume_cancelled_sprint_says_it_was_stopped() -> None:
    with pytest.raises(Conflict, match="stopped"):
        resume(stop(start(SIMPLE, T0, 1), T0), T0)


@settings(max_examples=200)
@given(
    pauses=st.lists(
        st.tuples(st.integers(1, 30 * 60), st.integers(0, 3 * 3600)), min_size=0, max_size=8
    )
)
def test_pausing_never_changes_total_running_time(pauses: list[tuple[int, int]]) -> None:
    """Run to the end with pauses: time spent running equals the planned sprint length."""
    plan = SIMPLE
    state = start(plan, T0, 1)
    now = T0
    running = timedelta()
    for run_s, pause_s in pauses:
        target = now + timedelta(seconds=run_s)
        state, _ = advance(plan, state, target, 1)
        if state.status is Status.FINISHED:
            assert state.ended_at is not None
            running += state.ended_at - now
            now = target
            break
        running += target - now
        state = pause(state, target)
        now = target + timedelta(seconds=pause_s)
        state = resume(state, now)
    if state.status is Status.RUNNING:
        end = now + timedelta(days=1)
        state, _ = advance(plan, state, end, 1)
        assert state.ended_at is not None
        running += state.ended_at - now
    assert running == total_duration(plan, 1)


# --- skip / extend / stop ------------------------------------------------------------------------


def test_skip_ends_current_phase_now() -> None:
    state = start(SIMPLE, T0, 1)
    new, change = skip(SIMPLE, state, T0 + minutes(3), 1)
    assert change == PhaseChange(0, 1, T0 + minutes(3), 0, False)
    assert new.phase_index == 1
    assert new.phase_ends_at == T0 + minutes(8)


def test_skip_while_paused_starts_next_phase_running() -> None:
    paused = pause(start(SIMPLE, T0, 1), T0 + minutes(3))
    new, _ = skip(SIMPLE, paused, T0 + minutes(20), 1)
    assert new.status is Status.RUNNING
    assert new.paused_remaining is None
    assert new.phase_ends_at == T0 + minutes(25)


def test_skip_last_phase_finishes_sprint() -> None:
    plan = SprintPlan(10, 5, 1, 5, 1, 0)
    new, change = skip(plan, start(plan, T0, 1), T0 + minutes(1), 1)
    assert change.finished and change.to_index is None
    assert new.status is Status.FINISHED and new.ended_at == T0 + minutes(1)


def test_skip_after_finish_is_a_conflict() -> None:
    done = stop(start(SIMPLE, T0, 1), T0)
    with pytest.raises(Conflict):
        skip(SIMPLE, done, T0, 1)


def test_extend_adds_time_to_running_phase() -> None:
    state = extend(start(SIMPLE, T0, 1), 5, T0 + minutes(1), 1)
    assert state.phase_ends_at == T0 + minutes(15)


def test_extend_adds_time_to_paused_phase() -> None:
    paused = pause(start(SIMPLE, T0, 1), T0 + minutes(4))
    assert extend(paused, 5, T0 + minutes(5), 1).paused_remaining == minutes(11)


def test_extend_is_scaled_by_speed() -> None:
    state = extend(start(SIMPLE, T0, 60), 5, T0, 60)
    assert state.phase_ends_at == T0 + timedelta(seconds=15)


@pytest.mark.parametrize("amount", [0, 61, -3])
def test_extend_outside_limit_explains_range(amount: int) -> None:
    with pytest.raises(ValidationError, match=rf"1 to 60 minutes .*you asked for {amount}"):
        extend(start(SIMPLE, T0, 1), amount, T0, 1)


def test_extend_limit_is_configurable() -> None:
    with pytest.raises(ValidationError, match="1 to 10 minutes"):
        extend(start(SIMPLE, T0, 1), 11, T0, 1, max_minutes=10)


def test_stop_cancels_at_now() -> None:
    stopped = stop(start(SIMPLE, T0, 1), T0 + minutes(7))
    assert stopped.status is Status.CANCELLED
    assert stopped.ended_at == T0 + minutes(7)
    assert time_left(stopped, T0 + minutes(7)) == timedelta()


def test_stop_twice_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        stop(stop(start(SIMPLE, T0, 1), T0), T0)


# --- time left / progress ------------------------------------------------------------------------


def test_time_left_counts_down_and_never_goes_negative() -> None:
    state = start(SIMPLE, T0, 1)
    assert time_left(state, T0 + minutes(4)) == minutes(6)
    assert time_left(state, T0 + minutes(11)) == timedelta()


def test_progress_is_fraction_of_whole_sprint() -> None:
    state = start(SIMPLE, T0, 1)  # total 55 minutes
    assert progress(SIMPLE, state, T0, 1) == 0.0
    moved, _ = advance(SIMPLE, state, T0 + minutes(22), 1)
    assert progress(SIMPLE, moved, T0 + minutes(22), 1) == pytest.approx(22 / 55)


def test_progress_is_frozen_while_paused() -> None:
    paused = pause(start(SIMPLE, T0, 1), T0 + minutes(5))
    assert progress(SIMPLE, paused, T0 + minutes(50), 1) == pytest.approx(5 / 55)


def test_progress_of_finished_sprint_is_one() -> None:
    done, _ = advance(SIMPLE, start(SIMPLE, T0, 1), T0 + minutes(60), 1)
    assert progress(SIMPLE, done, T0 + minutes(60), 1) == 1.0


@given(st.integers(0, 200 * 60))
def test_progress_never_leaves_zero_to_one(seconds: int) -> None:
    now = T0 + timedelta(seconds=seconds)
    state, _ = advance(POMODORO, start(POMODORO, T0, 1), now, 1)
    assert 0.0 <= progress(POMODORO, state, now, 1) <= 1.0


def test_progress_bar_renders_fraction() -> None:
    assert progress_bar(0.5, width=10) == "▰▰▰▰▰▱▱▱▱▱"
    assert progress_bar(0.0) == "▱" * 12
    assert progress_bar(1.0) == "▰" * 12


def test_progress_bar_clamps_out_of_range_values() -> None:
    assert progress_bar(-1, width=4) == "▱▱▱▱"
    assert progress_bar(7, width=4) == "▰▰▰▰"


def test_state_round_trips_through_dict() -> None:
    paused = pause(start(POMODORO, T0, 1), T0 + timedelta(seconds=61.5))
    assert SprintState.from_dict(paused.to_dict()) == paused
    running = start(POMODORO, T0, 3)
    assert SprintState.from_dict(running.to_dict()) == running
