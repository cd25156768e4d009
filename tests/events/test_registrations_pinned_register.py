"""Registering for a public event, pinned where a visitor or member would notice: the largest party, a second
registration of one address, the calendar SEQUENCE of a registration taken up again, the stored language, the
events that take registrations at all, and a seat the database refuses at the last moment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from booking.domain import events as rules
from booking.extensions import db
from booking.models import OutboxMessage, PublicEvent, Registration
from booking.services import NotFound, ServiceError
from booking.services import registrations as service
from tests.conftest import future_day
from tests.events.factories import make_event
from tests.events.registering import KEY, row, visitor
from tests.events.test_registration_views import calendar_of, mails

START = future_day(10) + timedelta(hours=8)
NOW = START - timedelta(days=5)  # registration open, far from the 48 hours before the start


def event_of(hall, create_user, **overrides):
    values = dict(capacity=30, registration_opens_at=NOW - timedelta(days=10))
    values.update(overrides)
    return make_event(hall, create_user(role="staff"), START, START + timedelta(hours=2), **values)


def registrations_count():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Registration))


def test_a_party_of_eleven_is_refused_saying_at_most_nine_companions(app, hall, create_user):
    event = event_of(hall, create_user)

    with pytest.raises(ServiceError) as refused:
        service.register(event.id, visitor("big@example.jp", companions=10), KEY, now=NOW)

    assert refused.value.message == "At most %(count)s accompanying people."
    assert refused.value.params == {"count": 9}
    assert registrations_count() == 0


def test_a_party_of_ten_is_the_largest_one_taken(app, hall, create_user):
    event = event_of(hall, create_user)

    outcome = service.register(event.id, visitor("ten@example.jp", companions=9), KEY, now=NOW)

    assert outcome.registration.status == "registered"
    assert row("ten@example.jp").party_size == rules.MAX_PARTY


def test_registering_an_address_again_hands_back_the_existing_registration_and_mails_its_link(
        app, hall, create_user):
    event = event_of(hall, create_user)
    first = service.register(event.id, visitor("a@example.jp"), KEY, now=NOW)
    first_id = first.registration.id

    again = service.register(event.id, visitor("A@Example.jp ", companions=2), KEY, now=NOW + timedelta(hours=1))

    assert again.existed is True
    assert again.registration is not None and again.registration.id == first_id
    assert [m.kind for m in mails("a@example.jp")] == ["registration.registered", "registration.link"]
    assert row("a@example.jp").party_size == 1  # nothing else changed


def test_a_new_registration_answers_that_it_did_not_exist_before(app, hall, create_user):
    event = event_of(hall, create_user)

    outcome = service.register(event.id, visitor("new@example.jp"), KEY, now=NOW)

    assert outcome.existed is False


def test_a_new_registrations_calendar_carries_the_events_own_sequence(app, hall, create_user):
    event = event_of(hall, create_user)
    event_sequence = db.session.get(PublicEvent, event.id).sequence

    service.register(event.id, visitor("a@example.jp"), KEY, now=NOW)

    assert row("a@example.jp").sequence == 0
    [mail] = mails("a@example.jp")
    [vevent] = calendar_of(mail).walk("VEVENT")
    assert int(vevent["SEQUENCE"]) == event_sequence


def test_a_registration_taken_up_again_after_cancelling_raises_its_calendar_sequence_by_one(
        app, hall, create_user):
    """Change (1), cancel (2), register again (3): each raises the person's calendar object by exactly one,
    so a calendar that saw the cancellation accepts the new REQUEST."""
    event = event_of(hall, create_user)
    event_sequence = db.session.get(PublicEvent, event.id).sequence
    service.register(event.id, visitor("a@example.jp"), KEY, now=NOW)
    service.change_party(service.secret_of(KEY, row("a@example.jp")), 1, KEY, now=NOW + timedelta(minutes=1))
    service.cancel(service.secret_of(KEY, row("a@example.jp")), KEY, now=NOW + timedelta(minutes=2))
    assert row("a@example.jp").sequence == 2

    outcome = service.register(event.id, visitor("a@example.jp"), KEY, now=NOW + timedelta(minutes=3))

    assert outcome.existed is False
    found = row("a@example.jp")
    assert found.status == "registered" and found.sequence == 3
    last = mails("a@example.jp")[-1]
    assert last.kind == "registration.registered"
    [vevent] = calendar_of(last).walk("VEVENT")
    assert int(vevent["SEQUENCE"]) == event_sequence + 3


def test_a_language_the_product_does_not_speak_is_stored_as_japanese(app, hall, create_user):
    event = event_of(hall, create_user)

    service.register(event.id, visitor("fr@example.jp", locale="fr"), KEY, now=NOW)
    service.register(event.id, visitor("en@example.jp", locale="en"), KEY, now=NOW)

    assert row("fr@example.jp").locale == "ja"
    assert mails("fr@example.jp")[0].locale == "ja"
    assert row("en@example.jp").locale == "en"


@pytest.mark.parametrize("status", ["pending", "withdrawn", "rejected"])
def test_an_event_not_published_takes_no_registration_although_its_booking_is_confirmed(
        app, hall, create_user, status):
    event = event_of(hall, create_user, status=status)

    with pytest.raises(NotFound):
        service.register(event.id, visitor("a@example.jp"), KEY, now=NOW)

    assert registrations_count() == 0


def test_a_seat_the_database_refuses_at_the_last_moment_puts_the_party_on_the_waiting_list(
        app, hall, create_user, monkeypatch):
    """The seats looked free when read (as when another writer took the last one in between), so the write
    of a seated party hits the seats_within_capacity CHECK: the registration is written once more, waiting,
    for the member who made it, with a personal link that works, and the waiting mail is sent."""
    event = event_of(hall, create_user, capacity=1)
    service.register(event.id, visitor("first@example.jp"), KEY, now=NOW)
    member = create_user(email="late@example.jp")
    member_id = member.id
    monkeypatch.setattr(rules, "placement", lambda capacity, taken, party: rules.REGISTERED)

    outcome = service.register(event.id, visitor("late@example.jp"), KEY, member=member,
                               now=NOW + timedelta(minutes=5))

    assert outcome.registration is not None
    assert outcome.registration.status == "waiting" and outcome.existed is False
    found = row("late@example.jp")
    assert found.status == "waiting" and found.user_id == member_id
    assert found.queued_at == NOW + timedelta(minutes=5)
    assert service.find_by_secret(service.secret_of(KEY, found)).id == found.id
    assert [m.kind for m in mails("late@example.jp")] == ["registration.waiting"]
    assert service.seat_counts(event.id) == (1, 1)


def test_a_database_refusal_other_than_the_seat_guard_is_not_taken_for_a_full_event(app, hall, create_user):
    """Only the seats_within_capacity CHECK sends a party to the waiting list; any other refusal (here the one
    registration per address) is an error, not a full event."""
    event = event_of(hall, create_user)
    service.register(event.id, visitor("a@example.jp"), KEY, now=NOW)
    duplicate = Registration(event_id=event.id, email="a@example.jp", name="again", status="waiting",
                             token_hash="0" * 64, consented_at=NOW, created_at=NOW)
    db.session.add(duplicate)
    with pytest.raises(IntegrityError) as refused:
        db.session.flush()
    db.session.rollback()

    assert service.is_seat_refusal(refused.value) is False


def test_no_mail_is_written_for_a_refused_party(app, hall, create_user):
    event = event_of(hall, create_user)
    with pytest.raises(ServiceError):
        service.register(event.id, visitor("big@example.jp", companions=10), KEY, now=NOW)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
