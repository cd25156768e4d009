"""Where a refused booking would fit instead: the nearest free starts both ways, or the first free day.

`free_starts_near` is the one place that answers "when could I have this
instead?": the booking form shows its answer when a request collides, and the
landing page may ask it for any length and number of desks. It is pure: the
caller passes the holds and closures of the days it may look at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from booking.domain.intervals import overlaps
from booking.domain.rules import (
    check_calendar,
    check_request,
    check_units,
    fmt_time,
    grid_ceil,
    opening_periods,
)
from booking.domain.values import N_, ClosedRange, Conflict, Hold, Policy, Request, as_utc, local_day_bounds

# Rules that say whether a start is free for this booking; quota is the member's own limit
# and the length is the request's own (both stay what they were).
SLOT_CODES = frozenset({"grid", "hours", "closed", "past", "notice", "horizon", "overlap", "capacity"})
SEARCH_DAYS = 14


@dataclass(frozen=True)
class FreeStarts:
    """The nearest free starts (UTC) on the asked day, and the first free local day after it.

    `first_free_day` is only looked for when the asked day has no free start at all.
    """

    before: datetime | None = None
    after: datetime | None = None
    first_free_day: date | None = None
    first_free_start: datetime | None = None

    @property
    def found(self) -> bool:
        return any(v is not None for v in (self.before, self.after, self.first_free_day))


def fits(request: Request, policy: Policy, holds: Sequence[Hold], closures: Sequence[ClosedRange],
         now: datetime) -> bool:
    """Whether this booking could start where it is asked: open, not closed, in time, units free."""
    # Codes only (detail=False): the same rules, with no message built for a question that needs none.
    conflicts = check_request(request, policy, holds, closures, now, suggest=False, detail=False)
    return not any(c.code in SLOT_CODES for c in conflicts)


def is_never_open(policy: Policy) -> bool:
    """Whether the space has no opening period on any weekday: then no day has a start
    (`day_starts` is empty), so none is free, whatever the holds and closures."""
    return not any(policy.opening.values())


def day_starts(day: date, length: timedelta, policy: Policy) -> list[datetime]:
    """Every grid start (UTC) on a local day where a booking of `length` ends inside the same period."""
    step = timedelta(minutes=policy.slot_minutes)
    starts = []
    for open_dt, close_dt in opening_periods(day, policy):
        candidate = grid_ceil(open_dt, policy)
        while candidate + length <= close_dt:
            starts.append(candidate)
            candidate += step
    return starts


def free_starts_near(
    request: Request,
    policy: Policy,
    holds: Sequence[Hold],
    closures: Sequence[ClosedRange],
    now: datetime,
    search_days: int = SEARCH_DAYS,
) -> FreeStarts:
    """The nearest free starts before and after `request.start_dt` on its local day.

    A start is free when the same booking (same length, same number of units)
    would pass every rule there except quota (see `SLOT_CODES`). When the day has
    no free start, the following local days (at most `search_days`, bounded by the
    space's horizon through the `horizon` rule) are searched for the first free
    one and its earliest start. `holds` and `closures` must cover every day looked
    at (the caller loads them; the booking being changed is left out of `holds`).
    Instants are UTC; days are the space's local days.
    """
    length = request.length
    day = request.start_dt.astimezone(policy.zone).date()
    # Each candidate only needs what touches its own local day (buffers and its length included).
    margin = policy.setup + policy.teardown + length + timedelta(minutes=policy.slot_minutes)

    def free_on(on_day: date) -> Callable[[datetime], bool]:
        day_start, day_end = local_day_bounds(on_day, policy.zone)
        low, high = day_start - margin, day_end + margin
        day_holds = [h for h in holds if overlaps(h.start_dt, h.end_dt, low, high)]
        day_closures = [c for c in closures if overlaps(c.start_dt, c.end_dt, low, high)]
        return lambda start: fits(Request(start, start + length, request.seats, request.user_id),
                                  policy, day_holds, day_closures, now)

    free = free_on(day)
    starts = [s for s in day_starts(day, length, policy) if s != request.start_dt]
    before = next((s for s in reversed(starts) if s < request.start_dt and free(s)), None)
    after = next((s for s in starts if s > request.start_dt and free(s)), None)
    if before is not None or after is not None:
        return FreeStarts(before=before, after=after)
    for offset in range(1, search_days + 1):
        later = day + timedelta(days=offset)
        free = free_on(later)
        first = next((s for s in day_starts(later, length, policy) if free(s)), None)
        if first is not None:
            return FreeStarts(first_free_day=later, first_free_start=first)
    return FreeStarts()


def hint_conflict(hints: FreeStarts, policy: Policy) -> Conflict | None:
    """The sentence shown with a refusal (code `hint`), or None when nothing free was found."""
    if hints.before is not None and hints.after is not None:
        return Conflict("hint", N_("Free starts that day: %(before)s (earlier) or %(after)s (later)."),
                        {"before": fmt_time(hints.before, policy), "after": fmt_time(hints.after, policy)})
    if hints.before is not None:
        return Conflict("hint", N_("The nearest free start that day is %(before)s (earlier)."),
                        {"before": fmt_time(hints.before, policy)})
    if hints.after is not None:
        return Conflict("hint", N_("The nearest free start that day is %(after)s (later)."),
                        {"after": fmt_time(hints.after, policy)})
    if hints.first_free_day is not None and hints.first_free_start is not None:
        return Conflict("hint", N_("That day is full; the first day with a free time is %(day)s (from %(start)s)."),
                        {"day": hints.first_free_day, "start": fmt_time(hints.first_free_start, policy)})
    return None


def shortest_probe(start_dt: datetime, policy: Policy) -> Request:
    """The booking the availability questions ask about: the space's shortest, of one unit."""
    return Request(start_dt, start_dt + timedelta(minutes=policy.min_minutes))


def next_free_start(policy: Policy, holds: Sequence[Hold], closures: Sequence[ClosedRange], now: datetime,
                    search_days: int = SEARCH_DAYS) -> datetime | None:
    """Where a space's page opens: the first start (UTC) from `now` on where its shortest booking fits.

    Today if anything is left today, else the first free day's earliest start, as
    `free_starts_near` answers a refused request (the same search, asked from the
    start of today's local day); None when nothing is free within `search_days`.
    """
    today = now.astimezone(policy.zone).date()
    day_start = local_day_bounds(today, policy.zone)[0]
    probe = shortest_probe(day_start, policy)
    if fits(probe, policy, holds, closures, now):
        return probe.start_dt
    hints = free_starts_near(probe, policy, holds, closures, now, search_days)
    return hints.after or hints.first_free_start


def free_start_count(day: date, policy: Policy, holds: Sequence[Hold], closures: Sequence[ClosedRange],
                     now: datetime) -> int:
    """How many starts of a local day the space's shortest booking of one unit could take."""
    return count_free_starts(day_start_facts(day, policy, holds, closures), policy, now)


def day_start_facts(day: date, policy: Policy, holds: Sequence[Hold],
                    closures: Sequence[ClosedRange]) -> tuple[tuple[Request, bool], ...]:
    """Each start of a local day for the shortest booking of one unit, and whether the calendar
    and the units let it be taken (`check_calendar`, `check_units`; codes in SLOT_CODES).

    Clock-free: a caller may keep it for the same arguments; `count_free_starts` adds the
    time window (`check_time_window`), so that the two make `fits` for every start.
    """
    length = timedelta(minutes=policy.min_minutes)
    facts = []
    for start in day_starts(day, length, policy):
        probe = shortest_probe(start, policy)
        codes = [*check_calendar(probe, policy, closures, detail=False),
                 *check_units(probe, policy, holds, suggest=False, detail=False)]
        facts.append((probe, not any(c.code in SLOT_CODES for c in codes)))
    return tuple(facts)


def count_free_starts(facts: Sequence[tuple[Request, bool]], policy: Policy, now: datetime) -> int:
    """How many of a day's starts (`day_start_facts`) are free at `now`."""
    in_window = time_window_test(policy, now)
    return sum(1 for probe, is_open in facts if is_open and in_window(probe.start_dt))


def first_free_start(facts: Sequence[tuple[Request, bool]], policy: Policy, now: datetime) -> datetime | None:
    """The earliest start (UTC) of `facts` (`day_start_facts` of consecutive days, in order) free at `now`.

    Equal to `next_free_start` when `facts` are those of today and the days it searches,
    built from the same holds and closures: a start is free when the calendar and the
    units let it be taken and the time window (`check_time_window`) holds, as `fits` says.
    """
    in_window = time_window_test(policy, now)
    return next((probe.start_dt for probe, is_open in facts if is_open and in_window(probe.start_dt)), None)


def free_starts_by_day(days: Sequence[Sequence[tuple[Request, bool]]], policy: Policy, now: datetime
                       ) -> tuple[list[int], datetime | None]:
    """`count_free_starts` of each day's facts (`day_start_facts` of consecutive days, in order) and
    `first_free_start` of them all, in one pass with one time window test (the spaces page ran the
    window's set-up three times a space: profile line 'booking/domain/hints.py:216(time_window_parts)')."""
    in_window = time_window_test(policy, now)
    counts, first = [], None
    for facts in days:
        count = 0
        for probe, is_open in facts:
            if is_open and in_window(probe.start_dt):
                count += 1
                if first is None:
                    first = probe.start_dt
        counts.append(count)
    return counts, first


def time_window_test(policy: Policy, now: datetime) -> Callable[[datetime], bool]:
    """Whether a start (UTC) passes `check_time_window` at `now`, for many starts at the cost of comparisons.

    Not past and the minimum notice ahead is one bound (`check_past`, `check_notice`); the
    horizon (`check_horizon`, local days) needs the local date only for starts less than
    a day before its last day.
    """
    earliest, is_within_horizon = time_window_parts(policy, now)

    def in_window(start: datetime) -> bool:
        return start >= earliest and is_within_horizon(start)

    return in_window


def time_window_parts(policy: Policy, now: datetime) -> tuple[datetime, Callable[[datetime], bool]]:
    """`time_window_test` in its two parts: the earliest start (UTC) not past and the minimum
    notice ahead, and whether a start lies within the horizon (true up to a start, false after)."""
    now, zone = as_utc(now), policy.zone
    earliest = max(now, now + timedelta(minutes=policy.min_notice_minutes))
    last_day = now.astimezone(zone).date() + timedelta(days=policy.max_days_ahead)
    surely_inside = local_day_bounds(last_day - timedelta(days=1), zone)[0]

    def is_within_horizon(start: datetime) -> bool:
        return start < surely_inside or start.astimezone(zone).date() <= last_day

    return earliest, is_within_horizon
