"""Hints both ways: the nearest free starts before and after on the day, else the first free day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from booking.domain.hints import (
    FreeStarts,
    count_free_starts,
    day_start_facts,
    day_starts,
    first_free_start,
    free_start_count,
    free_starts_by_day,
    free_starts_near,
    hint_conflict,
    next_free_start,
    time_window_test,
)
from booking.domain.rules import check_time_window
from booking.domain.values import ClosedRange, Policy
from tests.domain.builders import EARLY, MONDAY, at, hold, policy, request

ROOM = policy()  # weekdays 09:00–12:00 and 13:00–18:00
DESKS = policy(kind="pooled", unit_count=2)


def test_an_earlier_free_start_is_named_when_only_the_earlier_side_is_free():
    """The old hint looked only later the same day; here only the morning is free."""
    holds = [hold(at(13), at(18))]
    found = free_starts_near(request(at(14), at(15)), ROOM, holds, [], EARLY)
    assert found == FreeStarts(before=at(11), after=None)
    assert hint_conflict(found, ROOM).render() == "The nearest free start that day is 11:00 (earlier)."


def test_both_sides_are_named_and_breaks_and_closures_are_respected():
    holds = [hold(at(10), at(11, 30))]
    closures = [ClosedRange(at(13), at(14), "Cleaning")]
    found = free_starts_near(request(at(10, 30), at(11, 30)), ROOM, holds, closures, EARLY)
    # 09:00–10:00 fits before; 11:30–12:30 would cross the lunch break; 13:00 is closed.
    assert (found.before, found.after) == (at(9), at(14))
    assert hint_conflict(found, ROOM).params == {"before": "09:00", "after": "14:00"}


def test_a_full_day_names_the_first_free_day_skipping_the_weekend():
    friday = 4
    holds = [hold(at(9, day=friday), at(12, day=friday)), hold(at(13, day=friday), at(18, day=friday))]
    found = free_starts_near(request(at(10, day=friday), at(11, day=friday)), ROOM, holds, [], EARLY)
    assert (found.before, found.after) == (None, None)
    assert found.first_free_day == MONDAY + timedelta(days=7)
    assert found.first_free_start == at(9, day=7)
    assert "first day with a free time is " + (MONDAY + timedelta(days=7)).isoformat() in hint_conflict(
        found, ROOM).render()


def test_desks_count_the_seats_asked_for():
    holds = [hold(at(9), at(12), unit=1), hold(at(10), at(11), unit=2)]
    one = free_starts_near(request(at(10), at(11), seats=1), DESKS, holds, [], EARLY)
    two = free_starts_near(request(at(10), at(11), seats=2), DESKS, holds, [], EARLY)
    assert (one.before, one.after) == (at(9), at(11))  # desk 2 is free then
    assert (two.before, two.after) == (None, at(13))


def test_the_past_and_the_minimum_notice_are_not_hinted():
    now = at(11)
    holds = [hold(at(11), at(12))]
    found = free_starts_near(request(at(11), at(12)), policy(min_notice_minutes=0), holds, [], now)
    assert found.before is None  # 09:00 and 10:00 are past
    assert found.after == at(13)


def test_nothing_free_within_the_search_gives_no_hint():
    closed = [ClosedRange(at(0), at(0, day=30), "Renovation")]
    found = free_starts_near(request(at(10), at(11)), ROOM, [], closed, EARLY, search_days=14)
    assert found == FreeStarts() and not found.found
    assert hint_conflict(found, ROOM) is None


# Where a space's page opens (issue 16): the same search as the refusal hints, asked from today.

def test_a_space_opens_today_at_the_next_free_start_when_today_has_one():
    now = at(10, 10)  # Monday 10:10: 09:00–10:00 is past, 10:00 has started
    holds = [hold(at(10, 30), at(12))]
    assert next_free_start(ROOM, holds, [], now) == at(13)
    assert free_start_count(MONDAY, ROOM, holds, [], now) == 10  # 13:00 … 17:30 on the 30-minute grid


def test_a_full_day_opens_on_the_first_day_with_a_free_start():
    friday = 4
    now = at(8, day=friday)
    holds = [hold(at(9, day=friday), at(12, day=friday)), hold(at(13, day=friday), at(18, day=friday))]
    assert next_free_start(ROOM, holds, [], now) == at(9, day=7)  # the weekend is closed
    assert free_start_count(MONDAY + timedelta(days=friday), ROOM, holds, [], now) == 0


@given(st.integers(0, 23 * 60), st.integers(0, 600), st.integers(0, 2))
def test_the_counts_by_day_are_count_free_starts_and_first_free_start(minutes, notice, days_ahead):
    rules = policy(min_notice_minutes=notice, max_days_ahead=days_ahead)
    holds = [hold(at(10, 30), at(12)), hold(at(14, day=1), at(16, day=1))]
    days = [day_start_facts(MONDAY + timedelta(days=n), rules, holds, []) for n in range(2)]
    now = at(0) + timedelta(minutes=minutes)
    counts, first = free_starts_by_day(days, rules, now)
    assert counts == [count_free_starts(facts, rules, now) for facts in days]
    assert first == first_free_start(days[0] + days[1], rules, now)


def test_nothing_free_within_the_search_gives_none():
    closures = [ClosedRange(at(0), at(0, day=30), "Renovation")]
    assert next_free_start(ROOM, [], closures, at(8)) is None


@given(st.sampled_from(["Asia/Tokyo", "America/Santiago", "Europe/Berlin", "Pacific/Chatham"]),
       st.integers(0, 600), st.integers(0, 3), st.integers(-3 * 24 * 60, 6 * 24 * 60),
       st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)))
def test_the_time_window_test_says_what_check_time_window_says(zone, notice, days_ahead, minutes, now):
    rules = policy(timezone=zone, min_notice_minutes=notice, max_days_ahead=days_ahead)
    start = now + timedelta(minutes=minutes)
    probe = request(start, start + timedelta(hours=1))
    assert time_window_test(rules, now)(start) == (not check_time_window(probe, rules, now, detail=False))


def test_a_policy_with_no_opening_hours_is_never_open_and_no_day_has_a_start():
    from booking.domain.hints import day_starts, is_never_open

    closed = Policy(opening={weekday: () for weekday in range(7)})
    assert is_never_open(Policy()) and is_never_open(closed)
    assert all(day_starts(date(2030, 6, 3) + timedelta(days=n), timedelta(minutes=30), closed) == []
               for n in range(7))
    assert not is_never_open(Policy(opening={4: ((time(9), time(12)),)}))


def test_the_first_free_start_over_days_skips_taken_and_too_soon_starts():
    holds = [hold(at(9), at(12)), hold(at(13), at(18)), hold(at(9, day=1), at(10, day=1), booking_id=101)]
    facts = day_start_facts(MONDAY, ROOM, holds, []) + day_start_facts(MONDAY + timedelta(days=1), ROOM, holds, [])
    assert first_free_start(facts, ROOM, EARLY) == at(10, day=1)
    # at 10:10 on Tuesday with an hour of notice, 11:30 is the first start far enough ahead
    assert first_free_start(facts, policy(min_notice_minutes=60), at(10, 10, day=1)) == at(11, 30, day=1)
    assert first_free_start(facts, ROOM, at(18, day=1)) is None
    assert first_free_start((), ROOM, EARLY) is None


def test_each_hint_names_its_free_starts_in_local_time():
    from booking.domain.values import Conflict

    assert hint_conflict(FreeStarts(before=at(9), after=at(14)), ROOM) == Conflict(
        "hint", "Free starts that day: %(before)s (earlier) or %(after)s (later).",
        {"before": "09:00", "after": "14:00"})
    assert hint_conflict(FreeStarts(before=at(9, 30)), ROOM) == Conflict(
        "hint", "The nearest free start that day is %(before)s (earlier).", {"before": "09:30"})
    assert hint_conflict(FreeStarts(after=at(16)), ROOM) == Conflict(
        "hint", "The nearest free start that day is %(after)s (later).", {"after": "16:00"})
    later = MONDAY + timedelta(days=2)
    assert hint_conflict(FreeStarts(first_free_day=later, first_free_start=at(13, day=2)), ROOM) == Conflict(
        "hint", "That day is full; the first day with a free time is %(day)s (from %(start)s).",
        {"day": later, "start": "13:00"})
    assert hint_conflict(FreeStarts(first_free_day=later), ROOM) is None
    assert hint_conflict(FreeStarts(), ROOM) is None


def test_day_starts_are_the_grid_starts_whose_booking_ends_inside_its_opening_period():
    hour = timedelta(hours=1)
    assert day_starts(MONDAY, hour, ROOM) == [at(9), at(9, 30), at(10), at(10, 30), at(11),
                                              at(13), at(13, 30), at(14), at(14, 30), at(15), at(15, 30),
                                              at(16), at(16, 30), at(17)]
    assert day_starts(MONDAY + timedelta(days=5), hour, ROOM) == []  # Saturday: closed


EARLY_MORNINGS = policy(opening={day: ((time(7), time(10)),) for day in range(7)})  # 07:00 Tokyo is 22:00 UTC


def test_hints_look_on_the_spaces_local_day_not_the_utc_one():
    holds = [hold(at(7), at(8))]
    found = free_starts_near(request(at(7), at(8)), EARLY_MORNINGS, holds, [], EARLY)
    assert found == FreeStarts(before=None, after=at(8))
    assert next_free_start(EARLY_MORNINGS, holds, [], at(6)) == at(8)


def test_the_first_free_day_is_searched_from_tomorrow_for_search_days_days():
    full = [hold(at(7, day=n), at(10, day=n), booking_id=100 + n) for n in range(4)]
    wish = request(at(7), at(8))
    assert free_starts_near(wish, EARLY_MORNINGS, full[:1], [], EARLY) == FreeStarts(
        first_free_day=MONDAY + timedelta(days=1), first_free_start=at(7, day=1))
    assert free_starts_near(wish, EARLY_MORNINGS, full, [], EARLY, search_days=4) == FreeStarts(
        first_free_day=MONDAY + timedelta(days=4), first_free_start=at(7, day=4))
    assert free_starts_near(wish, EARLY_MORNINGS, full, [], EARLY, search_days=3) == FreeStarts()
    assert next_free_start(EARLY_MORNINGS, full, [], at(6), search_days=3) is None
    assert next_free_start(EARLY_MORNINGS, full, [], at(6), search_days=4) == at(7, day=4)
