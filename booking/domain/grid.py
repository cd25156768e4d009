"""The week grid: what each slot of a space's week looks like to one viewer.

A slot is `free` exactly when a booking of the minimum length starting there
passes every rule but the member's quota; `taken` when only units are missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from booking.domain.intervals import overlaps
from booking.domain.rules import (
    check_closed,
    check_hours,
    check_time_window,
    free_units,
    occupied,
)
from booking.domain.values import ClosedRange, Hold, Policy, Request

FREE, TAKEN, MINE, CLOSED, PAST = "free", "taken", "mine", "closed", "past"


@dataclass(frozen=True)
class Cell:
    start_dt: datetime
    end_dt: datetime
    state: str
    free_count: int = 0


@dataclass(frozen=True)
class WeekGrid:
    days: tuple[date, ...]
    times: tuple[time, ...]
    cells: dict[tuple[date, time], Cell]

    def cell(self, day: date, at: time) -> Cell | None:
        return self.cells.get((day, at))


def week_start(day: date) -> date:
    """The Monday of the week that holds `day`."""
    return day - timedelta(days=day.weekday())


def grid_times(policy: Policy) -> tuple[time, ...]:
    """Every slot start from the earliest opening to the latest closing of the week."""
    periods = [p for day_periods in policy.opening.values() for p in day_periods]
    if not periods:
        return ()
    first = min(open_time for open_time, _ in periods)
    last = max(close_time for _, close_time in periods)
    step = policy.slot_minutes
    start = (first.hour * 60 + first.minute) // step * step
    end = last.hour * 60 + last.minute
    return tuple(time(m // 60, m % 60) for m in range(start, end, step))


def local_slot_start(day: date, at: time, policy: Policy) -> datetime | None:
    """The instant of a local wall time, or None where daylight saving skips it."""
    local = datetime.combine(day, at, policy.zone)
    if local.astimezone(policy.zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return local


def slot_state(
    request: Request,
    slot_end: datetime,
    policy: Policy,
    holds: Sequence[Hold],
    closures: Sequence[ClosedRange],
    own: Sequence[tuple[datetime, datetime]],
    now: datetime,
) -> tuple[str, int]:
    """The state of one slot and how many units are free for a booking there."""
    slot = Request(request.start_dt, slot_end)
    if check_hours(slot, policy) or check_closed(slot, policy, closures):
        return CLOSED, 0
    if any(overlaps(request.start_dt, slot_end, a, b) for a, b in own):
        return MINE, 0
    free = len(free_units(holds, policy, *occupied(request, policy)))
    if check_time_window(request, policy, now):
        return PAST, free
    if free < 1:
        return TAKEN, 0
    if check_hours(request, policy) or check_closed(request, policy, closures):
        return CLOSED, free
    return FREE, free


def build_week(
    policy: Policy,
    monday: date,
    holds: Sequence[Hold],
    closures: Sequence[ClosedRange],
    own: Sequence[tuple[datetime, datetime]],
    now: datetime,
) -> WeekGrid:
    """The grid of seven local days from `monday` for one viewer.

    `own` are the viewer's active bookings (without buffers).
    """
    days = tuple(monday + timedelta(days=i) for i in range(7))
    times = grid_times(policy)
    slot = timedelta(minutes=policy.slot_minutes)
    shortest = timedelta(minutes=policy.min_minutes)
    cells: dict[tuple[date, time], Cell] = {}
    for day in days:
        for at in times:
            start = local_slot_start(day, at, policy)
            if start is None:
                continue
            request = Request(start, start + shortest)
            state, free = slot_state(request, start + slot, policy, holds, closures, own, now)
            cells[(day, at)] = Cell(start, start + slot, state, free)
    return WeekGrid(days, times, cells)
