"""Calendar objects in mail (RFC 5546): the event on confirmation, its cancellation after.

Through the whole pipeline (service, outbox, SMTP): the approval carries METHOD:REQUEST,
a later cancellation METHOD:CANCEL with the same UID, a higher SEQUENCE and
STATUS:CANCELLED; ORGANIZER is the configured mailbox, the member the ATTENDEE with
RSVP=FALSE, the MIME `method` equals METHOD, and the texts are in the member's language.
"""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from flask import current_app
from sqlalchemy import select

from booking.db import utcnow
from booking.delivery import deliver_due
from booking.extensions import db
from booking.models import OutboxMessage
from booking.services import staff as staff_service
from booking.services.bookings import BookingInput, cancel_booking, request_booking
from tests.mail.conftest import DAY, calendars_of


@pytest.fixture
def app_config(mail_config):
    return {**mail_config, "CALENDAR_ORGANIZER": "Floor desk <desk@floor.example.jp>"}


def _calendar(message):
    [part] = calendars_of(message)
    calendar = icalendar.Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    return part, calendar, event


@pytest.mark.parametrize("locale,location", [("en", "Event hall"), ("ja", "イベントホール")])
def test_approval_then_cancellation_update_and_remove_the_event(inbox, create_user, create_space, locale, location):
    hall = create_space(slug="hall", name_ja="イベントホール", name_en="Event hall", requires_approval=True,
                        timezone="Europe/Berlin")
    staff = create_user(role="staff")
    member = create_user(locale=locale, name="Anna, B.")
    start = DAY + timedelta(hours=9)  # 10:00 or 11:00 in Berlin
    booking = request_booking(member, BookingInput(hall.id, start, start + timedelta(hours=1), "Kick-off")).booking
    inbox.messages.clear()

    staff_service.approve(staff, booking.id)
    part, calendar, invitation = _calendar(inbox.only_one_to(member.email))
    assert part.get_param("method") == str(calendar["METHOD"]) == "REQUEST"
    inbox.messages.clear()
    cancel_booking(member, booking.id)
    release_waiting_mail()  # the member's undo window (issue 16) has closed
    cancel_part, cancel_calendar, cancellation = _calendar(inbox.only_one_to(member.email))

    assert cancel_part.get_param("method") == str(cancel_calendar["METHOD"]) == "CANCEL"
    assert str(cancellation["UID"]) == str(invitation["UID"]) == booking.uid
    assert int(cancellation["SEQUENCE"]) > int(invitation["SEQUENCE"])
    assert (str(invitation["STATUS"]), str(cancellation["STATUS"])) == ("CONFIRMED", "CANCELLED")
    for event in (invitation, cancellation):
        assert str(event["ORGANIZER"]) == "mailto:desk@floor.example.jp"
        assert str(event["ORGANIZER"].params["CN"]) == "Floor desk"
        attendee = event["ATTENDEE"]
        assert str(attendee) == f"mailto:{member.email}"
        assert attendee.params["RSVP"] == "FALSE"
        assert str(event["LOCATION"]) == location
        assert event.decoded("DTSTART") == start


def test_a_rejection_carries_the_cancellation(inbox, create_user, create_space):
    hall = create_space(requires_approval=True)
    member = create_user(locale="en")
    start = DAY + timedelta(hours=1)
    booking = request_booking(member, BookingInput(hall.id, start, start + timedelta(hours=1), "Talk")).booking
    inbox.messages.clear()

    staff_service.reject(create_user(role="staff"), booking.id, "The hall is closed that day.")

    part, calendar, event = _calendar(inbox.only_one_to(member.email))
    assert part.get_param("method") == str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == booking.uid and str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) >= 1


def release_waiting_mail() -> None:
    """Send the mail that waits out a member's undo window as if the window had closed."""
    for waiting in db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")):
        waiting.due_at = utcnow()
    db.session.commit()
    deliver_due(current_app._get_current_object())
