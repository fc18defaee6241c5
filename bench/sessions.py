"""The Monday-morning herd: standing sessions at scale, the real bot against the local server.

    python bench/sessions.py             # 10,000 series + 1,000 sprints (~30 minutes)
    python bench/sessions.py --quick     # 300 series + 50 sprints, reminders 1 min ahead
    python bench/sessions.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

Built on ``bench/run.py``'s machinery: the bot in its own process (``bench/botproc.py``), the
local Discord server with Discord's limits on (50 requests/s global, 5 creates/edits per channel
per 5 s), a fresh database per scenario. Figures are printed; the lead appends them to
``bench/RESULTS.md``.

Scenarios (targets from issue #13 in brackets):

- ``herd``: N weekly series in one zone (Europe/London) whose next occurrence starts at the same
  instant T (the "09:00"), each with its creator Going and a reminder ``--lead`` minutes before
  (15: the "08:45"), in their own channels (100 per server), while M 25/5 sprints run elsewhere
  with phase ends spread over the whole herd. Measured: every reminder and every start delivered
  [all], duplicates [0], 429s [0], the herd's drain rate (requests the bot made from the first
  reminder due to the last herd message stored, per second) [≥ 45/s], and the running sprints'
  announcement lateness during the herd (scheduled phase end → stored by the server) [p99 ≤ 20 ms].
- ``restart``: the bot restarted with N series (next occurrences a week ahead): when every
  series' timer was re-armed relative to READY [≤ 2 s after READY]; memory per armed series, the
  bot's RSS after restore with N series minus the same world with none [≤ 2 KiB].
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from bench.run import (  # noqa: E402
    Arrivals,
    Databases,
    announcements,
    build_world,
    lag_in,
    local_server,
    machine,
    mib,
    ms,
    pct,
    seed_running,
    start_bot,
    verdict,
)
from bot.domain.schedule import Repeat, rrule_text  # noqa: E402
from bot.domain.sprint import SprintPlan  # noqa: E402
from bot.localdiscord import Channel, Guild, LocalDiscord, Member  # noqa: E402
from db.engine import Database, is_sqlite  # noqa: E402
from db.models import SessionOccurrence, SessionRsvp, SessionSeries  # noqa: E402

ZONE = "Europe/London"
SESSION_PLAN = SprintPlan(
    work_min=25, break_min=5, rounds=2, long_break_min=15, long_break_every=4, intro_min=0
)
REMINDER = "⏰"
CHANNEL = re.compile(r"/channels/(\d+)")
START = "starts now"


class Herd:
    """The series' side of the world: one channel (with its card) per series, 100 per server."""

    def __init__(self, server: LocalDiscord, n: int, per_guild: int = 100) -> None:
        self.channels: list[Channel] = []
        self.hosts: list[Member] = []
        self.guilds: list[Guild] = []
        self.cards: list[int] = []
        guild: Guild | None = None
        host: Member | None = None
        for i in range(n):
            if i % per_guild == 0:
                guild = server.add_guild(f"Herd {i // per_guild}")
                host = guild.add_member(f"organiser{i // per_guild}")
                self.guilds.append(guild)
            assert guild is not None and host is not None
            channel = guild.add_text_channel(f"session-{i}")
            card = server.world.post_message(channel, server.world.bot, content="session card")
            self.channels.append(channel)
            self.hosts.append(host)
            self.cards.append(card.id)


async def seed_series(url: str, herd: Herd, starts: datetime, lead_min: int) -> None:
    """Weekly series whose next occurrence starts at ``starts``, creator Going, one reminder."""
    zone = ZoneInfo(ZONE)
    first_local = starts.astimezone(zone).replace(tzinfo=None)
    rule = rrule_text(first_local, Repeat("weekly"))
    plan: dict[str, Any] = {**SESSION_PLAN.to_dict(), "preset": None}
    created = starts - timedelta(days=1)
    series, occs, rsvps = [], [], []
    for i, (channel, host, card) in enumerate(
        zip(herd.channels, herd.hosts, herd.cards, strict=True), start=1
    ):
        series.append(
            {
                "id": i,
                "guild_id": channel.guild_id,
                "channel_id": channel.id,
                "voice_channel_id": None,
                "creator_id": host.user.id,
                "title": f"Herd session {i}",
                "first_local": first_local,
                "zone": ZONE,
                "rrule": rule,
                "plan": plan,
                "minutes": SESSION_PLAN.total_minutes(),
                "capacity": None,
                "role_id": None,
                "norms": None,
                "reminders": [lead_min],
                "event_enabled": False,
                "event_id": None,
                "card_message_id": card,
                "created_at": created,
                "cancelled_at": None,
            }
        )
        occs.append(
            {
                "id": i,
                "series_id": i,
                "scheduled_at": starts,
                "starts_at": starts,
                "status": "upcoming",
                "reminded": [],
            }
        )
        for occurrence_id in (None, i):
            rsvps.append(
                {
                    "series_id": i,
                    "occurrence_id": occurrence_id,
                    "user_id": host.user.id,
                    "display_name": host.user.username,
                    "status": "going",
                    "queued_at": created,
                    "updated_at": created,
                }
            )
    db = Database.from_url(url)
    try:
        step = 2000
        for chunk in range(0, len(series), step):
            async with db.transaction() as session:
                await session.execute(insert(SessionSeries), series[chunk : chunk + step])
                await session.execute(insert(SessionOccurrence), occs[chunk : chunk + step])
                await session.execute(insert(SessionRsvp), rsvps[2 * chunk : 2 * (chunk + step)])
        if not is_sqlite(url):
            async with db.transaction() as session:
                for table in ("session_series", "session_occurrences", "session_rsvps"):
                    await session.execute(
                        text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                    )
    finally:
        await db.dispose()


def herd_messages(
    herd: Herd, arrivals: Arrivals
) -> tuple[Counter[int], Counter[int], float, float]:
    """Per series channel: reminders and start lines stored; when the last of each arrived."""
    reminders: Counter[int] = Counter()
    starts: Counter[int] = Counter()
    last_reminder = last_start = 0.0
    for channel in herd.channels:
        for message in channel.messages.values():
            arrived = arrivals.created.get(message.id, 0.0)
            if REMINDER in message.content:
                reminders[channel.id] += 1
                last_reminder = max(last_reminder, arrived)
            elif START in message.content:
                starts[channel.id] += 1
                last_start = max(last_start, arrived)
    return reminders, starts, last_reminder, last_start


def burst(
    server: LocalDiscord, herd: Herd, offset: float, start: float, before: float
) -> tuple[int, float, float]:
    """A burst of the herd, due at ``start``: the bot's requests from then until the last
    request to a series channel before ``before`` (wall clock); count, per second, seconds."""
    ids = {c.id for c in herd.channels}
    end = start
    for r in server.requests:
        at = r.at + offset
        found = CHANNEL.search(r.path)
        if start <= at < before and found is not None and int(found.group(1)) in ids:
            end = max(end, at + r.duration)
    count = sum(1 for r in server.requests if start <= r.at + offset <= end)
    took = max(end - start, 1e-9)
    return count, count / took, took


class SessionBench:
    def __init__(self, dbs: Databases, tmp: Path) -> None:
        self.dbs = dbs
        self.tmp = tmp
        self.summary: list[tuple[str, str, str, bool]] = []

    def say(self, line: str = "") -> None:
        print(line, flush=True)

    def target(self, what: str, got: str, aim: str, ok: bool) -> None:
        self.summary.append((what, got, aim, ok))

    async def herd(self, n: int, sprints: int, lead_min: int) -> None:
        self.say(f"### The herd: {n:,} series due at once, {sprints:,} sprints running")
        url = await self.dbs.fresh()
        async with local_server() as server:
            arrivals = Arrivals()
            server.world.observers.append(arrivals)
            herd = Herd(server, n)
            slots = build_world(server, sprints)
            startup = 20.0 + n / 1000 * 2.0
            remind_at = datetime.now(UTC) + timedelta(seconds=startup)
            starts = remind_at + timedelta(minutes=lead_min)
            # Expected drain: reminders (+ card edits), then starts (line, sprint card, edits).
            drain = timedelta(seconds=n * 5 / 45)
            window_end = starts + drain
            span = (window_end - remind_at).total_seconds()
            ends = [remind_at + timedelta(seconds=span * i / sprints) for i in range(sprints)]
            due = await seed_running(url, slots, ends)
            await seed_series(url, herd, starts, lead_min)
            bot = await start_bot(server, url, self.tmp)
            await bot.wait_ready()
            await asyncio.sleep(max(0.0, remind_at.timestamp() - time.time()))
            deadline = window_end + drain + timedelta(minutes=2)
            while time.time() < deadline.timestamp():
                reminders, started, _, _ = herd_messages(herd, arrivals)
                if len(reminders) >= n and len(started) >= n:
                    break
                await asyncio.sleep(1.0)
            await asyncio.sleep(2.0)
            stopped = time.time()
            offset = time.time() - time.monotonic()
            rates = {
                "reminders": burst(server, herd, offset, remind_at.timestamp(), starts.timestamp()),
                "starts": burst(server, herd, offset, starts.timestamp(), stopped),
            }
            report = await bot.stop()
        reminders, started, _, last = herd_messages(herd, arrivals)
        missing_r, missing_s = n - len(reminders), n - len(started)
        dup = sum(c - 1 for c in reminders.values() if c > 1) + sum(
            c - 1 for c in started.values() if c > 1
        )
        announced = await announcements(url)
        late: list[float] = []
        slow: list[str] = []  # which announcements were over 20 ms late, and when in the herd
        missing_a = 0
        for sid, end in due.items():
            if not remind_at.timestamp() <= end.timestamp() <= min(last, stopped - 5.0):
                continue
            rid = announced.get(sid, (None, 0.0, 0))[0]
            arrived = arrivals.created.get(rid) if rid else None
            if arrived is None:
                missing_a += 1
            else:
                late.append(arrived - end.timestamp())
                if late[-1] > 0.020:
                    phase = "reminders" if end < starts else "starts"
                    since = end - (remind_at if end < starts else starts)
                    slow.append(
                        f"{ms(late[-1])} (due {since.total_seconds():.1f} s after the {phase})"
                    )
        lag = lag_in(report, remind_at.timestamp(), last)
        d = report["delivery"]
        self.say(
            f"- reminders delivered {len(reminders):,}/{n:,}, starts {len(started):,}/{n:,}, "
            f"duplicates {dup}; 429s seen by the server {server.stats.rate_limited}, by the "
            f"sender {d['responses_429']}"
        )
        for what, (count, per_s, took) in rates.items():
            self.say(
                f"- {what} burst: drained {took:.1f} s after due, {count:,} requests "
                f"(all of the bot's, sprints included), {per_s:.1f}/s"
            )
        self.say(
            f"- running sprints' announcements in the herd window: {len(late)} delivered, "
            f"{missing_a} missing; lateness p50 {ms(pct(late, 50))}, p99 {ms(pct(late, 99))}, "
            f"max {ms(max(late, default=0.0))}"
        )
        if slow:
            self.say(f"  - over 20 ms: {', '.join(slow[:10])}")
        self.say(
            f"- event-loop lag in the herd: p50 {ms(pct(lag, 50))}, p99 {ms(pct(lag, 99))}; "
            f"bot RSS peak {mib(max((r for _, r in report['rss']), default=0))}"
        )
        self.say()
        self.target(
            "every reminder and start delivered",
            f"{len(reminders):,} + {len(started):,} of {n:,} + {n:,}",
            "all",
            not missing_r and not missing_s,
        )
        self.target("duplicates", str(dup), "0", dup == 0)
        self.target("429s", str(server.stats.rate_limited), "0", server.stats.rate_limited == 0)
        slowest = min(per_s for _, per_s, _ in rates.values())
        self.target("herd drain rate (slower burst)", f"{slowest:.1f}/s", "≥ 45/s", slowest >= 45)
        p99 = pct(late, 99) if late else float("inf")
        self.target(
            "sprint announcement lateness p99 during the herd",
            ms(p99),
            "≤ 20 ms",
            p99 <= 0.020 and not missing_a,
        )

    async def restart(self, n: int) -> None:
        self.say(f"### Restart with {n:,} series")
        rss: dict[int, float] = {}
        for count in (0, n):
            url = await self.dbs.fresh()
            async with local_server() as server:
                herd = Herd(server, n)  # the same world either way
                if count:
                    starts = datetime.now(UTC) + timedelta(days=7)
                    await seed_series(url, herd, starts, 15)
                bot = await start_bot(server, url, self.tmp)
                ready = await bot.wait_ready()
                await asyncio.sleep(2.0)
                report = await bot.stop()
            rss[count] = report["rss_after_restore"]
            if count:
                after_ready = report["restore_done"] - ready
                took = report["restore_done"] - report["restore_started"]
                self.say(
                    f"- {report['series_armed']:,} series re-armed ({report['armed']:,} timer(s): "
                    f"series due at one instant share one) in {took:.2f} s, done "
                    f"{abs(after_ready):.2f} s {'after' if after_ready > 0 else 'before'} READY"
                )
                self.target(
                    f"all {n:,} series re-armed after READY",
                    f"{max(after_ready, 0.0):.2f} s",
                    "≤ 2 s",
                    after_ready <= 2.0 and report["series_armed"] >= n,
                )
        per = (rss[n] - rss[0]) / n
        self.say(
            f"- RSS after restore: {mib(rss[0])} with no series, {mib(rss[n])} with {n:,}: "
            f"{per:.0f} bytes per armed series"
        )
        self.say()
        self.target("memory per armed series", f"{per / 1024:.2f} KiB", "≤ 2 KiB", per <= 2048)


async def main(args: argparse.Namespace) -> None:
    n, sprints, lead = (300, 50, 1) if args.quick else (args.series, args.sprints, args.lead)
    print(f"# Standing sessions bench ({'quick' if args.quick else 'full'})", flush=True)
    print(f"- machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        dbs = Databases(args.db, Path(tmp))
        print(f"- database: {dbs.backend}\n", flush=True)
        bench = SessionBench(dbs, Path(tmp))
        try:
            if args.only in (None, "herd"):
                await bench.herd(n, sprints, lead)
            if args.only in (None, "restart"):
                await bench.restart(n)
        finally:
            await dbs.cleanup()
    print("| target | got | aim | |\n| --- | --- | --- | --- |")
    for what, got, aim, ok in bench.summary:
        print(f"| {what} | {got} | {aim} | {verdict(ok)} |")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="300 series, 50 sprints, 1 min lead")
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--sprints", type=int, default=1_000)
    parser.add_argument("--lead", type=int, default=15, help="reminder minutes before the start")
    parser.add_argument("--db", default=None, help="a PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--only", choices=("herd", "restart"), default=None)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
