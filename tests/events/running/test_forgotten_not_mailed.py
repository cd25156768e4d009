"""A registrant forgotten through "Delete my data" (or the event's data removed) keeps a placeholder address
(checkin.forgotten_email) under the reserved TLD: staff's message to all, the reminder and the event's
withdrawal write nothing to it, and what they say they told counts only those mailed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from booking.domain.checkin import is_forgotten
from booking.extensions import db
from booking.models import BookingEvent, OutboxMessage, Registration
from booking.services import attendee_mail
from booking.services.retention import forget_person
from tests.events.running.test_attendee_mail import tomorrow_at_five, zone_where_the_reminder_is_due


def _forgotten(register, event, **overrides):
    registration = register(event, email="gone@example.jp", **overrides)
    forget_person(registration)
    db.session.commit()
    assert is_forgotten(registration.email)
    return registration


def _recipients():
    db.session.rollback()
    return sorted(db.session.scalars(select(OutboxMessage.recipient)))


def test_staff_message_to_all_skips_a_forgotten_registrant_and_counts_only_those_told(
        app, create_event, create_user, register):
    staff = create_user(role="staff")
    event = create_event()
    register(event, email="a@example.jp")
    _forgotten(register, event)
    _forgotten(register, event, status="waiting")
    db.session.execute(db.delete(OutboxMessage))
    db.session.commit()

    told = attendee_mail.mail_registrants(event.id, staff, "Hi", "All", attendee_mail.Audience(include_waiting=True))

    assert told == 1
    assert _recipients() == ["a@example.jp"]
    assert db.session.scalar(select(BookingEvent.note).where(BookingEvent.action == "mailed")) == "Hi (1)"


def test_withdrawing_the_event_cancels_a_forgotten_registration_without_mailing_it(
        app, create_event, create_user, register):
    staff = create_user(role="staff")
    event = create_event()
    register(event, email="a@example.jp")
    gone = _forgotten(register, event)
    db.session.execute(db.delete(OutboxMessage))
    db.session.commit()

    told = attendee_mail.withdraw_event(event.id, staff, "", release_booking=False)

    assert told == 1
    assert _recipients() == ["a@example.jp"]
    assert db.session.get(Registration, gone.id).status == "cancelled"
    assert db.session.scalar(select(BookingEvent.note).where(BookingEvent.action == "withdrawn")) == "1"


def test_no_reminder_is_written_to_a_forgotten_registrant(app, create_event, create_space, register):
    zone = zone_where_the_reminder_is_due()
    event = create_event(space=create_space(timezone=zone), start_dt=tomorrow_at_five(zone))
    register(event, email="a@example.jp")
    _forgotten(register, event)
    db.session.execute(db.delete(OutboxMessage))
    db.session.commit()

    assert attendee_mail.send_reminders(datetime.now(UTC)) == 1
    assert _recipients() == ["a@example.jp"]
