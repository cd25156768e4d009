"""Edges of the rules that mutation testing found unpinned (issue 8): each test names the behaviour."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.domain.grid import CLOSED, FREE, MINE, build_week, local_slot_start
from booking.domain.quota import busiest_week, check_quota, hours_in_any_week
from booking.domain.rules import (
    check_closed,
    check_grid,
    check_request,
    check_time_window,
    check_units,
    grid_ceil,
    holiday_closures,
    next_free_start,
    pick_units,
)
from booking.domain.values import ClosedRange, Conflict, Hold, Policy, Request, Usage, as_utc, plain_value
from tests.domain.builders import EARLY, MONDAY, at, hold, policy, request

BERLIN = ZoneInfo("Europe/Berlin")
SPRING_SUNDAY = date(2026, 3, 29)  # 02:00 CET jumps to 03:00 CEST


def codes(conflicts):
    return [c.code for c in conflicts]


# --- notice and horizon ---------------------------------------------------------------------


def test_a_booking_starting_exactly_now_needs_the_minimum_notice():
    conflicts = check_time_window(request(at(10), at(11)), policy(min_notice_minutes=60), now=at(10))
    assert codes(conflicts) == ["notice"]
    assert conflicts[0].render() == "Bookings close 1 h before their start: start at 2030-06-03 11:00 or later."


def test_the_notice_message_rounds_the_earliest_start_up_to_the_grid():
    conflicts = check_time_window(request(at(10), at(11)), policy(min_notice_minutes=45), now=at(9, 50))
    assert plain_value(conflicts[0].params["earliest"]) == "2030-06-03 11:00"


def test_the_horizon_counts_from_todays_local_date_not_the_utc_date():
    # 08:00 in Tokyo on Tuesday is 23:00 UTC on Monday: the local today is already Tuesday.
    now = at(8, day=1)
    assert as_utc(now).date() == MONDAY
    one_day = policy(max_days_ahead=1)
    assert check_time_window(request(at(17, day=2), at(18, day=2)), one_day, now) == []
    assert codes(check_time_window(request(at(9, day=3), at(10, day=3)), one_day, now)) == ["horizon"]


def test_the_horizon_reads_the_start_on_the_local_day_of_the_space():
    # The last bookable day is Tuesday; 08:00 Wednesday in Tokyo is still Tuesday in UTC.
    one_day = policy(max_days_ahead=1, opening={d: ((time(8), time(12)),) for d in range(7)})
    start = at(8, day=2)
    assert as_utc(start).date() == MONDAY + timedelta(days=1)
    conflicts = check_time_window(request(start, start + timedelta(hours=1)), one_day, now=at(9))
    assert codes(conflicts) == ["horizon"]
    assert conflicts[0].render() == "Bookings open at most 1 days ahead: start on 2030-06-04 or earlier."


# --- grids that do not divide the hour --------------------------------------------------------


@pytest.mark.parametrize(
    ("slot", "start", "end", "before", "after"),
    [("45 min", at(10), at(10, 45), "09:45", "10:30"), ("1 h 30 min", at(10), at(11, 30), "09:00", "10:30"),
     ("45 min", at(9), at(10, 40), "10:30", "11:15")],
    ids=["45, start off", "90, start off", "45, end off"],
)
def test_a_grid_that_does_not_divide_the_hour_names_the_nearest_times(slot, start, end, before, after):
    conflicts = check_grid(request(start, end), policy(slot_minutes={"45 min": 45, "1 h 30 min": 90}[slot]))
    assert codes(conflicts) == ["grid"]
    assert conflicts[0].render() == (
        f"Start and end must be on the {slot} grid; the nearest times are {before} and {after}."
    )


def test_times_a_whole_number_of_45_minute_slots_after_midnight_are_on_the_grid():
    assert check_grid(request(at(9), at(10, 30)), policy(slot_minutes=45)) == []
    assert check_grid(request(at(10, 30), at(12)), policy(slot_minutes=90)) == []


def test_an_hour_grid_names_the_nearest_times_as_well():
    conflicts = check_grid(request(at(10, 30), at(12)), policy(slot_minutes=60))
    assert conflicts[0].render() == (
        "Start and end must be on the 1 h grid; the nearest times are 10:00 and 11:00."
    )


def test_grid_ceil_keeps_an_instant_already_on_the_grid():
    assert grid_ceil(at(10, 30), policy()) == as_utc(at(10, 30))
    assert grid_ceil(at(10, 30) + timedelta(seconds=1), policy()) == as_utc(at(11))


def test_the_earliest_start_after_the_spring_switch_is_the_first_grid_line_the_wall_clock_shows():
    # Berlin, 45-minute grid: 01:50 CET is followed by 03:00 CEST, which is on the grid
    # (four slots after midnight on the wall clock), not by 03:45.
    berlin_45 = Policy(timezone="Europe/Berlin", slot_minutes=45, min_notice_minutes=60, max_days_ahead=30,
                       opening={d: ((time(0), time(23)),) for d in range(7)})
    now = datetime.combine(SPRING_SUNDAY, time(0, 50), BERLIN)
    assert grid_ceil(now + timedelta(hours=1), berlin_45) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    start = datetime.combine(SPRING_SUNDAY, time(1, 30), BERLIN)
    conflicts = check_time_window(Request(start, start + timedelta(minutes=90)), berlin_45, now)
    assert conflicts[0].render() == "Bookings close 1 h before their start: start at 2026-03-29 03:00 or later."


def test_grid_ceil_across_the_autumn_switch_finds_the_first_grid_line_of_the_repeated_hour():
    berlin_45 = Policy(timezone="Europe/Berlin", slot_minutes=45)
    # 02:50 CEST; the wall clock then shows 02:00 CET again; 02:15 CET is the next line.
    instant = datetime(2026, 10, 25, 0, 50, tzinfo=UTC)
    assert grid_ceil(instant, berlin_45) == datetime(2026, 10, 25, 1, 15, tzinfo=UTC)


# --- closures and holidays ------------------------------------------------------------------


def test_a_closure_of_one_whole_day_is_named_by_its_day():
    closure = ClosedRange(at(0), at(0, day=1), "inventory")
    conflicts = check_closed(request(at(10), at(11)), policy(), [closure])
    assert codes(conflicts) == ["closed"]
    assert conflicts[0].render() == "The space is closed on 2030-06-03 (inventory)."


def test_a_closure_of_several_whole_days_is_named_by_its_first_and_last_day():
    closure = ClosedRange(at(0), at(0, day=3), "renovation")
    conflicts = check_closed(request(at(10, day=1), at(11, day=1)), policy(), [closure])
    assert codes(conflicts) == ["closed"]
    assert conflicts[0].render() == "The space is closed from 2030-06-03 to 2030-06-05 (renovation)."


def test_a_closure_starting_at_midnight_but_ending_in_the_day_is_named_by_its_times():
    closure = ClosedRange(at(0), at(12), "cleaning")
    conflicts = check_closed(request(at(10), at(11)), policy(), [closure])
    assert codes(conflicts) == ["closed"]
    assert conflicts[0].render() == "The space is closed from 2030-06-03 00:00 to 2030-06-03 12:00 (cleaning)."


def test_a_closure_ending_at_midnight_but_starting_in_the_day_is_named_by_its_times():
    closure = ClosedRange(at(12), at(0, day=1), "event")
    conflicts = check_closed(request(at(13), at(14)), policy(), [closure])
    assert conflicts[0].render() == "The space is closed from 2030-06-03 12:00 to 2030-06-04 00:00 (event)."


def test_a_closed_holiday_is_named_with_its_day_and_name():
    closures = holiday_closures({date(2030, 6, 4): "創立記念日"}, policy())
    conflicts = check_closed(request(at(10, day=1), at(11, day=1)), policy(), closures)
    assert conflicts[0].render() == "The space is closed on 2030-06-04 (創立記念日)."


def test_holidays_become_closures_earliest_first_on_local_days():
    closures = holiday_closures({date(2030, 6, 6): "b", date(2030, 6, 4): "a"}, policy())
    assert [(c.start_dt, c.reason) for c in closures] == [(as_utc(at(0, day=1)), "a"), (as_utc(at(0, day=3)), "b")]


def test_closures_are_reported_in_time_order():
    later, earlier = ClosedRange(at(11), at(12), "later"), ClosedRange(at(9), at(10), "earlier")
    conflicts = check_closed(request(at(9), at(12)), policy(), [later, earlier])
    assert [c.params["reason"] for c in conflicts] == ["earlier", "later"]


# --- units: the next start, zero desks, chosen desks -----------------------------------------


def test_the_next_possible_start_skips_a_closure():
    taken = [hold(at(9), at(10))]
    closed = [ClosedRange(at(10), at(11), "cleaning")]
    wish = request(at(9), at(10))
    assert next_free_start(wish, policy(), taken, closed) == as_utc(at(11))
    conflicts = check_units(wish, policy(), taken, closed)
    assert conflicts[0].render() == (
        "2030-06-03 09:00–10:00 overlaps another booking (setup and teardown included). "
        "The next possible start that day is 11:00."
    )


def test_the_next_possible_start_must_fit_before_the_period_closes():
    taken = [hold(at(9), at(11, 30))]
    wish = request(at(9), at(10))  # the morning closes at 12:00: 11:30–12:30 does not fit
    assert next_free_start(wish, policy(), taken) == as_utc(at(13))


def test_the_next_possible_start_may_end_exactly_at_closing():
    taken = [hold(at(9), at(11))]
    assert next_free_start(request(at(9), at(10)), policy(), taken) == as_utc(at(11))


def test_the_next_possible_start_is_the_next_slot_when_it_is_free():
    taken = [hold(at(9), at(9, 30))]
    assert next_free_start(request(at(9), at(10)), policy(), taken) == as_utc(at(9, 30))


def test_a_pooled_hint_names_the_next_start_where_enough_desks_are_free():
    pool = policy(kind="pooled", unit_count=2)
    taken = [hold(at(9), at(10), unit=1), hold(at(9), at(10), unit=2, booking_id=101)]
    conflicts = check_units(request(at(9), at(10), seats=2), pool, taken)
    assert conflicts[0].render() == (
        "Only 0 of 2 desks are free 2030-06-03 09:00–10:00; you asked for 2. The next possible start that day is 10:00."
    )


def test_a_request_for_zero_desks_is_refused_and_gets_no_desks():
    pool = policy(kind="pooled", unit_count=4)
    conflicts = check_units(request(at(10), at(11), seats=0), pool, [])
    assert codes(conflicts) == ["capacity"]
    assert conflicts[0].render() == "Choose at least one desk."
    assert pick_units(request(at(10), at(11), seats=0), pool, []) is None
    assert codes(check_request(request(at(10), at(11), seats=0), pool, [], [], now=at(9, day=-7))) == ["capacity"]


def test_chosen_desks_must_be_exactly_as_many_as_the_seats():
    pool = policy(kind="pooled", unit_count=4)
    assert pick_units(request(at(10), at(11), seats=2), pool, [], wanted=(3, 4)) == [3, 4]
    assert pick_units(request(at(10), at(11), seats=2), pool, [], wanted=(3,)) is None
    assert pick_units(request(at(10), at(11), seats=1), pool, [], wanted=(3, 4)) is None
    assert pick_units(request(at(10), at(11), seats=2), pool, [], wanted=(3, 3)) is None


def test_chosen_desks_outside_the_pool_are_refused():
    pool = policy(kind="pooled", unit_count=4)
    assert pick_units(request(at(10), at(11)), pool, [], wanted=(5,)) is None


def test_a_desk_held_through_the_buffers_is_not_chosen():
    pool = policy(kind="pooled", unit_count=2, setup_minutes=30)
    taken = [Hold(100, 2, 1, at(9), at(9, 45))]
    assert pick_units(request(at(10), at(11)), pool, taken, wanted=(1,)) is None
    assert pick_units(request(at(10), at(11)), pool, taken) == [2]


# --- quota ----------------------------------------------------------------------------------


def test_the_quota_counts_the_rolling_week_that_ends_with_the_new_booking():
    # Monday 09–13 booked; the next Monday 10–12 asked for. The seven days ending at
    # 12:00 next Monday hold 12–13 of this Monday and the new two hours: 3 h > 2 h.
    two_hours = policy(quota_hours_per_week=2)
    usage = Usage(((at(9), at(13)),))
    conflicts = check_quota(request(at(10, day=7), at(12, day=7)), two_hours, usage, now=at(8))
    assert codes(conflicts) == ["quota"]
    assert conflicts[0].render() == "This would make 3 h within 7 days; the limit is 2 h (1 h left)."


def test_the_quota_allows_exactly_the_limit():
    three_hours = policy(quota_hours_per_week=3)
    usage = Usage(((at(9), at(10)),))
    assert check_quota(request(at(10, day=1), at(12, day=1)), three_hours, usage, now=at(8)) == []


def test_the_quota_says_nothing_is_left_when_the_week_is_already_over_the_limit():
    one_hour = policy(quota_hours_per_week=1)
    usage = Usage(((at(9), at(11)),))
    conflicts = check_quota(request(at(13), at(14)), one_hour, usage, now=at(8))
    assert conflicts[0].params == {"total": 180, "limit": 60, "left": 0}  # Minutes: 3 h, 1 h, 0 min


def test_the_quota_on_upcoming_bookings_refuses_at_the_limit_and_says_the_count():
    two = policy(quota_active_bookings=2)
    usage = Usage(((at(9, day=1), at(10, day=1)), (at(9, day=2), at(10, day=2))))
    conflicts = check_quota(request(at(9, day=3), at(10, day=3)), two, usage, now=at(8))
    assert conflicts[0].render() == "You already have 2 upcoming bookings here; the limit is 2."
    assert check_quota(request(at(9, day=3), at(10, day=3)), policy(quota_active_bookings=3), usage, at(8)) == []


def test_a_booking_ending_exactly_now_is_no_longer_upcoming():
    usage = Usage(((at(7), at(8)),))
    assert usage.future_count(as_utc(at(8))) == 0
    assert usage.future_count(as_utc(at(7, 59))) == 1


def test_both_quotas_are_reported_together():
    strict = policy(quota_active_bookings=1, quota_hours_per_week=1)
    usage = Usage(((at(9, day=1), at(11, day=1)),))
    conflicts = check_quota(request(at(9, day=2), at(10, day=2)), strict, usage, now=at(8))
    assert codes(conflicts) == ["quota", "quota"]


# --- naive datetimes ------------------------------------------------------------------------


def test_naive_datetimes_are_refused_everywhere_the_rules_take_an_instant():
    naive = datetime(2030, 6, 3, 10)
    with pytest.raises(ValueError, match="aware datetimes"):
        as_utc(naive)
    with pytest.raises(ValueError):
        Request(naive, naive + timedelta(hours=1))
    with pytest.raises(ValueError):
        Hold(1, 1, 1, naive, naive + timedelta(hours=1))
    with pytest.raises(ValueError):
        ClosedRange(naive, naive + timedelta(hours=1))
    with pytest.raises(ValueError):
        Usage(((naive, naive + timedelta(hours=1)),))
    with pytest.raises(ValueError):
        check_time_window(request(at(10), at(11)), policy(), now=naive)


def test_instants_in_any_zone_are_kept_in_utc():
    ten, eleven = at(10), at(11)
    for value in (Request(ten, eleven), Hold(1, 1, 1, ten, eleven), ClosedRange(ten, eleven)):
        assert (value.start_dt.tzinfo, value.end_dt.tzinfo) == (UTC, UTC)
        assert value.start_dt == datetime(2030, 6, 3, 1, tzinfo=UTC)
        assert value.end_dt == datetime(2030, 6, 3, 2, tzinfo=UTC)
    usage = Usage(((ten, eleven),))
    assert [(a.tzinfo, b.tzinfo) for a, b in usage.intervals] == [(UTC, UTC)]


# --- found by the first mutation run -----------------------------------------------------------


def test_chosen_desks_may_be_every_free_desk():
    pool = policy(kind="pooled", unit_count=2)
    assert pick_units(request(at(10), at(11), seats=2), pool, [], wanted=(1, 2)) == [1, 2]


def test_the_next_possible_start_is_found_on_the_local_day_of_a_morning_booking():
    # 08:00 in Tokyo is 23:00 UTC the day before: the hint must search the Tokyo day.
    early = policy(opening={d: ((time(8), time(12)),) for d in range(7)})
    taken = [hold(at(8), at(9))]
    assert next_free_start(request(at(8), at(9)), early, taken) == as_utc(at(9))


def test_the_next_possible_start_is_never_earlier_than_the_requested_one():
    taken = [hold(at(10, 30), at(11))]
    assert next_free_start(request(at(10, 30), at(11)), policy(), taken) == as_utc(at(11))


def test_the_next_possible_start_needs_as_many_free_desks_as_were_asked_for():
    pool = policy(kind="pooled", unit_count=3)
    taken = [hold(at(10), at(11), unit=1), hold(at(10), at(11), unit=2, booking_id=101),
             hold(at(11), at(12), unit=1, booking_id=102)]
    wish = request(at(10), at(11), seats=2, user_id=1)
    assert next_free_start(wish, pool, taken) == as_utc(at(11))


def test_a_single_half_hour_booking_makes_half_an_hour_in_its_week():
    half_hour = (as_utc(at(10)), as_utc(at(10, 30)))
    assert hours_in_any_week((), half_hour) == 0.5
    assert busiest_week((), half_hour) == (0.5, 0.5)


def test_the_busiest_week_counts_the_members_other_bookings_besides_the_new_one():
    booked = [(as_utc(at(9)), as_utc(at(12)))]
    new = (as_utc(at(10, day=1)), as_utc(at(12, day=1)))
    assert hours_in_any_week(booked, new) == 5.0
    assert busiest_week(booked, new) == (5.0, 2.0)


def test_the_busiest_week_reports_the_new_bookings_share_of_it():
    booked = ((as_utc(at(9)), as_utc(at(11))),)
    assert busiest_week(booked, (as_utc(at(13)), as_utc(at(14)))) == (3.0, 1.0)


def test_the_first_wall_time_of_a_slot_is_its_first_instant_or_none_in_the_spring_gap():
    berlin = Policy(timezone="Europe/Berlin")
    assert local_slot_start(SPRING_SUNDAY, time(2, 30), berlin) is None
    assert local_slot_start(SPRING_SUNDAY, time(3), berlin) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    autumn = date(2026, 10, 25)
    assert local_slot_start(autumn, time(2, 30), berlin) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_grid_ceil_across_the_spring_jump_from_an_instant_with_seconds():
    # 01:59:30.5 CET: the next whole minute, 02:00 CET, is already 03:00 CEST, on the 45-minute grid.
    berlin_45 = Policy(timezone="Europe/Berlin", slot_minutes=45)
    instant = datetime(2026, 3, 29, 0, 59, 30, 500_000, tzinfo=UTC)
    assert grid_ceil(instant, berlin_45) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


# --- the week grid: closed cells and the member's own quota --------------------------------


def test_a_closed_cell_offers_no_desks():
    pool = policy(kind="pooled", unit_count=4)
    grid = build_week(pool, MONDAY, [], [], [], at(9, day=-7))
    lunch = grid.cell(MONDAY, time(12))
    assert (lunch.state, lunch.free_count) == (CLOSED, 0)


def test_the_members_own_quota_does_not_change_what_their_cell_offers():
    # The grid is the slot's view: a quota the viewer has used up is told at booking time.
    pool = policy(kind="pooled", unit_count=4, quota_hours_per_week=0)
    mine = [(as_utc(at(10)), as_utc(at(11)))]
    grid = build_week(pool, MONDAY, [hold(at(10), at(11), user_id=1)], [], mine, at(9, day=-7))
    cell = grid.cell(MONDAY, time(10))
    assert (cell.state, cell.free_count) == (MINE, 3)
    assert grid.cell(MONDAY, time(9)).state == FREE


def test_the_busiest_week_finds_a_window_holding_only_the_end_of_the_new_booking():
    """Bug found by mutation testing: own bookings that overlap (two desks at once) a week after the
    new booking fill the windows holding its last minutes; the rolling 7 days [Mon 10:59, next Mon
    10:59) hold 1 + 2 × 59 minutes, not the 1 hour of the window that starts with the new booking."""
    desks = [(as_utc(at(10, day=7)), as_utc(at(11, day=7)))] * 2
    new = (as_utc(at(10)), as_utc(at(11)))
    hour = 3_600_000_000  # µs
    # [Mon 10:59:59.999999, next Mon 10:59:59.999999): 1 µs of the new booking and 2 × (1 h − 1 µs)
    assert busiest_week(desks, new) == ((2 * hour - 1) / hour, 1 / hour)
    conflicts = check_quota(request(at(10), at(11)), policy(quota_hours_per_week=1), Usage(tuple(desks)), EARLY)
    assert [c.code for c in conflicts] == ["quota"]


def test_each_time_rule_explains_itself_by_default_and_gives_bare_codes_when_asked():
    from booking.domain.rules import BARE, check_horizon, check_notice, check_past

    notice = policy(min_notice_minutes=120, max_days_ahead=30)
    late = request(at(10), at(11))
    assert [c.render() for c in check_past(late, notice, at(10, 30))] == [
        "2030-06-03 10:00 has already passed; choose a later time."]
    assert [c.render() for c in check_notice(late, notice, at(9))] == [
        "Bookings close 2 h before their start: start at 2030-06-03 11:00 or later."]
    assert [c.render() for c in check_horizon(request(at(10, day=43), at(11, day=43)), notice, at(9))] == [
        "Bookings open at most 30 days ahead: start on 2030-07-03 or earlier."]
    assert [c.code for c in check_time_window(late, notice, at(9))] == ["notice"]
    assert check_time_window(late, notice, at(9))[0].message != ""
    assert check_time_window(late, notice, at(10, 30), detail=False) == [BARE["past"]]
    assert check_time_window(late, notice, at(9), detail=False) == [BARE["notice"]]
    far = request(at(10, day=43), at(11, day=43))
    assert check_time_window(far, notice, at(9), detail=False) == [BARE["horizon"]]


def test_a_request_explains_every_conflict_and_suggests_a_start_unless_told_otherwise():
    held = [hold(at(10), at(11))]
    closures = [ClosedRange(at(10, 30), at(11), "maintenance")]
    assert [c.render() for c in check_request(request(at(10), at(11)), policy(), held, closures, EARLY)] == [
        "The space is closed from 2030-06-03 10:30 to 2030-06-03 11:00 (maintenance).",
        "2030-06-03 10:00–11:00 overlaps another booking (setup and teardown included). "
        "The next possible start that day is 11:00.",
    ]
    assert [c.render() for c in check_request(request(at(10), at(11)), policy(), held, [], EARLY, suggest=False)] == [
        "2030-06-03 10:00–11:00 overlaps another booking (setup and teardown included)."]
    notice = check_request(request(at(10), at(11)), policy(min_notice_minutes=120), [], [], at(9))
    assert [c.render() for c in notice] == [
        "Bookings close 2 h before their start: start at 2030-06-03 11:00 or later."]
    bare = check_request(request(at(10), at(11)), policy(), held, closures, at(10, 30), detail=False)
    assert [(c.code, c.message, dict(c.params)) for c in bare] == [
        ("closed", "", {}), ("past", "", {}), ("overlap", "", {})]


def test_a_request_ending_when_it_starts_is_refused_as_a_duration():
    assert check_request(request(at(10), at(10)), policy(), [], [], EARLY) == [
        Conflict("duration", "The end must be after the start.", {})]


def test_the_busiest_week_finds_a_window_holding_only_the_start_of_the_new_booking():
    hour = 3_600_000_000  # µs
    desks = [(as_utc(at(10, day=-7)), as_utc(at(11, day=-7)))] * 2
    new = (as_utc(at(10)), as_utc(at(11)))
    # [last Mon 10:00:00.000001, Mon 10:00:00.000001): 2 × (1 h − 1 µs) and 1 µs of the new booking;
    # the week ending exactly when the new booking starts does not include it
    assert busiest_week(desks, new) == ((2 * hour - 1) / hour, 1 / hour)


def test_an_instant_whose_zone_gives_no_offset_is_refused():
    from datetime import tzinfo

    class NoOffset(tzinfo):
        def utcoffset(self, dt):
            return None

    with pytest.raises(ValueError, match="^the rules need aware datetimes$"):
        as_utc(datetime(2030, 1, 1, tzinfo=NoOffset()))


def test_an_off_grid_request_gives_the_bare_grid_code_when_no_message_is_asked_for():
    from booking.domain.rules import BARE

    assert check_grid(request(at(10, 10), at(11)), policy(), detail=False) == [BARE["grid"]]
    assert check_grid(request(at(10), at(11)), policy(), detail=False) == []
