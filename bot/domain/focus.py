"""Focus-minute accounting: how long a member was present while work was actually running."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.domain.sprint import Span, require_aware

__all__ = ["focus_seconds", "merge_spans", "total_seconds"]

_Interval = tuple[datetime, datetime]


def merge_spans(spans: Iterable[Span], now: datetime) -> list[_Interval]:
    """Sorted, disjoint (start, end) intervals covering the union of ``spans``.

    An open span (``end`` None) runs until ``now``; empty spans are dropped.
    """
    require_aware(now)
    intervals = sorted((span.start, span.end if span.end is not None else now) for span in spans)
    merged: list[_Interval] = []
    for start, end in intervals:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def total_seconds(spans: Iterable[Span], now: datetime) -> float:
    """Length of the union of ``spans`` in seconds."""
    return sum((end - start for start, end in merge_spans(spans, now)), timedelta()).total_seconds()


def focus_seconds(
    work_spans: Sequence[Span], presence_spans: Sequence[Span], now: datetime
) -> float:
    """Seconds in both the union of work spans and the union of presence spans.

    Work spans are periods a WORK phase was running (pauses split them); presence spans are the
    member's join→leave periods. Overlapping or duplicate spans never count twice.
    """
    work = merge_spans(work_spans, now)
    presence = merge_spans(presence_spans, now)
    total = timedelta()
    i = j = 0
    while i < len(work) and j < len(presence):
        start = max(work[i][0], presence[j][0])
        end = min(work[i][1], presence[j][1])
        if end > start:
            total += end - start
        if work[i][1] <= presence[j][1]:
            i += 1
        else:
            j += 1
    return total.total_seconds()
