# ruff: noqa: ASYNC230
"""Sprintbot side by side with models of other bots' designs, and with the limit (issue #18).

Run by ``python bench/run.py --peers``. Every bot meets the same local Discord server (Discord's
limits on: 50 requests/s global, 5 creates/edits per channel per 5 s) and the same scenarios,
one bot at a time on a fresh server:

- ``lateness``: N running 25/5 sprints whose phase ends are spread over 25 minutes; every
  announcement due in the window is timed from its phase end to its arrival at the server.
- ``burst``: N phase changes due in the same second: delivered / expected, 429s, drain time.
- ``kill9``: the same burst, the bot killed with SIGKILL 4 s in and restarted at once: messages
  lost and duplicated.
- ``cost``: requests per sprint-hour of a plain 25/5 × 4 sprint, counted on its channel. Peers run
  it at speed 240 (sprint seconds per real second) against a server with its limits off, since
  only the number of requests counts and the countdown's edits come 240 times faster than at
  speed 1; Sprintbot's figure is its own ``cost`` scenario at the same speed (pomodoro preset,
  2 min intro, limits on); the peers run the same plan (a start message, then a line at each
  of its 8 phase changes).

The peers (``bench/peers/``) are minimal discord.py bots, each clearly a model of a design (see
``bench/peers/common.py``), not anyone's code. The limit row: the burst's floor (N / 50 s at
Discord's global limit), the idle event loop's own timer lateness on this machine (the probe),
and the fewest requests a sprint can cost (a card plus one line per phase change).
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.peers.common import FINISHED, FIRST_WORK, PHASES, seconds_of
from bot.localdiscord import LocalDiscord

ROOT = Path(__file__).resolve().parents[1]
PEERS = {
    "timer": "timer per sprint, sends directly (APScheduler defaults)",
    "polling": "polling loop every 30 s",
    "countdown": "timer per sprint + countdown edited every 20 s",
}
WORK_SECONDS = 25 * 60.0


@dataclass
class PeerProcess:
    proc: asyncio.subprocess.Process
    ready: Path

    async def wait_ready(self, timeout: float = 120.0) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while not self.ready.exists():
                if self.proc.returncode is not None:
                    raise RuntimeError(f"the peer exited with {self.proc.returncode}")
                await asyncio.sleep(0.05)

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()


@dataclass
class World:
    """N channels, each with a status message of the bot's (the peers' countdown edits it)."""

    server: LocalDiscord
    channels: list[Any]
    status_ids: list[int]
    created: dict[int, float]  # message id -> wall time the server stored it

    @classmethod
    def build(cls, server: LocalDiscord, n: int) -> World:
        world = server.world
        channels, status_ids = [], []
        guild = None
        for i in range(n):
            if i % 100 == 0:
                guild = server.add_guild(f"Peers {i // 100}")
            assert guild is not None
            channel = guild.add_text_channel(f"sprint-{i}")
            status = world.post_message(channel, world.bot, content="sprint status")
            channels.append(channel)
            status_ids.append(status.id)
        created: dict[int, float] = {}

        def observe(kind: str, message: Any) -> None:
            if kind == "create":
                created.setdefault(message.id, time.time())

        world.observers.append(observe)
        return cls(server, channels, status_ids, created)

    def announcements(self, i: int) -> list[tuple[float, str]]:
        """(arrival, content) of the bot's messages in sprint ``i``'s channel, oldest first."""
        skip = self.status_ids[i]
        out = [
            (self.created.get(m.id, 0.0), m.content)
            for m in self.channels[i].messages.values()
            if m.id != skip
        ]
        return sorted(out)

    def requests_429(self, since: int) -> int:
        return sum(1 for r in self.server.requests[since:] if r.status == 429)


def write_sprints(
    tmp: Path, world: World, ends: list[float], *, status: bool = True, phase: int = FIRST_WORK
) -> Path:
    """Running sprints in ``phase`` (the first work phase, or the intro of a new sprint)."""
    path = tmp / f"sprints-{uuid.uuid4().hex[:8]}.json"
    rows = [
        {
            "id": i + 1,
            "channel_id": world.channels[i].id,
            "status_message_id": world.status_ids[i] if status else 0,
            "phase_index": phase,
            "phase_ends_at": end,
        }
        for i, end in enumerate(ends)
    ]
    path.write_text(json.dumps(rows))
    return path


def write_db(tmp: Path, sprints: Path) -> Path:
    """The polling peer's SQLite database, seeded with the same sprints."""
    path = tmp / f"polling-{uuid.uuid4().hex[:8]}.sqlite3"
    rows = json.loads(sprints.read_text())
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE sprints (id INTEGER PRIMARY KEY, channel_id INTEGER, "
            "phase_index INTEGER, phase_ends_at REAL, started INTEGER)"
        )
        conn.executemany(
            "INSERT INTO sprints VALUES (?, ?, ?, ?, ?)",
            [
                (
                    r["id"],
                    r["channel_id"],
                    r["phase_index"],
                    r["phase_ends_at"],
                    1 if r["status_message_id"] else 0,
                )
                for r in rows
            ],
        )
    return path


async def start_peer(
    name: str,
    server: LocalDiscord,
    tmp: Path,
    sprints: Path,
    *,
    speed: float = 1.0,
    db: Path | None = None,
) -> PeerProcess:
    tag = uuid.uuid4().hex[:8]
    config = {
        "token": server.token,
        "api_base_url": server.api_base_url,
        "gateway_url": server.gateway_url,
        "sprints": str(sprints),
        "db": str(db or write_db(tmp, sprints)),
        "speed": speed,
        "ready_file": str(tmp / f"peer-ready-{tag}.json"),
    }
    path = tmp / f"peer-{name}-{tag}.json"
    path.write_text(json.dumps(config))
    log = open(tmp / f"peer-{name}-{tag}.log", "wb")  # noqa: SIM115 (the child keeps it)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bench" / "peers" / f"{name}_bot.py"),
        str(path),
        cwd=tmp,
        stdout=log,
        stderr=log,
    )
    return PeerProcess(proc, Path(config["ready_file"]))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


# -- the scenarios, for one peer ------------------------------------------------------------------


async def lateness(name: str, tmp: Path, n: int, window: float) -> dict[str, Any]:
    async with LocalDiscord() as server:
        world = World.build(server, n)
        first = time.time() + 12.0 + n / 1000 * 1.5
        ends = [first + WORK_SECONDS * i / n for i in range(n)]
        sprints = write_sprints(tmp, world, ends)
        peer = await start_peer(name, server, tmp, sprints)
        await peer.wait_ready()
        before = len(server.requests)
        window_end = first + window
        # The polling design may announce up to 30 s after the phase end: give it that long.
        await asyncio.sleep(max(0.0, window_end + 33.0 - time.time()))
        await peer.kill()
        late: list[float] = []
        due = [i for i, end in enumerate(ends) if first <= end <= window_end]
        for i in due:
            arrived = world.announcements(i)
            if arrived:
                late.append(arrived[0][0] - ends[i])
        return {
            "delivered": len(late),
            "expected": len(due),
            "p50": pct(late, 50),
            "p99": pct(late, 99),
            "max": max(late, default=float("nan")),
            "429": world.requests_429(before),
        }


async def burst(name: str, tmp: Path, n: int, *, kill_after: float | None = None) -> dict[str, Any]:
    async with LocalDiscord() as server:
        world = World.build(server, n)
        due = time.time() + 12.0 + n / 1000 * 1.5
        ends = [due + 0.999 * i / n for i in range(n)]
        sprints = write_sprints(tmp, world, ends)
        db = write_db(tmp, sprints)
        peer = await start_peer(name, server, tmp, sprints, db=db)
        await peer.wait_ready()
        before = len(server.requests)
        if kill_after is not None:
            await asyncio.sleep(max(0.0, due + kill_after - time.time()))
            await peer.kill()
            peer = await start_peer(name, server, tmp, sprints, db=db)
            await peer.wait_ready()
        # Until every sprint is announced, or nothing new arrived for longer than the polling
        # design's interval (a peer that lost messages never sends them), or 90 s.
        deadline, seen, quiet_since = due + 90.0, -1, time.time()
        while time.time() < deadline and time.time() - quiet_since < 35.0:
            await asyncio.sleep(0.5)
            got = sum(1 for i in range(n) if world.announcements(i))
            if got == n:
                break
            if got != seen:
                seen, quiet_since = got, time.time()
        await asyncio.sleep(2.0)  # anything still on its way (and duplicates) lands
        await peer.kill()
        arrivals = [world.announcements(i) for i in range(n)]
        delivered = sum(1 for a in arrivals if a)
        duplicated = sum(
            count - 1 for a in arrivals for count in Counter(c for _, c in a).values() if count > 1
        )
        last = max((a[0][0] for a in arrivals if a), default=float("nan"))
        return {
            "delivered": delivered,
            "expected": n,
            "lost": n - delivered,
            "duplicated": duplicated,
            "drain": last - due,
            "429": world.requests_429(before),
        }


async def cost(name: str, tmp: Path, count: int = 2, speed: float = 240.0) -> dict[str, Any]:
    async with LocalDiscord(rate_limits=False) as server:
        world = World.build(server, count)
        start = time.time() + 8.0
        ends = [start + seconds_of(0, speed)] * count
        sprints = write_sprints(tmp, world, ends, status=False, phase=0)
        before = len(server.requests)
        peer = await start_peer(name, server, tmp, sprints, speed=speed)
        await peer.wait_ready()
        total = sum(seconds_of(i, speed) for i in range(FINISHED))
        await asyncio.sleep(max(0.0, start + total + 5.0 - time.time()))
        await peer.kill()
        ids = {c.id for c in world.channels}
        records = [
            r
            for r in server.requests[before:]
            if any(f"/channels/{cid}/" in r.path + "/" for cid in ids)
        ]
        hours = sum(minutes for _, minutes, _ in PHASES) / 60
        return {"per_hour": len(records) / (count * hours), "requests": len(records) / count}


async def measure_peer(name: str, tmp: Path, n: int, window: float) -> dict[str, Any]:
    print(f"- peer {name}: lateness…", flush=True)
    out = {"lateness": await lateness(name, tmp, n, window)}
    print(f"- peer {name}: burst…", flush=True)
    out["burst"] = await burst(name, tmp, n)
    print(f"- peer {name}: kill -9…", flush=True)
    out["kill9"] = await burst(name, tmp, n, kill_after=4.0)
    print(f"- peer {name}: cost…", flush=True)
    out["cost"] = await cost(name, tmp)
    return out


# -- the table ------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    if seconds != seconds:  # nan
        return "–"
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def _ratio(value: float, base: float) -> str:
    if value != value or base != base or base <= 0:
        return ""
    return f" (×{value / base:,.1f})"


def table(
    n: int, ours: dict[str, Any], peers: dict[str, dict[str, Any]], limit: dict[str, Any]
) -> list[str]:
    """One row per bot and one for the limit; ratios are to Sprintbot's figure."""
    lines = [
        f"| bot | lateness p50 / p99 / max ({n:,} sprints) | announced in window | burst "
        f"delivered | burst 429s | burst drained | kill -9 lost / duplicated | requests per "
        "sprint-hour |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = [("Sprintbot", ours)] + [(f"{k}: {PEERS[k]}", v) for k, v in peers.items()]
    for label, r in rows:
        la, bu, k9, co = r["lateness"], r["burst"], r["kill9"], r["cost"]
        mine = r is ours

        def vs(value: float, scenario: str, key: str, mine: bool = mine) -> str:
            return "" if mine else _ratio(value, ours[scenario][key])

        lines.append(
            f"| {label} "
            f"| {_ms(la['p50'])} / {_ms(la['p99'])}{vs(la['p99'], 'lateness', 'p99')}"
            f" / {_ms(la['max'])} "
            f"| {la['delivered']}/{la['expected']} "
            f"| {bu['delivered']}/{bu['expected']} "
            f"| {bu['429']} "
            f"| {bu['drain']:.1f} s{vs(bu['drain'], 'burst', 'drain')} "
            f"| {k9['lost']} / {k9['duplicated']} "
            f"| {co['per_hour']:.1f}{vs(co['per_hour'], 'cost', 'per_hour')} |"
        )
    lines.append(
        f"| **limit** | {_ms(limit['loop_p50'])} / {_ms(limit['loop_p99'])} / "
        f"{_ms(limit['loop_max'])} (an idle event loop's own timer lateness, the probe) | – "
        f"| {n}/{n} | 0 | {limit['floor']:.1f} s (N / 50 per s) | 0 / 0 "
        f"| {limit['fewest']:.1f} (a card + one line per phase change) |"
    )
    return lines
