"""The week grid: what each slot of a space's week looks like to one viewer.

The contract, which a property test holds the rules to: for the booking of the
space's minimum length and one unit that starts at a cell,

- `free`   exactly when `check_request` finds no conflict (quota aside: that is
  the member's own limit, not the slot's);
- `taken`  when units are missing (`overlap`/`capacity`) and no calendar or
  time rule stands in the way;
- `past`   when it is too early, too late or past (`past`/`notice`/`horizon`)
  and nothing about the calendar does;
- `closed` when the calendar refuses it (`grid`/`duration`/`hours`/`closed`);
- `mine`   when the viewer already has a booking in the cell, whatever the rest;
  its free count is non-zero only when a booking there would pass every rule.

Cells exist for real local wall times only: none in the hour a spring clock
change skips, and two in the hour an autumn change repeats (the second keyed by
a time with `fold=1`, listed right after the first run in `times`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from booking.domain.hints import time_window_parts
from booking.domain.intervals import overlaps
from booking.domain.rules import check_calendar, check_units, free_units, occupied
from booking.domain.values import ClosedRange, Hold, Policy, Request, as_utc, local_day_bounds

FREE, TAKEN, MINE, CLOSED, PAST = "free", "taken", "mine", "closed", "past"

# The codes of each group of rules (`check_calendar`, `check_time_window`, `check_units`).
CALENDAR_CODES = frozenset({"grid", "duration", "hours", "closed"})
TIME_CODES = frozenset({"past", "notice", "horizon"})
UNIT_CODES = frozenset({"overlap", "capacity"})



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
    cells: dict[tuple[date, time, int], Cell]

    def cell(self, day: date, at: time) -> Cell | None:
        """The cell of a local wall time; `at.fold` picks the second of a repeated hour."""
        return self.cells.get((day, at, at.fold))

    def repeated_start(self, at: time) -> datetime | None:
        """For a row whose wall time a clock change repeats, the start (UTC) of its cell on that day.

        The week page labels such rows with that cell's UTC offset, so the two
        runs of the repeated hour read differently; other rows give None.
        """
        for day in self.days:
            if (day, at.replace(fold=1), 1) in self.cells and (day, at, at.fold) in self.cells:
                return self.cells[(day, at, at.fold)].start_dt
        return None


def week_start(day: date) -> date:
    """The Monday of the week that holds `day`."""
    return day - timedelta(days=day.weekday())


WEEK_DAYS = 7


def neighbour_weeks(first: date, today: date) -> tuple[date | None, date]:
    """The first days of the seven days before and after those starting at `first` (a space's page).

    A space's page shows the seven days from any day (its first free day by default, or the
    day asked for), so the steps are exactly seven days from the first day shown, never
    realigned to a Monday: no day repeats or is skipped. Going back never shows only days
    already past: when the seven days before would start before `today`, they start on
    `today` instead (so today up to the first day shown is one step away), and when the days
    shown already start on or before `today` there is no earlier window (None).
    """
    following = first + timedelta(days=WEEK_DAYS)
    if first <= today:
        return None, following
    return max(first - timedelta(days=WEEK_DAYS), today), following


def grid_times(policy: Policy) -> tuple[time, ...]:
    """Every slot start from the earliest opening to the latest closing of the week.

    All day when a period runs past midnight.
    """
    periods = [p for day_periods in policy.opening.values() for p in day_periods]
    if not periods:
        return ()
    step = policy.slot_minutes
    if any(close_time <= open_time for open_time, close_time in periods):
        # A period runs past midnight: its days are open late and the next days early.
        return tuple(time(m // 60, m % 60) for m in range(0, 24 * 60, step))
    first = min(open_time for open_time, _ in periods)
    last = max(close_time for _, close_time in periods)
    start = (first.hour * 60 + first.minute) // step * step
    end = last.hour * 60 + last.minute
    return tuple(time(m // 60, m % 60) for m in range(start, end, step))


def local_slot_starts(day: date, at: time, policy: Policy) -> list[datetime]:
    """The instants (UTC) showing wall time `at` on `day`: none, one, or two in a repeated hour."""
    found = []
    for fold in (0, 1):
        local = datetime.combine(day, at.replace(fold=fold), policy.zone)
        instant = as_utc(local)
        back = instant.astimezone(policy.zone)
        if back.replace(tzinfo=None) == local.replace(tzinfo=None) and instant not in found:
            found.append(instant)
    return found


def local_slot_start(day: date, at: time, policy: Policy) -> datetime | None:
    """The first instant of a local wall time, or None where daylight saving skips it."""
    starts = local_slot_starts(day, at, policy)
    return starts[0] if starts else None


@dataclass(frozen=True)
class SlotFacts:
    """What the rules say of one cell's probe apart from the clock.

    The probe is the booking of the space's minimum length and one unit starting at
    the cell. `is_closed`: `check_calendar` finds a conflict; `is_taken`: `check_units`
    does; `free_count`: units free for its whole occupied interval; `is_mine`: the viewer
    has a booking in the cell.
    """

    key: tuple[date, time, int]
    probe: Request
    end_dt: datetime
    is_closed: bool
    is_taken: bool
    free_count: int
    is_mine: bool


@dataclass(frozen=True)
class WeekFacts:
    """A week's rows and the clock-free facts of each of its cells (see `week_facts`);
    `starts`: the probes' starts, ascending (`window_bounds` searches them)."""

    days: tuple[date, ...]
    times: tuple[time, ...]
    slots: tuple[SlotFacts, ...]
    starts: tuple[datetime, ...]


def slot_state(facts: SlotFacts, is_out_of_time: bool) -> tuple[str, int]:
    """The state of one slot and how many units a booking starting there would find.

    `is_out_of_time`: `check_time_window` finds a conflict for the probe (past, notice, horizon).
    """
    if facts.is_mine:
        # In a desk pool the viewer may book more desks here: say how many, when bookable.
        is_refused = facts.is_closed or is_out_of_time or facts.is_taken
        return MINE, 0 if is_refused else facts.free_count
    if facts.is_closed:
        return CLOSED, 0
    if is_out_of_time:
        return PAST, facts.free_count
    if facts.is_taken:
        return TAKEN, 0
    return FREE, facts.free_count


def _with_repeated(grid: Sequence[time], repeated: Sequence[time]) -> tuple[time, ...]:
    """The wall times, with a second run (fold=1) of the repeated ones right after the first."""
    times = list(grid)
    if repeated:
        after = times.index(repeated[-1]) + 1
        times[after:after] = [at.replace(fold=1) for at in repeated]
    return tuple(times)


def build_week(
    policy: Policy,
    first_day: date,
    holds: Sequence[Hold],
    closures: Sequence[ClosedRange],
    own: Sequence[tuple[datetime, datetime]],
    now: datetime,
) -> WeekGrid:
    """The grid of seven local days from `first_day` for one viewer.

    `own` are the viewer's active bookings (without buffers).
    """
    return week_grid(week_facts(policy, first_day, holds, closures, own), policy, now)


def week_grid(facts: WeekFacts, policy: Policy, now: datetime) -> WeekGrid:
    """The grid of a week's clock-free facts at `now`: the time window rules run for each cell.

    `check_request` is `check_calendar`, `check_time_window`, `check_units` and quota
    (the member's own limit, not the slot's); the calendar and units are in `facts`.
    """
    return grid_in_window(facts, time_window_mask(facts, policy, now))


def window_bounds(facts: WeekFacts, policy: Policy, now: datetime) -> tuple[int, int]:
    """Which of the week's starts (`facts.starts`, ascending) pass `check_time_window` at `now`:
    those from index `low` up to, not including, `high`.

    Both parts of the test (`domain.hints.time_window_parts`) are monotone in the start: one
    bisection each stands for one test per cell, and the bounds only move when the clock
    passes a slot's boundary, so a caller may key a kept grid by them, never by the clock.
    """
    earliest, is_within_horizon = time_window_parts(policy, now)
    starts = facts.starts
    low = high = bisect_left(starts, earliest)
    end = len(starts)
    while high < end:  # the first start from `low` on beyond the horizon
        middle = (high + end) // 2
        if is_within_horizon(starts[middle]):
            high = middle + 1
        else:
            end = middle
    return low, high


def time_window_mask(facts: WeekFacts, policy: Policy, now: datetime) -> tuple[bool, ...]:
    """For each slot of `facts`, in order, whether its probe passes `check_time_window` at `now`
    (from `window_bounds`: the same bounds make the same mask)."""
    return mask_of_bounds(facts, window_bounds(facts, policy, now))


def mask_of_bounds(facts: WeekFacts, bounds: tuple[int, int]) -> tuple[bool, ...]:
    """For each slot of `facts`, in order, whether its start lies within `window_bounds`."""
    low, high = bounds
    if low >= high:
        return (False,) * len(facts.slots)
    first, last = facts.starts[low], facts.starts[high - 1]
    return tuple(first <= slot.probe.start_dt <= last for slot in facts.slots)


def grid_in_window(facts: WeekFacts, in_window: Sequence[bool]) -> WeekGrid:
    """The grid of a week's clock-free facts and its `time_window_mask`."""
    cells = {}
    for slot, is_in_window in zip(facts.slots, in_window, strict=True):
        state, free = slot_state(slot, not is_in_window)
        cells[slot.key] = Cell(slot.probe.start_dt, slot.end_dt, state, free)
    return WeekGrid(facts.days, facts.times, cells)


def week_facts(
    policy: Policy,
    first_day: date,
    holds: Sequence[Hold],
    closures: Sequence[ClosedRange],
    own: Sequence[tuple[datetime, datetime]],
) -> WeekFacts:
    """What the clock-free rules say of every cell of seven local days from `first_day`.

    A pure function of its arguments (it reads no clock), so a caller may keep the
    result for the same arguments; `week_grid` adds what depends on `now`.
    """
    days = tuple(first_day + timedelta(days=i) for i in range(7))
    slot = timedelta(minutes=policy.slot_minutes)
    shortest = timedelta(minutes=policy.min_minutes)
    # Each cell only needs what touches its own day (buffers and the longest probe included):
    # filtering per day keeps a full week of a busy desk pool from costing cells × holds.
    margin = policy.setup + policy.teardown + shortest + slot
    # Only holds that overlap a probe's occupied interval can matter to its rules: found by
    # bisection in the holds sorted by start (none lasts over `longest`).
    sorted_holds = sorted(holds, key=lambda h: h.start_dt)
    hold_starts = [h.start_dt for h in sorted_holds]
    longest = max((h.end_dt - h.start_dt for h in sorted_holds), default=timedelta(0))
    slots: list[SlotFacts] = []
    times = grid_times(policy)
    repeated: set[time] = set()
    for day in days:
        day_start, day_end = local_day_bounds(day, policy.zone)
        low, high = as_utc(day_start) - margin, as_utc(day_end) + margin
        day_closures = [c for c in closures if overlaps(c.start_dt, c.end_dt, low, high)]
        day_own = [(a, b) for a, b in own if overlaps(a, b, low, high)]
        for at in times:
            # Each slot's local start is computed once: its count also tells a repeated hour.
            starts = local_slot_starts(day, at, policy)
            if len(starts) == 2:
                repeated.add(at)
            for fold, start in enumerate(starts):
                probe = Request(start, start + shortest)
                occupied_start, occupied_end = occupied(probe, policy)
                cell_holds = sorted_holds[bisect_left(hold_starts, occupied_start - longest):
                                          bisect_left(hold_starts, occupied_end)]
                slots.append(SlotFacts(
                    key=(day, at, fold), probe=probe, end_dt=start + slot,
                    is_closed=bool(check_calendar(probe, policy, day_closures, detail=False)),
                    is_taken=bool(check_units(probe, policy, cell_holds, suggest=False, detail=False)),
                    free_count=len(free_units(cell_holds, policy, occupied_start, occupied_end)),
                    is_mine=any(overlaps(start, start + slot, a, b) for a, b in day_own),
                ))
    return WeekFacts(days, _with_repeated(times, [at for at in times if at in repeated]), tuple(slots),
                     tuple(sorted(slot.probe.start_dt for slot in slots)))
