"""The victims of a policy change: the future bookings the new policy breaks, and how."""

from __future__ import annotations

from datetime import time

from booking.domain.rules import check_request
from booking.domain.values import ClosedRange, Conflict, Listed, Request
from booking.domain.victims import Side, Standing, Victim, find_victims
from tests.domain.builders import EARLY, at, hold, policy

CAPACITY = "Desk %(units)s is gone or taken for this time (buffers included)."
OVERLAP = "With the new setup and teardown it overlaps an earlier booking."
MORNINGS = {day: ((time(9), time(12)),) for day in range(5)}


def standing(
    booking_id: int,
    start_hour: int,
    end_hour: int,
    units: tuple[int, ...] = (1,),
    *,
    seats: int = 0,
    holds_units: bool = True,
) -> Standing:
    return Standing(booking_id, 7, at(start_hour), at(end_hour), seats or len(units), units, holds_units)


def victims(bookings: list[Standing], before: Side, after: Side, fixed=(), now=EARLY) -> list[Victim]:
    return find_victims(bookings, list(fixed), before, after, now)


def side(**overrides) -> Side:
    return Side(policy(**overrides), ())


def pooled(desks: int, **overrides) -> Side:
    return side(kind="pooled", unit_count=desks, **overrides)


def test_a_standing_booking_asks_for_its_own_time_seats_and_member():
    booking = Standing(3, 7, at(10), at(11), 2, (4, 5))
    assert booking.request() == Request(at(10), at(11), 2, 7)


def test_shorter_hours_make_the_afternoon_booking_a_victim_that_may_stay_as_an_override():
    before, after = side(), side(opening=MORNINGS)
    found = victims([standing(1, 10, 11), standing(2, 16, 17)], before, after)
    expected = check_request(Request(at(16), at(17), 1, 7), after.policy, (), (), EARLY, suggest=False)
    assert [v.booking_id for v in found] == [2]
    assert found[0].conflicts == tuple(expected) and found[0].codes == {"hours"}
    assert not found[0].must_move and not found[0].can_move and found[0].moved_to == ()


def test_a_new_closure_names_the_bookings_it_covers():
    closure = ClosedRange(at(13), at(15), "inspection")
    found = victims([standing(1, 10, 11), standing(2, 14, 15)], side(), Side(policy(), (closure,)))
    assert [(v.booking_id, v.codes) for v in found] == [(2, {"closed"})]


def test_a_rule_the_booking_already_broke_is_not_the_changes_doing():
    before = side(opening=MORNINGS)
    after = side(opening=MORNINGS, max_minutes=60)
    found = victims([standing(1, 14, 16)], before, after)
    assert [(v.booking_id, v.codes) for v in found] == [(1, {"duration"})]
    assert victims([standing(2, 14, 15)], before, after) == []


def test_a_change_that_mends_a_broken_rule_makes_no_victim():
    assert victims([standing(1, 14, 15), standing(2, 10, 11)], side(opening=MORNINGS), side()) == []


def test_nothing_changed_means_no_victims():
    bookings = [standing(1, 10, 11), standing(2, 11, 12), standing(3, 14, 15)]
    assert victims(bookings, side(), side()) == []


def test_past_and_quota_are_not_a_policy_changes_victims():
    after = side(quota_active_bookings=0, quota_hours_per_week=0)
    assert victims([standing(1, 10, 11)], side(), after, now=at(10, 30)) == []


def test_longer_teardown_makes_the_later_of_two_back_to_back_bookings_overlap():
    found = victims([standing(1, 10, 11), standing(2, 11, 12)], side(), side(teardown_minutes=30))
    assert found == [Victim(2, (Conflict("overlap", OVERLAP, {}),), ())]
    assert found[0].must_move and not found[0].can_move


def test_longer_setup_makes_the_later_of_two_back_to_back_bookings_overlap():
    found = victims([standing(1, 10, 11), standing(2, 11, 12)], side(), side(setup_minutes=30))
    assert [(v.booking_id, v.codes) for v in found] == [(2, {"overlap"})]


def test_the_booking_made_first_keeps_its_time_whatever_the_order_given():
    bookings = [standing(5, 10, 11), standing(3, 11, 12)]
    found = victims(bookings, side(), side(teardown_minutes=30))
    assert [v.booking_id for v in found] == [5]


def test_victims_come_in_booking_id_order():
    bookings = [standing(9, 16, 17), standing(4, 15, 16), standing(6, 10, 11)]
    found = victims(bookings, side(), side(opening=MORNINGS))
    assert [v.booking_id for v in found] == [4, 9]


def test_a_hold_already_under_way_cannot_move_so_the_booking_that_meets_it_must():
    under_way = hold(at(9), at(10, 30), unit=1, booking_id=99)
    found = victims([standing(1, 10, 11)], side(), side(), fixed=[under_way])
    assert [(v.booking_id, v.codes) for v in found] == [(1, {"overlap"})]


def test_a_pending_request_that_holds_no_time_neither_meets_nor_blocks_others():
    quiet = standing(1, 10, 11, holds_units=False)
    found = victims([quiet, standing(2, 10, 11)], side(), side(teardown_minutes=30))
    assert found == []
    assert (
        victims([standing(1, 10, 11), standing(2, 11, 12, holds_units=False)], side(), side(teardown_minutes=30)) == []
    )


def test_a_booking_whose_desk_is_gone_moves_to_the_lowest_free_desk():
    bookings = [standing(1, 10, 11, (1,)), standing(2, 10, 11, (4,))]
    found = victims(bookings, pooled(4), pooled(3))
    assert found == [Victim(2, (Conflict("capacity", CAPACITY, {"units": Listed((4,))}),), (2,))]
    assert found[0].must_move and found[0].can_move


def test_a_booking_of_several_desks_moves_to_as_many_free_desks():
    bookings = [standing(1, 10, 11, (3,)), standing(2, 10, 11, (4, 5))]
    found = victims(bookings, pooled(5), pooled(4))
    assert found == [Victim(2, (Conflict("capacity", CAPACITY, {"units": Listed((4, 5))}),), (1, 2))]


def test_a_booking_asking_for_more_desks_than_remain_is_reported_once_and_cannot_move():
    found = victims([standing(1, 10, 11, (1, 2, 3))], pooled(4), pooled(2))
    assert found == [Victim(1, (Conflict("capacity", CAPACITY, {"units": Listed((1, 2, 3))}),), ())]
    assert found[0].must_move and not found[0].can_move


def test_a_moved_booking_takes_its_new_desk_from_bookings_made_after_it():
    bookings = [standing(1, 10, 11, (2,)), standing(2, 10, 11, (3,)), standing(3, 10, 11, (1,))]
    found = victims(bookings, pooled(3), pooled(2))
    assert [(v.booking_id, v.moved_to) for v in found] == [(2, (1,)), (3, ())]


def test_desks_free_again_after_a_booking_ends_take_a_later_booking():
    bookings = [standing(1, 10, 11, (1,)), standing(2, 11, 12, (3,))]
    found = victims(bookings, pooled(3), pooled(1))
    assert found == [Victim(2, (Conflict("capacity", CAPACITY, {"units": Listed((3,))}),), (1,))]


def test_a_moved_booking_keeps_its_new_desk_with_the_new_buffers():
    bookings = [standing(1, 10, 11, (3,)), standing(2, 11, 12, (1,))]
    found = victims(bookings, pooled(3), pooled(2, teardown_minutes=30))
    assert [(v.booking_id, v.moved_to) for v in found] == [(1, (1,)), (2, (2,))]


def test_a_rule_and_a_lost_desk_are_both_reported_the_desk_last():
    bookings = [standing(1, 16, 17, (3,))]
    found = victims(bookings, pooled(3), pooled(2, opening=MORNINGS))
    assert [c.code for c in found[0].conflicts] == ["hours", "capacity"]
    assert found[0].moved_to == (1,)
