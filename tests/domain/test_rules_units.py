"""Rules about who else is there: overlap, capacity, unit picking, quota; and all rules together."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from booking.domain.rules import RULE_CODES, check_quota, check_request, check_units, occupied, pick_units
from booking.domain.values import OVERRIDABLE, ClosedRange, Conflict, Usage
from tests.domain.builders import EARLY, at, hold, policy, request


def codes(conflicts):
    return [c.code for c in conflicts]


STUDIO = policy(setup_minutes=30, teardown_minutes=30)
DESKS = policy(kind="pooled", unit_count=4)


def studio_hold(start, end):
    """The hold a studio booking start–end leaves: buffers included."""
    return hold(*occupied(request(start, end), STUDIO))


# --- overlap (exclusive spaces) -------------------------------------------------------------


def test_back_to_back_bookings_without_buffers_do_not_clash():
    room = policy()
    held = [hold(at(10), at(11))]
    assert check_units(request(at(11), at(12)), room, held) == []
    assert check_units(request(at(9), at(10)), room, held) == []


def test_back_to_back_bookings_clash_through_setup_and_teardown_buffers():
    held = [studio_hold(at(10), at(11))]
    conflicts = check_units(request(at(11), at(12)), STUDIO, held)
    assert codes(conflicts) == ["overlap"]
    assert conflicts[0].render().startswith(
        "2030-06-03 11:00–12:00 overlaps another booking (setup and teardown included)."
    )


def test_bookings_whose_buffers_only_touch_do_not_clash():
    held = [studio_hold(at(10), at(11))]
    assert check_units(request(at(12), at(13)), STUDIO, held) == []
    assert check_units(request(at(8), at(9)), STUDIO, held) == []


def test_an_overlap_message_suggests_the_next_possible_start_that_day():
    all_day = policy(setup_minutes=30, teardown_minutes=30, opening={0: ((time(9), time(21)),)})
    held = [studio_hold(at(10), at(11))]
    conflicts = check_units(request(at(10), at(11)), all_day, held)
    assert conflicts[0].params["next"] == "12:00"
    assert conflicts[0].render() == (
        "2030-06-03 10:00–11:00 overlaps another booking (setup and teardown included). "
        "The next possible start that day is 12:00."
    )


def test_the_suggested_start_skips_the_lunch_break_when_the_morning_is_full():
    held = [studio_hold(at(10), at(11))]
    conflicts = check_units(request(at(10), at(11)), STUDIO, held)
    assert conflicts[0].params["next"] == "13:00"


def test_an_overlap_message_without_a_later_start_says_nothing_about_one():
    held = [studio_hold(at(13), at(18))]
    conflicts = check_units(request(at(16), at(18)), STUDIO, held)
    assert "next" not in conflicts[0].params
    assert "next possible start" not in conflicts[0].render()


# --- capacity (pooled spaces) ---------------------------------------------------------------


def test_a_pooled_space_accepts_as_many_seats_as_are_free():
    held = [hold(at(10), at(12), unit=1), hold(at(10), at(12), unit=2)]
    assert check_units(request(at(10), at(12), seats=2), DESKS, held) == []


def test_too_few_free_desks_says_how_many_are_free():
    held = [hold(at(10), at(12), unit=u, booking_id=u) for u in (1, 2, 3)]
    conflicts = check_units(request(at(11), at(12), seats=2), DESKS, held)
    assert codes(conflicts) == ["capacity"]
    assert conflicts[0].params["free"] == 1
    assert conflicts[0].render() == (
        "Only 1 of 4 desks are free 2030-06-03 11:00–12:00; you asked for 2. "
        "The next possible start that day is 13:00."
    )


def test_a_desk_counts_as_free_only_when_it_is_free_for_the_whole_booking():
    # At every instant three desks are free, but no desk is free from 10:00 to 12:00.
    held = [
        hold(at(10), at(11), unit=1, booking_id=1),
        hold(at(11), at(12), unit=2, booking_id=2),
        hold(at(10), at(11), unit=3, booking_id=3),
        hold(at(11), at(12), unit=4, booking_id=4),
    ]
    conflicts = check_units(request(at(10), at(12)), DESKS, held)
    assert codes(conflicts) == ["capacity"]
    assert conflicts[0].params["free"] == 0


# --- picking units --------------------------------------------------------------------------


def test_the_lowest_numbered_free_desks_are_picked():
    held = [hold(at(10), at(12), unit=1, booking_id=1), hold(at(10), at(12), unit=3, booking_id=3)]
    assert pick_units(request(at(10), at(11), seats=2), DESKS, held) == [2, 4]


def test_desks_busy_for_part_of_the_booking_are_not_picked():
    held = [hold(at(11), at(12), unit=1), hold(at(9), at(10, 30), unit=2, booking_id=2)]
    assert pick_units(request(at(10), at(12)), DESKS, held) == [3]


def test_desks_held_only_outside_the_booking_are_picked():
    held = [hold(at(9), at(10), unit=1), hold(at(12), at(13), unit=2, booking_id=2)]
    assert pick_units(request(at(10), at(12), seats=2), DESKS, held) == [1, 2]


def test_no_desks_are_picked_when_too_few_are_free():
    held = [hold(at(10), at(12), unit=u, booking_id=u) for u in (1, 2, 3)]
    assert pick_units(request(at(10), at(11), seats=2), DESKS, held) is None


def test_chosen_desks_are_used_when_they_are_free():
    held = [hold(at(10), at(12), unit=1)]
    assert pick_units(request(at(10), at(11), seats=2), DESKS, held, wanted=(4, 2)) == [4, 2]


@pytest.mark.parametrize("wanted", [(1, 2), (2,), (2, 3, 4)], ids=["one taken", "too few", "too many"])
def test_chosen_desks_that_are_taken_or_miscounted_are_refused(wanted):
    held = [hold(at(10), at(12), unit=1)]
    assert pick_units(request(at(10), at(11), seats=2), DESKS, held, wanted=wanted) is None


def test_the_room_of_an_exclusive_space_is_unit_one():
    assert pick_units(request(at(10), at(11)), policy(), []) == [1]
    assert pick_units(request(at(10), at(11)), policy(), [hold(at(10), at(11))]) is None


# --- quota ----------------------------------------------------------------------------------


def test_the_limit_on_upcoming_bookings_counts_only_future_ones():
    limited = policy(quota_active_bookings=2)
    now = at(9)
    past_and_one_future = Usage(((at(9, day=-3), at(10, day=-3)), (at(10, day=1), at(11, day=1))))
    assert check_quota(request(at(10), at(11)), limited, past_and_one_future, now) == []
    two_future = Usage(((at(10, day=1), at(11, day=1)), (at(10, day=2), at(11, day=2))))
    conflicts = check_quota(request(at(10), at(11)), limited, two_future, now)
    assert codes(conflicts) == ["quota"]
    assert conflicts[0].render() == "You already have 2 upcoming bookings here; the limit is 2."


def test_hours_in_a_rolling_week_say_how_many_hours_are_left():
    limited = policy(quota_hours_per_week=4)
    usage = Usage(((at(10, day=-3), at(13, day=-3)),))
    assert check_quota(request(at(10), at(11)), limited, usage, EARLY) == []
    conflicts = check_quota(request(at(10), at(12)), limited, usage, EARLY)
    assert codes(conflicts) == ["quota"]
    assert conflicts[0].render() == (
        "This would make 5 h within 7 days; the limit is 4 h (1 h left)."
    )


def test_hours_more_than_seven_days_apart_do_not_add_up():
    limited = policy(quota_hours_per_week=4)
    usage = Usage(((at(10, day=-8), at(13, day=-8)),))
    assert check_quota(request(at(10), at(12)), limited, usage, EARLY) == []


def test_without_quotas_any_usage_is_fine():
    usage = Usage(tuple((at(10, day=d), at(18, day=d)) for d in range(1, 5)))
    assert check_quota(request(at(10), at(18)), policy(), usage, EARLY) == []


# --- all rules together ---------------------------------------------------------------------


def test_a_valid_request_has_no_conflicts():
    assert check_request(request(at(10), at(11)), STUDIO, [], [], EARLY) == []


def test_every_violation_is_reported_together_in_a_stable_order():
    strict = policy(setup_minutes=30, min_minutes=60, quota_active_bookings=1)
    held = [studio_hold(at(8), at(10, 30))]
    closures = [ClosedRange(at(9), at(9, 30), "inspection")]
    usage = Usage(((at(10, day=2), at(11, day=2)),))
    off_grid_short_early = request(at(8, 45), at(9, 15))
    conflicts = check_request(off_grid_short_early, strict, held, closures, at(9), usage)
    assert codes(conflicts) == ["grid", "duration", "hours", "closed", "past", "overlap", "quota"]
    assert set(codes(conflicts)) <= set(RULE_CODES)


def test_closure_and_horizon_are_reported_with_the_rest():
    closures = [ClosedRange(at(0, day=43), at(0, day=44), "year-end")]
    conflicts = check_request(
        request(at(10, day=43), at(10, day=43) + timedelta(minutes=45)),
        policy(max_days_ahead=30), [], closures, at(9),
    )
    assert codes(conflicts) == ["grid", "closed", "horizon"]


def test_an_end_before_the_start_gets_one_clear_message():
    conflicts = check_request(request(at(11), at(10)), policy(), [], [], EARLY)
    assert [(c.code, c.render()) for c in conflicts] == [("duration", "The end must be after the start.")]


def test_staff_overrides_drop_only_the_overridable_rules():
    held = [hold(at(10), at(11))]
    conflicts = check_request(
        request(at(10), at(11)), policy(min_notice_minutes=600), held, [], at(9),
        overrides=frozenset({"notice", "overlap"}),
    )
    assert codes(conflicts) == ["overlap"]
    assert OVERRIDABLE == {"notice", "horizon", "hours", "quota"}


def test_a_conflict_message_renders_with_its_values():
    conflict = Conflict("capacity", "Only %(free)s of %(total)s desks are free.", {"free": 3, "total": 24})
    assert conflict.render() == "Only 3 of 24 desks are free."


def test_a_conflict_without_values_renders_its_message():
    assert Conflict("overlap", "That time was just taken by another booking.").render() == (
        "That time was just taken by another booking."
    )
