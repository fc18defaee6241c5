"""Pod matching: properties checked with hypothesis, small cases against brute force."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.pods import Candidate, Matching, match_pods, pod_sizes

SLOTS = 7 * 96


def masks() -> st.SearchStrategy[int]:
    """A week of 15-minute slots: nothing set, or a few blocks of free time."""
    block = st.tuples(st.integers(0, SLOTS - 1), st.integers(1, 48))
    return st.one_of(
        st.just(0),
        st.lists(block, min_size=1, max_size=4).map(
            lambda blocks: sum(((1 << n) - 1) << s for s, n in blocks) & ((1 << SLOTS) - 1)
        ),
    )


@st.composite
def problems(draw: st.DrawFn, min_n: int = 0, max_n: int = 10) -> dict[str, object]:
    n = draw(st.integers(min_n, max_n))
    ids = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n, unique=True))
    cands = [Candidate(i, draw(masks()), draw(st.booleans())) for i in ids]
    size = draw(st.integers(2, 4))
    pairs = list(combinations(sorted(ids), 2))
    not_again: dict[int, set[int]] = {}
    if pairs:
        for a, b in draw(st.lists(st.sampled_from(pairs), max_size=max(1, n // 2))):
            not_again.setdefault(a, set()).add(b)
    history: list[list[list[int]]] = []
    for _ in range(draw(st.integers(0, 2))):
        shuffled = draw(st.permutations(ids))
        history.append(_chunks(list(shuffled), size))
    return {
        "cands": cands,
        "size": size,
        "not_again": not_again,
        "history": history,
        "seed": draw(st.integers(0, 2**32)),
    }


def _chunks(ids: list[int], size: int) -> list[list[int]]:
    out, at = [], 0
    for n in pod_sizes(len(ids), size):
        out.append(ids[at : at + n])
        at += n
    return out


def _blocked(not_again: dict[int, set[int]]) -> set[frozenset[int]]:
    return {frozenset((a, b)) for a, others in not_again.items() for b in others}


def _recent_pairs(history: Sequence[Sequence[Sequence[int]]]) -> set[frozenset[int]]:
    return {frozenset(p) for rnd in history for pod in rnd for p in combinations(pod, 2)}


def _partitions(items: list[int], sizes: list[int]) -> Iterator[list[tuple[int, ...]]]:
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for size in sorted(set(sizes)):
        left = list(sizes)
        left.remove(size)
        for mates in combinations(rest, size - 1):
            others = [m for m in rest if m not in mates]
            for tail in _partitions(others, left):
                yield [(first, *mates), *tail]


def _brute(
    ids: list[int], size: int, blocked: set[frozenset[int]], recent: set[frozenset[int]]
) -> tuple[bool, bool]:
    """(a matching without "not again" exists, one also without repeats exists)."""
    valid = repeat_free = False
    for partition in _partitions(sorted(ids), pod_sizes(len(ids), size)):
        pairs = {frozenset(p) for pod in partition for p in combinations(pod, 2)}
        if pairs & blocked:
            continue
        valid = True
        if not pairs & recent:
            return True, True
    return valid, repeat_free


def run(p: dict[str, object], **extra: object) -> Matching:
    return match_pods(
        p["cands"],  # type: ignore[arg-type]
        p["size"],  # type: ignore[arg-type]
        seed=p["seed"],  # type: ignore[arg-type]
        history=p["history"],  # type: ignore[arg-type]
        not_again=p["not_again"],  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


def _check_basic(p: dict[str, object], m: Matching) -> None:
    ids = [c.id for c in p["cands"]]  # type: ignore[attr-defined]
    placed = [x for pod in m.pods for x in pod.members]
    # Everyone is in exactly one pod, or listed as unmatched; nobody twice, nobody invented.
    assert Counter(placed + list(m.unmatched)) == Counter(ids)
    for pod in m.pods:
        assert len(pod.members) >= 2
        assert not {frozenset(x) for x in combinations(pod.members, 2)} & _blocked(
            p["not_again"]  # type: ignore[arg-type]
        )


@settings(max_examples=150, deadline=None)
@given(problems(max_n=10))
def test_small_matchings_are_as_good_as_brute_force(p: dict[str, object]) -> None:
    m = run(p)
    _check_basic(p, m)
    ids = [c.id for c in p["cands"]]  # type: ignore[attr-defined]
    valid, repeat_free = _brute(
        ids,
        p["size"],  # type: ignore[arg-type]
        _blocked(p["not_again"]),  # type: ignore[arg-type]
        _recent_pairs(p["history"]),  # type: ignore[arg-type]
    )
    if valid:
        # Nobody left out when a matching honouring every "not again" exists, in the sizes.
        assert m.unmatched == ()
        assert sorted(len(pod.members) for pod in m.pods) == sorted(
            pod_sizes(len(ids), p["size"])  # type: ignore[arg-type]
        )
    if repeat_free:
        assert all(pod.repeats == 0 for pod in m.pods)


@settings(max_examples=40, deadline=None)
@given(problems(min_n=11, max_n=60))
def test_larger_matchings_place_everyone_once_and_honour_not_again(p: dict[str, object]) -> None:
    m = run(p)
    _check_basic(p, m)
    if not p["not_again"]:
        assert m.unmatched == ()


@settings(max_examples=60, deadline=None)
@given(problems(max_n=30))
def test_same_seed_same_matching_whatever_the_input_order(p: dict[str, object]) -> None:
    first = run(p)
    shuffled = dict(p, cands=random.Random(1).sample(p["cands"], len(p["cands"])))  # type: ignore[arg-type]
    assert run(shuffled) == first


@settings(max_examples=60, deadline=None)
@given(problems(min_n=2, max_n=24))
def test_pods_whose_members_all_chose_keep_are_kept(p: dict[str, object]) -> None:
    cands = [Candidate(c.id, c.mask, True) for c in p["cands"]]  # type: ignore[attr-defined]
    last = _chunks(sorted(c.id for c in cands), p["size"])  # type: ignore[arg-type]
    p = dict(p, cands=cands, not_again={})
    m = run(p, last_pods=last)
    _check_basic(p, m)
    kept = {pod.members for pod in m.pods if pod.kept}
    assert {tuple(sorted(pod)) for pod in last} == kept


def test_a_pod_with_one_member_wanting_rotation_is_rematched() -> None:
    cands = [
        Candidate(1, keep=True),
        Candidate(2, keep=True),
        Candidate(3, keep=True),
        Candidate(4, keep=False),
    ]
    m = match_pods(cands, 2, seed=1, last_pods=[[1, 2], [3, 4]], history=[[[1, 2], [3, 4]]])
    assert [(pod.members, pod.kept) for pod in m.pods] == [((1, 2), True), ((3, 4), False)]
    # 3 and 4 could only pair again (1 and 2 are kept): the repeat is unavoidable.
    assert m.pods[1].repeats == 1


def test_shared_hours_decide_between_repeat_free_matchings() -> None:
    morning, evening = (1 << 40) - 1, ((1 << 40) - 1) << 50
    cands = [
        Candidate(1, morning),
        Candidate(2, evening),
        Candidate(3, morning),
        Candidate(4, evening),
    ]
    m = match_pods(cands, 2, seed=3)
    assert [pod.members for pod in m.pods] == [(1, 3), (2, 4)]
    assert [pod.shared_slots for pod in m.pods] == [40, 40]


def test_not_again_leaves_out_rather_than_breaks() -> None:
    m = match_pods([Candidate(1), Candidate(2)], 2, seed=0, not_again={1: [2]})
    assert m.pods == () and m.unmatched == (1, 2)


def test_one_member_alone_is_unmatched() -> None:
    assert match_pods([Candidate(7)], 3, seed=0).unmatched == (7,)


@pytest.mark.parametrize(
    ("count", "size", "sizes"),
    [
        (0, 2, []),
        (1, 2, []),
        (2, 3, [2]),
        (5, 2, [3, 2]),
        (7, 3, [4, 3]),
        (8, 3, [3, 3, 2]),
        (6, 4, [3, 3]),
        (10, 4, [4, 3, 3]),
        (9, 4, [5, 4]),
        (12, 4, [4, 4, 4]),
        (3, 4, [3]),
    ],
)
def test_pod_sizes(count: int, size: int, sizes: list[int]) -> None:
    assert pod_sizes(count, size) == sizes


def test_large_matching_avoids_last_rounds_pairs() -> None:
    rng = random.Random(4)
    cands = [Candidate(i, rng.getrandbits(SLOTS)) for i in range(300)]
    first = match_pods(cands, 3, seed=1)
    second = match_pods(cands, 3, seed=2, history=[[pod.members for pod in first.pods]])
    assert sum(pod.repeats for pod in second.pods) == 0
    assert second.unmatched == ()
