"""Pods at scale: matching 5,000 opted-in members of one server (target: ≤ 5 s on this machine).

    python bench/pods.py                 # 5,000 members, pods of 2 and 3, prints the figures
    python bench/pods.py --append        # ... and appends them to bench/RESULTS.md
    python bench/pods.py --service       # also a whole round through the service on SQLite

Members live in 25 common zones with one to three weekly windows each (10 % set none), 1 % said
"not again" about someone, 10 % chose keep, and three earlier rounds are history (their pairs are
to be avoided). Timed separately: turning availability into slot masks for the coming week
(``week_intervals`` + ``slot_mask``) and the matching itself (``match_pods``). ``--service``
times ``PodService.round_now`` end to end on a fresh SQLite file: reading members, availability
and history, matching, writing pods, seats and every thread's outbox rows in one transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.availability import Availability, Window, slot_mask, week_intervals
from bot.domain.pods import Candidate, match_pods
from bot.domain.timezones import COMMON_ZONES

START = datetime(2027, 1, 4, 9, tzinfo=UTC)
RESULTS = Path(__file__).with_name("RESULTS.md")


def members(count: int, rng: random.Random) -> list[tuple[int, Availability | None, bool]]:
    out = []
    for uid in range(1, count + 1):
        if rng.random() < 0.1:
            out.append((uid, None, rng.random() < 0.1))
            continue
        windows = []
        for _ in range(rng.randint(1, 3)):
            start = rng.randrange(6, 21) * 60
            length = rng.choice((60, 120, 180, 240))
            days = rng.choice(((0, 1, 2, 3, 4), (5, 6), (0, 2, 4), (1, 3), tuple(range(7))))
            windows += [Window(d, start, min(start + length, 1440)) for d in days]
        zone = ZoneInfo(rng.choice(COMMON_ZONES))
        out.append((uid, Availability(zone, tuple(sorted(set(windows)))), rng.random() < 0.1))
    return out


def history(ids: list[int], size: int, rounds: int, rng: random.Random) -> list[list[list[int]]]:
    out = []
    for _ in range(rounds):
        shuffled = ids[:]
        rng.shuffle(shuffled)
        out.append([shuffled[i : i + size] for i in range(0, len(shuffled), size)])
    return out


def bench_matching(count: int, size: int, seed: int) -> dict[str, float | int]:
    rng = random.Random(seed)
    people = members(count, rng)
    t0 = time.perf_counter()
    cands = [
        Candidate(uid, slot_mask(week_intervals(a, START), START) if a else 0, keep)
        for uid, a, keep in people
    ]
    t1 = time.perf_counter()
    ids = [uid for uid, _, _ in people]
    past = history(ids, size, 3, rng)
    not_again = {uid: {rng.choice(ids)} for uid in rng.sample(ids, count // 100)}
    t2 = time.perf_counter()
    result = match_pods(
        cands, size, seed=seed, last_pods=past[0], history=past, not_again=not_again
    )
    t3 = time.perf_counter()
    blocked = {frozenset((a, b)) for a, bs in not_again.items() for b in bs}
    violations = sum(
        1
        for pod in result.pods
        for i, a in enumerate(pod.members)
        for b in pod.members[i + 1 :]
        if frozenset((a, b)) in blocked
    )
    return {
        "members": count,
        "size": size,
        "masks_s": t1 - t0,
        "match_s": t3 - t2,
        "pods": len(result.pods),
        "kept": sum(p.kept for p in result.pods),
        "unmatched": len(result.unmatched),
        "repeats": sum(p.repeats for p in result.pods),
        "not_again_violations": violations,
        "mean_shared_h": sum(p.shared_slots for p in result.pods) / 4 / max(len(result.pods), 1),
    }


async def bench_service(count: int, size: int, seed: int) -> float:
    from bot.clock import FakeClock
    from bot.scheduler import Timers
    from bot.services.availability import AvailabilityService
    from bot.services.context import NullWaker, ServiceContext
    from bot.services.pods import PodService
    from bot.settings import Settings
    from db.engine import Database
    from db.migrate import upgrade
    from db.models import MemberAvailability, PodMember

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        await upgrade(url)
        db = Database.from_url(url)
        ctx = ServiceContext(
            settings=Settings(),
            db=db,
            clock=FakeClock(START - timedelta(hours=21)),
            timers=Timers(),
            delivery=NullWaker(),
        )
        pods, _ = PodService(ctx), AvailabilityService(ctx)
        perms = {
            "view_channel",
            "send_messages",
            "send_messages_in_threads",
            "create_private_threads",
        }
        view = await pods.setup(1, 2, size=size, bot_permissions=perms)
        async with db.transaction() as s:
            for uid, avail, keep in members(count, rng):
                s.add(
                    PodMember(
                        config_id=view.config_id,
                        user_id=uid,
                        display_name=f"m{uid}",
                        opted_in=True,
                        preference="keep" if keep else None,
                    )
                )
                if avail is not None:
                    s.add(
                        MemberAvailability(
                            guild_id=1,
                            user_id=uid,
                            zone=avail.zone.key,
                            windows=[[w.day, w.start, w.end] for w in avail.windows],
                        )
                    )
        t0 = time.perf_counter()
        await pods.round_now(1, 2)
        elapsed = time.perf_counter() - t0
        await db.dispose()
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--append", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument("--service", action="store_true", help="also a round through the DB")
    args = parser.parse_args()
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — pods matching ({args.members:,} members)",
        "",
    ]
    for size in (2, 3):
        r = bench_matching(args.members, size, args.seed)
        line = (
            f"- pods of {size}: masks {r['masks_s']:.2f} s, **matching {r['match_s']:.2f} s** "
            f"(target ≤ 5 s); {r['pods']} pods ({r['kept']} kept), {r['unmatched']} unmatched, "
            f"{r['repeats']} repeated pairs, {r['not_again_violations']} “not again” broken, "
            f"{r['mean_shared_h']:.1f} shared hours a pod on average"
        )
        print(line)
        lines.append(line)
    if args.service:
        elapsed = asyncio.run(bench_service(args.members, 2, args.seed))
        line = (
            f"- a whole round through `PodService.round_now` on SQLite (pairs): {elapsed:.2f} s "
            "(read members, hours and history, match, write pods, seats and outbox rows)"
        )
        print(line)
        lines.append(line)
    if args.append:
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write("\n" + "\n".join(lines) + "\n")
        print(f"appended to {RESULTS}")


if __name__ == "__main__":
    main()
