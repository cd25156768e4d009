"""An offer made before its event is moved earlier (break-it pass 2026-12-01): no offer may outlive the start
(rules.offer_deadline), so every path that moves an event's start (staff's change, a member's change, an
approved proposal: booking.services.changes._move) pulls open offers' deadlines in to the new start and
mails the new deadline; an offer confirmed once the event has begun is refused with a clear message and
nothing written, whatever its stored deadline says (older rows, or a race with the move)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select, update

from booking.extensions import db
from booking.models import Booking, OutboxMessage, Registration
from booking.services import registrations as service
from booking.services.changes import BookingChange, approve_change, change_booking
from booking.services.outbox import renderer_for
from tests.conftest import future_day
from tests.events.factories import make_event
from tests.events.test_registration_views import mails, rendered

KEY = "test-secret"
START = future_day(10) + timedelta(hours=11)  # 20:00 in Tokyo
NOW = START - timedelta(hours=14)  # 06:00: within 48 hours, so a promotion is an offer until 18:00
EARLIER = future_day(10) + timedelta(hours=1)  # 10:00 in Tokyo, before the offer's deadline


def _row(email):
    db.session.rollback()
    return db.session.scalar(select(Registration).where(Registration.email == email))


@pytest.fixture
def offered(hall, create_user):
    """An event of capacity 2 where c@ has been offered a seat until 18:00, the event starting at 20:00."""
    event = make_event(hall, create_user(role="staff"), START, START + timedelta(hours=1), capacity=2,
                       registration_opens_at=NOW - timedelta(days=5))
    for email in ("a@example.jp", "b@example.jp", "c@example.jp"):
        service.register(event.id, service.RegistrationInput(name=email, email=email, consent=True), KEY,
                         now=NOW - timedelta(hours=1))
    service.cancel(service.secret_of(KEY, _row("a@example.jp")), KEY, now=NOW)
    found = _row("c@example.jp")
    assert found.status == "offered" and found.offer_expires_at == NOW + timedelta(hours=12)
    return event


def _move_earlier(staff, booking_id):
    booking = db.session.get(Booking, booking_id)
    return change_booking(staff, booking_id, BookingChange(EARLIER, EARLIER + timedelta(hours=1), booking.title,
                                                           booking.is_public), now=NOW + timedelta(minutes=1))


def test_staff_moving_the_event_earlier_pulls_the_offer_deadline_in_to_the_new_start(app, offered, create_user):
    outcome = _move_earlier(create_user(role="staff"), offered.booking_id)

    assert not outcome.conflicts
    assert _row("c@example.jp").offer_expires_at == EARLIER
    sent = mails("c@example.jp")
    offers = [m.kind for m in sent if m.kind.startswith("registration.offer")]
    moved = next(m for m in sent if m.kind == "registration.offer_moved")
    with app.test_request_context():
        subject, body = rendered(moved)
        with force_locale("en"):
            en_subject, en_body = renderer_for(moved.kind)(moved.payload, "en")
    assert offers == ["registration.offered", "registration.offer_moved"]  # the offer, then its new deadline
    assert moved.payload["offer_expires_at"] == EARLIER.isoformat() and "10:00（Asia/Tokyo）" in body
    # it says why the deadline moved, not the first offer's "a seat is free" again
    assert subject.startswith("日時変更により確認期限が早まりました") and "イベントの日時が早まったため" in body
    assert en_subject.startswith("The event moved") and "moved to an earlier time" in en_body
    assert sent[-1].kind == "registration.offer_moved"  # its only mail of the move (test_one_mail_per_move)
    assert _row("b@example.jp").offer_expires_at is None  # seated registrations are left alone


def test_moving_the_event_to_a_start_after_the_deadline_leaves_the_offer_deadline_as_it_was(offered, create_user):
    booking = db.session.get(Booking, offered.booking_id)
    moved = START - timedelta(minutes=90)  # 18:30, after the 18:00 deadline (later than 20:00 is past closing)
    outcome = change_booking(create_user(role="staff"), booking.id, BookingChange(moved, moved + timedelta(hours=1),
                                                                                  booking.title, True), now=NOW)

    assert not outcome.conflicts

    assert _row("c@example.jp").offer_expires_at == NOW + timedelta(hours=12)


def test_an_approved_proposal_moving_the_event_earlier_pulls_the_offer_deadline_in(offered, create_user):
    staff = create_user(role="staff")
    db.session.execute(update(Booking).where(Booking.id == offered.booking_id).values(
        proposed_start_dt=EARLIER, proposed_end_dt=EARLIER + timedelta(hours=1), proposed_seats=1,
        proposed_at=NOW))
    db.session.commit()

    approve_change(staff, offered.booking_id, now=NOW + timedelta(minutes=1))

    assert _row("c@example.jp").offer_expires_at == EARLIER


def test_the_offer_of_an_event_moved_earlier_cannot_be_confirmed_after_the_new_start(offered, create_user):
    _move_earlier(create_user(role="staff"), offered.booking_id)
    outbox_before = db.session.scalar(select(db.func.count()).select_from(OutboxMessage))

    with pytest.raises(service.OfferAfterStart) as refused:
        service.confirm_offer(service.secret_of(KEY, _row("c@example.jp")), KEY, now=EARLIER + timedelta(minutes=1))

    assert refused.value.status_code == 409
    assert _row("c@example.jp").status == "offered"
    assert db.session.scalar(select(db.func.count()).select_from(OutboxMessage)) == outbox_before


def test_an_offer_whose_stored_deadline_outlives_the_start_is_refused_once_the_event_began(offered):
    """A row written before the fix (or moved by hand): the start decides, not only the stored deadline."""
    db.session.execute(update(Booking).where(Booking.id == offered.booking_id)
                       .values(start_dt=EARLIER, end_dt=EARLIER + timedelta(hours=1)))
    db.session.commit()
    assert _row("c@example.jp").offer_expires_at > EARLIER

    with pytest.raises(service.OfferAfterStart):
        service.confirm_offer(service.secret_of(KEY, _row("c@example.jp")), KEY, now=EARLIER)

    assert _row("c@example.jp").status == "offered"


def test_the_personal_page_refuses_a_confirmation_after_the_start_with_a_clear_message(
        client, offered, create_user, monkeypatch):
    _move_earlier(create_user(role="staff"), offered.booking_id)
    secret = service.secret_of(KEY, _row("c@example.jp"))
    monkeypatch.setattr("booking.services.registrations.utcnow", lambda: EARLIER + timedelta(minutes=1))

    response = client.submit(f"/events/r/{secret}", {"action": "confirm", "companions": "0"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    assert response.status_code == 302 and "イベントが始まっているため" in page
    assert _row("c@example.jp").status == "offered"
