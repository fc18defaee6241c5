from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.focus import focus_seconds, merge_spans, total_seconds
from bot.domain.sprint import Span

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def span(a: float, b: float | None) -> Span:
    return Span(at(a), at(b) if b is not None else None)


NOW = at(200)


def test_present_for_whole_work_phase_counts_it_all() -> None:
    assert focus_seconds([span(0, 25)], [span(0, 25)], NOW) == 25 * 60


def test_break_time_does_not_count() -> None:
    work = [span(0, 25), span(30, 55)]
    assert focus_seconds(work, [span(0, 55)], NOW) == 50 * 60


def test_pause_splits_work_and_paused_time_does_not_count() -> None:
    work = [span(0, 10), span(20, 35)]  # paused 10-20
    assert focus_seconds(work, [span(0, 40)], NOW) == 25 * 60


def test_joining_mid_work_counts_from_join() -> None:
    assert focus_seconds([span(0, 25)], [span(10, None)], NOW) == 15 * 60


def test_leaving_during_break_keeps_earlier_work() -> None:
    work = [span(0, 25), span(30, 55)]
    assert focus_seconds(work, [span(0, 27)], NOW) == 25 * 60


def test_rejoin_creates_second_presence_span() -> None:
    work = [span(0, 25)]
    presence = [span(0, 5), span(15, 20)]
    assert focus_seconds(work, presence, NOW) == 10 * 60


def test_open_spans_run_until_now() -> None:
    assert focus_seconds([span(0, None)], [span(5, None)], at(12)) == 7 * 60


def test_overlapping_duplicate_spans_do_not_double_count() -> None:
    work = [span(0, 25), span(0, 25), span(10, 20)]
    presence = [span(0, 15), span(5, 25), span(5, 25)]
    assert focus_seconds(work, presence, NOW) == 25 * 60


def test_no_presence_means_no_focus() -> None:
    assert focus_seconds([span(0, 25)], [], NOW) == 0.0


def test_touching_spans_merge_into_one() -> None:
    assert merge_spans([span(0, 5), span(5, 10)], NOW) == [(at(0), at(10))]


def test_span_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Span(at(5), at(1))


def test_naive_span_is_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        Span(datetime(2026, 1, 1), None)


spans = st.lists(
    st.tuples(st.integers(0, 300), st.one_of(st.none(), st.integers(0, 120))).map(
        lambda t: Span(at(t[0]), None if t[1] is None else at(t[0] + t[1]))
    ),
    max_size=8,
)


@given(work=spans, presence=spans, now_min=st.integers(0, 500))
def test_focus_never_exceeds_total_work_or_total_presence(
    work: list[Span], presence: list[Span], now_min: int
) -> None:
    now = at(now_min)
    result = focus_seconds(work, presence, now)
    assert 0 <= result <= total_seconds(work, now)
    assert result <= total_seconds(presence, now)


@given(work=spans, presence=spans)
def test_focus_is_symmetric_and_ignores_duplicates(work: list[Span], presence: list[Span]) -> None:
    assert focus_seconds(work, presence, NOW) == focus_seconds(presence, work, NOW)
    assert focus_seconds(work + work, presence + presence, NOW) == focus_seconds(
        work, presence, NOW
    )


@given(work=spans)
def test_always_present_member_gets_all_work_time(work: list[Span]) -> None:
    everything = [Span(at(-1), at(10_000))]
    assert focus_seconds(work, everything, NOW) == total_seconds(work, NOW)
