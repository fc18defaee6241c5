"""What the sender keeps in memory about outbox rows, and the small types it reports with.

An ``Item`` is one pending outbox row as the sender tracks it (its state lives only in memory;
the database knows only ``pending`` and the final states). ``ShardScope`` says which guilds' rows
this process delivers; ``DeliveryStats`` counts what delivery cost and how it went.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, literal_column, or_
from sqlalchemy.sql.elements import ColumnElement

from bot.delivery.limits import BudgetKey
from bot.delivery.transport import GateStats
from bot.settings import Settings
from db.models import OutboxMessage


class DeliveryListener(Protocol):
    """What the sender tells the services about Discord's answers (wired in ``bot/core.py``)."""

    async def channel_gone(self, channel_id: int) -> object:
        """Discord says the channel no longer exists (Unknown Channel)."""
        ...

    async def message_gone(self, channel_id: int, message_id: int) -> object:
        """Discord says a message the bot tried to edit no longer exists (Unknown Message)."""
        ...


# Item states (in memory only; the database knows only pending and the final states).
# BEHIND: ready, but an earlier row of its channel is not finished yet (see ``ORDERED_KINDS``).
READY, RETRY, PARKED, WAITING, SENDING, DONE, BEHIND = range(7)

SCAN_WINDOW = 1000  # an incremental scan re-reads this many ids below the highest seen
RECENT_DONE = 100_000  # finished row ids remembered, so a late hand-over is not sent twice
SCAN_INTERVAL = 0.25  # wake-driven scans at most this often (rows are usually handed over)
FAILURE_REPEAT_SECONDS = 60.0  # one DeliveryFailure per (guild, channel, code) per minute
# Rows of these kinds reach a channel in the order they were committed (row id), one at a time:
# a retry (5xx, 429) of one holds back the later ones. Edits and voice statuses only set state
# (a newer one supersedes an older one), so they are not held back.
ORDERED_KINDS = frozenset({"send", "thread", "delete", "channel_edit"})
STALE_KINDS = frozenset({"edit", "voice_status"})  # pointless once their topic is closed


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
class Item:
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
    topic: str | None
    payload: dict[str, Any]
    nonce: str
    attempts: int
    not_before: datetime | None
    state: int = READY
    channel: int | None = None
    target: int | None = None
    bucket: str = "default"
    in_line: bool = False  # registered in its channel's line (``Board._lines``)

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


COLUMNS = (
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
    OutboxMessage.topic,
    OutboxMessage.payload,
    OutboxMessage.nonce,
    OutboxMessage.attempts,
    OutboxMessage.not_before,
)


class RefCache(OrderedDict[str, int]):
    """ref -> Discord id of the latest delivered row with that ref (bounded, most recent kept)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, ref: str, value: int) -> None:
        self[ref] = value
        self.move_to_end(ref)
        while len(self) > self.size:
            self.popitem(last=False)
