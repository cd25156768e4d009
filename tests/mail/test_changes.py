"""Mail and feeds after a change and after an expiry: same UID, higher SEQUENCE, no TENTATIVE left."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest

from booking.extensions import db
from booking.models import Booking
from booking.services import feed_tokens
from booking.services import staff as staff_service
from booking.services.bookings import BookingInput, request_booking
from booking.services.changes import BookingChange, change_booking, decline_change
from booking.services.expiry import expire_due_requests
from tests.mail.conftest import DAY, calendars_of, text_of


@pytest.fixture
def staff(create_user):
    return create_user(role="staff", name="Staff Sato", email="sato@floor.example.jp")


@pytest.fixture
def member(create_user):
    return create_user(name="Mori Aki", email="aki@example.jp", locale="en")


def ask(member, space, hour=1, now=None):
    start = DAY + timedelta(hours=hour)
    outcome = request_booking(member, BookingInput(space.id, start, start + timedelta(hours=1), "Kick-off"), now=now)
    assert outcome.ok, outcome.conflicts
    return outcome.booking


def feed_event(client, member, uid):
    response = client.get(f"/feeds/{feed_tokens.renew_token(member, 'member')}/bookings.ics")
    assert response.status_code == 200
    found = [e for e in icalendar.Calendar.from_ical(response.data).walk("VEVENT") if str(e["UID"]) == uid]
    assert len(found) == 1
    return found[0]


def test_a_change_mails_an_itip_request_with_the_same_uid_and_a_higher_sequence(
        client, inbox, create_space, member):
    room = create_space(name_en="Studio")
    booking = ask(member, room)
    uid, first_sequence = booking.uid, booking.sequence
    inbox.messages.clear()

    later = DAY + timedelta(hours=3)
    assert change_booking(member, booking.id, BookingChange(later, later + timedelta(hours=2), "Longer kick-off",
                                                            False)).ok

    mail = inbox.only_one_to("aki@example.jp")
    assert mail["Subject"] == "Booking changed: Longer kick-off"
    assert "12:00–14:00" in text_of(mail)  # 03:00 UTC is noon in Tokyo
    [part] = calendars_of(mail)
    assert part.get_param("method") == "REQUEST"
    calendar = icalendar.Calendar.from_ical(part.get_content())
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) > first_sequence
    assert str(event["ORGANIZER"]).lower() == "mailto:booking@floor.example.jp"
    assert str(event["ATTENDEE"]).lower() == "mailto:aki@example.jp"
    assert event.decoded("DTSTART") == later

    in_feed = feed_event(client, member, uid)
    assert in_feed.decoded("DTSTART") == later and int(in_feed["SEQUENCE"]) == int(event["SEQUENCE"])
    assert str(in_feed["SUMMARY"]) == "Longer kick-off"


def test_a_proposed_change_tells_staff_and_a_declined_one_tells_the_member(
        inbox, create_space, member, staff):
    hall = create_space(requires_approval=True)
    booking = ask(member, hall)
    staff_service.approve(staff, booking.id)
    inbox.messages.clear()

    later = DAY + timedelta(hours=5)
    assert change_booking(member, booking.id, BookingChange(later, later + timedelta(hours=1), "Kick-off",
                                                            False)).is_proposal
    waiting = inbox.only_one_to("sato@floor.example.jp")
    assert "14:00～15:00" in text_of(waiting) and "/staff/bookings/" in text_of(waiting)
    assert "Mori Aki（Test Org）" in text_of(waiting)  # who asks for the change, and for which organisation
    assert calendars_of(inbox.only_one_to("aki@example.jp")) == []  # nothing changed in the calendar yet
    inbox.messages.clear()

    decline_change(staff, booking.id, "The hall is taken for a rehearsal.")

    declined = inbox.only_one_to("aki@example.jp")
    assert declined["Subject"] == "Change rejected: Kick-off"
    assert "The hall is taken for a rehearsal." in text_of(declined)


def test_an_expired_request_is_mailed_and_leaves_tentative_in_the_feed(client, inbox, create_space, member):
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    booking = ask(member, hall, now=DAY - timedelta(days=3))
    assert str(feed_event(client, member, booking.uid)["STATUS"]) == "TENTATIVE"
    inbox.messages.clear()

    expire_due_requests(DAY + timedelta(hours=1) - timedelta(hours=24))

    mail = inbox.only_one_to("aki@example.jp")
    assert mail["Subject"] == "Booking request expired: Kick-off"
    assert "did not decide" in text_of(mail)
    event = feed_event(client, member, booking.uid)
    assert str(event["STATUS"]) == "CANCELLED"
    db.session.expire_all()
    assert int(event["SEQUENCE"]) == db.session.get(Booking, booking.id).sequence


def test_the_change_mail_says_whether_the_member_or_the_staff_changed_the_booking(
        inbox, create_space, member, staff):
    room = create_space(name_en="Studio")
    booking = ask(member, room)
    inbox.messages.clear()

    later = DAY + timedelta(hours=3)
    assert change_booking(member, booking.id, BookingChange(later, later + timedelta(hours=1), "Kick-off", False)).ok
    own = text_of(inbox.only_one_to("aki@example.jp"))
    assert "Your booking was changed as you asked." in own and "The staff changed" not in own
    inbox.messages.clear()

    later = DAY + timedelta(hours=5)
    assert change_booking(staff, booking.id, BookingChange(later, later + timedelta(hours=1), "Kick-off", False)).ok
    assert "The staff changed your booking." in text_of(inbox.only_one_to("aki@example.jp"))
