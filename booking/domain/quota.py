"""The `quota` rule: per member and space, active future bookings and hours in any rolling 7 days."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from booking.domain.values import N_, Conflict, Minutes, Policy, Request, Usage, as_utc


def busiest_week(
    intervals: Sequence[tuple[datetime, datetime]], new: tuple[datetime, datetime]
) -> tuple[float, float]:
    """Hours booked in the fullest rolling 7 days that include part of `new`, and new's share.

    The booked time in a sliding window is piecewise linear in the window's start;
    its maxima lie where a window starts with a booking or ends with one, or at
    the ends of the range of windows that meet `new` (the windows holding only its
    first or its last microsecond), so those are the only candidates.
    Each candidate's booked time is B(end) − B(start), where B(t) is the time booked
    before t, read from sorted starts and ends with running sums: O(n log n) in all,
    not a sum over every booking for every candidate.
    """
    week = _micros(timedelta(days=7))
    new_start, new_end = _micros(new[0] - EPOCH), _micros(new[1] - EPOCH)
    everything = [(_micros(s - EPOCH), _micros(e - EPOCH)) for s, e in intervals]
    everything.append((new_start, new_end))
    starts = sorted(s for s, _e in everything)
    ends = sorted(e for _s, e in everything)
    start_sums, end_sums = _running_sums(starts), _running_sums(ends)

    def booked_before(t: int) -> int:
        # Σ over bookings of max(0, min(t, e) − s) = Σ_{s<t} (t − s) − Σ_{e<t} (t − e)
        n_started, n_ended = bisect_left(starts, t), bisect_left(ends, t)
        return (n_started * t - start_sums[n_started]) - (n_ended * t - end_sums[n_ended])

    def window(window_start: int) -> tuple[int, int]:
        total = booked_before(window_start + week) - booked_before(window_start)
        share = max(0, min(window_start + week, new_end) - max(window_start, new_start))
        return total, total - share

    best = (0, 0)  # (total, of which already booked before `new`), fullest first
    for window_start in {s for s, _e in everything} | {e - week for _s, e in everything}:
        if window_start < new_end and new_start < window_start + week:
            best = max(best, window(window_start))
    # The windows that meet `new` start in (new_start − week, new_end). When the member's own
    # bookings overlap each other (two desks at once), the booked time may grow towards either
    # end of that range: the windows holding only the first or the last microsecond of `new`
    # count too, when they are fuller (a tie keeps the window found above).
    for window_start in (new_start - week + 1, new_end - 1):
        edge = window(window_start)
        if edge[0] > best[0]:
            best = edge
    return best[0] / 3_600_000_000, (best[0] - best[1]) / 3_600_000_000


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(span: timedelta) -> int:
    """A span in whole microseconds: exact integer sums, no float rounding."""
    return span // timedelta(microseconds=1)


def _running_sums(values: Sequence[int]) -> list[int]:
    sums = [0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


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
                    N_("This would make %(total)s within 7 days; the limit is %(limit)s (%(left)s left)."),
                    {
                        "total": _in_minutes(total),
                        "limit": _in_minutes(hours_limit),
                        "left": _in_minutes(max(0.0, hours_limit - used)),
                    },
                )
            )
    return conflicts


def _in_minutes(hours: float) -> Minutes:
    """A number of hours as a length for a message (1.5 → 1時間30分 / 1 h 30 min)."""
    return Minutes(round(hours * 60))
