"""The week grid: what each slot looks like to one viewer."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from booking.domain.grid import CLOSED, FREE, MINE, PAST, TAKEN, build_week, grid_times, week_start
from booking.domain.values import ClosedRange
from tests.domain.builders import EARLY, MONDAY, at, hold, policy


def state(grid, day_offset, hour, minute=0):
    return grid.cell(MONDAY + timedelta(days=day_offset), time(hour, minute)).state


def test_the_week_starts_on_the_monday_of_any_day_in_it():
    assert [week_start(date(2030, 6, d)) for d in range(3, 10)] == [MONDAY] * 7
    assert week_start(date(2030, 6, 10)) == date(2030, 6, 10)


def test_rows_run_from_the_earliest_opening_to_the_latest_closing():
    times = grid_times(policy())
    assert times[0] == time(9) and times[-1] == time(17, 30)
    assert len(times) == 18


def test_a_space_without_opening_hours_has_no_rows():
    grid = build_week(policy(opening={}), MONDAY, [], [], [], EARLY)
    assert grid.times == ()
    assert len(grid.days) == 7


def test_an_empty_week_is_free_during_opening_hours_and_closed_outside():
    grid = build_week(policy(), MONDAY, [], [], [], EARLY)
    assert grid.days[0] == MONDAY and len(grid.days) == 7
    assert state(grid, 0, 9) == FREE
    assert state(grid, 0, 17, 30) == FREE
    assert state(grid, 0, 12) == CLOSED
    assert state(grid, 0, 12, 30) == CLOSED
    assert state(grid, 5, 10) == CLOSED


def test_a_slot_where_the_shortest_booking_cannot_fit_before_closing_is_closed():
    grid = build_week(policy(min_minutes=60), MONDAY, [], [], [], EARLY)
    assert state(grid, 0, 11) == FREE
    assert state(grid, 0, 11, 30) == CLOSED
    assert state(grid, 0, 17, 30) == CLOSED


def test_somebody_elses_booking_shows_as_taken():
    grid = build_week(policy(), MONDAY, [hold(at(10), at(11))], [], [], EARLY)
    assert [state(grid, 0, 9, 30), state(grid, 0, 10), state(grid, 0, 10, 30), state(grid, 0, 11)] == [
        FREE, TAKEN, TAKEN, FREE,
    ]


def test_buffers_make_the_slots_around_a_booking_taken():
    studio = policy(setup_minutes=30, teardown_minutes=30)
    buffered = hold(at(9, 30), at(11, 30))  # a 10:00–11:00 booking with its buffers
    grid = build_week(studio, MONDAY, [buffered], [], [], EARLY)
    assert state(grid, 0, 9) == TAKEN  # its teardown would run into the setup
    assert state(grid, 0, 11, 30) == TAKEN
    assert state(grid, 1, 10) == FREE


def test_the_viewers_own_booking_shows_as_mine():
    own = [(at(10), at(11))]
    grid = build_week(policy(), MONDAY, [hold(at(10), at(11), user_id=1)], [], own, EARLY)
    assert state(grid, 0, 10) == MINE
    assert state(grid, 0, 10, 30) == MINE
    assert state(grid, 0, 11) == FREE


def test_a_closure_shows_as_closed():
    closures = [ClosedRange(at(13, day=2), at(18, day=2), "building inspection")]
    grid = build_week(policy(), MONDAY, [], closures, [], EARLY)
    assert state(grid, 2, 13) == CLOSED
    assert state(grid, 2, 11, 30) == FREE


def test_slots_before_now_or_within_the_notice_are_past():
    grid = build_week(policy(min_notice_minutes=60), MONDAY, [], [], [], now=at(10, 10))
    assert state(grid, 0, 9) == PAST
    assert state(grid, 0, 10, 30) == PAST
    assert state(grid, 0, 11) == PAST
    assert state(grid, 0, 11, 30) == FREE


def test_slots_beyond_the_horizon_are_past():
    grid = build_week(policy(max_days_ahead=2), MONDAY, [], [], [], now=at(8))
    assert state(grid, 2, 10) == FREE
    assert state(grid, 3, 10) == PAST


def test_a_pooled_slot_counts_its_free_desks():
    desks = policy(kind="pooled", unit_count=4)
    held = [hold(at(10), at(11), unit=u, booking_id=u) for u in (1, 2, 3)]
    grid = build_week(desks, MONDAY, held, [], [], EARLY)
    ten = grid.cell(MONDAY, time(10))
    assert (ten.state, ten.free_count) == (FREE, 1)
    assert grid.cell(MONDAY, time(11)).free_count == 4


def test_a_full_pooled_slot_is_taken():
    desks = policy(kind="pooled", unit_count=2)
    held = [hold(at(10), at(11), unit=u, booking_id=u) for u in (1, 2)]
    grid = build_week(desks, MONDAY, held, [], [], EARLY)
    assert grid.cell(MONDAY, time(10)).state == TAKEN
    assert grid.cell(MONDAY, time(10)).free_count == 0


def test_each_cell_spans_one_slot_in_local_time():
    cell = build_week(policy(), MONDAY, [], [], [], EARLY).cell(MONDAY, time(9, 30))
    assert (cell.start_dt, cell.end_dt) == (at(9, 30), at(10))


def test_a_pooled_slot_of_mine_still_says_how_many_more_desks_are_free():
    desks = policy(kind="pooled", unit_count=4)
    held = [hold(at(10), at(11), unit=1, user_id=1), hold(at(10), at(11), unit=2, booking_id=2)]
    grid = build_week(desks, MONDAY, held, [], [(at(10), at(11))], EARLY)
    ten = grid.cell(MONDAY, time(10))
    assert (ten.state, ten.free_count) == (MINE, 2)


def test_a_slot_of_mine_that_could_not_be_booked_again_shows_no_free_desks():
    desks = policy(kind="pooled", unit_count=4, min_notice_minutes=24 * 60)
    held = [hold(at(10), at(11), unit=1, user_id=1)]
    grid = build_week(desks, MONDAY, held, [], [(at(10), at(11))], now=at(9))
    assert (grid.cell(MONDAY, time(10)).state, grid.cell(MONDAY, time(10)).free_count) == (MINE, 0)


@pytest.mark.parametrize(("first", "today", "expected"), [
    # a week well ahead: back seven days, forward seven days, never realigned to a Monday
    (date(2026, 12, 17), date(2026, 12, 1), (date(2026, 12, 10), date(2026, 12, 24))),
    # the seven days before would start in the past: back to today instead
    (date(2026, 12, 4), date(2026, 12, 1), (date(2026, 12, 1), date(2026, 12, 11))),
    # exactly seven days ahead: back to today, which is also seven days before
    (date(2026, 12, 8), date(2026, 12, 1), (date(2026, 12, 1), date(2026, 12, 15))),
    # the days shown start tomorrow: one step back is today
    (date(2026, 12, 2), date(2026, 12, 1), (date(2026, 12, 1), date(2026, 12, 9))),
    # the days shown start today, or before it: no earlier window
    (date(2026, 12, 1), date(2026, 12, 1), (None, date(2026, 12, 8))),
    (date(2026, 11, 28), date(2026, 12, 1), (None, date(2026, 12, 5))),
])
def test_the_neighbour_weeks_step_seven_days_and_never_back_into_days_all_past(first, today, expected):
    from booking.domain.grid import neighbour_weeks

    assert neighbour_weeks(first, today) == expected
