"""The waiting list moving up, pinned: who moves up and in which order, what a promotion well ahead of the
event stores, a party passed over told once, the expiry job's count, an offer lapsing on a cancelled booking,
and open offers following an event moved earlier (only that event's, only open ones, each raised once)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from booking.extensions import db
from booking.models import Booking, Registration
from booking.services import registrations as service
from booking.services.bookings import cancel_booking
from booking.services.changes import BookingChange, change_booking
from tests.conftest import future_day
from tests.events.factories import make_event
from tests.events.registering import KEY, row, secret, visitor
from tests.events.test_registration_views import calendar_of, mails

START = future_day(10) + timedelta(hours=11)  # 20:00 in Tokyo
AHEAD = START - timedelta(days=5)  # more than 48 hours before the start: a promotion seats the party
NOW = START - timedelta(hours=14)  # 06:00: within 48 hours, so a promotion is an offer until 18:00
EARLIER = future_day(10) + timedelta(hours=1)  # 10:00 in Tokyo, before the offer's deadline


def kinds(email):
    return [m.kind for m in mails(email)]


def register_all(event, emails, now, companions=0):
    for email in emails:
        service.register(event.id, visitor(email, companions), KEY, now=now)


@pytest.fixture
def staff(create_user):
    return create_user(role="staff")


@pytest.fixture
def event(hall, staff):
    return make_event(hall, staff, START, START + timedelta(hours=1), capacity=2,
                      registration_opens_at=START - timedelta(days=10))


@pytest.fixture
def other_event(create_space, staff):
    annex = create_space(slug="annex", max_people=40)
    return make_event(annex, staff, START, START + timedelta(hours=1), capacity=2,
                      registration_opens_at=START - timedelta(days=10))


def _move_earlier(staff, booking_id):
    booking = db.session.get(Booking, booking_id)
    outcome = change_booking(staff, booking_id, BookingChange(EARLIER, EARLIER + timedelta(hours=1), booking.title,
                                                              booking.is_public), now=NOW + timedelta(minutes=1))
    assert not outcome.conflicts


# -- promotions ---------------------------------------------------------------------------------------------------

def test_a_promotion_well_ahead_of_the_event_seats_the_party_with_no_deadline(app, event):
    register_all(event, ("a@example.jp", "b@example.jp", "c@example.jp"), AHEAD)

    service.cancel(secret("a@example.jp"), KEY, now=AHEAD + timedelta(hours=1))

    promoted = row("c@example.jp")
    assert promoted.status == "registered" and promoted.offer_expires_at is None
    mail = mails("c@example.jp")[-1]
    assert mail.kind == "registration.promoted" and mail.payload["offer_expires_at"] == ""


def test_a_party_passed_over_is_told_once_however_often_seats_come_free(app, hall, staff):
    event = make_event(hall, staff, START, START + timedelta(hours=1), capacity=3,
                       registration_opens_at=START - timedelta(days=10))
    register_all(event, ("a@example.jp", "b@example.jp", "c@example.jp"), AHEAD)
    service.register(event.id, visitor("big@example.jp", companions=2), KEY, now=AHEAD)
    register_all(event, ("d@example.jp", "e@example.jp"), AHEAD)

    service.cancel(secret("a@example.jp"), KEY, now=AHEAD + timedelta(hours=1))
    assert row("big@example.jp").passed_over_at == AHEAD + timedelta(hours=1)
    service.cancel(secret("b@example.jp"), KEY, now=AHEAD + timedelta(hours=2))

    assert row("d@example.jp").status == "registered" and row("e@example.jp").status == "registered"
    big = row("big@example.jp")
    assert big.status == "waiting" and big.passed_over_at == AHEAD + timedelta(hours=1)
    assert kinds("big@example.jp") == ["registration.waiting", "registration.passed_over"]


def test_a_party_taken_up_again_waits_behind_those_who_queued_meanwhile(app, event):
    """The queue goes by the time each party joined it: a registration cancelled and taken up again keeps its
    row (and its lower id) but queues at the end."""
    register_all(event, ("s@example.jp", "t@example.jp"), AHEAD)
    register_all(event, ("a@example.jp", "b@example.jp"), AHEAD + timedelta(minutes=1))
    service.cancel(secret("a@example.jp"), KEY, now=AHEAD + timedelta(minutes=2))
    service.register(event.id, visitor("a@example.jp"), KEY, now=AHEAD + timedelta(minutes=3))
    assert row("a@example.jp").id < row("b@example.jp").id
    assert row("a@example.jp").status == "waiting"

    service.cancel(secret("s@example.jp"), KEY, now=AHEAD + timedelta(minutes=4))

    assert row("b@example.jp").status == "registered"
    assert row("a@example.jp").status == "waiting"


def test_seats_freed_at_one_event_go_to_its_own_waiting_list_only(app, event, other_event):
    register_all(other_event, ("x1@example.jp", "x2@example.jp", "xw@example.jp"), AHEAD)  # xw queued first
    register_all(event, ("a@example.jp", "b@example.jp", "c@example.jp"), AHEAD + timedelta(minutes=1))

    service.cancel(secret("a@example.jp"), KEY, now=AHEAD + timedelta(minutes=2))

    assert row("c@example.jp").status == "registered"
    assert row("xw@example.jp").status == "waiting"
    assert kinds("xw@example.jp") == ["registration.waiting"]
    assert service.seat_counts(other_event.id) == (2, 1)


# -- the expiry job -----------------------------------------------------------------------------------------------

def test_the_expiry_job_counts_every_offer_it_lets_lapse(app, event):
    register_all(event, ("a@example.jp", "b@example.jp", "c@example.jp", "d@example.jp"), AHEAD)
    service.cancel(secret("a@example.jp"), KEY, now=NOW)
    service.cancel(secret("b@example.jp"), KEY, now=NOW)
    assert row("c@example.jp").status == "offered" and row("d@example.jp").status == "offered"

    assert service.expire_offers(KEY, NOW + timedelta(hours=12)) == 2

    assert row("c@example.jp").status == "expired" and row("d@example.jp").status == "expired"


def test_an_offer_lapsing_after_the_booking_was_cancelled_moves_nobody_up(app, event, staff):
    register_all(event, ("a@example.jp", "b@example.jp", "c@example.jp", "d@example.jp"), AHEAD)
    service.cancel(secret("a@example.jp"), KEY, now=NOW)
    assert row("c@example.jp").status == "offered"
    cancel_booking(staff, event.booking_id, note="Building inspection")
    offered, waiting = row("c@example.jp"), row("d@example.jp")
    assert (offered.status, waiting.status) == ("offered", "waiting")  # the cancellation told them, kept the rows
    told = kinds("d@example.jp")

    assert service.expire_offers(KEY, NOW + timedelta(hours=12)) == 1

    assert row("c@example.jp").status == "expired"
    assert row("d@example.jp").status == "waiting"
    assert kinds("d@example.jp") == told  # no offer of a seat at a cancelled event


# -- open offers following the event moved earlier ----------------------------------------------------------------

@pytest.fixture
def offered(event):
    """c@ holds an offer until 18:00 (a cancelled, b registered); the event starts at 20:00."""
    register_all(event, ("a@example.jp", "b@example.jp", "c@example.jp"), NOW - timedelta(hours=1))
    service.cancel(secret("a@example.jp"), KEY, now=NOW)
    assert row("c@example.jp").offer_expires_at == NOW + timedelta(hours=12)
    return event


def test_moving_one_event_earlier_leaves_another_events_offers_alone(app, offered, other_event, staff):
    register_all(other_event, ("x1@example.jp", "x2@example.jp", "xc@example.jp"), NOW - timedelta(hours=1))
    service.cancel(secret("x1@example.jp"), KEY, now=NOW)
    assert row("xc@example.jp").offer_expires_at == NOW + timedelta(hours=12)

    _move_earlier(staff, offered.booking_id)

    assert row("c@example.jp").offer_expires_at == EARLIER
    untouched = row("xc@example.jp")
    assert untouched.offer_expires_at == NOW + timedelta(hours=12) and untouched.sequence == 0
    assert "registration.offer_moved" not in kinds("xc@example.jp")


def test_moving_the_event_earlier_leaves_a_lapsed_offer_as_it_lapsed(app, offered, staff):
    deadline = row("c@example.jp").offer_expires_at
    assert service.expire_offers(KEY, deadline) == 1

    _move_earlier(staff, offered.booking_id)

    lapsed = row("c@example.jp")
    assert lapsed.status == "expired" and lapsed.offer_expires_at == deadline
    assert "registration.offer_moved" not in kinds("c@example.jp")


def test_an_offered_row_without_a_deadline_does_not_stop_the_other_offers_following_the_move(
        app, offered, staff):
    """An older row (offered, no deadline) is skipped; the offers after it still follow the move."""
    db.session.execute(update(Registration).where(Registration.email == "b@example.jp")
                       .values(status="offered", offer_expires_at=None))
    db.session.commit()
    assert row("b@example.jp").id < row("c@example.jp").id

    _move_earlier(staff, offered.booking_id)

    assert row("b@example.jp").offer_expires_at is None
    assert row("c@example.jp").offer_expires_at == EARLIER
    assert "registration.offer_moved" in kinds("c@example.jp")


def test_an_offer_following_the_move_raises_its_calendar_sequence_by_one(app, event, staff):
    """c@ shrank its party while waiting (sequence 1), was offered a seat, then the event moved: 2."""
    register_all(event, ("a@example.jp", "b@example.jp"), NOW - timedelta(hours=2))
    service.register(event.id, visitor("c@example.jp", companions=1), KEY, now=NOW - timedelta(hours=2))
    service.change_party(secret("c@example.jp"), 0, KEY, now=NOW - timedelta(hours=1))
    service.cancel(secret("a@example.jp"), KEY, now=NOW)
    offer = row("c@example.jp")
    assert offer.status == "offered" and offer.sequence == 1

    _move_earlier(staff, event.booking_id)

    assert row("c@example.jp").sequence == 2
    offered_mail = next(m for m in mails("c@example.jp") if m.kind == "registration.offered")
    moved_mail = next(m for m in mails("c@example.jp") if m.kind == "registration.offer_moved")
    [before] = calendar_of(offered_mail).walk("VEVENT")
    [after] = calendar_of(moved_mail).walk("VEVENT")
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
