"""Runs stats computations and charts in one worker process, off the event loop.

A thread is not enough: matplotlib's drawing holds the GIL for long stretches (a chart drawn in a
thread made the loop wake up to 156 ms late; bench/stats.py). One ``spawn``-ed process (never
``fork``: the bot has threads) is started on first use and reused; it imports matplotlib once, so
the first chart after start-up takes about a second longer. If a process cannot be started or
dies, the work falls back to a thread, so an answer still comes.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

__all__ = ["ChartWorker"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class ChartWorker:
    def __init__(self, *, use_process: bool = True) -> None:
        self.use_process = use_process
        self._pool: ProcessPoolExecutor | None = None
        self._lock = asyncio.Lock()

    async def _executor(self) -> ProcessPoolExecutor | None:
        if not self.use_process:
            return None
        async with self._lock:
            if self._pool is None:
                try:
                    self._pool = ProcessPoolExecutor(
                        max_workers=1, mp_context=multiprocessing.get_context("spawn")
                    )
                except (OSError, ValueError):
                    log.warning("no chart worker process; charts are drawn in a thread")
                    self.use_process = False
            return self._pool

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the worker process (or a thread when no process is available)."""
        pool = await self._executor()
        if pool is not None:
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
            except BrokenProcessPool:
                log.warning("the chart worker process died; starting a new one next time")
                self._pool = None
        return await asyncio.to_thread(fn, *args)

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)
