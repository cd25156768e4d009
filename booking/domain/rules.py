"""The conflict rules of SPEC §5, one small pure function each.

Every rule takes plain values (the request, the policy, the active holds, the
closures, the member's usage and `now`) and returns the conflicts it finds.
`check_request` runs them all and reports every violation together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from booking.domain.intervals import overlap_length_seconds, overlaps
from booking.domain.values import (
    N_,
    OVERRIDABLE,
    ClosedRange,
    Conflict,
    Hold,
    Policy,
    Request,
    Usage,
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


def fmt_local(instant: datetime, policy: Policy) -> str:
    return instant.astimezone(policy.zone).strftime("%Y-%m-%d %H:%M")


def fmt_time(instant: datetime, policy: Policy) -> str:
    return instant.astimezone(policy.zone).strftime("%H:%M")


def occupied(request: Request, policy: Policy) -> tuple[datetime, datetime]:
    """The interval a booking keeps the units: itself plus setup and teardown."""
    return request.start_dt - policy.setup, request.end_dt + policy.teardown


def check_grid(request: Request, policy: Policy) -> list[Conflict]:
    """Start and end lie on the space's slot grid (in local time)."""
    slot = policy.slot_minutes
    for instant in (request.start_dt, request.end_dt):
        local = instant.astimezone(policy.zone)
        if local.second or local.microsecond or (local.hour * 60 + local.minute) % slot:
            return [
                Conflict(
                    "grid",
                    N_("Start and end must be on the %(slot)s-minute grid (e.g. 10:00, 10:%(step)s)."),
                    {"slot": slot, "step": f"{slot % 60:02d}" if slot < 60 else "00"},
                )
            ]
    return []


def check_duration(request: Request, policy: Policy) -> list[Conflict]:
    """min ≤ length ≤ max."""
    minutes = int((request.end_dt - request.start_dt).total_seconds() // 60)
    if policy.min_minutes <= minutes <= policy.max_minutes:
        return []
    return [
        Conflict(
            "duration",
            N_("A booking here lasts %(min)s to %(max)s minutes; this one lasts %(length)s."),
            {"min": policy.min_minutes, "max": policy.max_minutes, "length": minutes},
        )
    ]


def opening_periods(day: date, policy: Policy) -> list[tuple[datetime, datetime]]:
    """The opening periods of one local day, as aware instants."""
    periods = policy.opening.get(day.weekday(), ())
    return [
        (
            datetime.combine(day, open_time, policy.zone),
            datetime.combine(day, close_time, policy.zone),
        )
        for open_time, close_time in sorted(periods)
    ]


def describe_periods(periods: Sequence[tuple[datetime, datetime]], policy: Policy) -> str:
    return ", ".join(f"{fmt_time(a, policy)}–{fmt_time(b, policy)}" for a, b in periods)


def check_hours(request: Request, policy: Policy) -> list[Conflict]:
    """The booking lies inside one opening period of its local day."""
    day = request.start_dt.astimezone(policy.zone).date()
    periods = opening_periods(day, policy)
    if any(a <= request.start_dt and request.end_dt <= b for a, b in periods):
        return []
    if not periods:
        return [Conflict("hours", N_("The space is not open on %(day)s."), {"day": day.isoformat()})]
    return [
        Conflict(
            "hours",
            N_("On %(day)s the space is open %(periods)s; choose a time inside one period."),
            {"day": day.isoformat(), "periods": describe_periods(periods, policy)},
        )
    ]


def holiday_closures(holidays: dict[date, str], policy: Policy) -> list[ClosedRange]:
    """Whole local days closed for national holidays."""
    closures = []
    for day, name in sorted(holidays.items()):
        start = datetime.combine(day, datetime.min.time(), policy.zone)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), policy.zone)
        closures.append(ClosedRange(start, end, name))
    return closures


def check_closed(
    request: Request, policy: Policy, closures: Iterable[ClosedRange]
) -> list[Conflict]:
    """No overlap with a closure (closed holidays come in as closures too)."""
    return [
        Conflict(
            "closed",
            N_("The space is closed from %(start)s to %(end)s (%(reason)s)."),
            {
                "start": fmt_local(c.start_dt, policy),
                "end": fmt_local(c.end_dt, policy),
                "reason": c.reason,
            },
        )
        for c in closures
        if overlaps(request.start_dt, request.end_dt, c.start_dt, c.end_dt)
    ]


def check_time_window(request: Request, policy: Policy, now: datetime) -> list[Conflict]:
    """Not in the past, at least the minimum notice ahead, at most N days ahead."""
    if request.start_dt < now:
        return [
            Conflict(
                "past",
                N_("%(start)s has already passed; choose a later time."),
                {"start": fmt_local(request.start_dt, policy)},
            )
        ]
    earliest = now + timedelta(minutes=policy.min_notice_minutes)
    if request.start_dt < earliest:
        return [
            Conflict(
                "notice",
                N_("Bookings need %(minutes)s minutes of notice: start at %(earliest)s or later."),
                {"minutes": policy.min_notice_minutes, "earliest": fmt_local(earliest, policy)},
            )
        ]
    last_day = now.astimezone(policy.zone).date() + timedelta(days=policy.max_days_ahead)
    if request.start_dt.astimezone(policy.zone).date() > last_day:
        return [
            Conflict(
                "horizon",
                N_("Bookings open at most %(days)s days ahead: start on %(last_day)s or earlier."),
                {"days": policy.max_days_ahead, "last_day": last_day.isoformat()},
            )
        ]
    return []


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

    `wanted` are the member's own choices; they are used when all are free.
    """
    free = free_units(holds, policy, *occupied(request, policy))
    if wanted:
        chosen = list(wanted)
        return chosen if len(chosen) == request.seats and set(chosen) <= set(free) else None
    return free[: request.seats] if len(free) >= request.seats else None


def next_free_start(request: Request, policy: Policy, holds: Sequence[Hold]) -> datetime | None:
    """The earliest later start on the same local day where the same booking fits."""
    length = request.end_dt - request.start_dt
    day = request.start_dt.astimezone(policy.zone).date()
    step = timedelta(minutes=policy.slot_minutes)
    for _open_dt, close_dt in opening_periods(day, policy):
        candidate = max(request.start_dt + step, _open_dt)
        while candidate + length <= close_dt:
            moved = Request(candidate, candidate + length, request.seats, request.user_id)
            if len(free_units(holds, policy, *occupied(moved, policy))) >= request.seats:
                return candidate
            candidate += step
    return None


def check_units(request: Request, policy: Policy, holds: Sequence[Hold]) -> list[Conflict]:
    """`overlap` for an exclusive space, `capacity` for a pooled one."""
    start_dt, end_dt = occupied(request, policy)
    free = free_units(holds, policy, start_dt, end_dt)
    if len(free) >= request.seats:
        return []
    params: dict[str, str | int] = {
        "start": fmt_local(request.start_dt, policy),
        "end": fmt_time(request.end_dt, policy),
    }
    later = next_free_start(request, policy, holds)
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


def hours_in_any_week(intervals: Sequence[tuple[datetime, datetime]], new: tuple[datetime, datetime]) -> float:
    """The most hours booked in any rolling 7 days that includes part of `new`."""
    week = timedelta(days=7)
    everything = [*intervals, new]
    starts = {s for s, _e in everything} | {e - week for _s, e in everything}
    best = 0.0
    for window_start in starts:
        window_end = window_start + week
        if not overlaps(window_start, window_end, *new):
            continue
        total = sum(overlap_length_seconds(window_start, window_end, s, e) for s, e in everything)
        best = max(best, total)
    return best / 3600


def check_quota(request: Request, policy: Policy, usage: Usage, now: datetime) -> list[Conflict]:
    """At most N active future bookings and H hours in any rolling 7 days."""
    conflicts = []
    limit = policy.quota_active_bookings
    if limit is not None and usage.future_count(now) >= limit:
        conflicts.append(
            Conflict(
                "quota",
                N_("You already have %(count)s upcoming bookings here; the limit is %(limit)s."),
                {"count": usage.future_count(now), "limit": limit},
            )
        )
    hours_limit = policy.quota_hours_per_week
    if hours_limit is not None:
        total = hours_in_any_week(usage.intervals, (request.start_dt, request.end_dt))
        if total > hours_limit:
            used = total - (request.end_dt - request.start_dt).total_seconds() / 3600
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


def check_request(
    request: Request,
    policy: Policy,
    holds: Sequence[Hold],
    closures: Sequence[ClosedRange],
    now: datetime,
    usage: Usage | None = None,
    overrides: frozenset[str] = frozenset(),
) -> list[Conflict]:
    """Every violation of a booking request, in a stable order.

    `overrides` names rules a staff member chose to override; only the codes in
    OVERRIDABLE can be dropped, the others always apply.
    """
    if request.end_dt <= request.start_dt:
        return [Conflict("duration", N_("The end must be after the start."), {})]
    conflicts = [
        *check_grid(request, policy),
        *check_duration(request, policy),
        *check_hours(request, policy),
        *check_closed(request, policy, closures),
        *check_time_window(request, policy, now),
        *check_units(request, policy, holds),
        *check_quota(request, policy, usage or Usage(), now),
    ]
    dropped = overrides & OVERRIDABLE
    return [c for c in conflicts if c.code not in dropped]
