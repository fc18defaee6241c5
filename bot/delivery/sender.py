"""The sender: drains the outbox within Discord's limits; a crash loses and duplicates nothing.

How it works (two asyncio tasks, plus one short task per request in flight):

- **Hand-over.** When a transaction that called ``enqueue`` commits, its rows are handed to the
  sender in memory (``outbox.add_sink``); rows of other shards' guilds are ignored. This is the
  fast path: a phase announcement starts its request a fraction of a millisecond after the commit.
- **Scan.** The recorder task also reads the ids of pending rows it does not know
  (``SELECT id ... WHERE status = 'pending'``, only guilds this process owns): after ``wake()``
  (at most every ``SCAN_INTERVAL``), and in full every ``full_scan_seconds``. That catches rows
  written by anything else and everything left over from before a restart. On SQLite the scan
  reads on its own deferred connection, never taking the write lock services queue for.
- **Refs.** ``channel_ref``/``target_ref`` resolve to the ``result_id`` of the delivered row with
  that ``ref``; a row whose target is not delivered yet waits for it; if the target can never be
  delivered (failed, dropped) the waiting rows are dropped too.
- **Pick and send.** The dispatcher task works in memory only: when the global bucket has a
  token, the best row (lowest priority number, then oldest) whose channel budget allows it is
  sent; rows superseded by a newer row with the same ``supersede_key`` are dropped instead.
  Being "in flight" is only a state in memory. Many requests may be in flight at once:
  discord.py's own bucket handling holds a request that empties a channel's bucket until the
  bucket resets (about 5 s), although Discord has already stored the message.
- **Record.** The recorder writes results in small batches. Success: ``status='sent'``,
  ``result_id``, ``sent_at``. Transient failure (5xx, 429, network): ``attempts``/``not_before``
  with exponential backoff (or Discord's retry-after), unless the row became pointless (an edit or
  voice status of a sprint that ended more than ``finished_grace`` seconds ago). Permanent
  failure (missing permission/access, unknown channel): ``status='failed'`` plus a
  ``DeliveryFailure`` a manager sees (see ``failures.py``), and a log line; for a deleted channel
  everything else queued for it is dropped and the sprint service is told (``on_channel_gone``).
- **Crash.** Nothing is marked before Discord accepted it, so a killed process resends after
  restart; a create carries the row's ``nonce`` with ``enforce_nonce`` so Discord answers a resend
  with the message it already made instead of a duplicate; edits and status changes are idempotent.

Rows of other shards' guilds are never read, so several processes can share one database; no row
is claimed in the database (each guild belongs to exactly one process), so no
``SELECT ... FOR UPDATE SKIP LOCKED`` is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import random
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import discord
from sqlalchemy import and_, event, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.sql.elements import ColumnElement

from bot.clock import Clock
from bot.delivery.limits import BudgetKey, Limits
from bot.delivery.outbox import add_sink, remove_sink
from bot.delivery.transport import (
    DeliveryRequest,
    DiscordTransport,
    GateStats,
    Permanent,
    Transient,
    Transport,
    budget_bucket,
)
from bot.settings import DeliverySettings, Settings
from db.engine import SQLITE_BUSY_TIMEOUT_MS, Database
from db.models import DeliveryFailure, OutboxMessage, Sprint

log = logging.getLogger(__name__)

# Item states (in memory only; the database knows only pending and the final states).
READY, RETRY, PARKED, WAITING, SENDING, DONE = range(6)

SCAN_WINDOW = 1000  # an incremental scan re-reads this many ids below the highest seen
RECENT_DONE = 100_000  # finished row ids remembered, so a late hand-over is not sent twice
SCAN_INTERVAL = 0.25  # wake-driven scans at most this often (rows are usually handed over)
FAILURE_REPEAT_SECONDS = 60.0  # one DeliveryFailure per (guild, channel, code) per minute
STALE_KINDS = frozenset({"edit", "voice_status"})
ENDED = ("finished", "cancelled")


@dataclass(frozen=True)
class ShardScope:
    """Which guilds' rows this process delivers (Discord's shard formula; DMs go to shard 0)."""

    count: int | None = None
    ids: tuple[int, ...] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ShardScope:
        return cls(settings.discord.shard_count, settings.discord.shard_ids)

    @property
    def everything(self) -> bool:
        return not self.count or self.ids is None

    def owns(self, guild_id: int | None) -> bool:
        if self.everything:
            return True
        assert self.count is not None and self.ids is not None
        return ((guild_id or 0) >> 22) % self.count in self.ids

    def clause(self, column: Any) -> ColumnElement[bool] | None:
        if self.everything:
            return None
        assert self.count is not None and self.ids is not None
        shard = column.op(">>")(literal_column("22")).op("%")(literal_column(str(int(self.count))))
        owned = shard.in_(list(self.ids))
        if 0 in self.ids:
            return or_(column.is_(None), owned)
        return and_(column.is_not(None), owned)


@dataclass
class DeliveryStats:
    """What delivery cost and how it went; ``gate`` counts every REST request of the process."""

    sent: int = 0
    retried: int = 0
    dropped: int = 0
    superseded: int = 0
    failed: int = 0
    rate_limited: int = 0  # 429s that reached the sender (discord.py gave up retrying)
    by_kind: Counter[str] = field(default_factory=Counter)
    gate: GateStats | None = None

    @property
    def requests(self) -> int:
        return self.gate.requests if self.gate else sum(self.by_kind.values())

    @property
    def responses_429(self) -> int:
        return self.gate.responses_429 if self.gate else self.rate_limited

    @property
    def by_route(self) -> Counter[str]:
        return self.gate.by_route if self.gate else Counter()

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "dropped": self.dropped,
            "superseded": self.superseded,
            "failed": self.failed,
            "requests": self.requests,
            "responses_429": self.responses_429,
            "by_kind": dict(self.by_kind),
            "by_route": dict(self.by_route),
        }


@dataclass(slots=True, eq=False)
class _Item:
    id: int
    kind: str
    priority: int
    guild_id: int | None
    channel_id: int | None
    channel_ref: str | None
    target_message_id: int | None
    target_ref: str | None
    ref: str | None
    supersede_key: str | None
    sprint_id: int | None
    payload: dict[str, Any]
    nonce: str
    attempts: int
    not_before: datetime | None
    state: int = READY
    channel: int | None = None
    target: int | None = None
    bucket: str = "default"

    @property
    def budget_key(self) -> BudgetKey:
        assert self.channel is not None
        return (self.channel, self.bucket)

    def unresolved(self, refs: dict[str, int]) -> list[str]:
        out = []
        if (
            self.channel_id is None
            and self.channel_ref is not None
            and self.channel_ref not in refs
        ):
            out.append(self.channel_ref)
        if (
            self.target_message_id is None
            and self.target_ref is not None
            and self.target_ref not in refs
        ):
            out.append(self.target_ref)
        return out


_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.kind,
    OutboxMessage.priority,
    OutboxMessage.guild_id,
    OutboxMessage.channel_id,
    OutboxMessage.channel_ref,
    OutboxMessage.target_message_id,
    OutboxMessage.target_ref,
    OutboxMessage.ref,
    OutboxMessage.supersede_key,
    OutboxMessage.sprint_id,
    OutboxMessage.payload,
    OutboxMessage.nonce,
    OutboxMessage.attempts,
    OutboxMessage.not_before,
)


class _RefCache(OrderedDict[str, int]):
    """ref -> Discord id of the latest delivered row with that ref (bounded, most recent kept)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, ref: str, value: int) -> None:
        self[ref] = value
        self.move_to_end(ref)
        while len(self) > self.size:
            self.popitem(last=False)


class Sender:
    """Drains the outbox: ``start()`` after login, ``wake()`` after commits, ``stop()`` at close."""

    def __init__(
        self,
        db: Database,
        settings: DeliverySettings,
        clock: Clock,
        transport: Transport | discord.http.HTTPClient,
        *,
        scope: ShardScope | None = None,
        limits: Limits | None = None,
        concurrency: int = 256,
        full_scan_seconds: float = 15.0,
        flush_seconds: float = 0.2,
        finished_grace: float = 120.0,
        stop_timeout: float = 5.0,
        backoff_base: float = 2.0,
        backoff_cap: float = 300.0,
        ref_cache_size: int = 50_000,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.limits = limits or Limits(
            settings.global_per_second, settings.channel_burst, settings.channel_per_seconds
        )
        if isinstance(transport, discord.http.HTTPClient):
            transport = DiscordTransport(transport, self.limits)
        self.transport: Transport = transport
        self.scope = scope or ShardScope()
        self.stats = DeliveryStats(gate=getattr(getattr(transport, "gate", None), "stats", None))
        self.concurrency = concurrency
        self.full_scan_seconds = full_scan_seconds
        self.flush_seconds = flush_seconds
        self.finished_grace = finished_grace
        self.stop_timeout = stop_timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        # Hooks: a row was delivered (row id, kind, Discord id); Discord says a channel is gone.
        self.on_delivered: Callable[[int, str, int | None], None] | None = None
        self.on_channel_gone: Callable[[int], Awaitable[Any]] | None = None
        self._hook_tasks: set[asyncio.Task[Any]] = set()

        self._items: dict[int, _Item] = {}
        self._ready: list[tuple[int, int]] = []
        self._retry: list[tuple[float, int]] = []
        self._parked: dict[BudgetKey, list[int]] = {}
        self._parked_at: list[tuple[float, BudgetKey]] = []
        self._waiting: dict[str, set[int]] = {}
        self._refs = _RefCache(ref_cache_size)
        self._latest: dict[str, int] = {}  # supersede_key -> newest row id seen
        self._keyed: dict[str, set[int]] = {}  # supersede_key -> unfinished rows in memory
        self._by_ref: dict[str, set[int]] = {}  # ref -> unfinished rows in memory creating it
        # sprint id -> (until, first row id): a phase change prepared ahead holds its rows until
        # the phase ends; later rows of that sprint wait as long, so they keep their order.
        self._holds: dict[int, tuple[datetime, int]] = {}
        self._sending = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._results: list[tuple[_Item, int | BaseException | None]] = []
        self._max_seen = 0
        self._failure_seen: dict[tuple[int | None, int | None, int | None], float] = {}

        self._sent_ops: list[dict[str, Any]] = []
        self._retry_ops: list[tuple[_Item, dict[str, Any]]] = []
        self._final_ops: list[dict[str, Any]] = []
        self._failure_rows: list[dict[str, Any]] = []
        self._gone_channels: dict[int, str] = {}
        self._done_unflushed: list[_Item] = []

        self._recent_done: OrderedDict[int, None] = OrderedDict()

        self._event = asyncio.Event()  # wakes the dispatcher
        self._db_event = asyncio.Event()  # wakes the recorder/scanner
        self._scan_wanted = True
        self._scanning = False
        self._full_scan_at = 0.0
        self._last_scan = 0.0
        self._last_flush = 0.0
        self._stopping = False
        self._db_stopping = False
        self._task: asyncio.Task[None] | None = None
        self._db_task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._reader: async_sessionmaker[AsyncSession] | None = None

    # -- public ------------------------------------------------------------------------------

    @classmethod
    def for_bot(cls, bot: Any, **kwargs: Any) -> Sender:
        """The sender of a bot: its database, clock, settings, shard scope and HTTP client.

        When Discord says a channel is gone, the sprint service ends the sprints posting there.
        """
        sender = cls(
            bot.db,
            bot.settings.delivery,
            bot.clock,
            bot.http,
            scope=ShardScope.from_settings(bot.settings),
            **kwargs,
        )

        async def channel_gone(channel_id: int) -> Any:
            sprints = getattr(getattr(bot, "services", None), "sprints", None)
            hook = getattr(sprints, "channel_gone", None)
            if hook is not None:
                return await hook(channel_id)
            return None

        sender.on_channel_gone = channel_gone
        return sender

    def wake(self) -> None:
        """New rows were committed: look in the database soon (rows written with ``enqueue`` on
        this process's database have already been handed over in memory)."""
        self._scan_wanted = True
        self._idle.clear()
        self._db_event.set()

    def accept(self, rows: list[OutboxMessage]) -> None:
        """Rows just committed by ``enqueue`` (the outbox's fast path; see ``outbox.add_sink``)."""
        if self._task is None or self._stopping:
            return  # not running: the first scan after start finds them
        added = False
        for row in rows:
            if (
                row.id in self._items
                or row.id in self._recent_done
                or row.status != "pending"
                or not self.scope.owns(row.guild_id)
            ):
                continue
            self._max_seen = max(self._max_seen, row.id)
            self._add(
                _Item(
                    row.id, row.kind, row.priority, row.guild_id, row.channel_id,
                    row.channel_ref, row.target_message_id, row.target_ref, row.ref,
                    row.supersede_key, row.sprint_id, row.payload, row.nonce, row.attempts or 0,
                    row.not_before,
                ),
                stale=False,
            )
            added = True
        if added:
            self._idle.clear()
            self._event.set()

    async def start(self) -> None:
        if self._task is None:
            self._stopping = self._db_stopping = False
            add_sink(self.db.engine, self.accept)
            self._db_task = asyncio.create_task(self._db_loop(), name="outbox-recorder")
            self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Finish what is in flight (up to ``stop_timeout``), record it, and stop."""
        if self._task is None:
            return
        remove_sink(self.db.engine, self.accept)
        self._stopping = True
        self._event.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = self._db_task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def backlog(self) -> int:
        """Rows known and not yet finished (queued, waiting, retrying or in flight)."""
        return len(self._items) - len(self._done_unflushed)

    async def wait_idle(self) -> None:
        """Wait until nothing is queued, in flight or unrecorded (retries count as queued).

        Use with ``asyncio.timeout(...)``.
        """
        self.wake()
        await self._idle.wait()

    # -- the dispatcher: memory only, never waits for the database ----------------------------

    async def _run(self) -> None:
        while not self._stopping:
            self._event.clear()
            token_wait: float | None
            try:
                self._process_results()
                self._promote()
                token_wait = self._dispatch()
            except Exception:
                log.exception("outbox sender: dispatch failed; retrying in 1s")
                token_wait = 1.0
            self._update_idle()
            await _wait(self._event, self._next_timeout(token_wait))
        await self._finish_stopping()

    def _next_timeout(self, token_wait: float | None) -> float | None:
        waits = []
        if token_wait is not None:
            waits.append(token_wait)
        if self._parked_at:
            waits.append(self._parked_at[0][0] - self.limits.time())
        if self._retry:
            waits.append(self._retry[0][0] - self.clock.now().timestamp())
        return max(0.0, min(waits)) if waits else None

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

    async def _finish_stopping(self) -> None:
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=self.stop_timeout)
            for task in pending:
                task.cancel()
            if pending:
                log.warning(
                    "outbox sender stopped with %d requests in flight; their rows stay pending "
                    "and are sent again (without duplicates) after restart",
                    len(pending),
                )
                await asyncio.wait(pending, timeout=1.0)
        self._process_results()
        self._db_stopping = True
        self._db_event.set()
        if self._db_task is not None:
            try:
                await asyncio.wait_for(self._db_task, self.stop_timeout + 5.0)
            except (TimeoutError, asyncio.CancelledError):
                log.error("outbox sender: could not record the last results before stopping")
        for task in list(self._hook_tasks):
            task.cancel()
        if self._reader is not None:
            bind = self._reader.kw.get("bind")
            self._reader = None
            if bind is not None:
                await bind.dispose()
        stats = self.stats
        log.info(
            "outbox sender stopped: sent %d, retried %d, superseded %d, dropped %d, failed %d, "
            "%d requests, %d answered 429",
            stats.sent, stats.retried, stats.superseded, stats.dropped, stats.failed,
            stats.requests, stats.responses_429,
        )

    # -- the recorder: writes results and scans, one after the other -------------------------

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
            await _wait(self._db_event, self._db_timeout(loop.time()))

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
            self._reader = _sqlite_reader(self.db)
        async with self._reader() as session, session.begin():
            yield session

    async def _scan(self, *, full: bool) -> None:
        horizon = 0 if full else max(0, self._max_seen - SCAN_WINDOW)
        async with self._reading() as session:
            stmt = select(OutboxMessage.id).where(
                OutboxMessage.status == "pending", OutboxMessage.id > horizon
            )
            pending = set((await session.execute(self._scope(stmt))).scalars())
            if pending:
                self._max_seen = max(self._max_seen, max(pending))
            if full:
                # Rows we hold that are no longer pending were changed elsewhere (enqueue's
                # supersede is also handled in memory when the newer row arrives).
                for item in list(self._items.values()):
                    if item.id not in pending and item.state in (READY, RETRY, PARKED, WAITING):
                        self._forget(item)
            new_ids = sorted(pending - self._items.keys())
            items: list[_Item] = []
            for start in range(0, len(new_ids), 500):
                chunk = new_ids[start : start + 500]
                rows = await session.execute(select(*_COLUMNS).where(OutboxMessage.id.in_(chunk)))
                items.extend(_Item(*row) for row in rows)
            if not items and not self._waiting:
                return
            items.sort(key=lambda i: i.id)
            stale = await self._stale_ids(session, [i for i in items if i.attempts > 0])
            for item in items:
                self._add(item, stale=item.id in stale)
            await self._resolve_waiting(session, full=full)

    def _add(self, item: _Item, *, stale: bool) -> None:
        self._items[item.id] = item
        if item.ref is not None:
            self._by_ref.setdefault(item.ref, set()).add(item.id)
        key = item.supersede_key
        if key is not None:
            keyed = self._keyed.setdefault(key, set())
            keyed.add(item.id)
            if item.id < self._latest.get(key, 0):
                self._supersede(item)
                return
            self._latest[key] = item.id
            for other_id in list(keyed):
                other = self._items.get(other_id)
                if other is not None and other.id < item.id and other.state not in (SENDING, DONE):
                    self._supersede(other)
        if stale:
            self._finish(item, "dropped", "its sprint has ended")
            self.stats.dropped += 1
            return
        item.bucket = budget_bucket(item.kind, item.payload)
        self._hold(item)
        if item.unresolved(self._refs):
            item.state = WAITING
            for ref in item.unresolved(self._refs):
                self._waiting.setdefault(ref, set()).add(item.id)
                if ref not in self._by_ref:  # delivered before this process knew it: look it up
                    self._scan_wanted = True
                    self._db_event.set()
            return
        self._resolve(item)
        self._queue(item)

    def _hold(self, item: _Item) -> None:
        """Keep a sprint's messages in order around a hold (see ``outbox.hold_until``).

        A first-attempt row with ``not_before`` ahead is a prepared phase change: it starts a
        hold for its sprint. A later row of the same sprint (a card edit, a skip) waits until the
        hold ends, so it cannot overtake the announcement.
        """
        sprint_id = item.sprint_id
        if sprint_id is None:
            return
        now = self.clock.now()
        hold = self._holds.get(sprint_id)
        if hold is not None and hold[0] <= now:
            del self._holds[sprint_id]
            hold = None
        if hold is not None and item.id > hold[1]:
            if item.not_before is None or item.not_before < hold[0]:
                item.not_before = hold[0]
            return
        if item.attempts == 0 and item.not_before is not None and item.not_before > now:
            until = max(item.not_before, hold[0]) if hold is not None else item.not_before
            self._holds[sprint_id] = (until, min(item.id, hold[1]) if hold else item.id)
            if len(self._holds) > 4096:
                self._holds = {k: v for k, v in self._holds.items() if v[0] > now}

    def _queue(self, item: _Item) -> None:
        """Ready now, or when its ``not_before`` comes."""
        if item.not_before is not None and item.not_before > self.clock.now():
            item.state = RETRY
            heapq.heappush(self._retry, (item.not_before.timestamp(), item.id))
        else:
            self._make_ready(item)

    def _resolve(self, item: _Item) -> None:
        item.channel = item.channel_id if item.channel_id is not None else self._refs.get(
            item.channel_ref or ""
        )
        item.target = (
            item.target_message_id
            if item.target_message_id is not None
            else self._refs.get(item.target_ref or "")
        )

    def _make_ready(self, item: _Item) -> None:
        item.state = READY
        heapq.heappush(self._ready, (item.priority, item.id))

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

    def _release_resolved(self, refs: Iterable[str]) -> None:
        for ref in [r for r in refs if r in self._refs and r in self._waiting]:
            for item_id in self._waiting.pop(ref):
                item = self._items.get(item_id)
                if item is None or item.state != WAITING or item.unresolved(self._refs):
                    continue
                self._resolve(item)
                self._queue(item)

    def _kill_waiters(self, ref: str, reason: str) -> None:
        for item_id in self._waiting.pop(ref, set()):
            item = self._items.get(item_id)
            if item is not None and item.state == WAITING:
                log.warning("outbox row %d dropped: %s", item.id, reason)
                self.stats.dropped += 1
                self._finish(item, "dropped", reason)

    async def _stale_ids(self, session: Any, items: Iterable[_Item]) -> set[int]:
        """Edits/voice statuses being retried whose sprint ended more than the grace ago."""
        candidates = [i for i in items if i.kind in STALE_KINDS and i.sprint_id is not None]
        if not candidates:
            return set()
        sprint_ids = {i.sprint_id for i in candidates}
        rows = await session.execute(
            select(Sprint.id, Sprint.status, Sprint.ended_at).where(Sprint.id.in_(sprint_ids))
        )
        now = self.clock.now()
        ended = {
            sid
            for sid, status, ended_at in rows
            if status in ENDED
            and (ended_at is None or now - ended_at >= timedelta(seconds=self.finished_grace))
        }
        return {i.id for i in candidates if i.sprint_id in ended}

    # -- picking and sending -----------------------------------------------------------------

    def _promote(self) -> None:
        now = self.limits.time()
        while self._parked_at and self._parked_at[0][0] <= now:
            _at, key = heapq.heappop(self._parked_at)
            for item_id in self._parked.pop(key, []):
                item = self._items.get(item_id)
                if item is not None and item.state == PARKED:
                    self._make_ready(item)
        stamp = self.clock.now().timestamp()
        while self._retry and self._retry[0][0] <= stamp:
            _at, item_id = heapq.heappop(self._retry)
            item = self._items.get(item_id)
            if item is not None and item.state == RETRY:
                self._make_ready(item)

    def _pick(self) -> _Item | None:
        budgets = self.limits.channels
        now = self.limits.time()
        while self._ready:
            _prio, item_id = heapq.heappop(self._ready)
            item = self._items.get(item_id)
            if item is None or item.state != READY:
                continue
            key = item.supersede_key
            if key is not None and self._latest.get(key, item.id) > item.id:
                self._supersede(item)
                continue
            if item.channel is None:
                self.stats.dropped += 1
                self._finish(item, "dropped", "no channel to deliver to")
                continue
            budget_key = item.budget_key
            at = budgets.ready_at(budget_key)
            if at > now:
                item.state = PARKED
                parked = self._parked.setdefault(budget_key, [])
                if not parked:
                    heapq.heappush(self._parked_at, (at, budget_key))
                parked.append(item.id)
                continue
            return item
        return None

    def _dispatch(self) -> float | None:
        """Send what the limits allow now; returns the wait for the next token when that blocks."""
        bucket = self.limits.bucket
        while self._sending < self.concurrency and self._ready:
            wait = bucket.delay()
            if wait > 0:
                return wait
            item = self._pick()
            if item is None:
                return None
            bucket.try_take()
            self.limits.channels.record(item.budget_key)
            item.state = SENDING
            self._sending += 1
            task = asyncio.create_task(self._deliver(item), name=f"outbox-{item.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return None

    async def _deliver(self, item: _Item) -> None:
        assert item.channel is not None
        request = DeliveryRequest(
            kind=item.kind,
            channel_id=item.channel,
            target_message_id=item.target,
            payload=item.payload,
            nonce=item.nonce,
            row_id=item.id,
        )
        outcome: int | BaseException | None
        try:
            outcome = await self.transport.deliver(request)
        except (Transient, Permanent) as exc:
            outcome = exc
        except asyncio.CancelledError:
            self._sending -= 1
            raise
        except Exception as exc:
            log.exception("outbox row %d: unexpected error; will retry", item.id)
            outcome = Transient(f"unexpected error: {exc!r}")
        self._results.append((item, outcome))
        self._event.set()

    # -- results -----------------------------------------------------------------------------

    def _process_results(self) -> None:
        results, self._results = self._results, []
        for item, outcome in results:
            self._sending -= 1
            if isinstance(outcome, Transient):
                self._retry_later(item, outcome)
            elif isinstance(outcome, Permanent):
                self._fail(item, outcome)
            elif isinstance(outcome, BaseException):  # pragma: no cover - defensive
                self._retry_later(item, Transient(repr(outcome)))
            else:
                self._succeed(item, outcome)

    def _succeed(self, item: _Item, result_id: int | None) -> None:
        self.stats.sent += 1
        self.stats.by_kind[item.kind] += 1
        self._sent_ops.append(
            {"id": item.id, "status": "sent", "result_id": result_id, "sent_at": self.clock.now()}
        )
        self._done(item)
        if item.ref is not None and result_id is not None:
            self._refs.put(item.ref, result_id)
            self._release_resolved((item.ref,))
        if self.on_delivered is not None:
            self.on_delivered(item.id, item.kind, result_id)

    def _retry_later(self, item: _Item, exc: Transient) -> None:
        self.stats.retried += 1
        self.stats.by_kind[item.kind] += 1
        if exc.status == 429:
            self.stats.rate_limited += 1
        if exc.retry_after is not None and exc.status == 429:
            # Discord named the time; this bucket is blocked for everyone until then.
            self.limits.channels.block(item.budget_key, exc.retry_after)
        item.attempts += 1
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (item.attempts - 1))
        delay *= random.uniform(0.8, 1.2)
        if exc.retry_after is not None:
            delay = max(delay, exc.retry_after + 0.1)
        item.not_before = self.clock.now() + timedelta(seconds=delay)
        item.state = RETRY
        heapq.heappush(self._retry, (item.not_before.timestamp(), item.id))
        log.info(
            "outbox row %d (%s to %s): %s; attempt %d failed, retrying in %.1fs",
            item.id, item.kind, item.channel, exc.reason, item.attempts, delay,
        )
        self._db_event.set()
        self._retry_ops.append(
            (
                item,
                {
                    "id": item.id,
                    "attempts": item.attempts,
                    "not_before": item.not_before,
                    "last_error": exc.reason[:1000],
                },
            )
        )

    def _fail(self, item: _Item, exc: Permanent) -> None:
        self.stats.failed += 1
        self.stats.by_kind[item.kind] += 1
        log.warning(
            "outbox row %d (%s, guild %s): not delivered: %s",
            item.id, item.kind, item.guild_id, exc.reason,
        )
        self._finish(item, "failed", exc.reason)
        if exc.notify:
            self._record_failure(item, exc)
        if exc.channel_gone and item.channel is not None:
            self._channel_gone(item.channel, exc.reason)

    def _record_failure(self, item: _Item, exc: Permanent) -> None:
        key = (item.guild_id, item.channel, exc.code)
        now = self.limits.time()
        last = self._failure_seen.get(key)
        if last is not None and now - last < FAILURE_REPEAT_SECONDS:
            return
        self._failure_seen[key] = now
        if len(self._failure_seen) > 10_000:
            self._failure_seen = {
                k: t for k, t in self._failure_seen.items() if now - t < FAILURE_REPEAT_SECONDS
            }
        self._failure_rows.append(
            {
                "guild_id": item.guild_id,
                "channel_id": item.channel,
                "outbox_id": item.id,
                "reason": exc.reason[:300],
                "created_at": self.clock.now(),
            }
        )

    def _channel_gone(self, channel_id: int, reason: str) -> None:
        """Everything else queued for a deleted channel is pointless: drop it."""
        for other in list(self._items.values()):
            if other.channel == channel_id and other.state in (READY, RETRY, PARKED):
                self.stats.dropped += 1
                self._finish(other, "dropped", reason)
        self._gone_channels[channel_id] = reason
        if self.on_channel_gone is not None:
            task = asyncio.create_task(self._call_channel_gone(channel_id))
            self._hook_tasks.add(task)
            task.add_done_callback(self._hook_tasks.discard)

    async def _call_channel_gone(self, channel_id: int) -> None:
        assert self.on_channel_gone is not None
        try:
            await self.on_channel_gone(channel_id)
        except Exception:
            log.exception("handling the deleted channel %s failed", channel_id)

    def _supersede(self, item: _Item) -> None:
        self.stats.superseded += 1
        self._finish(item, "superseded", None)

    def _finish(self, item: _Item, status: str, reason: str | None) -> None:
        """End a row without delivering it (superseded, dropped or failed)."""
        self._final_ops.append(
            {"id": item.id, "status": status, "last_error": reason[:1000] if reason else None}
        )
        self._done(item)
        if item.ref is not None and item.ref not in self._by_ref and item.ref not in self._refs:
            self._kill_waiters(item.ref, f"it needs '{item.ref}', which was not delivered")

    def _done(self, item: _Item) -> None:
        self._release(item)
        self._done_unflushed.append(item)
        self._db_event.set()

    def _forget(self, item: _Item) -> None:
        """The database no longer has this row pending (superseded by enqueue, or edited)."""
        self._release(item)
        self._items.pop(item.id, None)

    def _release(self, item: _Item) -> None:
        item.state = DONE
        self._recent_done[item.id] = None
        if len(self._recent_done) > RECENT_DONE:
            self._recent_done.popitem(last=False)
        key = item.supersede_key
        if key is not None:
            keyed = self._keyed.get(key)
            if keyed is not None:
                keyed.discard(item.id)
                if not keyed:
                    del self._keyed[key]
                    self._latest.pop(key, None)
        if item.ref is not None:
            refs = self._by_ref.get(item.ref)
            if refs is not None:
                refs.discard(item.id)
                if not refs:
                    del self._by_ref[item.ref]

    # -- recording ---------------------------------------------------------------------------

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
                            {"id": item.id, "status": "dropped", "last_error": "its sprint ended"}
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
                    await session.execute(self._scope(stmt), execution_options={
                        "synchronize_session": False
                    })
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


def _sqlite_reader(db: Database) -> async_sessionmaker[AsyncSession]:
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


async def _wait(flag: asyncio.Event, seconds: float | None) -> None:
    if seconds is not None and seconds <= 0:
        await asyncio.sleep(0)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(flag.wait(), seconds)


__all__ = ["DeliveryStats", "Sender", "ShardScope"]
