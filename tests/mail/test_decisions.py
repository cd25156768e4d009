"""Approving, rejecting and cancelling: the member reads the outcome, with a calendar file when confirmed."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select

from booking.db import utcnow
from booking.delivery import deliver_due
from booking.domain.undo import UNDO_WINDOW
from booking.extensions import db
from booking.models import Booking, OutboxMessage
from booking.services import staff as staff_service
from booking.services.bookings import BookingInput, cancel_booking, request_booking
from tests.events.factories import make_event
from tests.mail.conftest import DAY, calendars_of, text_of


@pytest.fixture
def staff(create_user):
    return create_user(role="staff", name="Staff Sato", locale="ja")


@pytest.fixture
def hall(create_space):
    return create_space(slug="hall", name_ja="イベントホール", name_en="Event hall", requires_approval=True)


def ask(member, space, hour=1, title="Kick-off"):
    start = DAY + timedelta(hours=hour)
    outcome = request_booking(member, BookingInput(space.id, start, start + timedelta(hours=1), title))
    assert outcome.ok, outcome.conflicts
    return outcome.booking


def test_approving_sends_the_member_the_approval_with_the_booking_as_a_calendar_event(
        client, inbox, create_user, staff, hall):
    member = create_user(locale="en")
    booking = ask(member, hall)
    uid = booking.uid
    inbox.messages.clear()
    client.login(staff.email)

    response = client.submit(f"/staff/requests/{booking.id}/approve")

    assert response.status_code == 302
    message = inbox.only_one_to(member.email)
    assert message["Subject"] == "Booking approved: Kick-off"
    assert "Your booking request has been approved." in text_of(message)
    [attachment] = calendars_of(message)
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == uid
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == DAY + timedelta(hours=1)
    assert inbox.to(staff.email) == []


def test_the_calendar_file_of_a_decision_is_named_booking_ics(inbox, create_user, staff, hall):
    member = create_user(locale="en")
    booking = ask(member, hall)
    inbox.messages.clear()

    staff_service.approve(staff, booking.id)

    [attachment] = calendars_of(inbox.only_one_to(member.email))
    assert attachment.get_filename() == "booking.ics"


def test_a_japanese_member_reads_the_approval_in_japanese(client, inbox, create_user, staff, hall):
    member = create_user(locale="ja")
    booking = ask(member, hall)
    inbox.messages.clear()
    client.login(staff.email)

    client.submit(f"/staff/requests/{booking.id}/approve")

    message = inbox.only_one_to(member.email)
    assert message["Subject"] == "予約が承認されました：Kick-off"
    assert "カレンダーに追加するには、添付のファイルを開いてください。" in text_of(message)


def test_rejecting_sends_the_member_the_staff_note(client, inbox, create_user, staff, hall):
    member = create_user(locale="en")
    booking = ask(member, hall)
    inbox.messages.clear()
    client.login(staff.email)

    client.submit(f"/staff/requests/{booking.id}/reject", {"note": "The hall is set up for an exhibition that week."})

    message = inbox.only_one_to(member.email)
    assert message["Subject"] == "Booking request rejected: Kick-off"
    body = text_of(message)
    assert "Note from the staff: The hall is set up for an exhibition that week." in body
    [attachment] = calendars_of(message)
    assert attachment.get_param("method") == "CANCEL"
    assert "STATUS:CANCELLED" in attachment.get_content()


def test_a_request_rejected_automatically_explains_why_in_the_members_language(
        inbox, create_user, create_space, staff):
    space = create_space(requires_approval=True, pending_holds=False)
    first = ask(create_user(locale="en"), space)
    loser = create_user(locale="ja")
    second = ask(loser, space)
    inbox.messages.clear()

    approval = staff_service.approve(staff, first.id)

    assert [b.id for b in approval.auto_rejected] == [second.id]
    message = inbox.only_one_to(loser.email)
    assert "同じ時間帯の別の申請が承認されました。" in text_of(message)


def test_cancelling_tells_the_member_it_is_cancelled(app, client, inbox, create_user, create_space):
    studio = create_space()
    member = create_user(locale="en")
    booking = ask(member, studio)
    inbox.messages.clear()
    client.login(member.email)

    response = client.submit(f"/bookings/{booking.id}/cancel")

    assert response.status_code == 302
    assert db.session.get(Booking, booking.id).status == "cancelled"
    # The mail waits out the member's undo window (issue 16), then goes like any other.
    assert inbox.to(member.email) == []
    waiting = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "booking.cancelled")).one()
    assert waiting.status == "pending" and waiting.due_at > utcnow() + UNDO_WINDOW - timedelta(minutes=1)
    waiting.due_at = utcnow()  # the window has closed
    db.session.commit()
    deliver_due(app)
    message = inbox.only_one_to(member.email)
    assert message["Subject"] == "Booking cancelled: Kick-off"
    assert "Your booking has been cancelled as you asked." in text_of(message)
    [attachment] = calendars_of(message)
    assert attachment.get_param("method") == "CANCEL"


def test_cancelling_a_booking_that_carries_a_public_event_is_mailed_at_once(inbox, create_user, create_space):
    host = create_user(locale="en")
    event = make_event(create_space(), host, DAY + timedelta(hours=8), DAY + timedelta(hours=10))

    cancel_booking(host, event.booking_id)

    # Registrants may have been told already: the cancellation is final, so its mail need not wait.
    message = inbox.only_one_to(host.email)
    assert message["Subject"] == "Booking cancelled: Kick-off"


def test_a_cancellation_waits_out_the_undo_window_though_another_booking_carries_an_event(
        inbox, create_user, create_space):
    studio = create_space()
    make_event(studio, create_user(), DAY + timedelta(hours=8), DAY + timedelta(hours=10))
    member = create_user(locale="en")
    booking = ask(member, studio)
    inbox.messages.clear()

    cancel_booking(member, booking.id)

    assert inbox.to(member.email) == []
    waiting = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "booking.cancelled")).one()
    assert waiting.status == "pending" and waiting.due_at > utcnow() + UNDO_WINDOW - timedelta(minutes=1)


def test_a_members_own_cancellation_mail_has_no_note_from_the_staff(app, inbox, create_user, create_space):
    studio = create_space()
    member = create_user(locale="en")
    booking = ask(member, studio)
    inbox.messages.clear()
    cancel_booking(member, booking.id)
    waiting = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "booking.cancelled")).one()
    waiting.due_at = utcnow()  # the undo window has closed
    db.session.commit()

    deliver_due(app)

    text = text_of(inbox.only_one_to(member.email))
    assert "Your booking has been cancelled as you asked." in text and "Note from the staff" not in text


def test_a_booking_cancelled_by_staff_says_the_staff_cancelled_it(client, inbox, create_user, create_space, staff):
    studio = create_space()
    member = create_user(locale="ja")
    booking = ask(member, studio)
    inbox.messages.clear()
    client.login(staff.email)

    client.submit(f"/bookings/{booking.id}/cancel")

    message = inbox.only_one_to(member.email)
    assert message["Subject"] == "予約が取り消されました：Kick-off"
    assert "ご予約はスタッフにより取り消されました。" in text_of(message)
    assert inbox.to(staff.email) == []


def test_a_booking_cancelled_by_staff_with_a_message_carries_the_message(inbox, create_user, create_space, staff):
    studio = create_space()
    member = create_user(locale="en")
    booking = ask(member, studio)
    inbox.messages.clear()

    cancel_booking(staff, booking.id, note="The building is closed for an inspection that day.")

    body = text_of(inbox.only_one_to(member.email))
    assert "Your booking has been cancelled by the staff." in body
    assert "Note from the staff: The building is closed for an inspection that day." in body


@pytest.mark.parametrize("locale, space_line", [("ja", "イベントホール"), ("en", "Event hall")])
def test_the_approval_names_the_space_in_the_members_language(client, inbox, create_user, staff, hall,
                                                              locale, space_line):
    member = create_user(locale=locale)
    booking = ask(member, hall)
    inbox.messages.clear()
    client.login(staff.email)

    client.submit(f"/staff/requests/{booking.id}/approve")

    body = text_of(inbox.only_one_to(member.email))
    assert space_line in body
    assert body == body.strip() + "\n"
