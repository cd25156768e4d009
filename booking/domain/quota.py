"""The `quota` rule: per member and space, active future bookings and hours in any rolling 7 days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from booking.domain.intervals import overlap_length_seconds, overlaps
from booking.domain.values import N_, Conflict, Policy, Request, Usage, as_utc


def busiest_week(
    intervals: Sequence[tuple[datetime, datetime]], new: tuple[datetime, datetime]
) -> tuple[float, float]:
    """Hours booked in the fullest rolling 7 days that include part of `new`, and new's share.

    The booked time in a sliding window is piecewise linear in the window's start;
    its maxima lie where a window starts with a booking or ends with one, so
    those windows (and the two that just hold `new`) are the only candidates.
    """
    week = timedelta(days=7)
    everything = [*intervals, new]
    starts = {s for s, _e in everything} | {e - week for _s, e in everything}
    best = (0.0, 0.0)  # (total, of which already booked before `new`), fullest first
    for window_start in starts:
        window_end = window_start + week
        if not overlaps(window_start, window_end, *new):
            continue
        total = sum(overlap_length_seconds(window_start, window_end, s, e) for s, e in everything)
        best = max(best, (total, total - overlap_length_seconds(window_start, window_end, *new)))
    return best[0] / 3600, (best[0] - best[1]) / 3600


def hours_in_any_week(intervals: Sequence[tuple[datetime, datetime]], new: tuple[datetime, datetime]) -> float:
    """The most hours booked in any rolling 7 days that includes part of `new`."""
    return busiest_week(intervals, new)[0]


def check_quota(request: Request, policy: Policy, usage: Usage, now: datetime) -> list[Conflict]:
    """At most N active future bookings and H hours in any rolling 7 days, per member and space."""
    conflicts = []
    limit = policy.quota_active_bookings
    count = usage.future_count(as_utc(now))
    if limit is not None and count >= limit:
        conflicts.append(
            Conflict(
                "quota",
                N_("You already have %(count)s upcoming bookings here; the limit is %(limit)s."),
                {"count": count, "limit": limit},
            )
        )
    hours_limit = policy.quota_hours_per_week
    if hours_limit is not None:
        total, own_share = busiest_week(usage.intervals, (request.start_dt, request.end_dt))
        if total > hours_limit:
            used = total - own_share
            conflicts.append(
                Conflict(
                    "quota",
                    N_("This would make %(hours)s hours within 7 days; the limit is %(limit)s hours (%(left)s left)."),
                    {
                        "hours": f"{total:g}",
                        "limit": hours_limit,
                        "left": f"{max(0.0, hours_limit - used):g}",
                    },
                )
            )
    return conflicts
