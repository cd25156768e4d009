"""The conflict rules of SPEC §5, one small pure function each.

Every rule takes plain values (the request, the policy, the active holds, the
closures, the member's usage and `now`) and returns the conflicts it finds.
`check_request` runs them all and reports every violation together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from booking.domain.intervals import overlaps
from booking.domain.quota import check_quota
from booking.domain.values import (
    N_,
    OVERRIDABLE,
    ClosedRange,
    Conflict,
    Hold,
    Listed,
    MessageValue,
    Minutes,
    Policy,
    Range,
    Request,
    Usage,
    as_utc,
    local_day_bounds,
)

RULE_CODES = (
    "grid",
    "duration",
    "hours",
    "closed",
    "past",
    "notice",
    "horizon",
    "overlap",
    "capacity",
    "quota",
)
# A conflict that carries its code only (`detail=False`): the week grid reads codes, never messages.
BARE = {code: Conflict(code, "") for code in RULE_CODES}


def local_instant(instant: datetime, policy: Policy) -> datetime:
    """The instant on the space's clock, for a message (shown per locale by booking.dates.localise)."""
    return instant.astimezone(policy.zone)


def fmt_time(instant: datetime, policy: Policy) -> str:
    return instant.astimezone(policy.zone).strftime("%H:%M")


def occupied(request: Request, policy: Policy) -> tuple[datetime, datetime]:
    """The interval a booking keeps the units: itself plus setup and teardown."""
    return request.start_dt - policy.setup, request.end_dt + policy.teardown


def past_grid_line(instant: datetime, policy: Policy) -> timedelta:
    """How far a local wall time lies past the last slot boundary (zero when on the grid)."""
    local = instant.astimezone(policy.zone)
    wall = timedelta(hours=local.hour, minutes=local.minute, seconds=local.second,
                     microseconds=local.microsecond)
    return wall % timedelta(minutes=policy.slot_minutes)


def is_on_grid(instant: datetime, policy: Policy) -> bool:
    """Whether a local wall time is a whole number of slots after local midnight."""
    return not past_grid_line(instant, policy)


def grid_ceil(instant: datetime, policy: Policy) -> datetime:
    """The first instant (UTC) on the slot grid at or after the aware `instant`.

    Without a clock change on the way this is the next grid line of the wall clock.
    When the UTC offset changes before it, the wall clock jumps, and a grid line may
    lie inside the jump (Berlin, 45-minute grid: 01:50 CET is followed by 03:00 CEST,
    on the grid); whole minutes from `instant` are then tried in turn.
    """
    step = timedelta(minutes=policy.slot_minutes)
    start = as_utc(instant)
    candidate = start + (step - past_grid_line(start, policy)) % step
    if candidate.astimezone(policy.zone).utcoffset() == start.astimezone(policy.zone).utcoffset():
        return candidate
    candidate = start.replace(second=0, microsecond=0)
    if candidate < start:
        candidate += timedelta(minutes=1)
    while not is_on_grid(candidate, policy):
        candidate += timedelta(minutes=1)
    return candidate


def check_grid(request: Request, policy: Policy, detail: bool = True) -> list[Conflict]:
    """Start and end lie on the space's slot grid (in local wall time)."""
    slot = policy.slot_minutes
    off_grid = [i for i in (request.start_dt, request.end_dt) if not is_on_grid(i, policy)]
    if not off_grid:
        return []
    if not detail:
        return [BARE["grid"]]
    if slot < 60 and 60 % slot == 0:
        return [Conflict(
            "grid",
            N_("Start and end must be on the %(slot)s grid (e.g. 10:00, 10:%(step)s)."),
            {"slot": Minutes(slot), "step": f"{slot:02d}"},
        )]
    after = grid_ceil(off_grid[0], policy)
    before = after - timedelta(minutes=slot)
    return [Conflict(
        "grid",
        N_("Start and end must be on the %(slot)s grid; the nearest times are %(before)s and %(after)s."),
        {"slot": Minutes(slot), "before": fmt_time(before, policy), "after": fmt_time(after, policy)},
    )]


def check_duration(request: Request, policy: Policy, detail: bool = True) -> list[Conflict]:
    """min ≤ length ≤ max, measured in real time (a night with a clock change included)."""
    shortest, longest = timedelta(minutes=policy.min_minutes), timedelta(minutes=policy.max_minutes)
    if shortest <= request.length <= longest:
        return []
    if not detail:
        return [BARE["duration"]]
    minutes = int(request.length.total_seconds() // 60)
    return [
        Conflict(
            "duration",
            N_("A booking here lasts from %(min)s to %(max)s; this one lasts %(length)s."),
            {"min": Minutes(policy.min_minutes), "max": Minutes(policy.max_minutes), "length": Minutes(minutes)},
        )
    ]


def closing_day(day: date, open_time: time, close_time: time) -> date:
    """The local day a period that opens on `day` closes: the next one when close ≤ open."""
    return day + timedelta(days=1) if close_time <= open_time else day


def opening_periods(day: date, policy: Policy) -> list[tuple[datetime, datetime]]:
    """The opening periods that open on one local day, as instants in UTC, earliest first.

    A period whose close is at or before its open closes on the next day
    (09:00-00:00 is open until midnight, 22:00-02:00 runs overnight).
    """
    key = ("opening_periods", day)
    found = policy.memo.get(key)
    if found is None:
        periods = policy.opening.get(day.weekday(), ())
        found = policy.memo[key] = tuple(_opening_instants(day, periods, policy.zone))
    return list(cast(tuple[tuple[datetime, datetime], ...], found))


def _opening_instants(day: date, periods: Iterable[tuple[time, time]], zone: ZoneInfo
                      ) -> list[tuple[datetime, datetime]]:
    return [
        (
            as_utc(datetime.combine(day, open_time, zone)),
            as_utc(datetime.combine(closing_day(day, open_time, close_time), close_time, zone)),
        )
        for open_time, close_time in sorted(periods)
    ]


def open_spans(first: date, last: date, policy: Policy) -> list[tuple[datetime, datetime]]:
    """The opening periods of local days first…last, those that join across midnight made one.

    Kept in the policy's memo (a policy never changes): the week grid asks for the same
    days once per cell.
    """
    key = ("open_spans", first, last)
    found = policy.memo.get(key)
    if found is None:
        found = policy.memo[key] = tuple(_open_spans(first, last, policy))
    return list(cast(tuple[tuple[datetime, datetime], ...], found))


def _open_spans(first: date, last: date, policy: Policy) -> list[tuple[datetime, datetime]]:
    """The opening periods of local days first…last, those that join across midnight made one.

    A period of one day and a period of a later day join when the later one opens
    as or before the earlier one closes (a space open around the clock is one span); periods of the same
    day that touch stay apart, as they always have.
    """
    periods = sorted(
        (start, end, first + timedelta(days=n))
        for n in range((last - first).days + 1)
        for start, end in opening_periods(first + timedelta(days=n), policy)
    )
    spans: list[tuple[datetime, datetime, date]] = []
    for start, end, day in periods:
        if spans and start <= spans[-1][1] and day != spans[-1][2]:
            spans[-1] = (spans[-1][0], end, day)
        else:
            spans.append((start, end, day))
    return [(start, end) for start, end, _day in spans]


def describe_periods(periods: Sequence[tuple[datetime, datetime]], policy: Policy) -> Listed:
    """The opening periods of a day, a list joined per language when shown (booking.dates.join_list)."""
    return Listed(Range((fmt_time(a, policy), fmt_time(b, policy))) for a, b in periods)


def check_hours(request: Request, policy: Policy, detail: bool = True) -> list[Conflict]:
    """The booking lies inside one opening period, or in periods that join across midnight."""
    day = request.start_dt.astimezone(policy.zone).date()
    last = request.end_dt.astimezone(policy.zone).date()
    spans = open_spans(day - timedelta(days=1), last, policy)
    if any(a <= request.start_dt and request.end_dt <= b for a, b in spans):
        return []
    if not detail:
        return [BARE["hours"]]
    periods = opening_periods(day, policy)
    if not periods:
        return [Conflict("hours", N_("The space is not open on %(day)s."), {"day": day})]
    return [
        Conflict(
            "hours",
            N_("On %(day)s the space is open %(periods)s; choose a time inside one period."),
            {"day": day, "periods": describe_periods(periods, policy)},
        )
    ]


def holiday_closures(holidays: dict[date, str], policy: Policy) -> list[ClosedRange]:
    """Whole local days closed for national holidays."""
    return [
        ClosedRange(*local_day_bounds(day, policy.zone), name)
        for day, name in sorted(holidays.items())
    ]


def whole_local_days(closure: ClosedRange, policy: Policy) -> tuple[date, date] | None:
    """The first and last local day of a closure made of whole days, else None."""
    first = closure.start_dt.astimezone(policy.zone)
    end = closure.end_dt.astimezone(policy.zone)
    if first.time() != time(0) or end.time() != time(0):
        return None
    return first.date(), end.date() - timedelta(days=1)


def closed_conflict(closure: ClosedRange, policy: Policy) -> Conflict:
    days = whole_local_days(closure, policy)
    if days is not None and days[0] == days[1]:
        return Conflict(
            "closed",
            N_("The space is closed on %(day)s (%(reason)s)."),
            {"day": days[0], "reason": closure.reason},
        )
    if days is not None:
        return Conflict(
            "closed",
            N_("The space is closed from %(first)s to %(last)s (%(reason)s)."),
            {"first": days[0], "last": days[1], "reason": closure.reason},
        )
    return Conflict(
        "closed",
        N_("The space is closed from %(start)s to %(end)s (%(reason)s)."),
        {
            "start": local_instant(closure.start_dt, policy),
            "end": local_instant(closure.end_dt, policy),
            "reason": closure.reason,
        },
    )


def check_closed(
    request: Request, policy: Policy, closures: Iterable[ClosedRange], detail: bool = True
) -> list[Conflict]:
    """No overlap with a closure (closed holidays come in as closures too); each one is named."""
    if not detail:  # one code per closure met, as with messages
        return [BARE["closed"] for c in closures if overlaps(request.start_dt, request.end_dt, c.start_dt, c.end_dt)]
    return [
        closed_conflict(c, policy)
        for c in sorted(closures, key=lambda c: (c.start_dt, c.end_dt))
        if overlaps(request.start_dt, request.end_dt, c.start_dt, c.end_dt)
    ]


def check_past(request: Request, policy: Policy, now: datetime, detail: bool = True) -> list[Conflict]:
    """The booking does not start before `now`."""
    if request.start_dt >= as_utc(now):
        return []
    if not detail:
        return [BARE["past"]]
    return [
        Conflict(
            "past",
            N_("%(start)s has already passed; choose a later time."),
            {"start": local_instant(request.start_dt, policy)},
        )
    ]


def check_notice(request: Request, policy: Policy, now: datetime, detail: bool = True) -> list[Conflict]:
    """The booking starts at least the minimum notice after `now` (a past start is `past` only)."""
    now = as_utc(now)
    earliest = now + timedelta(minutes=policy.min_notice_minutes)
    if request.start_dt >= earliest or request.start_dt < now:
        return []
    if not detail:
        return [BARE["notice"]]
    return [
        Conflict(
            "notice",
            N_("Bookings close %(notice)s before their start: start at %(earliest)s or later."),
            {
                "notice": Minutes(policy.min_notice_minutes),
                "earliest": local_instant(grid_ceil(earliest, policy), policy),
            },
        )
    ]


def check_horizon(request: Request, policy: Policy, now: datetime, detail: bool = True) -> list[Conflict]:
    """The booking starts at most `max_days_ahead` local days after today."""
    last_day = as_utc(now).astimezone(policy.zone).date() + timedelta(days=policy.max_days_ahead)
    if request.start_dt.astimezone(policy.zone).date() <= last_day:
        return []
    if not detail:
        return [BARE["horizon"]]
    return [
        Conflict(
            "horizon",
            N_("Bookings open at most %(days)s days ahead: start on %(last_day)s or earlier."),
            {"days": policy.max_days_ahead, "last_day": last_day},
        )
    ]


def check_time_window(request: Request, policy: Policy, now: datetime, detail: bool = True) -> list[Conflict]:
    """Not in the past, at least the minimum notice ahead, at most N days ahead."""
    return [
        *check_past(request, policy, now, detail),
        *check_notice(request, policy, now, detail),
        *check_horizon(request, policy, now, detail),
    ]


def busy_units(holds: Iterable[Hold], start_dt: datetime, end_dt: datetime) -> set[int]:
    """Units held by somebody at some instant of [start_dt, end_dt)."""
    return {h.unit_no for h in holds if overlaps(h.start_dt, h.end_dt, start_dt, end_dt)}


def free_units(
    holds: Sequence[Hold], policy: Policy, start_dt: datetime, end_dt: datetime
) -> list[int]:
    """Units free for the whole occupied interval, lowest number first."""
    busy = busy_units(holds, start_dt, end_dt)
    return [unit for unit in range(1, policy.unit_count + 1) if unit not in busy]


def pick_units(
    request: Request, policy: Policy, holds: Sequence[Hold], wanted: Sequence[int] = ()
) -> list[int] | None:
    """Concrete units free for the whole booking, or None when too few are free.

    `wanted` are the member's own choices: distinct units of this space, as many
    as the seats asked for, all free; otherwise nothing is picked.
    """
    if request.seats < 1:
        return None
    free = free_units(holds, policy, *occupied(request, policy))
    if wanted:
        chosen = list(wanted)
        is_exact = len(set(chosen)) == len(chosen) == request.seats
        return chosen if is_exact and set(chosen) <= set(free) else None
    return free[: request.seats] if len(free) >= request.seats else None


def next_free_start(
    request: Request, policy: Policy, holds: Sequence[Hold], closures: Sequence[ClosedRange] = ()
) -> datetime | None:
    """The earliest later start on the same local day where the same booking fits.

    It fits when it lies in an opening period, meets no closure and finds its units.
    """
    length = request.length
    day = request.start_dt.astimezone(policy.zone).date()
    step = timedelta(minutes=policy.slot_minutes)
    for open_dt, close_dt in opening_periods(day, policy):
        candidate = grid_ceil(max(request.start_dt + step, open_dt), policy)
        while candidate + length <= close_dt:
            moved = Request(candidate, candidate + length, request.seats, request.user_id)
            if not check_closed(moved, policy, closures) and not check_units(moved, policy, holds, suggest=False):
                return candidate
            candidate += step
    return None


def check_units(
    request: Request,
    policy: Policy,
    holds: Sequence[Hold],
    closures: Sequence[ClosedRange] = (),
    suggest: bool = True,
    detail: bool = True,
) -> list[Conflict]:
    """`overlap` for an exclusive space, `capacity` for a pooled one.

    Units count as free only when free for the whole occupied interval (buffers
    included). With `suggest`, the message names the next start that day where
    the same booking would fit.
    """
    if request.seats < 1:
        return [Conflict("capacity", N_("Choose at least one desk."), {"seats": request.seats})]
    start_dt, end_dt = occupied(request, policy)
    free = free_units(holds, policy, start_dt, end_dt)
    if len(free) >= request.seats:
        return []
    if not detail:
        return [BARE["capacity" if policy.is_pooled else "overlap"]]
    params: dict[str, MessageValue] = {
        "start": local_instant(request.start_dt, policy),
        "end": fmt_time(request.end_dt, policy),
    }
    later = next_free_start(request, policy, holds, closures) if suggest else None
    if later is not None:
        params["next"] = fmt_time(later, policy)
    # Whole sentences, not concatenated pieces, so that each one is a catalog entry.
    if policy.is_pooled:
        params |= {"free": len(free), "total": policy.unit_count, "seats": request.seats}
        message = N_("Only %(free)s of %(total)s desks are free %(start)s–%(end)s; you asked for %(seats)s.")
        if later is not None:
            message = N_("Only %(free)s of %(total)s desks are free %(start)s–%(end)s; you asked for "
                         "%(seats)s. The next possible start that day is %(next)s.")
        return [Conflict("capacity", message, params)]
    message = N_("%(start)s–%(end)s overlaps another booking (setup and teardown included).")
    if later is not None:
        message = N_("%(start)s–%(end)s overlaps another booking (setup and teardown included). "
                     "The next possible start that day is %(next)s.")
    return [Conflict("overlap", message, params)]


def check_request(
    request: Request,
    policy: Policy,
    holds: Sequence[Hold],
    closures: Sequence[ClosedRange],
    now: datetime,
    usage: Usage | None = None,
    overrides: frozenset[str] = frozenset(),
    suggest: bool = True,
    detail: bool = True,
) -> list[Conflict]:
    """Every violation of a booking request, in a stable order.

    `overrides` names rules a staff member chose to override; only the codes in
    OVERRIDABLE can be dropped, the others always apply. Without `usage` the
    member has no other bookings. `suggest=False` skips looking for a next free
    start (the week grid asks for every slot and needs no hints); `detail=False`
    gives each conflict its code only, with no message (the week grid shows none).
    """
    if request.end_dt <= request.start_dt:
        return [Conflict("duration", N_("The end must be after the start."), {})]
    conflicts = [
        *check_calendar(request, policy, closures, detail),
        *check_time_window(request, policy, now, detail),
        *check_units(request, policy, holds, closures, suggest, detail),
        *check_quota(request, policy, usage or Usage(), now),
    ]
    dropped = overrides & OVERRIDABLE
    return [c for c in conflicts if c.code not in dropped]


def check_calendar(
    request: Request, policy: Policy, closures: Sequence[ClosedRange], detail: bool = True
) -> list[Conflict]:
    """The rules of the space's calendar: grid, duration, opening hours, closures (in that order).

    With `check_time_window`, `check_units` and `check_quota` this is all of
    `check_request`; the week grid runs the groups apart, the calendar and units once
    per grid and the time window once per request (it alone reads the clock).
    """
    return [
        *check_grid(request, policy, detail),
        *check_duration(request, policy, detail),
        *check_hours(request, policy, detail),
        *check_closed(request, policy, closures, detail),
    ]
