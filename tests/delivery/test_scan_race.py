"""A full scan never forgets a row handed over while its query runs.

The scan reads the ids of pending rows, then forgets the rows it holds that are not among them
(changed elsewhere). A row committed after the query's snapshot but handed over before its
answer came was missing from the answer although pending: it was forgotten, and sent only when
a later scan found it again (up to ``full_scan_seconds`` without a wake). Seen as a flaky
sender test; a phase announcement committed during a full scan could have waited as long.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.delivery import enqueue
from bot.delivery.outbox import hold_until
from db.engine import Database
from tests.db.test_outbox_sender import FakeDiscord, eventually, make_sender, say


class SlowAnswer:
    """A session whose first query's answer is held until the test lets it through."""

    def __init__(self, session: Any, asked: asyncio.Event, release: asyncio.Event) -> None:
        self._session = session
        self._asked = asked
        self._release = release

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        result = await self._session.execute(*args, **kwargs)
        if not self._asked.is_set():
            self._asked.set()
            await self._release.wait()
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


async def test_a_held_announcement_handed_over_during_a_full_scan_is_still_sent(
    database: Database,
) -> None:
    """Like a phase change prepared ahead: committed now, held until its moment (in memory
    only, so the forgotten row had nothing else to bring it back)."""
    fake = FakeDiscord()
    sender = make_sender(database, fake)
    asked, release = asyncio.Event(), asyncio.Event()
    reading = sender._reading

    @contextlib.asynccontextmanager
    async def slow_reading() -> AsyncIterator[Any]:
        async with reading() as session:
            yield SlowAnswer(session, asked, release)

    sender._reading = slow_reading  # type: ignore[method-assign]
    await sender.start()  # the first scan is a full one
    try:
        await asyncio.wait_for(asked.wait(), 5.0)  # its answer (no pending rows) is on the way
        async with database.transaction() as session:  # handed over at the commit
            hold_until(session, datetime.now(UTC) + timedelta(milliseconds=300))
            await enqueue(session, say("Break time!"))
        release.set()
        await eventually(lambda: len(fake.requests) == 1, seconds=3.0)
    finally:
        await sender.stop()
