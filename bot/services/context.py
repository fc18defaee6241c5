"""What every service is built with (constructor injection; no globals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.clock import Clock
from bot.scheduler import Timers
from bot.settings import Settings
from db.engine import Database


class Waker(Protocol):
    def wake(self) -> None:
        """Tell the sender that new outbox rows were committed."""


class NullWaker:
    def wake(self) -> None:
        return None


@dataclass
class ServiceContext:
    settings: Settings
    db: Database
    clock: Clock
    timers: Timers
    delivery: Waker

    @property
    def speed(self) -> float:
        return self.settings.timing.speed

    def handles_guild(self, guild_id: int) -> bool:
        return self.settings.handles_guild(guild_id)
