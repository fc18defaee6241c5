"""Rules for user-written text: goals, titles, notes, and rendering it safely in Discord."""

from __future__ import annotations

import re
import unicodedata

from bot.domain.errors import ValidationError

__all__ = [
    "ELLIPSIS",
    "ZWSP",
    "clean_goal_text",
    "clean_note",
    "clean_title",
    "escape_markdown",
    "split_lines_goals",
    "truncate",
]

ELLIPSIS = "…"
ZWSP = "\u200b"


_KEEP = frozenset("\n\t\u200c\u200d")  # joiners keep emoji sequences and scripts intact


def _strip_controls(text: str) -> str:
    """Drop control/format characters (zero-width spaces, bidi overrides), keeping joiners."""
    return "".join(
        ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
    )


def _one_line(text: str) -> str:
    return " ".join(_strip_controls(text).split())


def _check_length(cleaned: str, what: str, empty_hint: str, max_len: int) -> str:
    if not cleaned:
        raise ValidationError(f"{what} can't be empty. {empty_hint}, 1–{max_len} characters.")
    if len(cleaned) > max_len:
        raise ValidationError(
            f"{what} can be at most {max_len} characters; yours is {len(cleaned)}. "
            "Shorten it a little."
        )
    return cleaned


def clean_goal_text(text: str, max_len: int = 200) -> str:
    """One line of goal text: trimmed, newlines and runs of spaces collapsed to one space."""
    return _check_length(_one_line(text), "A goal", "Write what you'll get done", max_len)


def clean_title(text: str, max_len: int = 100) -> str:
    """A one-line title (sprint or thread name)."""
    return _check_length(_one_line(text), "A title", "Give it a short name", max_len)


def clean_note(text: str, max_len: int = 500) -> str:
    """A note may keep line breaks: lines are trimmed and at most one blank line is kept."""
    lines = [" ".join(line.split()) for line in _strip_controls(text).splitlines()]
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return _check_length(cleaned, "A note", "Write a few words", max_len)


_MARKDOWN_CHARS = re.compile(r"([\\*_~`|>#\-\[\]()])")
_ORDERED_LIST = re.compile(r"^(\s*\d+)\.(?=\s)", re.MULTILINE)
_MENTION = re.compile(r"@(?=everyone|here|[!&]?\d)", re.IGNORECASE)


def escape_markdown(text: str) -> str:
    """Make user text render as written: markdown escaped, mentions and links neutralised.

    Escapes ``\\ * _ ~ ` | > # - [ ] ( )`` (so no bold, code, spoilers, quotes, headings, lists
    or masked links) and ordered-list markers, and puts a zero-width space after ``@`` in
    ``@everyone``, ``@here`` and ``<@id>``/``<@!id>``/``<@&id>`` so nothing pings.
    """
    escaped = _MARKDOWN_CHARS.sub(r"\\\1", text)
    escaped = _ORDERED_LIST.sub(r"\1\\.", escaped)
    return _MENTION.sub("@" + ZWSP, escaped)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    head = text[: limit - 1].rstrip()
    # Never leave a dangling escape backslash that would swallow the ellipsis.
    trailing = len(head) - len(head.rstrip("\\"))
    if trailing % 2:
        head = head[:-1]
    return head + ELLIPSIS


_BULLET = re.compile(r"^(?:[-*•+–]\s+(?:\[[ xX]?\]\s+)?|\[[ xX]?\]\s+|\d{1,3}[.)]\s+)")


def split_lines_goals(text: str) -> list[str]:
    """One goal per non-blank line, with list bullets (``- ``, ``* ``, ``1. ``, ``[ ]``) removed.

    Lines are trimmed but not length-checked; pass each through :func:`clean_goal_text`.
    """
    goals: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        stripped = _BULLET.sub("", stripped, count=1).strip()
        if stripped:
            goals.append(stripped)
    return goals
