"""The sender's database side: it scans for pending rows and writes results in batches.

One task (``Recorder._db_loop``) does both, one after the other, so the dispatcher never waits
for the database. On SQLite the scans read on a deferred connection of their own
(``sqlite_reader``), never taking the write lock that services' transactions queue for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bot.delivery.board import Board
from bot.delivery.items import (
    BEHIND,
    COLUMNS,
    DONE,
    PARKED,
    READY,
    RETRY,
    SCAN_INTERVAL,
    SCAN_WINDOW,
    STALE_KINDS,
    WAITING,
    Item,
)
from db.engine import SQLITE_BUSY_TIMEOUT_MS, Database
from db.models import ClosedTopic, DeliveryFailure, OutboxMessage

log = logging.getLogger("bot.delivery.sender")


class Recorder(Board):
    """Scans and records for the sender (``sender.Sender``)."""

    async def _db_loop(self) -> None:
        loop = asyncio.get_running_loop()
        self._last_flush = loop.time()
        failures = 0
        while True:
            self._db_event.clear()
            try:
                now = loop.time()
                if self._ops_pending() and (
                    self._db_stopping
                    or now - self._last_flush >= self.flush_seconds
                    or len(self._sent_ops) >= 200
                ):
                    await self._flush()
                    self._last_flush = loop.time()
                if self._db_stopping:
                    return
                full = now >= self._full_scan_at
                if full or (self._scan_wanted and now - self._last_scan >= SCAN_INTERVAL):
                    self._scan_wanted = False
                    self._scanning = True
                    try:
                        await self._scan(full=full)
                    finally:
                        self._scanning = False
                    self._last_scan = loop.time()
                    if full:
                        self._full_scan_at = self._last_scan + self.full_scan_seconds
                    self._event.set()
                failures = 0
            except Exception:
                failures += 1
                log.exception("outbox sender: database step failed; retrying")
                if self._db_stopping and failures >= 3:
                    return
                await asyncio.sleep(min(1.0 * failures, 10.0))
                continue
            self._update_idle()
            await wait_for(self._db_event, self._db_timeout(loop.time()))

    def _db_timeout(self, now: float) -> float:
        waits = [self._full_scan_at - now]
        if self._ops_pending():
            waits.append(self._last_flush + self.flush_seconds - now)
        if self._scan_wanted:
            waits.append(self._last_scan + SCAN_INTERVAL - now)
        return max(0.0, min(waits))

    # -- scanning ----------------------------------------------------------------------------

    def _scope(self, stmt: Any) -> Any:
        clause = self.scope.clause(OutboxMessage.guild_id)
        return stmt if clause is None else stmt.where(clause)

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction. On SQLite a deferred one on a connection of our own, so that
        scans never take the write lock the services' transactions queue for."""
        if self.db.dialect != "sqlite":
            async with self.db.transaction() as session:
                yield session
            return
        if self._reader is None:
            self._reader = sqlite_reader(self.db)
        async with self._reader() as session, session.begin():
            yield session

    async def _scan(self, *, full: bool) -> None:
        horizon = 0 if full else max(0, self._max_seen - SCAN_WINDOW)
        async with self._reading() as session:
            stmt = select(OutboxMessage.id).where(
                OutboxMessage.status == "pending", OutboxMessage.id > horizon
            )
            # Only rows known before the query can be judged by its answer: one handed over
            # while it runs (committed after its snapshot) is missing from it but pending.
            known = set(self._items) if full else set()
            pending = set((await session.execute(self._scope(stmt))).scalars())
            if pending:
                self._max_seen = max(self._max_seen, max(pending))
            if full:
                # Rows we hold that are no longer pending were changed elsewhere (enqueue's
                # supersede is also handled in memory when the newer row arrives).
                for item in list(self._items.values()):
                    if (
                        item.id in known
                        and item.id not in pending
                        and item.state
                        in (
                            READY,
                            RETRY,
                            PARKED,
                            WAITING,
                            BEHIND,
                        )
                    ):
                        self._forget(item)
            new_ids = sorted(pending - self._items.keys())
            items: list[Item] = []
            for start in range(0, len(new_ids), 500):
                chunk = new_ids[start : start + 500]
                rows = await session.execute(select(*COLUMNS).where(OutboxMessage.id.in_(chunk)))
                items.extend(Item(*row) for row in rows)
            if not items and not self._waiting:
                return
            items.sort(key=lambda i: i.id)
            stale = await self._stale_ids(session, [i for i in items if i.attempts > 0])
            for item in items:
                self._add(item, stale=item.id in stale)
            await self._resolve_waiting(session, full=full)

    async def _resolve_waiting(self, session: Any, *, full: bool) -> None:
        """Look up refs that rows wait for: delivered (use the id), pending (wait), else dead."""
        in_memory = self._by_ref
        wanted = [
            ref for ref in self._waiting if ref not in self._refs and (full or ref not in in_memory)
        ]
        if not wanted:
            self._release_resolved(list(self._waiting))
            return
        found: dict[str, list[tuple[str, int | None]]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = await session.execute(
                select(OutboxMessage.ref, OutboxMessage.status, OutboxMessage.result_id)
                .where(OutboxMessage.ref.in_(chunk))
                .order_by(OutboxMessage.id)
            )
            for ref, status, result_id in rows:
                found.setdefault(ref, []).append((status, result_id))
        for ref in wanted:
            history = found.get(ref, [])
            delivered = [rid for status, rid in history if status == "sent" and rid is not None]
            if delivered:
                self._refs.put(ref, delivered[-1])
            elif not any(status == "pending" for status, _ in history) and ref not in in_memory:
                self._kill_waiters(ref, f"it waits for '{ref}', which was never delivered")
        self._release_resolved(wanted)

    async def _stale_ids(self, session: Any, items: Iterable[Item]) -> set[int]:
        """Edits/voice statuses being retried whose topic closed more than the grace ago."""
        candidates = [i for i in items if i.kind in STALE_KINDS and i.topic is not None]
        if not candidates:
            return set()
        topics = {i.topic for i in candidates}
        cutoff = self.clock.now() - timedelta(seconds=self.finished_grace)
        rows = await session.execute(
            select(ClosedTopic.topic).where(
                ClosedTopic.topic.in_(topics), ClosedTopic.closed_at <= cutoff
            )
        )
        closed = set(rows.scalars())
        return {i.id for i in candidates if i.topic in closed}

    def _update_idle(self) -> None:
        busy = (
            self._sending
            or self._ops_pending()
            or self._scan_wanted
            or self._scanning
            or self._items
        )
        if busy:
            self._idle.clear()
        else:
            self._idle.set()

    def _ops_pending(self) -> bool:
        return bool(
            self._sent_ops
            or self._retry_ops
            or self._final_ops
            or self._failure_rows
            or self._gone_channels
            or self._done_unflushed
        )

    async def _flush(self) -> None:
        sent, retry, final = self._sent_ops, self._retry_ops, self._final_ops
        failures, gone, done = self._failure_rows, self._gone_channels, self._done_unflushed
        self._sent_ops, self._retry_ops, self._final_ops = [], [], []
        self._failure_rows, self._gone_channels, self._done_unflushed = [], {}, []
        try:
            async with self.db.transaction() as session:
                stale = await self._stale_ids(session, [item for item, _ in retry])
                retry_params = []
                for item, params in retry:
                    if item.id in stale and item.state == RETRY:
                        self.stats.dropped += 1
                        final.append(
                            {
                                "id": item.id,
                                "status": "dropped",
                                "last_error": "its topic is closed",
                            }
                        )
                        self._release(item)
                        done.append(item)
                    else:
                        retry_params.append(params)
                if sent:
                    await session.execute(update(OutboxMessage), sent)
                if retry_params:
                    await session.execute(update(OutboxMessage), retry_params)
                if final:
                    await session.execute(update(OutboxMessage), final)
                for channel_id, reason in gone.items():
                    stmt = (
                        update(OutboxMessage)
                        .where(
                            OutboxMessage.channel_id == channel_id,
                            OutboxMessage.status == "pending",
                        )
                        .values(status="dropped", last_error=reason[:1000])
                    )
                    await session.execute(
                        self._scope(stmt), execution_options={"synchronize_session": False}
                    )
                if failures:
                    session.add_all(DeliveryFailure(**row) for row in failures)
        except Exception:
            # Keep everything for the next attempt (the rows stay pending in the database, and
            # the items stay known here, so nothing is sent twice meanwhile).
            self._sent_ops[:0], self._retry_ops[:0], self._final_ops[:0] = sent, retry, final
            self._failure_rows[:0] = failures
            self._gone_channels = {**gone, **self._gone_channels}
            self._done_unflushed[:0] = done
            raise
        for item in done:
            if item.state == DONE:
                self._items.pop(item.id, None)


def sqlite_reader(db: Database) -> async_sessionmaker[AsyncSession]:
    """Sessions on a separate SQLite engine whose transactions start with a deferred BEGIN.

    The bot's engine begins every transaction with BEGIN IMMEDIATE (safe read-then-write); a pure
    read needs no write lock, and in WAL mode it neither waits for nor blocks a writer.
    """
    engine = create_async_engine(
        db.engine.url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return async_sessionmaker(engine, expire_on_commit=False)


async def wait_for(flag: asyncio.Event, seconds: float | None) -> None:
    """Wait until ``flag`` is set or ``seconds`` pass (None: no limit)."""
    if seconds is not None and seconds <= 0:
        await asyncio.sleep(0)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(flag.wait(), seconds)
