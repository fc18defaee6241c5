"""What the privacy service hands to render and cogs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["EXPORT_FORMAT", "ExportFile", "ForgetResult", "StoredSummary"]

EXPORT_FORMAT = "sprintbot-export"
EXPORT_VERSION = 1


@dataclass(frozen=True)
class StoredSummary:
    """What is stored about a member, as counts per kind, plus their privacy state."""

    user_id: int
    counts: dict[str, int]
    timezone: str | None
    leaderboards: int
    untracked_since: datetime | None
    last_export_at: datetime | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class ExportFile:
    filename: str
    data: bytes
    rows: int


@dataclass(frozen=True)
class ForgetResult:
    touched: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.touched.values())
