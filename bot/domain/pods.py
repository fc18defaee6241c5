"""Matching members into pods: pure and deterministic for a given seed.

What a matching honours, in order:

1. **"Not again" always**: two members where one said "not again" with the other never share a
   pod. A member who cannot be placed without breaking that is left unmatched (never forced in).
2. **Kept pods**: a pod of the last round whose members are all still in and all chose "keep"
   stays as it is.
3. **Sizes**: pods of the configured size; when the count does not divide, one pod is one bigger
   (one left over) or there is one smaller pod (more left over: 8 by threes is 3 + 3 + 2).
4. **No repeats when avoidable**: pairs who shared a pod in the recent rounds are kept apart
   (a pair from the last round weighs most).
5. **Shared hours**: among matchings as good on the above, the one where pods share the most
   available time in the coming week (availability as a bit mask of 15-minute slots, see
   :func:`bot.domain.availability.slot_mask`; a member with no availability set is flexible and
   does not narrow their pod's shared time).

Up to :data:`EXACT_LIMIT` members to match the best matching is found by search; above that a
greedy pass over members ordered by when they are free, then random swaps that improve the cost
(5,000 members take about a second: see ``bench/pods.py``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

__all__ = [
    "EXACT_LIMIT",
    "MAX_POD_SIZE",
    "MIN_POD_SIZE",
    "Candidate",
    "Matching",
    "Pod",
    "match_pods",
    "pod_sizes",
]

MIN_POD_SIZE, MAX_POD_SIZE = 2, 4
EXACT_LIMIT = 12
REPEAT = 1 << 20  # one repeated pair outweighs any amount of shared time (≤ 672 slots a pod)
_WINDOW = 24  # greedy: neighbours (by free time) considered for each seat
_RANDOM = 8  # plus this many members picked at random, so pods mix


@dataclass(frozen=True)
class Candidate:
    """A member to match: ``mask`` of available slots (0 = not set), ``keep`` their pod."""

    id: int
    mask: int = 0
    keep: bool = False


@dataclass(frozen=True)
class Pod:
    members: tuple[int, ...]
    kept: bool = False
    shared_slots: int = 0  # slots every member with availability is free (0 when unknown)
    repeats: int = 0  # pairs in it that shared a pod in the recent rounds


@dataclass(frozen=True)
class Matching:
    pods: tuple[Pod, ...]
    unmatched: tuple[int, ...] = ()

    @property
    def placed(self) -> set[int]:
        return {m for pod in self.pods for m in pod.members}


def pod_sizes(count: int, size: int) -> list[int]:
    """Pod sizes for ``count`` members at ``size`` (largest first); ``[]`` below two members."""
    if not MIN_POD_SIZE <= size <= MAX_POD_SIZE:
        raise ValueError(f"pod size {size} is not {MIN_POD_SIZE}..{MAX_POD_SIZE}")
    if count < MIN_POD_SIZE:
        return []
    full, left = divmod(count, size)
    if left == 0:
        return [size] * full
    if full == 0:
        return [count]
    if left == 1:
        return [size + 1] + [size] * (full - 1)
    pods = full + 1  # share the rest out: never more than ``size`` and never below two
    base, extra = divmod(count, pods)
    return [base + 1] * extra + [base] * (pods - extra)


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


@dataclass
class _Problem:
    masks: dict[int, int]
    blocked: dict[int, frozenset[int]]
    weights: dict[tuple[int, int], int]
    rng: random.Random
    partners: dict[int, dict[int, int]] = field(default_factory=dict)
    cache: dict[tuple[int, ...], int] = field(default_factory=dict)

    def allowed(self, pod: Iterable[int], member: int) -> bool:
        blocked = self.blocked.get(member)
        return not blocked or blocked.isdisjoint(pod)

    def valid(self, pod: Sequence[int]) -> bool:
        return all(self.allowed(pod[:i], m) for i, m in enumerate(pod))

    def repeats(self, pod: Sequence[int]) -> int:
        if not self.partners:
            return 0
        total = 0
        for i, a in enumerate(pod):
            seen = self.partners.get(a)
            if seen:
                total += sum(seen.get(b, 0) for b in pod[i + 1 :])
        return total

    def shared(self, pod: Iterable[int]) -> int:
        common, known = -1, 0
        for m in pod:
            mask = self.masks.get(m, 0)
            if mask:
                common &= mask
                known += 1
        return common.bit_count() if known else 0

    def cost(self, pod: Sequence[int]) -> int:
        """Lower is better: repeats first, then fewer shared slots. Assumes ``valid(pod)``."""
        key = tuple(sorted(pod))
        found = self.cache.get(key)
        if found is None:
            found = self.repeats(key) * REPEAT - self.shared(key)
            if len(self.cache) < 200_000:
                self.cache[key] = found
        return found

    def pod(self, members: Sequence[int], *, kept: bool = False) -> Pod:
        ordered = tuple(sorted(members))
        return Pod(
            members=ordered,
            kept=kept,
            shared_slots=self.shared(ordered),
            repeats=0
            if kept
            else sum(1 for a, b in combinations(ordered, 2) if self.weights.get(_pair(a, b))),
        )


def match_pods(
    candidates: Sequence[Candidate],
    size: int,
    *,
    seed: int,
    last_pods: Sequence[Sequence[int]] = (),
    history: Sequence[Sequence[Sequence[int]]] = (),
    not_again: Mapping[int, Iterable[int]] | None = None,
) -> Matching:
    """Pods for ``candidates`` (everyone opted in and not snoozed).

    ``last_pods``: the last round's pods (kept when all their members are here and chose keep).
    ``history``: recent rounds' pods, most recent first (repeats of those pairs are avoided).
    ``not_again``: member → members they never want to share a pod with (either way round).
    """
    by_id = {c.id: c for c in sorted(candidates, key=lambda c: c.id)}
    blocked: dict[int, set[int]] = {}
    for member, others in (not_again or {}).items():
        for other in others:
            if member != other:
                blocked.setdefault(member, set()).add(other)
                blocked.setdefault(other, set()).add(member)
    weights: dict[tuple[int, int], int] = {}
    for age, pods in enumerate(history):
        weight = len(history) - age
        for pod in pods:
            for a, b in combinations(sorted(set(pod)), 2):
                key = _pair(a, b)
                weights[key] = max(weights.get(key, 0), weight)
    problem = _Problem(
        masks={c.id: c.mask for c in by_id.values()},
        blocked={m: frozenset(o) for m, o in blocked.items()},
        weights=weights,
        rng=random.Random(seed),
    )
    for (a, b), weight in weights.items():
        problem.partners.setdefault(a, {})[b] = weight
        problem.partners.setdefault(b, {})[a] = weight

    kept: list[list[int]] = []
    for pod in last_pods:
        members = sorted(set(pod))
        if (
            len(members) >= MIN_POD_SIZE
            and all(m in by_id and by_id[m].keep for m in members)
            and problem.valid(members)
            and not any(m in k for k in kept for m in members)
        ):
            kept.append(members)
    in_kept = {m for pod in kept for m in pod}
    rest = [m for m in by_id if m not in in_kept]

    if len(rest) == 1 and kept:
        # One member left over: a kept pod takes them (one bigger), the best that may.
        (lone,) = rest
        fits = [p for p in kept if problem.allowed(p, lone)]
        if fits:
            best = min(fits, key=lambda p: (problem.cost([*p, lone]), p))
            best.append(lone)
            kept = [sorted(p) for p in kept]
            rest = []

    if len(rest) <= EXACT_LIMIT:
        pods, unmatched = _exact(problem, rest, size)
    else:
        pods, unmatched = _greedy(problem, rest, size)
        _improve(problem, pods, iterations=max(2000, 4 * len(rest)))
        _repair(problem, pods)

    result = [problem.pod(p, kept=True) for p in kept] + [problem.pod(p) for p in pods]
    result.sort(key=lambda p: (not p.kept, p.members))
    return Matching(pods=tuple(result), unmatched=tuple(sorted(unmatched)))


# -- exact search (few members) -------------------------------------------------------------------


def _exact(problem: _Problem, members: list[int], size: int) -> tuple[list[list[int]], list[int]]:
    sizes = pod_sizes(len(members), size)
    if not sizes:
        return [], list(members)
    best: list[tuple[int, list[list[int]]]] = []
    order = sorted(members)
    problem.rng.shuffle(order)  # ties go to a seeded, not an id-ordered, matching

    def search(left: list[int], sizes_left: list[int], chosen: list[list[int]], cost: int) -> None:
        if not left:
            if not best or cost < best[0][0]:
                best[:] = [(cost, [list(p) for p in chosen])]
            return
        first, others = left[0], left[1:]
        for pod_size in sorted(set(sizes_left), reverse=True):
            remaining = list(sizes_left)
            remaining.remove(pod_size)
            for mates in combinations(others, pod_size - 1):
                pod = [first, *mates]
                if not problem.valid(pod):
                    continue
                chosen.append(pod)
                search(
                    [m for m in others if m not in mates],
                    remaining,
                    chosen,
                    cost + problem.cost(pod),
                )
                chosen.pop()

    search(order, sizes, [], 0)
    if best:
        return best[0][1], []
    # No way to place everyone without a "not again": place as many as the greedy pass can.
    return _greedy(problem, members, size)


# -- greedy + improvement (many members) ----------------------------------------------------------


def _greedy(problem: _Problem, members: list[int], size: int) -> tuple[list[list[int]], list[int]]:
    rng = problem.rng
    jitter = {m: rng.random() for m in members}

    def when_free(m: int) -> tuple[int, int, float]:
        mask = problem.masks.get(m, 0)
        if not mask:
            return (1, 0, jitter[m])  # flexible members last: they fit anywhere
        return (0, (mask & -mask).bit_length() // 4, jitter[m])  # first free hour of the week

    order = sorted(members, key=when_free)
    taken: set[int] = set()
    pods: list[list[int]] = []
    cursor = 0
    for pod_size in pod_sizes(len(members), size):
        while cursor < len(order) and order[cursor] in taken:
            cursor += 1
        if cursor >= len(order):
            break
        pod = [order[cursor]]
        taken.add(order[cursor])
        while len(pod) < pod_size:
            pool: list[int] = []
            i = cursor + 1
            while i < len(order) and len(pool) < _WINDOW:
                if order[i] not in taken:
                    pool.append(order[i])
                i += 1
            for _ in range(_RANDOM):
                pick = order[rng.randrange(len(order))]
                if pick not in taken:
                    pool.append(pick)
            choice = _best_seat(problem, pod, pool)
            if choice is None:  # nobody near fits: look at everyone left
                choice = _best_seat(problem, pod, [m for m in order if m not in taken])
            if choice is None:
                break
            pod.append(choice)
            taken.add(choice)
        pods.append(pod)

    left = [m for m in order if m not in taken]
    singles = [p[0] for p in pods if len(p) == 1]
    pods = [p for p in pods if len(p) > 1]
    unmatched: list[int] = []
    for member in [*singles, *left]:
        fits = [p for p in pods if problem.allowed(p, member) and len(p) <= size]
        if fits:
            min(fits, key=lambda p: problem.cost([*p, member]) - problem.cost(p)).append(member)
        else:
            unmatched.append(member)
    if len(unmatched) >= MIN_POD_SIZE:  # the leftovers may still pair up among themselves
        again, unmatched = _greedy_pairs(problem, unmatched)
        pods.extend(again)
    return pods, unmatched


def _greedy_pairs(problem: _Problem, members: list[int]) -> tuple[list[list[int]], list[int]]:
    pods: list[list[int]] = []
    left = list(members)
    while len(left) >= 2:
        first = left.pop(0)
        mate = _best_seat(problem, [first], left)
        if mate is None:
            left.append(first)
            if all(_best_seat(problem, [m], [o for o in left if o != m]) is None for m in left):
                break
            continue
        left.remove(mate)
        pods.append([first, mate])
    return pods, left


def _best_seat(problem: _Problem, pod: list[int], pool: Iterable[int]) -> int | None:
    best: tuple[int, int] | None = None
    found = None
    for member in pool:
        if member in pod or not problem.allowed(pod, member):
            continue
        score = (problem.cost([*pod, member]), member)
        if best is None or score < best:
            best, found = score, member
    return found


def _improve(problem: _Problem, pods: list[list[int]], *, iterations: int) -> None:
    """Swap members between pods while that lowers the total cost (repeats first)."""
    if len(pods) < 2:
        return
    rng = problem.rng
    # Pods with a repeat get half the attention; random swaps gain the rest shared hours.
    troubled: list[int] = []
    for step in range(iterations):
        if step % 500 == 0:
            troubled = [i for i, p in enumerate(pods) if problem.repeats(p)]
        a = rng.choice(troubled) if troubled and step % 2 == 0 else rng.randrange(len(pods))
        b = rng.randrange(len(pods))
        if a == b:
            continue
        pa, pb = pods[a], pods[b]
        i, j = rng.randrange(len(pa)), rng.randrange(len(pb))
        na = [*pa[:i], pb[j], *pa[i + 1 :]]
        nb = [*pb[:j], pa[i], *pb[j + 1 :]]
        if not (problem.valid(na) and problem.valid(nb)):
            continue
        if problem.cost(na) + problem.cost(nb) < problem.cost(pa) + problem.cost(pb):
            pods[a], pods[b] = na, nb


def _repair(
    problem: _Problem, pods: list[list[int]], *, passes: int = 4, sample: int = 300
) -> None:
    """For each pod still holding a repeated pair, the best swap of one of its members with a
    member of another pod (all of them, or a sample in big rounds), while that helps."""
    rng = problem.rng
    for _ in range(passes):
        improved = False
        for a in range(len(pods)):
            if not problem.repeats(pods[a]):
                continue
            others = [b for b in range(len(pods)) if b != a]
            if len(others) > sample:
                others = rng.sample(others, sample)
            best: tuple[int, int, list[int], list[int]] | None = None
            pa = pods[a]
            base_a = problem.cost(pa)
            for b in others:
                pb = pods[b]
                base = base_a + problem.cost(pb)
                for i in range(len(pa)):
                    for j in range(len(pb)):
                        na = [*pa[:i], pb[j], *pa[i + 1 :]]
                        nb = [*pb[:j], pa[i], *pb[j + 1 :]]
                        if not (problem.valid(na) and problem.valid(nb)):
                            continue
                        delta = problem.cost(na) + problem.cost(nb) - base
                        if delta < 0 and (best is None or delta < best[0]):
                            best = (delta, b, na, nb)
            if best is not None:
                _, b, na, nb = best
                pods[a], pods[b] = na, nb
                improved = True
        if not improved:
            return
