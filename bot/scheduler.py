"""Timers: one wake-up per key ("sprint:12", "week:guild:34"), rebuilt from the database at start.

APScheduler 3 drops a job that starts more than ``misfire_grace_time`` late (1 s by default) and a
busy loop easily makes a burst that late, so every job runs however late it is
(``misfire_grace_time=None``) and missed runs of one job collapse into one (``coalesce=True``).
APScheduler also skips a job whose id still has ``max_instances`` runs going (1 by default): a
callback that re-arms its own key and is still busy when that time comes (waiting for the database
or for a callback slot under load) lost the next wake-up for good. Callbacks are idempotent against
the database, so a key may run again while an earlier run finishes.
Jobs live in the memory store: the database is the truth, the scheduler only says "wake me then".

Two lanes. ``URGENT`` (the default: a sprint's phase change) runs up to ``max_concurrent`` callbacks
at once. ``BULK`` (work that many keys share one instant for, like 10,000 standing sessions all due
at 09:00) runs one callback at a time, and only while no urgent callback is waiting or running:
otherwise a herd of bulk transactions queued ahead of a phase change held SQLite's writer and the
callback slots for seconds, and running sprints' announcements came seconds late.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

log = logging.getLogger(__name__)

Callback = Callable[..., Awaitable[Any]]
Lane = Literal["urgent", "bulk"]
URGENT: Lane = "urgent"
BULK: Lane = "bulk"

# Callbacks running at once. Each one is a database transaction; on SQLite they queue for one
# write lock, and a thousand simultaneous waiters can outlast the busy timeout. On PostgreSQL they
# run side by side, but their Python work shares one event loop: with 16 at once a burst kept the
# loop ~20 ms behind (p99), while a few already keep it busy between database round trips.
MAX_CONCURRENT_CALLBACKS = 4
MAX_CONCURRENT_BULK = 1  # bulk callbacks, one at a time, only while no urgent one is pending
# Never skip a wake-up because an earlier run of the same key is still going (see above); the
# semaphore above is what bounds the work.
MAX_INSTANCES_PER_KEY = 1_000_000


class Timers:
    def __init__(self, *, max_concurrent: int = MAX_CONCURRENT_CALLBACKS) -> None:
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                "misfire_grace_time": None,
                "coalesce": True,
                "max_instances": MAX_INSTANCES_PER_KEY,
            },
        )
        self._limit = asyncio.Semaphore(max_concurrent)
        self._bulk_limit = asyncio.Semaphore(MAX_CONCURRENT_BULK)
        self._urgent_pending = 0  # urgent callbacks waiting for a slot or running
        self._urgent_idle = asyncio.Event()
        self._urgent_idle.set()
        self._running: set[asyncio.Task[Any]] = set()
        # Keys armed before start(): APScheduler keeps those jobs in a list that get_job scans,
        # so replacing only the keys seen before keeps a restore of 10,000 sprints linear.
        self._before_start: set[str] = set()

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def arm(
        self, key: str, when: datetime, callback: Callback, *args: Any, lane: Lane = URGENT
    ) -> None:
        """Run ``callback(*args)`` at ``when`` (aware); replaces an earlier timer with that key.

        ``lane=BULK`` for work that may wait behind urgent work (see the module docstring).
        """
        if when.tzinfo is None:
            raise ValueError("timers need aware datetimes")
        if not self._scheduler.running:
            # Before start() APScheduler keeps pending jobs in a list without replacing by id.
            if key in self._before_start:
                self.cancel(key)
            self._before_start.add(key)
        self._scheduler.add_job(
            self._run,
            trigger=DateTrigger(run_date=when, timezone=UTC),
            args=(key, lane, callback, *args),
            id=key,
            replace_existing=True,
        )

    def cancel(self, key: str) -> None:
        self._before_start.discard(key)
        while (job := self._scheduler.get_job(key)) is not None:
            job.remove()

    def when(self, key: str) -> datetime | None:
        job = self._scheduler.get_job(key)
        if job is None:
            return None
        # A job added before start() is pending and has no next_run_time yet: ask its trigger.
        when: datetime | None = getattr(job, "next_run_time", None)
        return when if when is not None else job.trigger.run_date

    def __len__(self) -> int:
        return len(self._scheduler.get_jobs())

    def __bool__(self) -> bool:  # an empty Timers is still a Timers (`timers or default`)
        return True

    def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()
            self._before_start.clear()  # the jobs are in the store now: replaced by id

    def shutdown(self) -> None:
        """Stop at once; callbacks still running are cancelled (see ``aclose``)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def aclose(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Stop firing, let running callbacks finish their transaction, then shut down."""
        if self._scheduler.running:
            self._scheduler.pause()
        if self._running:
            _done, pending = await asyncio.wait(set(self._running), timeout=timeout)
            if pending:
                log.warning("%d timer callback(s) still running at shutdown", len(pending))
        self.shutdown()

    async def _run(self, key: str, lane: Lane, callback: Callback, *args: Any) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            if lane == BULK:
                await self._run_bulk(callback, *args)
            else:
                await self._run_urgent(callback, *args)
        except Exception:
            log.exception("timer %s failed", key)
        finally:
            if task is not None:
                self._running.discard(task)

    async def _run_urgent(self, callback: Callback, *args: Any) -> None:
        self._urgent_pending += 1
        self._urgent_idle.clear()
        try:
            async with self._limit:
                await callback(*args)
        finally:
            self._urgent_pending -= 1
            if self._urgent_pending == 0:
                self._urgent_idle.set()

    async def give_way(self) -> None:
        """Wait while urgent callbacks are waiting or running.

        A bulk callback that does many pieces of work in turn (every series due at one instant)
        calls this before each, so an urgent callback waits for one piece at most.
        """
        # One yield first, so urgent wake-ups due at the same instant have registered.
        await asyncio.sleep(0)
        while self._urgent_pending:
            await self._urgent_idle.wait()

    async def _run_bulk(self, callback: Callback, *args: Any) -> None:
        async with self._bulk_limit:
            # Urgent work first: a bulk callback starts only when none is waiting or running
            # (it may still overlap one that arrives meanwhile, for one transaction's length).
            await self.give_way()
            await callback(*args)
