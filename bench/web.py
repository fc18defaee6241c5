"""Live pages under load: many open pages on many running sprints (issue #17's targets).

    python bench/web.py [--sprints 100] [--pages 1000] [--seconds 20] [--aligned] [--append]

Two processes on loopback. The *server* runs what the bot runs for the web: the services on a
SQLite file, the timers that advance sprints, and the web app, all on one event loop, with no
Discord connection (the outbox just fills). It starts ``--sprints`` sprints with 4-second phases,
their starts spread over one phase (``--aligned``: all at once, so every sprint changes phase at
the same moment, the worst case), and shares each one. The *clients* (this process) open
``--pages`` Server-Sent Events streams with aiohttp, spread evenly over the sprints, and read them.

Printed figures:

- **phase change → page**: for every phase change every page receives, the time from the change's
  moment (the phase start it carries) to the page's receipt, p50/p99/max (target p99 ≤ 1 s);
- **loop lag**: how late a 5 ms sleep in the server's loop wakes, p50/p99/max, while the pages are
  open (target p99 ≤ 10 ms);
- **memory per open page**: the server's resident memory with every page open minus before any,
  divided by the pages (target ≤ 50 KiB).

``--append`` adds the run to bench/RESULTS.md. Keep runs short on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import re
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPEED = 15.0  # a 1-minute phase lasts 4 s
STARTED = re.compile(rb'"started":(\d+)')


def rss_of(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _figures(values: list[float]) -> dict[str, float]:
    return {
        "p50": pct(values, 0.5),
        "p99": pct(values, 0.99),
        "max": max(values, default=float("nan")),
        "samples": len(values),
    }


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- the server process ---------------------------------------------------------------------------


async def serve(sprints: int, aligned: bool) -> None:
    from bot.clock import SystemClock
    from bot.scheduler import Timers
    from bot.services import Services
    from bot.services.context import NullWaker, ServiceContext
    from bot.services.sprints import Actor, StartRequest
    from bot.settings import Settings, TimingSettings, WebSettings
    from bot.web.server import WebServer
    from db.engine import Database
    from db.models import Base

    folder = tempfile.mkdtemp(prefix="sprintbot-bench-web-")
    database = Database.from_url(f"sqlite+aiosqlite:///{folder}/bench.sqlite3")
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    web = WebSettings(port=0, requests_per_minute=100_000, streams_per_ip=100_000)
    settings = Settings(timing=TimingSettings(speed=SPEED), web=web)
    clock = SystemClock()
    timers = Timers()
    services = Services(ServiceContext(settings, database, clock, timers, NullWaker()))

    class Healthy:
        async def database_ok(self) -> bool:
            return True

        def gateway_ready(self) -> bool:
            return True

    tokens = []
    for n in range(sprints):
        if not aligned and n:
            await asyncio.sleep(60 / SPEED / sprints)  # spread the starts over one phase
        view = await services.sprints.start(
            StartRequest(
                guild_id=1 << 40,
                channel_id=10_000 + n,
                host_id=7,
                host_name="Host",
                work=1,
                brk=1,
                rounds=12,
                intro=1,
                title=f"Bench sprint {n}",
            )
        )
        link = await services.sharing.share_sprint(view.id, Actor(7))
        tokens.append(link.token)
    await services.restore()
    timers.start()
    server = WebServer(services.sharing, Healthy(), web, clock)
    await server.start()

    # Where the time goes: how late the sprints area commits a change (after its moment), and
    # how long the hub's batched page reads take.
    hub = services.sharing.live
    commit_late: list[float] = []
    reads: list[tuple[int, float]] = []
    after_commit, read_pages = hub._after_commit, services.sharing.pages

    def timed_after_commit(session: Any) -> None:
        now = clock.now()
        for at in session.info.get("sharing.live.pending", {}).values():
            commit_late.append((now - at).total_seconds() * 1000)
        after_commit(session)

    async def timed_pages(wanted: Any) -> Any:
        start = time.perf_counter()
        try:
            return await read_pages(wanted)
        finally:
            reads.append((len(wanted), (time.perf_counter() - start) * 1000))

    hub._after_commit = timed_after_commit  # type: ignore[method-assign]
    services.sharing.pages = timed_pages  # type: ignore[method-assign]

    lags: list[float] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    def window() -> None:  # the measurement window starts
        lags.clear()
        commit_late.clear()
        reads.clear()

    loop.add_signal_handler(signal.SIGUSR1, window)
    gc.collect()
    print(json.dumps({"port": server.port, "tokens": tokens}), flush=True)

    async def probe() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append((time.perf_counter() - before - 0.005) * 1000)

    task = asyncio.create_task(probe())
    await stop.wait()
    task.cancel()
    report = {  # figures, not samples: the line stays short
        "lag_ms": _figures(lags),
        "open_streams": hub.open_streams,
        "commit_late_ms": _figures(commit_late),
        "reads": {
            "count": len(reads),
            "sprints_p50": pct([float(n) for n, _ in reads], 0.5),
            "ms": _figures([ms for _, ms in reads]),
        },
    }
    print(json.dumps(report), flush=True)
    await server.stop()
    await timers.aclose()
    await database.dispose()


# -- the client side ------------------------------------------------------------------------------


async def page(
    session: Any, url: str, opened: asyncio.Event, latencies: list[float], counting: list[bool]
) -> None:
    last_started: bytes | None = None
    async with session.get(url) as response:
        assert response.status == 200, response.status
        buffer = b""
        async for chunk in response.content.iter_any():
            received = time.time() * 1000
            buffer += chunk
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                match = STARTED.search(event)
                if match is None:
                    continue
                if not opened.is_set():
                    opened.set()
                if last_started is not None and match[1] != last_started and counting[0]:
                    latencies.append(received - int(match[1]))
                last_started = match[1]


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--serve",
        "--sprints",
        str(args.sprints),
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert child.stdout is not None
    hello = json.loads(await child.stdout.readline())
    base = f"http://127.0.0.1:{hello['port']}"
    tokens: list[str] = hello["tokens"]
    await asyncio.sleep(0.5)
    rss_before = rss_of(child.pid)
    latencies: list[float] = []
    counting = [False]
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        events = [asyncio.Event() for _ in range(args.pages)]
        tasks = [
            asyncio.create_task(
                page(
                    session,
                    f"{base}/s/{tokens[i % len(tokens)]}/events",
                    events[i],
                    latencies,
                    counting,
                )
            )
            for i in range(args.pages)
        ]
        opening = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), 60)
        opened_in = time.monotonic() - opening
        await asyncio.sleep(1.0)
        rss_open = rss_of(child.pid)
        counting[0] = True
        child.send_signal(signal.SIGUSR1)
        await asyncio.sleep(args.seconds)
        counting[0] = False
        child.send_signal(signal.SIGTERM)
        report = json.loads(await child.stdout.readline())
        for task in tasks:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
    try:
        await asyncio.wait_for(child.wait(), 30)
    except TimeoutError:
        child.kill()
    return {
        "load": os.getloadavg()[0],
        "sprints": args.sprints,
        "pages": args.pages,
        "seconds": args.seconds,
        "aligned": args.aligned,
        "opened_in_s": opened_in,
        "deliveries": len(latencies),
        "latency_ms": {
            "p50": pct(latencies, 0.5),
            "p99": pct(latencies, 0.99),
            "max": max(latencies, default=float("nan")),
        },
        "lag_ms": report["lag_ms"],
        "rss_before_mib": rss_before / 2**20,
        "rss_open_mib": rss_open / 2**20,
        "kib_per_page": (rss_open - rss_before) / 1024 / args.pages,
        "open_streams_at_end": report["open_streams"],
        "commit_late_ms": report["commit_late_ms"],
        "reads": report["reads"],
    }


def text(result: dict[str, Any]) -> str:
    lat, lag = result["latency_ms"], result["lag_ms"]
    ok = lambda good: "met" if good else "MISSED"  # noqa: E731
    before, opened = result["rss_before_mib"], result["rss_open_mib"]
    per_page = result["kib_per_page"]
    late, reads = result["commit_late_ms"], result["reads"]
    return "\n".join(
        [
            f"- {result['pages']} pages on {result['sprints']} sprints, {result['seconds']} s "
            f"measured (all pages opened in {result['opened_in_s']:.1f} s; phases of 4 s, "
            + (
                "every sprint changing phase at the same moment)"
                if result["aligned"]
                else "the sprints' starts spread over one phase)"
            ),
            f"- phase change → page: {result['deliveries']} deliveries, p50 {lat['p50']:.0f} ms, "
            f"p99 {lat['p99']:.0f} ms, max {lat['max']:.0f} ms (target p99 ≤ 1000 ms: "
            f"{ok(lat['p99'] <= 1000)})",
            f"- server loop lag: p50 {lag['p50']:.2f} ms, p99 {lag['p99']:.2f} ms, max "
            f"{lag['max']:.1f} ms over {lag['samples']} samples (target p99 ≤ 10 ms: "
            f"{ok(lag['p99'] <= 10)})",
            f"- memory: {before:.1f} MiB before, {opened:.1f} MiB with every page open: "
            f"{per_page:.1f} KiB per page (target ≤ 50 KiB: {ok(per_page <= 50)})",
            f"- the machine's load average at the end: {result['load']:.1f} "
            f"({os.cpu_count()} vCPUs, shared)",
            f"- where the time goes: the sprints area commits a change p50 "
            f"{late['p50']:.0f} ms / p99 {late['p99']:.0f} ms after its moment; the hub read "
            f"{reads['count']} batches (p50 {reads['sprints_p50']:.0f} sprints, p50 "
            f"{reads['ms']['p50']:.0f} ms, p99 {reads['ms']['p99']:.0f} ms)",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sprints", type=int, default=100)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--aligned",
        action="store_true",
        help="start every sprint at once, so all change phase together (the worst case)",
    )
    parser.add_argument("--append", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.sprints, args.aligned))
        return
    result = asyncio.run(bench(args))
    body = text(result)
    print(body)
    if args.append:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        cpus = os.cpu_count()
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
            out.write(
                f"\n## Live pages: bench/web.py, {when} ({cpus} vCPU, SQLite, loopback)\n\n{body}\n"
            )


if __name__ == "__main__":
    main()
