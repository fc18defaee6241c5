"""Live updates for open pages: after a sprint change commits, push its page to every stream.

The sprints area tells its change listeners inside its transaction (``SprintChangeListener`` in
``bot/services/events.py``; the hub is wired in ``bot.services.Services``). The hub notes which
watched sprints changed in the session and, only once that session has committed, reads each
sprint's page once (per names-shown variant), serialises it once and hands the same text to every
open stream of that sprint. A phase change prepared ahead of its moment is pushed at that moment.
Nothing polls the database per page.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.services.context import ServiceContext
from bot.services.events import SprintChanged

if TYPE_CHECKING:
    from bot.services.sharing.service import SharingService

log = logging.getLogger(__name__)

_PENDING = "sharing.live.pending"  # session.info key: sprint id -> when to push


class Stream:
    """One open page's subscription: the newest page text waiting to be sent, if any."""

    __slots__ = ("_event", "_payload", "closed", "revoked", "share_id", "show_people", "sprint_id")

    def __init__(self, share_id: int, sprint_id: int, show_people: bool) -> None:
        self.share_id = share_id
        self.sprint_id = sprint_id
        self.show_people = show_people
        self.closed = False
        self.revoked = False
        self._payload: str | None = None
        self._event = asyncio.Event()

    def push(self, payload: str) -> None:
        self._payload = payload  # a slow reader only ever gets the newest state
        self._event.set()

    def close(self, *, revoked: bool = False) -> None:
        self.closed = True
        self.revoked = revoked
        self._event.set()

    async def next(self, timeout: float) -> str | None:  # noqa: ASYNC109
        """The next page text; None on timeout or once closed (check ``closed``)."""
        if self._payload is None and not self.closed:
            try:
                async with asyncio.timeout(timeout):
                    await self._event.wait()
            except TimeoutError:
                return None
        self._event.clear()
        payload, self._payload = self._payload, None
        return None if self.closed else payload


class LiveHub:
    def __init__(self, ctx: ServiceContext, sharing: SharingService) -> None:
        self.ctx = ctx
        self.sharing = sharing
        self._streams: dict[int, set[Stream]] = defaultdict(set)
        self._dirty: set[int] = set()  # sprints changed since their last read
        self._flusher: asyncio.Task[None] | None = None
        self._latest: dict[tuple[int, bool], str] = {}

    # ---- streams --------------------------------------------------------------------------------

    def open(self, share_id: int, sprint_id: int, show_people: bool) -> Stream:
        stream = Stream(share_id, sprint_id, show_people)
        self._streams[sprint_id].add(stream)
        return stream

    def close(self, stream: Stream) -> None:
        streams = self._streams.get(stream.sprint_id)
        if streams is not None:
            streams.discard(stream)
            if not streams:
                del self._streams[stream.sprint_id]
                self._latest.pop((stream.sprint_id, False), None)
                self._latest.pop((stream.sprint_id, True), None)

    def close_shares(self, share_ids: Iterable[int]) -> int:
        """End the streams of revoked links (their pages say so). How many were closed."""
        ids = set(share_ids)
        closed = 0
        for streams in list(self._streams.values()):
            for stream in list(streams):
                if stream.share_id in ids:
                    stream.close(revoked=True)
                    self.close(stream)
                    closed += 1
        return closed

    def close_all(self) -> None:
        """End every stream (shutting down); pages reconnect by themselves."""
        for streams in list(self._streams.values()):
            for stream in list(streams):
                stream.close()
        self._streams.clear()
        self._latest.clear()

    @property
    def open_streams(self) -> int:
        return sum(len(s) for s in self._streams.values())

    # ---- from the sprints area (inside its transaction) -----------------------------------------

    async def sprint_changed(self, session: AsyncSession, change: SprintChanged) -> None:
        """A SprintChangeListener (wired in ``Services``): note the change for after the commit."""
        sprint_id = change.sprint_id
        if sprint_id not in self._streams:
            return
        at: datetime = change.at
        info = session.sync_session.info
        pending: dict[int, datetime] | None = info.get(_PENDING)
        if pending is None:
            pending = info[_PENDING] = {}
            sa_event.listen(session.sync_session, "after_commit", self._after_commit, once=True)
            sa_event.listen(session.sync_session, "after_rollback", _forget_pending, once=True)
        previous = pending.get(sprint_id)
        pending[sprint_id] = at if previous is None else max(previous, at)

    def _after_commit(self, session: Session) -> None:
        pending: dict[int, datetime] = session.info.pop(_PENDING, {})
        if not pending:
            return
        loop = asyncio.get_running_loop()
        now = self.ctx.clock.now()
        for sprint_id, at in pending.items():
            delay = (at - now).total_seconds()
            if delay > 0:
                loop.call_later(delay, self._kick, sprint_id)
            else:
                self._kick(sprint_id)

    # ---- pushing --------------------------------------------------------------------------------

    def _kick(self, sprint_id: int) -> None:
        if sprint_id not in self._streams:
            return
        self._dirty.add(sprint_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def refresh(self, sprint_id: int) -> None:
        """Push the sprint's current page to its streams now (tests and the benchmark)."""
        self._kick(sprint_id)
        if self._flusher is not None:
            await asyncio.shield(self._flusher)

    def latest(self, sprint_id: int, show_people: bool) -> str | None:
        """The page text last pushed for the sprint, while it has open streams."""
        return self._latest.get((sprint_id, show_people))

    async def _flush(self) -> None:
        """Read every changed sprint's page in one transaction and push; again while more
        changes came in meanwhile (a burst of phase changes is read in a few batches)."""
        while self._dirty:
            batch, self._dirty = self._dirty, set()
            wanted = {
                sprint_id: {s.show_people for s in self._streams[sprint_id]}
                for sprint_id in batch
                if self._streams.get(sprint_id)
            }
            if not wanted:
                continue
            try:
                pages = await self.sharing.pages(wanted)
            except Exception:
                log.exception("reading live pages of sprints %s failed", sorted(wanted))
                continue
            for sprint_id, variants in pages.items():
                texts = {
                    flag: json.dumps(page.to_json(), separators=(",", ":"), ensure_ascii=False)
                    for flag, page in variants.items()
                }
                streams = self._streams.get(sprint_id)
                if not streams:
                    continue
                for flag, text in texts.items():
                    self._latest[(sprint_id, flag)] = text
                for stream in list(streams):
                    pushed = texts.get(stream.show_people)
                    if pushed is not None:
                        stream.push(pushed)


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
