"""Usage figures of a space over a period: open time, booked time, occupancy, peak, heatmap.

Open time comes from the rules' own opening periods (`rules.open_spans`) minus the
closures (closed holidays come in as closures, `rules.holiday_closures`), so a figure
and a booking check never disagree. Every instant is UTC; periods are half-open
[start_dt, end_dt). All lengths are whole minutes of real (UTC) time, so a night with
a clock change counts 23 or 25 hours, as a clock on the wall would show.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from booking.domain.rules import open_spans
from booking.domain.values import ClosedRange, Policy, as_utc

Span = tuple[datetime, datetime]
# Every UTC offset in use is a multiple of 15 minutes, so a local hour starts on one of these steps.
QUARTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Booked:
    """One booking as the figures need it: its interval (UTC) and how many units it holds."""

    start_dt: datetime
    end_dt: datetime
    units: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_dt", as_utc(self.start_dt))
        object.__setattr__(self, "end_dt", as_utc(self.end_dt))


def minutes(length: timedelta) -> int:
    return int(length.total_seconds() // 60)


def clip(spans: Iterable[Span], start_dt: datetime, end_dt: datetime) -> list[Span]:
    """The parts of `spans` inside [start_dt, end_dt)."""
    clipped = ((max(a, start_dt), min(b, end_dt)) for a, b in spans)
    return [(a, b) for a, b in clipped if a < b]


def subtract(spans: Sequence[Span], holes: Iterable[Span]) -> list[Span]:
    """`spans` without any instant of `holes` (both half-open, UTC)."""
    result = list(spans)
    for hole_start, hole_end in holes:
        kept: list[Span] = []
        for a, b in result:
            if hole_end <= a or b <= hole_start:
                kept.append((a, b))
                continue
            if a < hole_start:
                kept.append((a, hole_start))
            if hole_end < b:
                kept.append((hole_end, b))
        result = kept
    return result


def open_time(policy: Policy, closures: Iterable[ClosedRange], start_dt: datetime, end_dt: datetime) -> list[Span]:
    """The instants of [start_dt, end_dt) at which the space is open, as sorted UTC spans.

    Opening periods that start on the local day before the period (overnight hours) count
    for the part inside it. Raises ValueError for naive datetimes.
    """
    start_dt, end_dt = as_utc(start_dt), as_utc(end_dt)
    zone = policy.zone
    first = start_dt.astimezone(zone).date() - timedelta(days=1)
    last = end_dt.astimezone(zone).date()
    spans = clip(open_spans(first, last, policy), start_dt, end_dt)
    return sorted(subtract(spans, ((c.start_dt, c.end_dt) for c in closures)))


def open_unit_minutes(policy: Policy, closures: Iterable[ClosedRange], start_dt: datetime, end_dt: datetime) -> int:
    """Open minutes of [start_dt, end_dt) times the space's unit count (desks of a pooled space)."""
    return policy.unit_count * sum(minutes(b - a) for a, b in open_time(policy, closures, start_dt, end_dt))


def booked_unit_minutes(bookings: Iterable[Booked], start_dt: datetime, end_dt: datetime) -> int:
    """Minutes of each booking inside [start_dt, end_dt), times the units it holds, summed."""
    start_dt, end_dt = as_utc(start_dt), as_utc(end_dt)
    return sum(b.units * minutes(max(timedelta(0), min(b.end_dt, end_dt) - max(b.start_dt, start_dt)))
               for b in bookings)


def occupancy(booked: int, open_: int) -> float | None:
    """booked unit-time ÷ open unit-time (SPEC §2 usage figures); None when never open."""
    return booked / open_ if open_ else None


def peak_units(bookings: Iterable[Booked], start_dt: datetime, end_dt: datetime) -> int:
    """The most units held at one instant of [start_dt, end_dt) (a sweep over starts and ends)."""
    changes: list[tuple[datetime, int]] = []
    for b in bookings:
        a, z = max(b.start_dt, as_utc(start_dt)), min(b.end_dt, as_utc(end_dt))
        if a < z:
            changes += [(a, b.units), (z, -b.units)]
    peak = level = 0
    for _at, delta in sorted(changes, key=lambda change: (change[0], change[1])):
        level += delta
        peak = max(peak, level)
    return peak


def local_hours(policy: Policy, start_dt: datetime, end_dt: datetime) -> list[tuple[int, int, Span]]:
    """[start_dt, end_dt) cut where the local hour changes: (weekday 0=Monday, hour, span UTC).

    A repeated autumn hour gives two pieces with the same key (merged when adjacent);
    a skipped spring hour none. Steps a whole local hour at a time, and by quarters
    through an hour in which the UTC offset changes.
    """
    zone = policy.zone
    pieces: list[tuple[int, int, Span]] = []
    at = as_utc(start_dt)
    end_dt = as_utc(end_dt)
    while at < end_dt:
        local = at.astimezone(zone)
        key = (local.weekday(), local.hour)
        step = at + timedelta(hours=1) - timedelta(minutes=local.minute, seconds=local.second,
                                                   microseconds=local.microsecond)
        if step.astimezone(zone).utcoffset() != local.utcoffset():
            step = at + QUARTER - timedelta(minutes=at.minute % 15, seconds=at.second, microseconds=at.microsecond)
        nxt = min(step, end_dt)
        if pieces and pieces[-1][:2] == key and pieces[-1][2][1] == at:
            pieces[-1] = (*key, (pieces[-1][2][0], nxt))
        else:
            pieces.append((*key, (at, nxt)))
        at = nxt
    return pieces


def minutes_by_hour(pieces: Sequence[tuple[int, int, Span]],
                    spans: Iterable[tuple[Span, int]]) -> dict[tuple[int, int], int]:
    """Minutes of each (span, units) inside each local-hour piece of `local_hours`, times units, per key."""
    starts = [piece[2][0] for piece in pieces]
    cells: dict[tuple[int, int], int] = {}
    for span, units in spans:
        _spread(cells, pieces, starts, span, units)
    return cells


def _spread(cells: dict[tuple[int, int], int], pieces: Sequence[tuple[int, int, Span]],
            starts: Sequence[datetime], span: Span, units: int) -> None:
    a, b = span
    i = max(bisect_right(starts, a) - 1, 0)
    while i < len(pieces) and pieces[i][2][0] < b:
        day, hour, (y, z) = pieces[i]
        overlap = minutes(max(timedelta(0), min(b, z) - max(a, y)))
        if overlap:
            cells[(day, hour)] = cells.get((day, hour), 0) + units * overlap
        i += 1


def heatmap(
    policy: Policy, closures: Sequence[ClosedRange], bookings: Sequence[Booked], start_dt: datetime, end_dt: datetime
) -> dict[tuple[int, int], tuple[int, int]]:
    """Per local (weekday 0=Monday, hour 0-23): (booked unit-minutes, open unit-minutes) in the period.

    Only cells with some open or booked time appear.
    """
    pieces = local_hours(policy, start_dt, end_dt)
    starts = [piece[2][0] for piece in pieces]
    opened: dict[tuple[int, int], int] = {}
    booked: dict[tuple[int, int], int] = {}
    for span in open_time(policy, closures, start_dt, end_dt):
        _spread(opened, pieces, starts, span, policy.unit_count)
    for b in bookings:
        _spread(booked, pieces, starts, (b.start_dt, b.end_dt), b.units)
    return {key: (booked.get(key, 0), opened.get(key, 0)) for key in opened.keys() | booked.keys()}
