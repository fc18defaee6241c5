"""Stats with a chart for a member with a year of daily sprints: latency, event-loop blocking,
forget-me, and the query plans (SQLite, and PostgreSQL when a URL is given).

    python bench/stats.py [--runs 40] [--postgres postgresql+asyncpg://postgres@127.0.0.1/postgres]

Targets (issue 16): ``/stats me`` with its chart ≤ 1 s p99; the event loop never blocked for more
than 10 ms meanwhile. The loop is watched by a task that wakes every millisecond and records how
late it wakes; the same watcher runs on an idle loop first, so the machine's own stalls show.
Prints a Markdown block; append it to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from bot.clock import FakeClock
from bot.scheduler import Timers
from bot.services import Services
from bot.services.context import NullWaker, ServiceContext
from bot.settings import Settings
from db.engine import Database, create_engine
from db.models import (
    Base,
    Goal,
    LeaderboardMember,
    Participant,
    PresenceSpan,
    Sprint,
    WorkSpan,
)

GUILD = 912_345_678_901_234_001
CHANNEL = 912_345_678_901_234_101
ME = 812_345_678_901_234_567
OTHERS = [812_345_678_901_240_000 + i for i in range(20)]
NOW = datetime(2031, 3, 3, 20, 0, tzinfo=UTC)
DAYS = 365


async def populate(db: Database) -> dict[str, int]:
    """A year of daily 4 × 25/5 sprints for ME (with 3 of 20 others each day) and 3 goals a day."""
    sprints, participants, presence, work, goals = [], [], [], [], []
    for day in range(DAYS):
        sprint_id = day + 1
        start = NOW - timedelta(days=DAYS - day) + timedelta(hours=-11 + (day % 5))
        end = start + timedelta(minutes=4 * 25 + 3 * 5)
        sprints.append(
            dict(
                id=sprint_id,
                guild_id=GUILD,
                channel_id=CHANNEL,
                host_id=ME,
                title="Daily",
                plan={"work": 25, "brk": 5, "rounds": 4},
                speed=1.0,
                status="finished",
                phase_index=8,
                phase_started_at=end,
                created_at=start,
                ended_at=end,
            )
        )
        members = [ME, *(OTHERS[(day * 3 + k) % len(OTHERS)] for k in range(3))]
        for user in members:
            participants.append(
                dict(
                    sprint_id=sprint_id,
                    user_id=user,
                    display_name=str(user),
                    joined_at=start,
                    left_at=end,
                )
            )
            presence.append(dict(sprint_id=sprint_id, user_id=user, started_at=start, ended_at=end))
        for r in range(4):
            ws = start + timedelta(minutes=30 * r)
            work.append(
                dict(sprint_id=sprint_id, started_at=ws, ended_at=ws + timedelta(minutes=25))
            )
        for g in range(3):
            done = g < 2
            goals.append(
                dict(
                    guild_id=GUILD,
                    user_id=ME,
                    text=f"goal {day}.{g}",
                    scope="sprint",
                    sprint_id=sprint_id,
                    status="done" if done else "open",
                    created_at=start,
                    done_at=end if done else None,
                )
            )
    async with db.transaction() as session:
        for model, rows in (
            (Sprint, sprints),
            (Participant, participants),
            (PresenceSpan, presence),
            (WorkSpan, work),
            (Goal, goals),
        ):
            for i in range(0, len(rows), 2000):
                await session.execute(insert(model), rows[i : i + 2000])
        for user in [ME, *OTHERS[:8]]:
            await session.execute(
                insert(LeaderboardMember),
                [dict(guild_id=GUILD, user_id=user, joined_at=NOW - timedelta(days=DAYS))],
            )
    return {
        "sprints": len(sprints),
        "presence spans": len(presence),
        "work spans": len(work),
        "goals": len(goals),
    }


class LoopWatch:
    """Wakes every millisecond; ``late`` holds how late each wake-up was (seconds)."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.001)
            self.late.append(loop.time() - before - 0.001)

    def __enter__(self) -> LoopWatch:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed(runs: int, call: Callable[[], Awaitable[Any]]) -> tuple[list[float], LoopWatch]:
    await call()  # warm-up (imports, font cache)
    times = []
    with LoopWatch() as watch:
        for _ in range(runs):
            t = time.perf_counter()
            await call()
            times.append(time.perf_counter() - t)
            await asyncio.sleep(0.005)
    return times, watch


SQLITE_PLANS = {
    "member spans": (
        "SELECT p.sprint_id, p.started_at, p.ended_at, s.speed FROM sprint_presence_spans p "
        "JOIN sprints s ON s.id = p.sprint_id WHERE p.user_id = :u AND s.guild_id = :g"
    ),
    "work spans": "SELECT sprint_id, started_at, ended_at FROM sprint_work_spans "
    "WHERE sprint_id IN (1, 2, 3)",
    "goal counts": "SELECT status, count(id) FROM goals WHERE guild_id = :g AND user_id = :u "
    "GROUP BY status",
    "sprints joined": "SELECT count(p.id) FROM sprint_participants p JOIN sprints s ON "
    "s.id = p.sprint_id WHERE p.user_id = :u AND s.guild_id = :g",
    "server spans": (
        "SELECT p.user_id, p.sprint_id, p.started_at, p.ended_at, s.speed FROM "
        "sprint_presence_spans p JOIN sprints s ON s.id = p.sprint_id WHERE s.guild_id = :g "
        "AND s.created_at >= :since AND (p.ended_at IS NULL OR p.ended_at >= :since)"
    ),
}


async def plans(db: Database) -> list[str]:
    out = []
    params = {"u": ME, "g": GUILD, "since": (NOW - timedelta(weeks=8)).replace(tzinfo=None)}
    prefix = "EXPLAIN QUERY PLAN " if db.dialect == "sqlite" else "EXPLAIN "
    async with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            await conn.execute(text("ANALYZE"))
            params["since"] = NOW - timedelta(weeks=8)
        for name, sql in SQLITE_PLANS.items():
            rows = (await conn.execute(text(prefix + sql), params)).all()
            lines = [str(r[-1]) for r in rows]
            out.append(f"- {name}: " + " | ".join(line.strip() for line in lines))
        if db.dialect == "postgresql":
            # With one server of 365 sprints the planner rightly prefers sequential scans of
            # these small tables; forbid them once to show which index each query can use.
            await conn.execute(text("SET enable_seqscan = off"))
            for name, sql in SQLITE_PLANS.items():
                rows = (await conn.execute(text(prefix + sql), params)).all()
                used = [str(r[0]).strip() for r in rows if "Index" in str(r[0])]
                out.append(f"- {name} (seqscan off): " + " | ".join(used))
    return out


async def bench(url: str, runs: int) -> list[str]:
    db = Database.from_url(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    counts = await populate(db)
    ctx = ServiceContext(
        settings=Settings(), db=db, clock=FakeClock(NOW), timers=Timers(), delivery=NullWaker()
    )
    services = Services(ctx)
    idle = LoopWatch()
    with idle:
        await asyncio.sleep(2.0)
    lines = [f"### {db.dialect}: {counts}", ""]
    lines.append(
        f"- idle loop (machine alone): lag p99 {pct(idle.late, 0.99) * 1e3:.1f} ms, "
        f"max {max(idle.late) * 1e3:.1f} ms over {len(idle.late)} wake-ups"
    )
    for name, call in (
        ("/stats me (figures + chart)", lambda: services.stats.member_report(GUILD, ME)),
        (
            "/stats server (8 weeks + chart)",
            lambda: services.stats.server_report(GUILD, manage_guild=True),
        ),
        (
            "/leaderboard show (focus, month)",
            lambda: services.stats.leaderboard(GUILD, ME, "focus", "month"),
        ),
    ):
        times, watch = await timed(runs, call)
        over = sum(1 for x in watch.late if x > 0.010)
        lines.append(
            f"- {name}: p50 {statistics.median(times) * 1e3:.0f} ms, "
            f"p99 {pct(times, 0.99) * 1e3:.0f} ms, max {max(times) * 1e3:.0f} ms "
            f"({runs} runs); loop lag p99 "
            f"{pct(watch.late, 0.99) * 1e3:.1f} ms, max {max(watch.late) * 1e3:.1f} ms, "
            f"{over} of {len(watch.late)} wake-ups > 10 ms late"
        )
    lines.append("- query plans:")
    lines.extend("  " + p for p in await plans(db))
    with LoopWatch() as watch:
        t = time.perf_counter()
        result = await services.privacy.forget(ME)
        took = time.perf_counter() - t
    lines.append(
        f"- forget me (one transaction, {result.total} rows): {took * 1e3:.0f} ms; "
        f"loop lag max {max(watch.late or [0]) * 1e3:.1f} ms"
    )
    await db.dispose()
    return lines


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--postgres", default=os.environ.get("SPRINTBOT_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"## stats bench {stamp} ({platform.python_version()}, {os.cpu_count()} CPU)", ""]
    with tempfile.TemporaryDirectory() as tmp:
        out += await bench(f"sqlite+aiosqlite:///{tmp}/stats.sqlite3", args.runs)
    if args.postgres:
        base = make_url(args.postgres)
        name = f"sprintbot_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base.set(database="postgres").render_as_string(False))
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            out += [""] + await bench(base.set(database=name).render_as_string(False), args.runs)
        finally:
            async with admin.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()
    print("\n".join(out))


if __name__ == "__main__":
    asyncio.run(main())
