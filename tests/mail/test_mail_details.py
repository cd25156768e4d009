"""Details of the booking mails that a reader (or the operator reading the log) notices."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import icalendar
import pytest

from booking.services import notifications
from booking.services import staff as staff_service
from booking.services.changes import BookingChange, change_booking
from booking.services.series import book_series
from tests.mail.conftest import DAY, calendars_of, text_of
from tests.mail.test_changes import ask
from tests.mail.test_series_mail import days, weekly


@pytest.fixture
def member(create_user):
    return create_user(name="Mori Aki", email="aki@example.jp", locale="en")


def the_event(message):
    [part] = calendars_of(message)
    [event] = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    return event


def test_the_calendar_in_a_confirmation_is_the_members_own_event_with_the_member_named_as_attendee(
        inbox, create_space, member):
    ask(member, create_space(name_en="Studio"))

    event = the_event(inbox.only_one_to("aki@example.jp"))

    assert str(event["SUMMARY"]) == "Kick-off"  # the member's view: no "— Mori Aki" as staff see it
    assert event["ATTENDEE"].params["CN"] == "Mori Aki"


def test_a_booking_whose_calendar_cannot_be_built_is_mailed_without_one_and_the_log_names_the_booking(
        inbox, create_space, member, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("no calendar today")

    monkeypatch.setattr(notifications, "calendar_message", broken)
    caplog.set_level(logging.ERROR, logger="booking.services.notifications")

    booking = ask(member, create_space())

    mail = inbox.only_one_to("aki@example.jp")
    assert mail["Subject"] == "Booking confirmed: Kick-off" and calendars_of(mail) == []
    [record] = [r for r in caplog.records if r.name == "booking.services.notifications"]
    assert record.getMessage() == f"could not build the calendar of booking {booking.uid} for its e-mail"


def test_the_mail_of_a_changed_confirmed_booking_says_its_attachment_updates_the_calendar_event(
        inbox, create_space, member):
    booking = ask(member, create_space())
    inbox.messages.clear()

    later = DAY + timedelta(hours=3)
    assert change_booking(member, booking.id, BookingChange(later, later + timedelta(hours=1), "Kick-off", False)).ok

    mail = inbox.only_one_to("aki@example.jp")
    assert "The attached file updates the event already in your calendar." in text_of(mail)
    assert len(calendars_of(mail)) == 1


def test_the_mail_of_a_changed_request_mentions_no_attachment(inbox, create_space, member):
    booking = ask(member, create_space(requires_approval=True))
    inbox.messages.clear()

    later = DAY + timedelta(hours=3)
    assert change_booking(member, booking.id, BookingChange(later, later + timedelta(hours=1), "Kick-off", False)).ok

    assert "attached" not in text_of(inbox.only_one_to("aki@example.jp"))


def test_a_series_request_waiting_for_approval_mentions_no_attached_files(inbox, create_space, member):
    book_series(member, weekly(create_space(requires_approval=True).id), days())

    mail = inbox.only_one_to("aki@example.jp")
    assert calendars_of(mail) == []
    assert "attached" not in text_of(mail)


def test_a_staff_note_that_reads_like_a_phrase_of_the_pages_reaches_the_member_as_typed(
        inbox, create_user, create_space):
    member = create_user(email="hanako@example.jp", locale="ja")
    staff = create_user(role="staff")
    booking = ask(member, create_space(requires_approval=True))
    inbox.messages.clear()

    staff_service.reject(staff, booking.id, "Closed")  # a catalogued English phrase (ja: 休止)

    text = text_of(inbox.only_one_to("hanako@example.jp"))
    assert "Closed" in text and "休止" not in text


@pytest.mark.parametrize(("locale", "asked_for"), [
    ("en", r"New time asked for: \w{3} \d{1,2} \w{3} \d{4}, 14:00–15:00"),
    ("ja", r"希望する新しい時間：\d{4}年\d{1,2}月"),
])
def test_staff_read_the_time_a_member_asks_for_in_their_own_language(
        inbox, create_user, create_space, member, locale, asked_for):
    staff = create_user(role="staff", email="sato@floor.example.jp", locale=locale)
    hall = create_space(requires_approval=True)
    booking = ask(member, hall)
    staff_service.approve(staff, booking.id)
    inbox.messages.clear()

    later = DAY + timedelta(hours=5)
    assert change_booking(member, booking.id, BookingChange(later, later + timedelta(hours=1), "Kick-off",
                                                            False)).is_proposal

    assert re.search(asked_for, text_of(inbox.only_one_to("sato@floor.example.jp")))


@pytest.mark.parametrize(("settings", "email", "name"), [
    ({"CALENDAR_ORGANIZER": "Floor desk <desk@floor.example.jp>"}, "desk@floor.example.jp", "Floor desk"),
    ({"CALENDAR_ORGANIZER": "Floor desk <desk@floor.example.jp>", "CALENDAR_ORGANIZER_NAME": "Reception"},
     "desk@floor.example.jp", "Reception"),
    ({"CALENDAR_ORGANIZER": "", "MAIL_DEFAULT_SENDER": "Booking <booking@floor.example.jp>"},
     "booking@floor.example.jp", "Booking"),
    ({"CALENDAR_ORGANIZER": "", "MAIL_DEFAULT_SENDER": ""}, "no-reply@localhost", ""),
], ids=["organizer", "organizer name", "sender", "neither"])
def test_calendar_messages_come_from_the_organizer_else_the_sender_else_no_reply(app, settings, email, name):
    app.config.update({"CALENDAR_ORGANIZER_NAME": "", **settings})

    assert notifications.organizer() == notifications.itip.Party(email, name)


def test_the_organizer_setting_is_parsed_once_and_an_edit_of_it_is_seen_at_once(app, monkeypatch):
    parsed: list[str] = []
    real_parse = notifications.parseaddr
    monkeypatch.setattr(notifications, "parseaddr", lambda text: parsed.append(text) or real_parse(text))
    app.config.update(CALENDAR_ORGANIZER="Desk once <once@floor.example.jp>", CALENDAR_ORGANIZER_NAME="")

    first, second = notifications.organizer(), notifications.organizer()

    assert first == second == notifications.itip.Party("once@floor.example.jp", "Desk once")
    assert len(parsed) == 1
    app.config.update(CALENDAR_ORGANIZER="Desk twice <twice@floor.example.jp>")
    assert notifications.organizer() == notifications.itip.Party("twice@floor.example.jp", "Desk twice")
    app.config.update(CALENDAR_ORGANIZER_NAME="Reception")
    assert notifications.organizer() == notifications.itip.Party("twice@floor.example.jp", "Reception")


def test_a_booking_mail_ends_with_the_footer_and_one_line_break(inbox, create_space, member):
    ask(member, create_space())

    body = text_of(inbox.only_one_to("aki@example.jp"))

    assert body.endswith("\n--\nThis message was sent automatically by the booking system. "
                         "Please do not reply to it.\n")


def test_an_approval_whose_calendar_cannot_be_built_is_mailed_without_one_and_the_log_names_the_booking(
        inbox, create_space, create_user, member, monkeypatch, caplog):
    booking = ask(member, create_space(requires_approval=True))
    inbox.messages.clear()

    def broken(*args, **kwargs):
        raise RuntimeError("no calendar today")

    monkeypatch.setattr(notifications, "calendar_message", broken)
    caplog.set_level(logging.ERROR, logger="booking.services.notifications")

    staff_service.approve(create_user(role="staff"), booking.id)

    mail = inbox.only_one_to("aki@example.jp")
    assert mail["Subject"] == "Booking approved: Kick-off" and calendars_of(mail) == []
    [record] = [r for r in caplog.records if r.name == "booking.services.notifications"]
    assert record.getMessage() == f"could not build the calendar of booking {booking.id} for its e-mail"
    assert record.exc_info is not None and str(record.exc_info[1]) == "no calendar today"
