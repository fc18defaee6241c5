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
  Bulk rows leave a token (and a slot of the transmission cap) in reserve, so a phase
  announcement committed in the middle of a herd goes out at once (``_dispatch``).
  Being "in flight" is only a state in memory. Many requests may be in flight at once, but
  within one channel (a sprint's channel, an accountability thread) messages, threads, deletes
  and channel edits go one at a time in the order they were committed (``ORDERED_KINDS``): a
  row that fails for now (a 5xx or 429 retried by us, or by discord.py itself) holds back the
  later ones of its channel, so a retry never reorders what members read. Edits and voice
  statuses only set state and are not held back (a newer one supersedes an older one).
  discord.py's own bucket handling holds a request that empties a channel's bucket until the
  bucket resets (about 5 s), although Discord has already stored the message.
- **Record.** The recorder writes results in small batches. Success: ``status='sent'``,
  ``result_id``, ``sent_at``. Transient failure (5xx, 429, network): ``attempts``/``not_before``
  with exponential backoff (or Discord's retry-after), unless the row became pointless (an edit or
  voice status whose ``topic`` was closed more than ``finished_grace`` seconds ago, e.g. of a
  sprint that ended: see ``outbox.close_topic``). Permanent
  failure (missing permission/access, unknown channel): ``status='failed'`` plus a
  ``DeliveryFailure`` a manager sees (see ``failures.py``), and a log line; for a deleted channel
  everything else queued for it is dropped and the ``listener`` is told (``channel_gone``: the
  bot wires the sprint service in, which ends the sprints posting there). An edit that finds
  its message deleted (Unknown Message) tells the listener too (``message_gone``: the sprint
  service posts a deleted card again).
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
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from bot.delivery.board import Board
from bot.delivery.items import (
    BEHIND,
    FAILURE_REPEAT_SECONDS,
    PARKED,
    READY,
    RETRY,
    SENDING,
    DeliveryStats,
    Item,
    ShardScope,
)
from bot.delivery.outbox import Priority, add_sink, remove_sink
from bot.delivery.recorder import Recorder, sqlite_reader, wait_for
from bot.delivery.transport import UNKNOWN_MESSAGE, DeliveryRequest, Permanent, Transient
from db.models import OutboxMessage

log = logging.getLogger(__name__)

# Rows of this priority or more urgent may spend the global bucket's reserve. Only phase
# announcements: NOTICE rows come in herds too (a standing session's start posts its sprint's
# card as a NOTICE, 10,000 of them at 09:00).
URGENT = Priority.ANNOUNCE


class Sender(Recorder):
    """Drains the outbox: ``start()`` after login, ``wake()`` after commits, ``stop()`` at close."""

    # -- public ------------------------------------------------------------------------------

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
                Item(
                    row.id,
                    row.kind,
                    row.priority,
                    row.guild_id,
                    row.channel_id,
                    row.channel_ref,
                    row.target_message_id,
                    row.target_ref,
                    row.ref,
                    row.supersede_key,
                    row.topic,
                    row.payload,
                    row.nonce,
                    row.attempts or 0,
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
            await wait_for(self._event, self._next_timeout(token_wait))
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
            stats.sent,
            stats.retried,
            stats.superseded,
            stats.dropped,
            stats.failed,
            stats.requests,
            stats.responses_429,
        )

    def _dispatch(self) -> float | None:
        """Send what the limits allow now; returns the wait for the next token when that blocks.

        Rows above ``URGENT`` in priority (a sprint's phase announcements) may take the global
        bucket's last token; bulk rows (cards, session lines, notices) leave ``limits.reserve``
        behind (see ``Limits.delay``). A bulk row picked when there is no room goes back to the
        heap and the dispatcher sleeps until the bucket refills, or until an urgent row arrives
        (``accept`` wakes it) and goes out at once on the reserve.
        """
        limits = self.limits
        bucket = limits.bucket
        while self._sending < self.concurrency and self._ready:
            wait = bucket.delay()
            if wait > 0:
                return wait
            item = self._pick()
            if item is None:
                return None
            if item.priority > URGENT:
                wait = limits.delay(urgent=False)
                if wait > 0:
                    self._make_ready(item)  # first in line again when there is room
                    return wait
            bucket.try_take()
            limits.channels.record(item.budget_key)
            item.state = SENDING
            self._sending += 1
            task = asyncio.create_task(self._deliver(item), name=f"outbox-{item.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return None

    async def _deliver(self, item: Item) -> None:
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

    def _succeed(self, item: Item, result_id: int | None) -> None:
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

    def _retry_later(self, item: Item, exc: Transient) -> None:
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
            item.id,
            item.kind,
            item.channel,
            exc.reason,
            item.attempts,
            delay,
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

    def _fail(self, item: Item, exc: Permanent) -> None:
        self.stats.failed += 1
        self.stats.by_kind[item.kind] += 1
        log.warning(
            "outbox row %d (%s, guild %s): not delivered: %s",
            item.id,
            item.kind,
            item.guild_id,
            exc.reason,
        )
        self._finish(item, "failed", exc.reason)
        if exc.notify:
            self._record_failure(item, exc)
        if exc.channel_gone and item.channel is not None:
            self._channel_gone(item.channel, exc.reason)
        elif (
            exc.code == UNKNOWN_MESSAGE
            and item.kind == "edit"
            and item.channel is not None
            and item.target is not None
            and self.listener is not None
        ):  # e.g. a moderator deleted the sprint card: the service may post it again
            self._notify(self.listener.message_gone(item.channel, item.target))

    def _record_failure(self, item: Item, exc: Permanent) -> None:
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
            if other.channel == channel_id and other.state in (READY, RETRY, PARKED, BEHIND):
                self.stats.dropped += 1
                self._finish(other, "dropped", reason)
        self._gone_channels[channel_id] = reason
        if self.listener is not None:
            self._notify(self.listener.channel_gone(channel_id))

    def _notify(self, call: Coroutine[Any, Any, object]) -> None:
        """Run a listener call in its own task (owned here: cancelled at stop)."""
        task = asyncio.create_task(self._call_listener(call))
        self._hook_tasks.add(task)
        task.add_done_callback(self._hook_tasks.discard)

    async def _call_listener(self, call: Coroutine[Any, Any, object]) -> None:
        try:
            await call
        except Exception:
            log.exception("the delivery listener failed")


__all__ = ["Board", "DeliveryStats", "Sender", "ShardScope", "sqlite_reader"]
