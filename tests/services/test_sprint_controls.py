"""Host controls name the state they were meant for, and /sprint extend keeps a phase within the
bounds for its kind (issue #12, items 1 and 5). SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.domain.errors import Conflict, ValidationError
from bot.domain.sprint import PhaseKind, Status
from bot.ids import SprintAction
from bot.services.sprints import Actor
from tests.services.test_sprints import ANN, HOST_ACTOR, T0, Env, env, make_settings, mins

__all__ = ["env"]

MANAGER = Actor(ANN, manage_guild=True)


async def test_two_skips_meant_for_the_same_phase_skip_one_phase(env: Env) -> None:
    view = await env.start(intro=0, work=25, brk=5)
    env.clock.set(T0 + mins(7))
    seq = view.control_seq
    results = await asyncio.gather(
        env.service.skip(view.id, HOST_ACTOR, expected=seq),
        env.service.skip(view.id, MANAGER, expected=seq),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    assert "Already moved on" in str(errors[0]) and "break after round 1/4" in str(errors[0])
    after = await env.service.get(view.id)
    assert (after.phase.kind, after.phase.round) == (PhaseKind.BREAK, 1)
    assert after.control_seq == seq + 1
    # One skip: one phase line, and the work round got its real seven minutes.
    assert len(await env.announcements(view.id)) == 1
    assert await env.work_spans(view.id) == [(T0, T0 + mins(7))]


async def test_a_stale_skip_after_a_skip_changes_nothing(env: Env) -> None:
    view = await env.start(intro=0)
    await env.service.skip(view.id, HOST_ACTOR, expected=view.control_seq)
    moved = await env.service.get(view.id)
    with pytest.raises(Conflict, match="Already moved on"):
        await env.service.skip(view.id, HOST_ACTOR, expected=view.control_seq)
    after = await env.service.get(view.id)
    assert after.state == moved.state and after.version == moved.version


async def test_a_pause_and_a_skip_meant_for_the_same_state_apply_once(env: Env) -> None:
    view = await env.start(intro=0)
    env.clock.set(T0 + mins(3))
    seq = view.control_seq
    results = await asyncio.gather(
        env.service.pause(view.id, HOST_ACTOR, expected=seq),
        env.service.skip(view.id, MANAGER, expected=seq),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and "Already moved on" in str(errors[0])
    after = await env.service.get(view.id)
    paused = after.state.status is Status.PAUSED
    skipped = after.phase.kind is PhaseKind.BREAK
    assert paused != skipped  # exactly one of them happened
    assert after.control_seq == seq + 1


async def test_two_extends_meant_for_the_same_state_extend_once(env: Env) -> None:
    view = await env.start(intro=0, work=25)
    seq = view.control_seq
    results = await asyncio.gather(
        env.service.extend(view.id, HOST_ACTOR, 10, expected=seq),
        env.service.extend(view.id, MANAGER, 10, expected=seq),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1
    after = await env.service.get(view.id)
    assert after.state.phase_ends_at == T0 + mins(35)
    assert after.phase_extended_min == 10


async def test_a_command_sent_before_another_control_committed_changes_nothing(env: Env) -> None:
    view = await env.start(intro=0, work=25, brk=5)
    env.clock.set(T0 + mins(3))
    sent = T0 + mins(3) - timedelta(seconds=1)  # both managers sent /sprint skip at 09:02:59
    skip = SprintAction.SKIP
    await env.service.control(view.id, HOST_ACTOR, skip, sent_at=sent)
    moved = await env.service.get(view.id)
    # The second was parsed only after the first committed, so its control_seq is current:
    # its sent time still says it was meant for the phase before.
    with pytest.raises(Conflict, match="Already moved on"):
        await env.service.control(view.id, MANAGER, skip, expected=moved.control_seq, sent_at=sent)
    assert (await env.service.get(view.id)).state == moved.state
    env.clock.set(T0 + mins(4))
    result = await env.service.control(
        view.id, MANAGER, skip, sent_at=T0 + mins(3) + timedelta(seconds=5)
    )
    later = result.sprint
    assert (later.phase.kind, later.phase.round) == (PhaseKind.WORK, 2)


async def test_a_stale_resume_after_a_resume_changes_nothing(env: Env) -> None:
    view = await env.start(intro=0)
    paused = await env.service.pause(view.id, HOST_ACTOR, expected=view.control_seq)
    env.clock.set(T0 + mins(10))
    await env.service.resume(view.id, HOST_ACTOR, expected=paused.control_seq)
    with pytest.raises(Conflict, match="already running again"):
        await env.service.resume(view.id, MANAGER, expected=paused.control_seq)


async def test_joining_does_not_make_a_control_stale(env: Env) -> None:
    view = await env.start(intro=0)
    await env.service.join(view.id, ANN, "Ann")
    after = await env.service.skip(view.id, HOST_ACTOR, expected=view.control_seq)
    assert after.phase.kind is PhaseKind.BREAK


async def test_a_phase_change_on_time_does_not_make_the_cards_buttons_stale(env: Env) -> None:
    view = await env.start(intro=0, work=25, brk=5)
    await env.next_phase(view.id)  # on time: the card is not edited, its buttons stay
    after = await env.service.skip(view.id, HOST_ACTOR, expected=view.control_seq)
    assert (after.phase.kind, after.phase.round) == (PhaseKind.WORK, 2)


async def test_a_control_without_an_expected_state_still_applies(env: Env) -> None:
    view = await env.start(intro=0)
    await env.service.skip(view.id, HOST_ACTOR)
    after = await env.service.skip(view.id, HOST_ACTOR)
    assert (after.phase.kind, after.phase.round) == (PhaseKind.WORK, 2)


async def test_skip_while_paused_says_the_sprint_runs_again(env: Env) -> None:
    view = await env.start(intro=0)
    await env.service.pause(view.id, HOST_ACTOR)
    result = await env.service.control(view.id, HOST_ACTOR, SprintAction.SKIP)
    assert result.resumed and result.sprint.state.status is Status.RUNNING
    plain = await env.service.control(view.id, HOST_ACTOR, SprintAction.SKIP)
    assert not plain.resumed


# -- extend within the bounds ---------------------------------------------------------------------


async def test_extend_stops_at_the_longest_an_intro_may_last(env: Env) -> None:
    view = await env.start(intro=5)
    await env.service.extend(view.id, HOST_ACTOR, 6)
    with pytest.raises(ValidationError) as refused:
        await env.service.extend(view.id, HOST_ACTOR, 60)
    text = str(refused.value)
    assert "An intro can last at most 15 min" in text and "11 min (5 planned + 6 added)" in text
    assert "you can add at most 4 minutes" in text
    after = await env.service.extend(view.id, HOST_ACTOR, 4)
    assert after.state.phase_ends_at == T0 + mins(15)
    with pytest.raises(ValidationError, match="can't extend this phase any further"):
        await env.service.extend(view.id, HOST_ACTOR, 1)


async def test_four_hour_extensions_cannot_stretch_a_work_round_past_its_bound(env: Env) -> None:
    view = await env.start(intro=0, work=25)
    for _ in range(2):
        await env.service.extend(view.id, HOST_ACTOR, 60)
    with pytest.raises(ValidationError, match="at most 35 minutes"):
        await env.service.extend(view.id, HOST_ACTOR, 60)
    after = await env.service.get(view.id)
    assert after.state.phase_ends_at == T0 + mins(145)


async def test_extend_while_paused_counts_toward_the_bound(env: Env) -> None:
    view = await env.start(intro=0, work=25, brk=5)
    await env.service.skip(view.id, HOST_ACTOR)  # the break after round 1 (5 min, at most 60)
    await env.service.pause(view.id, HOST_ACTOR)
    await env.service.extend(view.id, HOST_ACTOR, 55)
    with pytest.raises(ValidationError, match="A break can last at most 60 min"):
        await env.service.extend(view.id, HOST_ACTOR, 1)


async def test_a_new_phase_can_be_extended_again(env: Env) -> None:
    view = await env.start(intro=2)
    await env.service.extend(view.id, HOST_ACTOR, 13)
    await env.next_phase(view.id)
    after = await env.service.extend(view.id, HOST_ACTOR, 60)
    assert after.phase.kind is PhaseKind.WORK and after.phase_extended_min == 60


async def test_the_operators_bounds_cap_extensions_too(env: Env) -> None:
    env.settings = make_settings(max_work=30)
    env.service = env.new_service()
    view = await env.start(intro=0, work=25)
    with pytest.raises(ValidationError, match="A work round can last at most 30 min"):
        await env.service.extend(view.id, HOST_ACTOR, 6)


# -- background work is owned -------------------------------------------------------------------


async def test_shutdown_waits_for_the_phase_listeners_still_running(env: Env) -> None:
    finished: list[str] = []
    release = asyncio.Event()

    async def slow_listener(notice: object) -> None:
        await release.wait()
        finished.append("chimed")

    env.service.add_phase_listener(slow_listener)
    view = await env.start(intro=1)
    await env.next_phase(view.id)
    closing = asyncio.create_task(env.service.aclose())
    await asyncio.sleep(0.01)
    assert not closing.done()  # the listener's task is the service's: it waits for it
    release.set()
    await closing
    assert finished == ["chimed"]
