"""Privacy rules that need no database: the one-way key of a member's privacy marks, and who a
forgotten member becomes in records others rely on."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "FORMER_MEMBER",
    "REMOVED",
    "ExportFile",
    "ForgetResult",
    "StoredSummary",
    "is_former_member",
    "phrase_pattern",
    "redact",
    "user_hash",
]

FORMER_MEMBER = "a former member"

_SALT = b"sprintbot-privacy-v1:"


def user_hash(user_id: int) -> str:
    """SHA-256 of the user id (salted with a fixed label): the key of a member's privacy marks.

    The don't-track-me flag must outlive "forget me", so it is stored under this key and never
    under the id itself: a table scan for the id finds nothing, and a lookup by id still works.
    """
    return hashlib.sha256(_SALT + str(int(user_id)).encode()).hexdigest()


def is_former_member(user_id: int) -> bool:
    """Forgotten members are replaced by negative placeholder ids in shared records."""
    return user_id < 0


def _mention_forms(user_id: int) -> tuple[str, ...]:
    return (f"<@{user_id}>", f"<@!{user_id}>")


REMOVED = "(removed)"


def phrase_pattern(names: Iterable[str], texts: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of the member's names or texts as whole words, longest first."""
    phrases = sorted(
        {p for p in (*names, *texts) if p and len(p.strip()) >= 2}, key=len, reverse=True
    )
    if not phrases:
        return None
    return re.compile("|".join(rf"(?<!\w){re.escape(p)}(?!\w)" for p in phrases))


def redact(
    value: object,
    user_id: int,
    names: frozenset[str] = frozenset(),
    pattern: re.Pattern[str] | None = None,
) -> object:
    """``value`` (JSON-like) with every trace of the member removed.

    Mentions and the member's ``names`` become "a former member", the member's own texts (goals,
    notes) matched by ``pattern`` become "(removed)", other occurrences of the id in text are cut
    out, and list items equal to the id (e.g. ``allowed_mentions.users``) are dropped.
    """
    digits = str(int(user_id))
    if isinstance(value, str):
        for form in _mention_forms(user_id):
            value = value.replace(form, FORMER_MEMBER)
        if pattern is not None:
            value = pattern.sub(lambda m: FORMER_MEMBER if m.group(0) in names else REMOVED, value)
        return value.replace(digits, "")
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return -1 if value == user_id else value
    if isinstance(value, list):
        return [redact(v, user_id, names, pattern) for v in value if v != user_id and v != digits]
    if isinstance(value, dict):
        return {k: redact(v, user_id, names, pattern) for k, v in value.items()}
    return value


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
