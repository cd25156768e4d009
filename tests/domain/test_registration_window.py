"""The window of an event's registration (booking.domain.events.registration_window): open, or why not
and since or until when; it agrees with is_registration_open."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from booking.domain import events as rules


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 6, 3, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(("now", "state", "instant"), [
    (at(8, 59), "not_yet", at(9)),
    (at(9), "open", at(11)),
    (at(10, 59), "open", at(11)),
    (at(11), "closed", at(11)),
    (at(11, 59), "closed", at(11)),
    (at(12), "closed", at(11)),  # closed before the start: still closed at 11:00, not "when it began"
    (at(13, 59), "closed", at(11)),
    (at(14), "over", at(14)),
])
def test_the_registration_window_says_why_it_is_not_open_and_since_or_until_when(now, state, instant):
    window = rules.registration_window(now, at(9), at(11), at(12), at(14))
    assert (window.state, window.at) == (state, instant)
    assert window.is_open is rules.is_registration_open(now, at(9), at(11), at(12))


def test_registration_closing_after_the_start_closes_at_the_start():
    window = rules.registration_window(at(11), at(9), at(13), at(11), at(14))
    assert (window.state, window.at) == (rules.STARTED, at(11))
    assert rules.registration_window(at(10), at(9), at(13), at(11), at(14)).at == at(11)
    closing_at_the_start = rules.registration_window(at(12), at(9), at(12), at(12), at(14))
    assert (closing_at_the_start.state, closing_at_the_start.at) == (rules.STARTED, at(12))


def test_registration_ends_at_the_closing_time_or_at_the_start_whichever_comes_first():
    assert rules.registration_ends(at(11), at(12)) == at(11)
    assert rules.registration_ends(at(13), at(12)) == at(12)


@pytest.mark.parametrize(("now", "allowed"), [(at(0), True), (at(11, 59), True), (at(12), False), (at(13), False)])
def test_the_waiting_list_moves_up_only_while_an_offer_could_still_be_confirmed(now, allowed):
    assert rules.may_promote(now, at(12)) is allowed
    assert allowed is (rules.offer_deadline(now, at(12)) > now)


@pytest.mark.parametrize(("state", "old", "new", "allowed"), [
    ("open", 1, 2, True), ("open", 2, 1, True),
    ("closed", 1, 2, False), ("started", 2, 3, False), ("not_yet", 1, 2, False), ("over", 1, 2, False),
    ("closed", 2, 1, True), ("closed", 2, 2, True), ("started", 3, 1, True),
])
def test_a_party_grows_only_while_registration_is_open_and_may_always_shrink(state, old, new, allowed):
    assert rules.may_change_party(rules.RegistrationWindow(state, at(11)), old, new) is allowed


@pytest.mark.parametrize(("state", "taken", "wording"), [
    ("open", 4, ("seats_left", 36, 40)),
    ("open", 40, ("full_waiting", 0, 40)),
    ("not_yet", 0, ("seats_left", 40, 40)),
    ("not_yet", 40, ("full", 0, 40)),
    ("closed", 40, ("seats_taken", 40, 40)),
    ("closed", 4, ("seats_taken", 4, 40)),
    ("started", 4, ("seats_taken", 4, 40)),
    ("over", 0, ("seats_taken", 0, 40)),
    ("never", 0, ("no_registration", 0, 40)),  # not "closed: 0 of 40 taken": it was never open
])
def test_the_seats_invite_to_register_or_to_wait_only_while_registration_is_open(state, taken, wording):
    found = rules.seat_wording(state, 40, taken)
    assert (found.kind, found.count, found.capacity) == wording


@pytest.mark.parametrize(("state", "left", "cancelled", "availability"), [
    ("open", 36, False, "InStock"),
    ("open", 0, False, "SoldOut"),
    ("not_yet", 40, False, "OutOfStock"),
    ("closed", 36, False, "SoldOut"),
    ("started", 36, False, "SoldOut"),
    ("over", 36, False, "SoldOut"),
    ("open", 36, True, "Discontinued"),
    ("closed", 36, True, "Discontinued"),
    ("never", 40, False, "Discontinued"),  # not SoldOut with every seat free: the offer is never made
])
def test_the_offers_availability_follows_the_window(state, left, cancelled, availability):
    assert rules.offer_availability(state, left, cancelled) == availability


# An event moved (break-it pass 2026-12-01): the period holds up to the new start; one moved to before its
# opening never opens (tests/events/test_window_follows_the_move.py: the pages).
def on(day: int, hour: int = 0) -> datetime:
    return datetime(2030, 12, day, hour, tzinfo=UTC)


def test_the_period_is_clipped_to_the_start_and_empty_when_the_opening_is_after_it():
    assert rules.registration_period(on(1), on(10), on(4)) == (on(1), on(4))
    assert rules.registration_period(on(1), on(3), on(4)) == (on(1), on(3))
    assert rules.registration_period(on(7), on(10), on(4)) is None
    assert rules.registration_period(on(4), on(10), on(4)) is None


def test_an_event_moved_before_its_opening_never_opens_and_says_so_not_when_it_would_open():
    window = rules.registration_window(on(1), on(7), on(10), on(4), on(4, 2))

    assert (window.state, window.at, window.is_open) == (rules.NEVER, on(4), False)
    # also once the event began or ended: registration that never opened did not close
    assert rules.registration_window(on(4, 1), on(7), on(10), on(4), on(4, 2)).state == rules.NEVER
    assert rules.registration_window(on(5), on(7), on(10), on(4), on(4, 2)).state == rules.NEVER


def test_a_form_sent_back_as_shown_keeps_the_stored_period_even_when_its_shown_closing_is_the_start():
    stored = (on(7), on(10))

    assert rules.shown_closing(on(10), on(4)) == on(4)
    assert rules.kept_period(on(7), on(4), stored, on(4)) == stored  # the closing the form showed
    assert rules.kept_period(on(7), on(10), stored, on(4)) == stored
    assert rules.kept_period(on(2), on(4), stored, on(4)) == (on(2), on(4))  # a new opening: as posted
    assert rules.kept_period(on(7), on(4, 1), stored, on(4)) == (on(7), on(4, 1))
    assert rules.kept_period(on(7), on(4), None, on(4)) == (on(7), on(4))
