"""Half-open intervals [start, end): one overlap predicate for the whole code base."""

from __future__ import annotations

from datetime import datetime


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Whether [a_start, a_end) and [b_start, b_end) share an instant.

    Back-to-back intervals (one ends when the other starts) do not overlap.
    """
    return a_start < b_end and b_start < a_end


def overlap_length_seconds(
    a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime
) -> float:
    """How long two intervals share, in seconds (0 when they do not overlap)."""
    start = max(a_start, b_start)
    end = min(a_end, b_end)
    return max(0.0, (end - start).total_seconds())
