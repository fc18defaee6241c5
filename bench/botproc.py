# ruff: noqa: ASYNC240
"""The bot under benchmark: the real Sprintbot in its own process, instrumented from outside.

Run by ``bench/run.py`` (not by hand): ``python bench/botproc.py CONFIG.json``. It builds the bot
with ``create_bot`` exactly as ``sprintbot run`` does, plus measurements that do not change what
the bot does:

- when login, restore (re-arming every timer) and READY happened (wall clock);
- event-loop lag: a task sleeps 5 ms in a loop and records how late it wakes;
- resident memory (``VmRSS``) every half second;
- the delivery sender's statistics.

On SIGTERM it closes the bot cleanly and writes everything to ``report`` (JSON). On SIGKILL it
writes nothing, which is the point of the kill test.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import gc
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core import create_bot  # noqa: E402
from bot.settings import DeliverySettings, DiscordSettings, Settings, TimingSettings  # noqa: E402
from db.engine import Database  # noqa: E402


def rss_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


async def main(config: dict[str, Any]) -> None:
    faulthandler.register(signal.SIGUSR1)  # kill -USR1 <pid> prints every thread's stack
    logging.basicConfig(
        level=config.get("log_level", "WARNING"),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    report: dict[str, Any] = {"started": time.time(), "rss_start": rss_bytes()}
    database = Database.from_url(config["db_url"])
    settings = Settings(
        discord=DiscordSettings(
            token=config["token"],
            api_base_url=config["api_base_url"],
            gateway_url=config["gateway_url"],
        ),
        timing=TimingSettings(
            speed=config.get("speed", 1.0),
            **(
                {"prepare_ahead_ms": config["prepare_ahead_ms"]}
                if config.get("prepare_ahead_ms") is not None
                else {}
            ),
        ),
        delivery=DeliverySettings(),
    )
    bot = create_bot(settings, database=database)
    loop = asyncio.get_running_loop()

    restore = bot.services.restore

    async def timed_restore() -> None:
        report["restore_started"] = time.time()
        await restore()
        report["restore_done"] = time.time()
        report["armed"] = len(bot.timers)
        report["series_armed"] = bot.services.sessions.runner.armed  # they share timers
        report["rss_after_restore"] = rss_bytes()

    bot.services.restore = timed_restore  # type: ignore[method-assign]

    # When each outbox row reached the sender (handed over after commit) and when its request
    # started: splits an announcement's lateness into service, sender and HTTP parts.
    sender = bot.delivery
    accepted: dict[int, float] = {}
    dispatched: dict[int, float] = {}
    accept, deliver = sender.accept, sender.transport.deliver

    def timed_accept(rows: list[Any]) -> None:
        now = time.time()
        for row in rows:
            accepted.setdefault(row.id, now)
        accept(rows)

    async def timed_deliver(request: Any) -> Any:
        dispatched.setdefault(request.row_id, time.time())
        return await deliver(request)

    sender.accept = timed_accept
    sender.transport.deliver = timed_deliver

    lag: list[tuple[float, float]] = []
    gc_pauses: list[tuple[float, float, int]] = []  # (wall time, seconds, generation) > 5 ms
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            took = time.perf_counter() - gc_started[0]
            if took > 0.005:
                gc_pauses.append((time.time(), took, info["generation"]))

    gc.callbacks.append(on_gc)
    rss: list[tuple[float, int]] = []

    async def lag_monitor() -> None:
        while True:
            before = loop.time()
            await asyncio.sleep(0.005)
            lag.append((time.time(), loop.time() - before - 0.005))

    async def rss_monitor() -> None:
        while True:
            rss.append((time.time(), rss_bytes()))
            await asyncio.sleep(0.5)

    ready_file = Path(config["ready_file"])

    @bot.event
    async def on_ready() -> None:
        if "ready" not in report:
            report["ready"] = time.time()
            if config.get("sync_commands"):
                await bot.tree.sync()
            report["rss_ready"] = rss_bytes()
            ready_file.write_text(json.dumps({"ready": report["ready"]}))

    monitors = [asyncio.create_task(lag_monitor()), asyncio.create_task(rss_monitor())]
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    report["login"] = time.time()
    async with bot:
        runner = asyncio.create_task(bot.start(config["token"]))
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
        report["stopping"] = time.time()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await runner
    for task in monitors:
        task.cancel()
    stats = bot.delivery.stats
    report.update(
        lag=lag,
        rss=rss,
        delivery=stats.as_dict(),
        accepted=accepted,
        gc=gc_pauses,
        dispatched=dispatched,
        stopped=time.time(),
    )
    await database.dispose()
    Path(config["report"]).write_text(json.dumps(report))


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
    # A timer job cancelled mid-transaction at shutdown can leave an aiosqlite worker thread
    # behind that keeps the interpreter alive; the report is written, so leave now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
