"""Local wall times: Berlin around its daylight saving switches, and Tokyo (UTC+9, no DST)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.domain.grid import FREE, TAKEN, build_week
from booking.domain.rules import (
    check_duration,
    check_grid,
    check_hours,
    check_request,
    check_time_window,
    holiday_closures,
    opening_periods,
)
from booking.domain.values import Hold, Policy, Request, plain_value

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
SPRING_SUNDAY = date(2026, 3, 29)  # 02:00 CET jumps to 03:00 CEST
AUTUMN_SUNDAY = date(2026, 10, 25)  # 03:00 CEST falls back to 02:00 CET
EARLIER = datetime(2026, 1, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, fold=fold), BERLIN)


def berlin_policy(**overrides) -> Policy:
    values = {"timezone": "Europe/Berlin", "max_days_ahead": 400, "max_minutes": 600,
              "opening": {d: ((time(0), time(23, 30)),) for d in range(7)}}
    values.update(overrides)
    return Policy(**values)


def codes(conflicts):
    return [c.code for c in conflicts]


# --- opening hours and the slot grid at local wall times -----------------------------------


@pytest.mark.parametrize(
    ("day", "opens_utc"),
    [
        (date(2026, 3, 28), utc(2026, 3, 28, 8)),  # CET, UTC+1
        (SPRING_SUNDAY, utc(2026, 3, 29, 7)),  # CEST, UTC+2
        (AUTUMN_SUNDAY, utc(2026, 10, 25, 8)),  # CET again
    ],
)
def test_opening_hours_are_local_wall_times_whatever_the_offset(day, opens_utc):
    nine_to_six = berlin_policy(opening={day.weekday(): ((time(9), time(18)),)})
    assert opening_periods(day, nine_to_six) == [(opens_utc, opens_utc + timedelta(hours=9))]
    assert check_hours(Request(berlin(day, 9), berlin(day, 10)), nine_to_six) == []
    assert codes(check_hours(Request(berlin(day, 8, 30), berlin(day, 9, 30)), nine_to_six)) == ["hours"]


def test_the_slot_grid_follows_the_wall_clock_after_the_spring_switch():
    hourly = berlin_policy(slot_minutes=60)
    # 01:00 CET and 03:00 CEST are one real hour apart and both on the hourly grid.
    assert check_grid(Request(berlin(SPRING_SUNDAY, 1), berlin(SPRING_SUNDAY, 3)), hourly) == []
    assert codes(check_grid(Request(utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2)), hourly)) == ["grid"]


def test_both_occurrences_of_the_repeated_autumn_hour_are_on_the_grid():
    hourly = berlin_policy(slot_minutes=60)
    first, second = berlin(AUTUMN_SUNDAY, 2), berlin(AUTUMN_SUNDAY, 2, fold=1)
    assert second - first == timedelta(0) and second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    assert check_grid(Request(first, second.astimezone(UTC)), hourly) == []
    assert check_grid(Request(second, berlin(AUTUMN_SUNDAY, 3)), hourly) == []


# --- real lengths across the switch --------------------------------------------------------


def test_a_night_booking_across_the_spring_switch_lasts_an_hour_less_than_the_wall_clock_says():
    # 01:00–04:00 on the wall clock, given in the space's own zone as the booking form does.
    night = Request(berlin(SPRING_SUNDAY, 1), berlin(SPRING_SUNDAY, 4))
    assert night.length == timedelta(hours=2)
    conflicts = check_duration(night, berlin_policy(min_minutes=180))
    assert codes(conflicts) == ["duration"]
    assert conflicts[0].params["length"] == 120
    assert check_request(night, berlin_policy(max_minutes=120), [], [], EARLIER) == []


def test_a_night_booking_across_the_autumn_switch_lasts_an_hour_more_than_the_wall_clock_says():
    night = Request(berlin(AUTUMN_SUNDAY, 1), berlin(AUTUMN_SUNDAY, 4))
    assert night.length == timedelta(hours=4)
    assert codes(check_duration(night, berlin_policy(max_minutes=180))) == ["duration"]
    assert check_request(night, berlin_policy(max_minutes=240), [], [], EARLIER) == []


def test_a_holiday_on_the_spring_switch_closes_a_day_of_twenty_three_hours():
    (closure,) = holiday_closures({SPRING_SUNDAY: "test"}, berlin_policy())
    assert (closure.start_dt, closure.end_dt) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))


# --- the week grid around the switches -----------------------------------------------------


def cells_of(grid, day):
    return sorted((c for (d, _at, _fold), c in grid.cells.items() if d == day), key=lambda c: c.start_dt)


def test_the_spring_week_has_no_cells_for_the_skipped_hour():
    grid = build_week(berlin_policy(), date(2026, 3, 23), [], [], [], EARLIER)
    assert grid.cell(SPRING_SUNDAY, time(2)) is None
    assert grid.cell(SPRING_SUNDAY, time(2, 30)) is None
    assert grid.cell(SPRING_SUNDAY, time(1, 30)).end_dt == grid.cell(SPRING_SUNDAY, time(3)).start_dt
    assert grid.cell(date(2026, 3, 28), time(2)).state == FREE
    assert len(cells_of(grid, SPRING_SUNDAY)) == len(cells_of(grid, date(2026, 3, 28))) - 2


def test_the_autumn_week_shows_the_repeated_hour_twice_in_time_order():
    grid = build_week(berlin_policy(), date(2026, 10, 19), [], [], [], EARLIER)
    rows = list(grid.times)
    two = rows.index(time(2))
    assert [(t, t.fold) for t in rows[two:two + 5]] == [
        (time(2), 0), (time(2, 30), 0), (time(2), 1), (time(2, 30), 1), (time(3), 0),
    ]
    sunday = cells_of(grid, AUTUMN_SUNDAY)
    assert len(sunday) == len(cells_of(grid, date(2026, 10, 24))) + 2
    # Back to back, no gap and no overlap, through the whole local day.
    assert all(a.end_dt == b.start_dt for a, b in zip(sunday, sunday[1:], strict=False))
    assert grid.cell(date(2026, 10, 24), time(2, fold=1)) is None


def test_a_booking_in_the_second_repeated_hour_takes_only_the_second_cells():
    second_two = berlin(AUTUMN_SUNDAY, 2, fold=1)
    held = [Hold(1, 2, 1, second_two, berlin(AUTUMN_SUNDAY, 3))]
    grid = build_week(berlin_policy(), date(2026, 10, 19), held, [], [], EARLIER)
    assert grid.cell(AUTUMN_SUNDAY, time(2)).state == FREE
    assert grid.cell(AUTUMN_SUNDAY, time(2, 30)).state == FREE  # ends as the hold begins
    assert grid.cell(AUTUMN_SUNDAY, time(2, fold=1)).state == TAKEN
    assert grid.cell(AUTUMN_SUNDAY, time(2, 30, fold=1)).state == TAKEN
    assert grid.cell(AUTUMN_SUNDAY, time(3)).state == FREE


def test_a_booking_in_the_first_repeated_hour_leaves_the_second_free():
    held = [Hold(1, 2, 1, berlin(AUTUMN_SUNDAY, 2), berlin(AUTUMN_SUNDAY, 2, fold=1).astimezone(UTC))]
    grid = build_week(berlin_policy(), date(2026, 10, 19), held, [], [], EARLIER)
    assert grid.cell(AUTUMN_SUNDAY, time(2)).state == TAKEN
    assert grid.cell(AUTUMN_SUNDAY, time(2, 30)).state == TAKEN
    assert grid.cell(AUTUMN_SUNDAY, time(2, fold=1)).state == FREE


def test_an_ordinary_berlin_week_has_one_row_per_wall_time():
    grid = build_week(berlin_policy(), date(2026, 6, 1), [], [], [], EARLIER)
    assert len(grid.times) == len(set(grid.times)) == 47
    assert all(len(cells_of(grid, day)) == 47 for day in grid.days)


# --- Tokyo: UTC+9 all year -----------------------------------------------------------------


def tokyo_policy(**overrides) -> Policy:
    values = {"opening": {d: ((time(9), time(18)),) for d in range(7)}, "max_days_ahead": 30}
    values.update(overrides)
    return Policy(**values)


def test_nine_in_the_morning_in_tokyo_is_midnight_utc():
    assert opening_periods(date(2030, 6, 3), tokyo_policy())[0][0] == utc(2030, 6, 3, 0)
    grid = build_week(tokyo_policy(), date(2030, 6, 3), [], [], [], utc(2030, 5, 1))
    assert grid.cell(date(2030, 6, 3), time(9)).start_dt == utc(2030, 6, 3, 0)
    assert check_hours(Request(utc(2030, 6, 3, 0), utc(2030, 6, 3, 1)), tokyo_policy()) == []
    assert codes(check_hours(Request(utc(2030, 6, 2, 23, 30), utc(2030, 6, 3, 0, 30)), tokyo_policy())) == ["hours"]


def test_a_tokyo_day_begins_at_fifteen_hundred_utc():
    (closure,) = holiday_closures({date(2030, 6, 4): "holiday"}, tokyo_policy())
    assert (closure.start_dt, closure.end_dt) == (utc(2030, 6, 3, 15), utc(2030, 6, 4, 15))
    late_night = tokyo_policy(opening={0: ((time(20), time(23, 30)),)})
    # 14:30 UTC is 23:30 on Monday in Tokyo; 15:00 UTC is already Tuesday there.
    assert codes(check_hours(Request(utc(2030, 6, 3, 14), utc(2030, 6, 3, 14, 30)), late_night)) == []
    conflicts = check_hours(Request(utc(2030, 6, 3, 15), utc(2030, 6, 3, 15, 30)), late_night)
    assert plain_value(conflicts[0].params["day"]) == "2030-06-04"


def test_the_horizon_counts_tokyo_days_not_utc_days():
    booking = Request(utc(2030, 7, 3, 0), utc(2030, 7, 3, 1))  # 09:00 on 3 July in Tokyo
    still_2_june = utc(2030, 6, 2, 14, 59)  # 23:59 in Tokyo: 31 days ahead
    already_3_june = utc(2030, 6, 2, 15, 0)  # midnight in Tokyo: 30 days ahead
    assert codes(check_time_window(booking, tokyo_policy(), still_2_june)) == ["horizon"]
    assert check_time_window(booking, tokyo_policy(), already_3_june) == []


def test_each_run_of_the_repeated_hour_starts_at_its_own_instant_and_other_rows_have_none():
    grid = build_week(berlin_policy(), date(2026, 10, 19), [], [], [], EARLIER)
    # (an instant in a repeated hour never equals one of another zone in Python: compared in UTC)
    assert grid.repeated_start(time(2)) == utc(2026, 10, 25, 0)  # 02:00 CEST
    assert grid.repeated_start(time(2, 30, fold=1)) == utc(2026, 10, 25, 1, 30)  # 02:30 CET
    assert grid.repeated_start(time(1, 30)) is None and grid.repeated_start(time(3)) is None
    ordinary = build_week(berlin_policy(), date(2026, 10, 12), [], [], [], EARLIER)
    assert ordinary.repeated_start(time(2)) is None


def test_the_week_rows_repeat_the_hour_a_clock_change_repeats_and_no_other():
    rows = build_week(berlin_policy(), date(2026, 10, 19), [], [], [], EARLIER).times
    assert [(t, t.fold) for t in rows if t.fold] == [(time(2), 1), (time(2, 30), 1)]
    ordinary = build_week(berlin_policy(), date(2026, 10, 12), [], [], [], EARLIER).times
    assert len(ordinary) == len(rows) - 2 and not any(t.fold for t in ordinary)
    spring_monday = SPRING_SUNDAY - timedelta(days=6)
    assert build_week(berlin_policy(), spring_monday, [], [], [], EARLIER).times == ordinary
