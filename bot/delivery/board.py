"""The sender's queue in memory: which row goes next, what waits for what, what is dropped.

``Board`` holds every pending row the sender knows as an ``Item`` and moves it between states:
waiting for a ref (``WAITING``), held until a time (``RETRY``: a retry, or a phase change
prepared ahead), waiting for its channel's budget (``PARKED``), ready (``READY``, a heap by
priority then id), in flight (``SENDING``) and finished (``DONE``). Nothing here awaits: the
dispatcher calls it between requests, and the recorder (``recorder.py``) feeds it rows it reads
and writes down what it finished.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.items import (
    BEHIND,
    DONE,
    ORDERED_KINDS,
    PARKED,
    READY,
    RECENT_DONE,
    RETRY,
    SENDING,
    WAITING,
    DeliveryListener,
    DeliveryStats,
    Item,
    RefCache,
    ShardScope,
)
from bot.delivery.limits import BudgetKey, Limits
from bot.delivery.transport import DiscordTransport, Transport, budget_bucket
from bot.settings import DeliverySettings
from db.engine import Database

# One logger for the whole sender (its records have always come from bot.delivery.sender).
log = logging.getLogger("bot.delivery.sender")


class Board:
    """The sender's state; see ``sender.Sender`` for how it is driven."""

    def __init__(
        self,
        db: Database,
        settings: DeliverySettings,
        clock: Clock,
        transport: Transport | discord.http.HTTPClient,
        *,
        scope: ShardScope | None = None,
        listener: DeliveryListener | None = None,
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
        # What Discord's answers mean for the services (a channel is gone), wired by the bot.
        self.listener = listener
        # A row was delivered (row id, kind, Discord id): for measurements.
        self.on_delivered: Callable[[int, str, int | None], None] | None = None
        self._hook_tasks: set[asyncio.Task[Any]] = set()

        self._items: dict[int, Item] = {}
        self._ready: list[tuple[int, int]] = []
        self._retry: list[tuple[float, int]] = []
        self._parked: dict[BudgetKey, list[int]] = {}
        self._parked_at: list[tuple[float, BudgetKey]] = []
        self._waiting: dict[str, set[int]] = {}
        self._refs = RefCache(ref_cache_size)
        self._latest: dict[str, int] = {}  # supersede_key -> newest row id seen
        self._keyed: dict[str, set[int]] = {}  # supersede_key -> unfinished rows in memory
        self._by_ref: dict[str, set[int]] = {}  # ref -> unfinished rows in memory creating it
        # topic -> (until, first row id): a phase change prepared ahead holds its rows until
        # the phase ends; later rows of that topic wait as long, so they keep their order.
        self._holds: dict[str, tuple[datetime, int]] = {}
        # channel -> heap of the ids of its unfinished ordered rows: only the smallest may go.
        self._lines: dict[int, list[int]] = {}
        self._sending = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._results: list[tuple[Item, int | BaseException | None]] = []
        self._max_seen = 0
        self._failure_seen: dict[tuple[int | None, int | None, int | None], float] = {}

        self._sent_ops: list[dict[str, Any]] = []
        self._retry_ops: list[tuple[Item, dict[str, Any]]] = []
        self._final_ops: list[dict[str, Any]] = []
        self._failure_rows: list[dict[str, Any]] = []
        self._gone_channels: dict[int, str] = {}
        self._done_unflushed: list[Item] = []

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

    def _add(self, item: Item, *, stale: bool) -> None:
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
            self._finish(item, "dropped", "its topic is closed")
            self.stats.dropped += 1
            return
        item.bucket = budget_bucket(item.kind, item.payload)
        self._hold(item)
        missing = self._unresolved(item)
        if missing:
            item.state = WAITING
            for ref in missing:
                self._waiting.setdefault(ref, set()).add(item.id)
                if ref not in self._by_ref:  # delivered before this process knew it: look it up
                    self._scan_wanted = True
                    self._db_event.set()
            return
        self._resolve(item)
        self._queue(item)

    def _hold(self, item: Item) -> None:
        """Keep a topic's messages in order around a hold (see ``outbox.hold_until``).

        A first-attempt row with ``not_before`` ahead is a prepared phase change: it starts a
        hold for its topic. A later row of the same topic (a card edit, a skip) waits until the
        hold ends, so it cannot overtake the announcement.
        """
        topic = item.topic
        if topic is None:
            return
        now = self.clock.now()
        hold = self._holds.get(topic)
        if hold is not None and hold[0] <= now:
            del self._holds[topic]
            hold = None
        if hold is not None and item.id > hold[1]:
            if item.not_before is None or item.not_before < hold[0]:
                item.not_before = hold[0]
            return
        if item.attempts == 0 and item.not_before is not None and item.not_before > now:
            until = max(item.not_before, hold[0]) if hold is not None else item.not_before
            self._holds[topic] = (until, min(item.id, hold[1]) if hold else item.id)
            if len(self._holds) > 4096:
                self._holds = {k: v for k, v in self._holds.items() if v[0] > now}

    def _queue(self, item: Item) -> None:
        """Ready now, or when its ``not_before`` comes."""
        if item.not_before is not None and item.not_before > self.clock.now():
            item.state = RETRY
            heapq.heappush(self._retry, (item.not_before.timestamp(), item.id))
        else:
            self._make_ready(item)

    def _resolve(self, item: Item) -> None:
        item.channel = (
            item.channel_id
            if item.channel_id is not None
            else self._refs.get(item.channel_ref or "")
        )
        item.target = (
            item.target_message_id
            if item.target_message_id is not None
            else self._refs.get(item.target_ref or "")
        )
        self._line_up(item)

    def _line_up(self, item: Item) -> None:
        """Put an ordered row in its channel's line once the channel is known."""
        if item.in_line or item.channel is None or item.kind not in ORDERED_KINDS:
            return
        item.in_line = True
        heapq.heappush(self._lines.setdefault(item.channel, []), item.id)

    def _line_head(self, channel: int) -> Item | None:
        """The channel's earliest unfinished ordered row (finished ones are cleared on the way)."""
        line = self._lines.get(channel)
        while line:
            head = self._items.get(line[0])
            if head is not None and head.state != DONE:
                return head
            heapq.heappop(line)
        self._lines.pop(channel, None)
        return None

    def _make_ready(self, item: Item) -> None:
        item.state = READY
        heapq.heappush(self._ready, (item.priority, item.id))

    def _unresolved(self, item: Item) -> list[str]:
        """The refs ``item`` waits for: not delivered yet, or being made anew by an earlier row
        (e.g. a deleted card posted again: later edits go to the new message, not the old)."""
        missing = item.unresolved(self._refs)
        for ref in (
            item.channel_ref if item.channel_id is None else None,
            item.target_ref if item.target_message_id is None else None,
        ):
            if ref is None or ref in missing:
                continue
            if any(other < item.id for other in self._by_ref.get(ref, ())):
                missing.append(ref)
        return missing

    def _release_resolved(self, refs: Iterable[str]) -> None:
        for ref in [r for r in refs if r in self._refs and r in self._waiting]:
            for item_id in self._waiting.pop(ref):
                item = self._items.get(item_id)
                if item is None or item.state != WAITING:
                    continue
                missing = self._unresolved(item)
                if missing:  # still waits for another ref (or for this one made anew)
                    for other in missing:
                        self._waiting.setdefault(other, set()).add(item.id)
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

    def _pick(self) -> Item | None:
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
            if item.in_line and self._line_head(item.channel) is not item:
                item.state = BEHIND  # goes when the rows before it are finished (``_release``)
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

    def _supersede(self, item: Item) -> None:
        self.stats.superseded += 1
        self._finish(item, "superseded", None)

    def _finish(self, item: Item, status: str, reason: str | None) -> None:
        """End a row without delivering it (superseded, dropped or failed)."""
        self._final_ops.append(
            {"id": item.id, "status": status, "last_error": reason[:1000] if reason else None}
        )
        self._done(item)
        if item.ref is not None and item.ref not in self._by_ref:
            if item.ref in self._refs:  # made anew but not delivered: the earlier one stands
                self._release_resolved((item.ref,))
            else:
                self._kill_waiters(item.ref, f"it needs '{item.ref}', which was not delivered")

    def _done(self, item: Item) -> None:
        self._release(item)
        self._done_unflushed.append(item)
        self._db_event.set()

    def _forget(self, item: Item) -> None:
        """The database no longer has this row pending (superseded by enqueue, or edited)."""
        self._release(item)
        self._items.pop(item.id, None)

    def _release(self, item: Item) -> None:
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
        if item.in_line and item.channel is not None:
            head = self._line_head(item.channel)
            if head is not None and head.state == BEHIND:
                self._make_ready(head)
                self._event.set()
