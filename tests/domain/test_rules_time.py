"""Rules about when a booking may be: grid, duration, hours, closures, past, notice, horizon."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.domain.rules import (
    check_closed,
    check_duration,
    check_grid,
    check_hours,
    check_time_window,
    holiday_closures,
)
from booking.domain.values import ClosedRange, Policy
from tests.domain.builders import EARLY, MONDAY, TOKYO, at, policy, request


def codes(conflicts):
    return [c.code for c in conflicts]


# --- grid -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [(at(10), at(11)), (at(10, 30), at(11)), (at(9), at(17, 30))],
)
def test_times_on_the_half_hour_grid_are_accepted(start, end):
    assert check_grid(request(start, end), policy()) == []


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (at(10, 15), at(11)),
        (at(10), at(10, 45)),
        (at(10) + timedelta(seconds=1), at(11)),
        (at(10) + timedelta(microseconds=1), at(11)),
    ],
)
def test_times_off_the_grid_are_refused_with_the_slot_length(start, end):
    conflicts = check_grid(request(start, end), policy())
    assert codes(conflicts) == ["grid"]
    assert conflicts[0].render() == "Start and end must be on the 30 min grid (e.g. 10:00, 10:30)."


def test_a_quarter_hour_grid_accepts_quarter_past():
    assert check_grid(request(at(10, 15), at(10, 45)), policy(slot_minutes=15)) == []


def test_the_grid_is_read_in_the_local_time_of_the_space():
    # India is UTC+5:30: 10:00 local is 04:30 UTC, on a local hour grid but not on a UTC one.
    kolkata = ZoneInfo("Asia/Kolkata")
    start = datetime(2030, 6, 3, 10, 0, tzinfo=kolkata).astimezone(ZoneInfo("UTC"))
    hourly = policy(timezone="Asia/Kolkata", slot_minutes=60)
    assert check_grid(request(start, start + timedelta(hours=1)), hourly) == []
    assert codes(check_grid(request(start, start + timedelta(hours=1)), policy(slot_minutes=60))) == ["grid"]


# --- duration -------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [(at(10), at(11)), (at(10), at(13))])
def test_lengths_from_minimum_to_maximum_are_accepted(start, end):
    assert check_duration(request(start, end), policy(min_minutes=60, max_minutes=180)) == []


@pytest.mark.parametrize(
    ("start", "end", "length"), [(at(10), at(10, 30), "30 min"), (at(10), at(13, 30), "3 h 30 min")]
)
def test_too_short_or_too_long_says_the_allowed_range_and_the_length(start, end, length):
    conflicts = check_duration(request(start, end), policy(min_minutes=60, max_minutes=180))
    assert codes(conflicts) == ["duration"]
    assert conflicts[0].render() == (
        f"A booking here lasts from 1 h to 3 h; this one lasts {length}."
    )


# --- opening hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [(at(9), at(12)), (at(10), at(11)), (at(13), at(18)), (at(17, 30), at(18))],
    ids=["whole morning", "inside morning", "whole afternoon", "ending at closing"],
)
def test_a_booking_inside_one_opening_period_is_accepted(start, end):
    assert check_hours(request(start, end), policy()) == []


@pytest.mark.parametrize(
    ("start", "end"),
    [(at(11), at(14)), (at(8, 30), at(9, 30)), (at(17, 30), at(18, 30)), (at(12), at(13))],
    ids=["across lunch", "before opening", "after closing", "during lunch"],
)
def test_a_booking_outside_the_periods_names_the_periods_of_that_day(start, end):
    conflicts = check_hours(request(start, end), policy())
    assert codes(conflicts) == ["hours"]
    assert conflicts[0].render() == (
        "On 2030-06-03 the space is open 09:00–12:00, 13:00–18:00; choose a time inside one period."
    )


def test_a_day_without_opening_hours_is_reported_as_not_open():
    saturday = request(at(10, day=5), at(11, day=5))
    conflicts = check_hours(saturday, policy())
    assert codes(conflicts) == ["hours"]
    assert conflicts[0].render() == "The space is not open on 2030-06-08."


def test_hours_are_read_on_the_local_day_not_the_utc_day():
    # 08:00 Tokyo on Tuesday is still Monday 23:00 UTC.
    start = at(8, day=1).astimezone(ZoneInfo("UTC"))
    assert start.date() == MONDAY
    open_tuesday_only = policy(opening={1: ((time(8), time(12)),)})
    assert check_hours(request(start, start + timedelta(hours=1)), open_tuesday_only) == []


# --- closures -------------------------------------------------------------------------------


def test_a_booking_overlapping_a_closure_names_the_closure_and_its_reason():
    closure = ClosedRange(at(10), at(14), "maintenance")
    conflicts = check_closed(request(at(13), at(14)), policy(), [closure])
    assert codes(conflicts) == ["closed"]
    assert conflicts[0].render() == (
        "The space is closed from 2030-06-03 10:00 to 2030-06-03 14:00 (maintenance)."
    )


def test_a_booking_touching_a_closure_is_accepted():
    closure = ClosedRange(at(10), at(14), "maintenance")
    assert check_closed(request(at(14), at(15)), policy(), [closure]) == []
    assert check_closed(request(at(9), at(10)), policy(), [closure]) == []


def test_every_closure_the_booking_meets_is_reported():
    closures = [ClosedRange(at(9), at(10), "inspection"), ClosedRange(at(11), at(12), "cleaning")]
    conflicts = check_closed(request(at(9), at(12)), policy(), closures)
    assert [c.params["reason"] for c in conflicts] == ["inspection", "cleaning"]


def test_a_holiday_closes_the_whole_local_day():
    closures = holiday_closures({date(2030, 6, 4): "Founders' day"}, policy())
    assert closures == [ClosedRange(at(0, day=1), at(0, day=2), "Founders' day")]
    conflicts = check_closed(request(at(23, 30), at(0, day=1) + timedelta(minutes=30)), policy(), closures)
    assert codes(conflicts) == ["closed"]
    assert check_closed(request(at(23), at(23, 30)), policy(), closures) == []


# --- past, notice, horizon ------------------------------------------------------------------


def test_a_start_that_has_passed_is_refused_as_past():
    conflicts = check_time_window(request(at(10), at(11)), policy(), now=at(10, 1))
    assert codes(conflicts) == ["past"]
    assert conflicts[0].render() == "2030-06-03 10:00 has already passed; choose a later time."


def test_a_start_exactly_now_is_not_past():
    assert check_time_window(request(at(10), at(11)), policy(), now=at(10)) == []


def test_too_little_notice_says_the_earliest_possible_start():
    conflicts = check_time_window(request(at(10), at(11)), policy(min_notice_minutes=120), now=at(9))
    assert codes(conflicts) == ["notice"]
    assert conflicts[0].render() == (
        "Bookings close 2 h before their start: start at 2030-06-03 11:00 or later."
    )


def test_exactly_the_minimum_notice_is_enough():
    assert check_time_window(request(at(11), at(12)), policy(min_notice_minutes=120), now=at(9)) == []


def test_beyond_the_horizon_says_the_last_bookable_day():
    thirty_days = policy(max_days_ahead=30)
    now = at(9)
    assert check_time_window(request(at(17, day=30), at(18, day=30)), thirty_days, now) == []
    conflicts = check_time_window(request(at(9, day=31), at(10, day=31)), thirty_days, now)
    assert codes(conflicts) == ["horizon"]
    assert conflicts[0].render() == (
        "Bookings open at most 30 days ahead: start on 2030-07-03 or earlier."
    )


def test_a_booking_well_ahead_and_in_the_future_passes_the_time_window():
    assert check_time_window(request(at(10), at(11)), policy(min_notice_minutes=60), EARLY) == []


def test_the_default_policy_is_in_tokyo():
    assert Policy().zone == TOKYO
