"""Public events: seats for whole parties, waiting-list promotion, late offers, agenda and window rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.domain.events import (
    AgendaSlot,
    EventProblem,
    Waiting,
    agenda_problems,
    capacity_problems,
    change_fits,
    is_registration_open,
    needs_confirmation,
    offer_deadline,
    party_can_ever_fit,
    placement,
    promote,
    shifted_agenda,
    window_problems,
)
from tests.domain.builders import at


@pytest.mark.parametrize(("taken", "party", "expected"), [
    (0, 1, "registered"), (29, 1, "registered"), (30, 1, "waiting"),
    (27, 3, "registered"), (28, 3, "waiting"), (0, 30, "registered"), (0, 31, "waiting"),
])
def test_a_party_is_registered_only_when_it_fits_as_a_whole(taken, party, expected):
    assert placement(30, taken, party) == expected


def test_a_party_has_at_least_one_person():
    with pytest.raises(ValueError):
        placement(30, 0, 0)


def test_freed_seats_go_to_the_earliest_waiting_parties_that_fit():
    queue = [Waiting(1, 1), Waiting(2, 2), Waiting(3, 1)]
    assert promote(3, queue).promoted == (1, 2)
    assert promote(4, queue).promoted == (1, 2, 3)


def test_a_party_too_large_keeps_its_place_and_is_passed_over():
    queue = [Waiting(1, 3), Waiting(2, 1), Waiting(3, 2)]
    result = promote(2, queue)
    assert result.promoted == (2,)
    assert result.passed_over == (1, 3)


def test_nobody_is_passed_over_when_no_seat_is_left():
    result = promote(1, [Waiting(1, 1), Waiting(2, 4)])
    assert result.promoted == (1,)
    assert result.passed_over == ()


def test_no_free_seat_promotes_nobody():
    assert promote(0, [Waiting(1, 1)]).promoted == ()


def test_promotion_within_48_hours_of_the_start_needs_confirmation():
    start = at(17, day=2)
    assert needs_confirmation(start - timedelta(hours=48), start)
    assert needs_confirmation(start - timedelta(hours=1), start)
    assert not needs_confirmation(start - timedelta(hours=48, minutes=1), start)


def test_an_offer_waits_twelve_hours_but_never_past_the_start():
    start = at(17, day=2)
    assert offer_deadline(start - timedelta(hours=40), start) == start - timedelta(hours=28)
    assert offer_deadline(start - timedelta(hours=2), start) == start


@pytest.mark.parametrize(("taken", "old", "new", "fits"), [
    (30, 3, 2, True), (30, 3, 4, False), (28, 3, 5, True), (28, 3, 6, False),
])
def test_a_seated_party_grows_only_into_free_seats(taken, old, new, fits):
    assert change_fits(30, taken, old, new) is fits


def test_registration_is_open_in_its_window_and_never_after_the_start():
    opens, closes, start = at(9), at(12), at(11)
    assert not is_registration_open(at(8), opens, closes, start)
    assert is_registration_open(at(9), opens, closes, start)
    assert not is_registration_open(at(11), opens, closes, start)


KICK_OFF = (at(17), at(18, 45))


def test_the_kick_off_agenda_fits_inside_its_booking():
    slots = [AgendaSlot(at(17), 20), AgendaSlot(at(17, 20), 50), AgendaSlot(at(18, 15), 30)]
    assert agenda_problems(*KICK_OFF, slots) == []


@pytest.mark.parametrize(("start", "minutes"), [
    (at(16, 30), 20),  # begins before the booking
    (at(18, 30), 30),  # ends after the booking
])
def test_an_agenda_item_outside_the_booking_is_named(start, minutes):
    problems = agenda_problems(*KICK_OFF, [AgendaSlot(at(17), 10), AgendaSlot(start, minutes)])
    assert [(p.code, p.field) for p in problems] == [("agenda_outside", "agenda-2")]


def test_overlapping_agenda_items_are_named_but_back_to_back_ones_are_fine():
    assert agenda_problems(*KICK_OFF, [AgendaSlot(at(17), 20), AgendaSlot(at(17, 20), 20)]) == []
    problems = agenda_problems(*KICK_OFF, [AgendaSlot(at(17), 30), AgendaSlot(at(17, 20), 20)])
    assert [p.code for p in problems] == ["agenda_overlap"]


@pytest.mark.parametrize(("capacity", "max_people", "taken", "code"), [
    (30, 80, 0, None), (80, 80, 0, None), (81, 80, 0, "max_people"), (0, 80, 0, "capacity"),
    (10, 80, 12, "seats_taken"), (10, None, 0, "max_people"),
])
def test_capacity_is_bounded_by_the_space_and_the_seats_given(capacity, max_people, taken, code):
    problems = capacity_problems(capacity, max_people, taken)
    assert [p.code for p in problems] == ([] if code is None else [code])


def test_registration_closes_after_it_opens_and_by_the_end_of_the_event():
    assert window_problems(at(9), at(17), at(18, 45)) == []
    assert [p.code for p in window_problems(at(9), at(9), at(18, 45))] == ["window"]
    assert [p.code for p in window_problems(at(9), at(19), at(18, 45))] == ["window"]


def test_registration_may_close_exactly_when_the_event_ends_and_says_which_field_is_wrong():
    assert window_problems(at(9), at(18, 45), at(18, 45)) == []
    assert window_problems(at(9), at(8), at(18, 45)) == [
        EventProblem("window", "Registration must close after it opens.", "registration_closes")
    ]
    assert window_problems(at(9), at(18, 46), at(18, 45)) == [
        EventProblem("window", "Registration must close by the end of the event.", "registration_closes")
    ]


@pytest.mark.parametrize(("capacity", "party", "fits"), [(30, 30, True), (30, 1, True), (30, 31, False)])
def test_a_party_larger_than_the_whole_event_can_never_be_seated(capacity, party, fits):
    assert party_can_ever_fit(capacity, party) is fits


def test_a_moved_booking_moves_its_agenda_by_the_same_offset():
    slots = [AgendaSlot(at(17), 20), AgendaSlot(at(17, 20), 50), AgendaSlot(at(18, 15), 30)]
    moved = shifted_agenda(at(17), at(10, day=1), at(11, 45, day=1), slots)
    assert moved == [AgendaSlot(at(10, day=1), 20), AgendaSlot(at(10, 20, day=1), 50),
                     AgendaSlot(at(11, 15, day=1), 30)]


def test_an_agenda_that_no_longer_fits_a_shorter_booking_refuses_the_move():
    slots = [AgendaSlot(at(17), 20), AgendaSlot(at(18, 15), 30)]
    assert shifted_agenda(at(17), at(10), at(11, 44), slots) is None
    assert shifted_agenda(at(17), at(10), at(11, 45), slots) is not None


def test_a_moved_agenda_keeps_overlaps_it_already_had():
    slots = [AgendaSlot(at(17), 30), AgendaSlot(at(17, 20), 20)]
    assert shifted_agenda(at(17), at(9), at(10), slots) == [AgendaSlot(at(9), 30), AgendaSlot(at(9, 20), 20)]


def test_a_party_of_nobody_is_refused():
    with pytest.raises(ValueError, match="^a party has at least one person$"):
        placement(30, 0, 0)


def test_each_capacity_problem_says_what_is_wrong_with_its_number():
    assert capacity_problems(1, 80, 1) == [] and capacity_problems(12, 12, 12) == []
    assert capacity_problems(0, 80, 0) == [EventProblem("capacity", "The capacity must be at least 1.", "capacity")]
    assert capacity_problems(10, None, 0) == [
        EventProblem(
            "max_people",
            "This space has no maximum number of people set; staff set it before events take registrations.",
            "capacity",
        )
    ]
    assert capacity_problems(81, 80, 0) == [
        EventProblem("max_people", "This space admits at most %(limit)s people.", "capacity", (("limit", 80),))
    ]
    assert capacity_problems(10, 80, 12) == [
        EventProblem("seats_taken", "%(taken)s seats are already taken.", "capacity", (("taken", 12),))
    ]


def test_agenda_problems_name_the_item_by_its_number_as_given_even_out_of_order():
    slots = [AgendaSlot(at(18), 30), AgendaSlot(at(17), 20), AgendaSlot(at(17, 10), 20), AgendaSlot(at(18, 40), 10)]
    assert agenda_problems(*KICK_OFF, slots) == [
        EventProblem("agenda_outside", "Agenda item %(number)s lies outside the booking.", "agenda-4",
                     (("number", 4),)),
        EventProblem("agenda_overlap", "Agenda item %(number)s overlaps the one before it.", "agenda-3",
                     (("number", 3),)),
    ]


# An event moved earlier pulls its open offers' deadlines in to the new start; an offer is confirmed only
# before its deadline and before the start (break-it pass 2026-12-01).
@pytest.mark.parametrize(("expires", "start", "expected"), [
    ((18, 0), (10, 0), (10, 0)),  # moved earlier than the deadline: the start
    ((18, 0), (18, 0), (18, 0)),  # at the deadline: unchanged
    ((18, 0), (20, 0), (18, 0)),  # the start after the deadline: unchanged
])
def test_an_offers_deadline_never_outlives_the_moved_start(expires, start, expected):
    from booking.domain.events import moved_offer_deadline

    assert moved_offer_deadline(at(*expires), at(*start)) == at(*expected)


@pytest.mark.parametrize(("now", "expires", "start", "allowed"), [
    ((9, 59), (18, 0), (10, 0), True),  # before the start and the deadline
    ((10, 0), (18, 0), (10, 0), False),  # the event began (a deadline left past a moved start)
    ((10, 1), (18, 0), (10, 0), False),
    ((17, 59), (18, 0), (20, 0), True),
    ((18, 0), (18, 0), (20, 0), False),  # the deadline passed
    ((9, 0), None, (20, 0), False),  # no offer
])
def test_an_offer_is_confirmed_only_before_its_deadline_and_the_start(now, expires, start, allowed):
    from booking.domain.events import may_confirm_offer

    deadline = at(*expires) if expires else None
    assert may_confirm_offer(at(*now), deadline, at(*start)) is allowed


def test_the_refusal_before_input_is_said_for_checked_in_and_for_a_party_of_one_after_closing():
    from booking.domain import events as rules

    open_now = rules.RegistrationWindow(rules.OPEN, datetime(2026, 12, 1, tzinfo=UTC))
    closed = rules.RegistrationWindow(rules.CLOSED, datetime(2026, 12, 1, tzinfo=UTC))
    refusal = rules.refusal_before_input

    assert [refusal(a, True, open_now, 2) for a in ("cancel", "change", "confirm")] == ["checked_in"] * 3
    assert (refusal("change", False, closed, 1), refusal("change", False, closed, 2)) == ("closed", None)
    assert (refusal("cancel", False, closed, 1), refusal("change", False, open_now, 1)) == (None, None)
