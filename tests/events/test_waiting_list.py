"""The waiting list in the services: offers within 48 hours, the job that lets them lapse, booking changes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from booking import jobs
from booking.db import utcnow
from booking.extensions import db
from booking.models import OutboxMessage, PublicEvent, Registration
from booking.services import registrations as service
from booking.services.bookings import cancel_booking
from tests.events.factories import make_event

KEY = "test-secret"
EXPECTED_LINK_SECRET = "fHvpQ8Y5Y4_tcnO_r76vU5GSaE5k-Hy9z_jryqqBQGY"  # event 7, a@example.jp, 2026-12-01 09:30 UTC


def visitor(email, companions=0):
    return service.RegistrationInput(name=email, email=email, companions=companions, consent=True)


def status(email):
    db.session.rollback()
    return db.session.scalar(select(Registration.status).where(Registration.email == email))


def kinds(email):
    db.session.rollback()
    return [m.kind for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(OutboxMessage.id))]


def secret(email):
    db.session.rollback()
    found = db.session.scalar(select(Registration).where(Registration.email == email))
    return service.secret_of(KEY, found)


def soon_event(hall, create_user, hours_ahead=30):
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours_ahead)
    return make_event(hall, create_user(role="staff"), start, start + timedelta(hours=2), capacity=2,
                      registration_opens_at=start - timedelta(days=10))


def test_within_48_hours_a_promotion_is_an_offer_that_lapses_and_passes_on(app, hall, create_user):
    event = soon_event(hall, create_user)
    for email in ("a@example.jp", "b@example.jp", "c@example.jp", "d@example.jp"):
        service.register(event.id, visitor(email), KEY)
    assert [status(e) for e in ("a@example.jp", "b@example.jp", "c@example.jp")] == [
        "registered", "registered", "waiting"]

    service.cancel(secret("a@example.jp"), KEY)
    assert status("c@example.jp") == "offered"
    assert kinds("c@example.jp")[-1] == "registration.offered"

    later = db.session.scalar(select(Registration.offer_expires_at).where(
        Registration.email == "c@example.jp")) + timedelta(seconds=1)
    assert service.expire_offers(KEY, later) == 1
    assert status("c@example.jp") == "expired"
    assert status("d@example.jp") == "offered"
    assert "registration.expired" in kinds("c@example.jp")
    [expired] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "c@example.jp",
                                                                OutboxMessage.kind == "registration.expired"))
    assert [dict(a["params"])["method"] for a in expired.attachments] == ["CANCEL"]  # the entry leaves calendars


def test_an_offer_confirmed_in_time_becomes_a_registration(app, hall, create_user):
    event = soon_event(hall, create_user)
    for email in ("a@example.jp", "b@example.jp", "c@example.jp"):
        service.register(event.id, visitor(email), KEY)
    service.cancel(secret("a@example.jp"), KEY)
    service.confirm_offer(secret("c@example.jp"), KEY)
    assert status("c@example.jp") == "registered"


def offered_event(hall, create_user):
    """c@example.jp holds an offer (a cancelled, b registered); its deadline."""
    event = soon_event(hall, create_user)
    for email in ("a@example.jp", "b@example.jp", "c@example.jp"):
        service.register(event.id, visitor(email), KEY)
    service.cancel(secret("a@example.jp"), KEY)
    deadline = db.session.scalar(select(Registration.offer_expires_at).where(Registration.email == "c@example.jp"))
    return event, deadline


def test_an_offer_lapses_at_its_deadline_itself(app, hall, create_user):
    _, deadline = offered_event(hall, create_user)

    assert service.expire_offers(KEY, deadline) == 1
    assert status("c@example.jp") == "expired"


def test_an_offer_past_its_deadline_cannot_be_confirmed_and_says_so(app, hall, create_user):
    import pytest

    from booking.services import Stale

    _, deadline = offered_event(hall, create_user)

    with pytest.raises(Stale) as refused:
        service.confirm_offer(secret("c@example.jp"), KEY, now=deadline)
    assert refused.value.message == "This offer is no longer open."
    assert status("c@example.jp") == "offered"


def test_the_seat_counts_read_from_the_rows_agree_with_the_seats_the_event_keeps(app, hall, create_user):
    event, _ = offered_event(hall, create_user)  # a cancelled, b registered, c offered
    service.register(event.id, visitor("d@example.jp", companions=1), KEY)

    assert service.seat_counts(event.id) == (2, 2)
    db.session.rollback()
    assert db.session.get(PublicEvent, event.id).seats_taken == 2


def test_the_job_runner_has_the_offer_expiry_job(app):
    import booking.schedules  # noqa: F401

    assert "events.expire_offers" in [job.name for job in jobs.registered()]


def test_cancelling_the_booking_mails_everyone_registered_or_waiting_with_a_cancellation(
        app, hall, create_user):
    event = soon_event(hall, create_user, hours_ahead=24 * 10)
    for email in ("a@example.jp", "b@example.jp", "c@example.jp"):
        service.register(event.id, visitor(email), KEY)
    staff = create_user(role="staff")
    booking_id = db.session.get(PublicEvent, event.id).booking_id

    cancel_booking(staff, booking_id, note="Building inspection")

    for email in ("a@example.jp", "b@example.jp", "c@example.jp"):
        assert kinds(email)[-1] == "event.cancelled"
    db.session.rollback()
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "a@example.jp")
                                 .order_by(OutboxMessage.id.desc())).first()
    assert message.attachments[0]["params"] and "CANCEL" in str(message.attachments[0]["params"])


def test_moving_the_booking_mails_everyone_the_calendar_update_with_a_higher_sequence(app, hall, create_user):
    import base64

    from icalendar import Calendar

    event = soon_event(hall, create_user, hours_ahead=24 * 10)
    service.register(event.id, visitor("a@example.jp"), KEY)
    booking = db.session.get(PublicEvent, event.id).booking
    booking.start_dt += timedelta(hours=1)
    booking.end_dt += timedelta(hours=1)
    db.session.commit()

    assert kinds("a@example.jp") == ["registration.registered", "event.updated"]
    first, update = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "a@example.jp")
                                       .order_by(OutboxMessage.id))
    old, new = (Calendar.from_ical(base64.b64decode(m.attachments[0]["data"])) for m in (first, update))
    [old_event], [new_event] = old.walk("VEVENT"), new.walk("VEVENT")
    assert new["METHOD"] == "REQUEST" and new_event["UID"] == old_event["UID"]
    assert int(new_event["SEQUENCE"]) > int(old_event["SEQUENCE"])
    assert new_event.decoded("DTSTART") == old_event.decoded("DTSTART") + timedelta(hours=1)
    from flask_babel import force_locale

    from booking.services import outbox

    with app.test_request_context(), force_locale("en"):
        _, body = outbox.renderer_for(update.kind)(update.payload, "en")
    assert "The time or place of this event has changed." in body


def test_offers_lapse_under_their_spaces_write_lock(app, hall, create_user, locked_spaces):
    _, deadline = offered_event(hall, create_user)
    locked = locked_spaces
    locked.clear()  # only what the lapse locks

    assert service.expire_offers(KEY, deadline) == 1
    assert locked[0] == hall.id


def test_raising_the_capacity_seats_the_waiting_list(app, hall, create_user):
    from booking.services import public_events

    event = soon_event(hall, create_user, hours_ahead=24 * 10)
    for email in ("a@example.jp", "b@example.jp", "c@example.jp"):
        service.register(event.id, visitor(email), KEY)
    assert status("c@example.jp") == "waiting"
    staff = create_user(role="staff")
    current = db.session.get(PublicEvent, event.id)
    data = public_events.EventInput(
        title_ja=current.title_ja, capacity=3, registration_opens_at=current.registration_opens_at,
        registration_closes_at=current.registration_closes_at)

    saved = public_events.save_event(staff, current.booking_id, data, key=KEY)

    assert saved.ok
    assert status("c@example.jp") == "registered"
    assert kinds("c@example.jp")[-1] == "registration.promoted"


def test_the_database_refuses_a_capacity_below_the_seats_taken(app, hall, create_user):
    import pytest
    from sqlalchemy.exc import IntegrityError

    event = soon_event(hall, create_user, hours_ahead=24 * 10)
    for email in ("a@example.jp", "b@example.jp"):
        service.register(event.id, visitor(email), KEY)
    current = db.session.get(PublicEvent, event.id)
    current.capacity = 1
    with pytest.raises(IntegrityError) as refused:
        db.session.commit()
    db.session.rollback()
    assert service.is_seat_refusal(refused.value)


def test_once_the_event_has_started_a_cancellation_offers_nobody_the_freed_seats(app, hall, create_user):
    event = soon_event(hall, create_user)
    for email in ("a@example.jp", "b@example.jp", "c@example.jp"):
        service.register(event.id, visitor(email), KEY)

    service.cancel(secret("a@example.jp"), KEY, now=event.booking.start_dt + timedelta(minutes=5))

    assert status("a@example.jp") == "cancelled" and status("c@example.jp") == "waiting"
    assert kinds("c@example.jp") == ["registration.waiting"]
    assert db.session.scalar(select(Registration.offer_expires_at).where(Registration.email == "c@example.jp")) is None


def test_once_the_event_has_started_a_smaller_party_frees_seats_for_nobody(app, hall, create_user):
    event = soon_event(hall, create_user)
    service.register(event.id, visitor("a@example.jp", companions=1), KEY)
    service.register(event.id, visitor("c@example.jp"), KEY)

    service.change_party(secret("a@example.jp"), 0, KEY, now=event.booking.start_dt + timedelta(minutes=5))

    assert status("c@example.jp") == "waiting" and kinds("c@example.jp") == ["registration.waiting"]


def test_an_offer_lapsing_at_the_start_passes_its_seats_to_nobody(app, hall, create_user):
    event = soon_event(hall, create_user)
    for email in ("a@example.jp", "b@example.jp", "c@example.jp", "d@example.jp"):
        service.register(event.id, visitor(email), KEY)
    start = event.booking.start_dt
    service.cancel(secret("a@example.jp"), KEY, now=start - timedelta(hours=2))  # c is offered until the start
    assert status("c@example.jp") == "offered"

    assert service.expire_offers(KEY, start) == 1

    assert status("c@example.jp") == "expired" and status("d@example.jp") == "waiting"
    assert kinds("d@example.jp") == ["registration.waiting"]


def test_a_registration_without_consent_or_after_closing_is_refused_and_says_why(app, hall, create_user):
    import pytest

    from booking.services import ServiceError

    event = soon_event(hall, create_user)
    with pytest.raises(ServiceError) as no_consent:
        service.register(event.id, service.RegistrationInput(name="A", email="a@example.jp", consent=False), KEY)
    assert no_consent.value.message == "Please agree to the privacy notice to register."

    with pytest.raises(service.RegistrationClosed) as closed:
        service.register(event.id, visitor("b@example.jp"), KEY, now=event.booking.start_dt + timedelta(minutes=1))
    assert closed.value.message == "Registration for this event is not open."


def test_a_personal_link_is_derived_the_same_way_across_releases():
    """Links already mailed must keep working after an upgrade: the derivation is pinned."""
    from datetime import UTC, datetime

    secret = service.link_secret("test-secret", 7, "a@example.jp", datetime(2026, 12, 1, 9, 30, tzinfo=UTC))

    assert secret == EXPECTED_LINK_SECRET
