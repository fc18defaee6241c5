"""Discord snowflakes and timestamps."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1420070400000


class SnowflakeFactory:
    """Makes ``((unix_ms - DISCORD_EPOCH) << 22) | counter`` ids, strictly increasing."""

    def __init__(self) -> None:
        self._counter = itertools.count()
        self._last = 0

    def next(self) -> int:
        now_ms = int(time.time() * 1000)
        candidate = ((now_ms - DISCORD_EPOCH_MS) << 22) | (next(self._counter) & 0x3FFFFF)
        self._last = max(candidate, self._last + 1)
        return self._last


def on_shard(snowflake: int, shard_id: int, shard_count: int) -> int:
    """The snowflake moved back by at most ``shard_count - 1`` ms so the guild lands on a shard."""
    stamp = snowflake >> 22
    stamp -= (stamp - shard_id) % shard_count
    return (stamp << 22) | (snowflake & 0x3FFFFF)


def snowflake_time(snowflake: int) -> datetime:
    """The creation time encoded in a snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 as Discord sends it, or None."""
    return None if moment is None else moment.astimezone(UTC).isoformat()
