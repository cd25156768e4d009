"""Usage figures against a brute-force oracle that walks the period minute by minute."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.domain.rules import holiday_closures
from booking.domain.usage import (
    Booked,
    booked_unit_minutes,
    heatmap,
    local_hours,
    minutes_by_hour,
    occupancy,
    open_unit_minutes,
    peak_units,
)
from booking.domain.values import ClosedRange, Policy

MINUTE = timedelta(minutes=1)
ZONES = ("Europe/Berlin", "Asia/Tokyo")
# Four days around each Berlin clock change of 2026, and an ordinary stretch.
FIRST_DAYS = (date(2026, 3, 27), date(2026, 10, 23), date(2026, 6, 10))
DAYS = 4


@st.composite
def opening(draw: st.DrawFn) -> dict[int, tuple[tuple[time, time], ...]]:
    """Per weekday: nothing, one or two periods after 06:00, or one overnight period closing by 06:00."""
    result = {}
    for weekday in range(7):
        shape = draw(st.sampled_from(("closed", "day", "split", "overnight")))
        quarter = st.integers(24, 95)
        if shape == "overnight":
            result[weekday] = ((_q(draw(st.integers(72, 95))), _q(draw(st.integers(0, 24)))),)
        elif shape != "closed":
            count = 1 if shape == "day" else 2
            marks = sorted(draw(st.sets(quarter, min_size=2 * count, max_size=2 * count)))
            result[weekday] = tuple((_q(marks[i]), _q(marks[i + 1])) for i in range(0, 2 * count, 2))
    return result


def _q(index: int) -> time:
    return time(index // 4, 15 * (index % 4))


@st.composite
def scenario(draw: st.DrawFn) -> tuple[Policy, list[ClosedRange], list[Booked], datetime, datetime]:
    zone = draw(st.sampled_from(ZONES))
    units = draw(st.sampled_from((1, 1, 3, 8)))
    policy = Policy(timezone=zone, kind="pooled" if units > 1 else "exclusive", unit_count=units,
                    opening=draw(opening()))
    first = draw(st.sampled_from(FIRST_DAYS))
    tz = ZoneInfo(zone)
    base = datetime.combine(first, time(0), tz).astimezone(UTC)
    span_minutes = DAYS * 24 * 60

    def instant(lo: int = 0) -> datetime:
        return base + MINUTE * draw(st.integers(lo, span_minutes))

    closures = []
    for _ in range(draw(st.integers(0, 3))):
        start = instant()
        closures.append(ClosedRange(start, start + MINUTE * draw(st.integers(1, 600))))
    holiday = draw(st.sampled_from((None, *(first + timedelta(days=n) for n in range(DAYS)))))
    if holiday is not None:
        closures += holiday_closures({holiday: "holiday"}, policy)
    bookings = []
    for _ in range(draw(st.integers(0, 6))):
        start = instant()
        bookings.append(Booked(start, start + MINUTE * draw(st.integers(1, 300)), draw(st.integers(1, units))))
    start_dt = base + MINUTE * draw(st.integers(0, 24 * 60))
    end_dt = start_dt + MINUTE * draw(st.integers(1, span_minutes - 24 * 60))
    return policy, closures, bookings, start_dt, end_dt


def is_open(instant: datetime, policy: Policy, closures: list[ClosedRange]) -> bool:
    """The oracle's own reading of opening hours: a period of local day d covers the minute."""
    if any(c.start_dt <= instant < c.end_dt for c in closures):
        return False
    local_day = instant.astimezone(policy.zone).date()
    for day in (local_day - timedelta(days=1), local_day):
        for open_at, close_at in policy.opening.get(day.weekday(), ()):
            close_day = day + timedelta(days=1) if close_at <= open_at else day
            a = datetime.combine(day, open_at, policy.zone).astimezone(UTC)
            b = datetime.combine(close_day, close_at, policy.zone).astimezone(UTC)
            if a <= instant < b:
                return True
    return False


def oracle(policy: Policy, closures: list[ClosedRange], bookings: list[Booked], start_dt: datetime,
           end_dt: datetime) -> tuple[int, int, int, Counter[tuple[int, int]], Counter[tuple[int, int]]]:
    open_minutes = booked = peak = 0
    open_cells: Counter[tuple[int, int]] = Counter()
    booked_cells: Counter[tuple[int, int]] = Counter()
    at = start_dt
    while at < end_dt:
        local = at.astimezone(policy.zone)
        cell = (local.weekday(), local.hour)
        held = sum(b.units for b in bookings if b.start_dt <= at < b.end_dt)
        booked += held
        booked_cells[cell] += held
        peak = max(peak, held)
        if is_open(at, policy, closures):
            open_minutes += policy.unit_count
            open_cells[cell] += policy.unit_count
        at += MINUTE
    return open_minutes, booked, peak, open_cells, booked_cells


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_every_figure_matches_a_minute_by_minute_count(case: tuple) -> None:
    policy, closures, bookings, start_dt, end_dt = case
    open_minutes, booked, peak, open_cells, booked_cells = oracle(policy, closures, bookings, start_dt, end_dt)
    assert open_unit_minutes(policy, closures, start_dt, end_dt) == open_minutes
    assert booked_unit_minutes(bookings, start_dt, end_dt) == booked
    assert peak_units(bookings, start_dt, end_dt) == peak
    cells = heatmap(policy, closures, bookings, start_dt, end_dt)
    assert {k: v[1] for k, v in cells.items() if v[1]} == {k: v for k, v in open_cells.items() if v}
    assert {k: v[0] for k, v in cells.items() if v[0]} == {k: v for k, v in booked_cells.items() if v}
    assert occupancy(booked, open_minutes) == (booked / open_minutes if open_minutes else None)


def test_a_berlin_day_with_the_spring_change_is_open_one_hour_less_around_the_clock() -> None:
    policy = Policy(timezone="Europe/Berlin", opening={d: ((time(0), time(0)),) for d in range(7)})
    tz = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 29, tzinfo=tz)
    assert open_unit_minutes(policy, [], start, datetime(2026, 3, 30, tzinfo=tz)) == 23 * 60


def test_a_closed_holiday_removes_the_whole_local_day() -> None:
    policy = Policy(timezone="Asia/Tokyo", unit_count=4, kind="pooled",
                    opening={d: ((time(9), time(18)),) for d in range(7)})
    tz = ZoneInfo("Asia/Tokyo")
    start, end = datetime(2026, 5, 4, tzinfo=tz), datetime(2026, 5, 6, tzinfo=tz)
    closed = holiday_closures({date(2026, 5, 4): "みどりの日"}, policy)
    assert open_unit_minutes(policy, closed, start, end) == 4 * 9 * 60


def test_minutes_are_counted_per_local_hour_times_units_and_only_inside_the_pieces() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 6, 8, hour, minute, tzinfo=tokyo).astimezone(UTC)  # a Monday

    pieces = local_hours(Policy(timezone="Asia/Tokyo"), at(9), at(12))
    spans = [((at(9, 30), at(10, 15)), 2), ((at(11), at(13)), 1), ((at(8), at(9, 15)), 3), ((at(13), at(14)), 5)]
    assert minutes_by_hour(pieces, spans) == {(0, 9): 30 * 2 + 15 * 3, (0, 10): 15 * 2, (0, 11): 60}
    assert minutes_by_hour(pieces, []) == {}
    assert minutes_by_hour(pieces, [((at(10), at(10)), 4)]) == {}


def test_usage_keeps_booked_intervals_in_utc() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    booked = Booked(datetime(2026, 12, 1, 9, tzinfo=tokyo), datetime(2026, 12, 1, 10, tzinfo=tokyo))
    assert booked.start_dt == datetime(2026, 12, 1, 0, tzinfo=UTC)
    assert booked.end_dt == datetime(2026, 12, 1, 1, tzinfo=UTC)
    assert booked.start_dt.tzinfo is UTC and booked.end_dt.tzinfo is UTC
