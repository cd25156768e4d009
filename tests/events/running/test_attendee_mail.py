"""Mail to registrants through the outbox and the real SMTP server: reminders (job runner),
staff's message to all, and cancelling the event."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from booking import jobs
from booking.domain.checkin import display_code
from booking.extensions import db
from booking.models import Booking, BookingEvent, PublicEvent, Registration
from booking.models_attendance import AttendeePass
from booking.services import ServiceError, attendee_mail
from tests.mail.conftest import calendars_of, text_of

ZONES = ("Asia/Tokyo", "Asia/Kolkata", "Europe/Berlin", "America/New_York", "America/Los_Angeles",
         "Pacific/Auckland")


@pytest.fixture
def app_config(mail_config):
    return mail_config


def zone_where_the_reminder_is_due() -> str:
    """A zone where it is now between 11:00 and 21:00, so tomorrow's event is reminded today."""
    now = datetime.now(UTC)
    return next(zone for zone in ZONES if time(11) <= now.astimezone(ZoneInfo(zone)).time() < time(21))


def tomorrow_at_five(zone: str) -> datetime:
    local = datetime.now(UTC).astimezone(ZoneInfo(zone))
    return datetime.combine(local.date() + timedelta(days=1), time(17), ZoneInfo(zone)).astimezone(UTC)


def code_of(registration):
    return db.session.scalar(select(AttendeePass.code).where(AttendeePass.registration_id == registration.id))


def calendar_of(message):
    [part] = calendars_of(message)
    calendar = icalendar.Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    return part, calendar, event


def test_the_job_runner_reminds_each_seated_registrant_once_in_their_language_with_calendar_and_code(
        app, inbox, create_event, create_space, register):
    zone = zone_where_the_reminder_is_due()
    hall = create_space(timezone=zone, name_ja="イベントホール", name_en="Event hall",
                        hours={day: ((time(0), time(0)),) for day in range(7)})
    event = create_event(space=hall, start_dt=tomorrow_at_five(zone))
    hanako = register(event, name="山田 花子", email="hanako@example.jp", locale="ja", party_size=2)
    anna = register(event, name="Anna Berg", email="anna@example.jp", locale="en")
    register(event, email="waiting@example.jp", status="waiting")
    register(event, email="gone@example.jp", status="cancelled")
    inbox.messages.clear()

    assert "events.send_reminders" in jobs.run_once(app)
    inbox.wait_for(2)

    assert sorted(m["To"] for m in inbox.messages) == ["anna@example.jp", "hanako@example.jp"]
    ja, en = inbox.only_one_to("hanako@example.jp"), inbox.only_one_to("anna@example.jp")
    assert ja["Subject"] == "リマインダー：明日は「4自治体サテライトオフィス合同キックオフ」です"
    assert en["Subject"] == "Reminder: Joint kick-off is tomorrow"
    assert display_code(code_of(hanako)) in text_of(ja) and "2" in text_of(ja)
    assert display_code(code_of(anna)) in text_of(en) and "Event hall" in text_of(en)
    for message, person in ((ja, hanako), (en, anna)):
        part, calendar, vevent = calendar_of(message)
        assert part.get_param("method") == str(calendar["METHOD"]) == "REQUEST"
        assert str(vevent["UID"]) == event.uid
        assert vevent.decoded("dtstart") == tomorrow_at_five(zone)
        assert str(vevent["ATTENDEE"]) == f"mailto:{person.email}"
        [qr] = [p for p in message.iter_attachments() if p.get_content_type() == "image/png"]
        assert qr.get_content().startswith(b"\x89PNG")
    # Once only: the next due time finds everybody reminded.
    db.session.rollback()
    db.session.execute(db.text("UPDATE job_schedule SET due_at = :now"), {"now": datetime.now(UTC)})
    db.session.commit()
    inbox.messages.clear()
    assert "events.send_reminders" in jobs.run_once(app)
    assert inbox.wait_for(1, timeout=1) == []


def test_no_reminder_for_a_registration_made_after_the_reminder_time(app, inbox, create_event, create_space,
                                                                     register):
    zone = zone_where_the_reminder_is_due()
    hall = create_space(timezone=zone)
    event = create_event(space=hall, start_dt=tomorrow_at_five(zone))
    register(event, email="late@example.jp", now=datetime.now(UTC) - timedelta(minutes=1))
    inbox.messages.clear()

    assert attendee_mail.send_reminders(datetime.now(UTC)) == 0


def test_staff_message_reaches_seated_registrants_and_optionally_the_waiting_list_and_is_audited(
        app, inbox, create_event, create_user, register):
    staff = create_user(role="staff")
    event = create_event()
    register(event, email="a@example.jp", locale="ja")
    register(event, email="b@example.jp", locale="en")
    register(event, email="w@example.jp", status="waiting")
    register(event, email="c@example.jp", status="cancelled")
    inbox.messages.clear()

    told = attendee_mail.mail_registrants(event.id, staff, "会場変更のお知らせ", "3階の会議室に変わりました。",
                                       attendee_mail.Audience(include_waiting=False))
    assert told == 2
    inbox.wait_for(2)
    assert sorted(m["To"] for m in inbox.messages) == ["a@example.jp", "b@example.jp"]
    assert inbox.only_one_to("a@example.jp")["Subject"] == "会場変更のお知らせ"
    assert "3階の会議室に変わりました。" in text_of(inbox.only_one_to("b@example.jp"))

    everyone = attendee_mail.Audience(include_waiting=True)
    assert attendee_mail.mail_registrants(event.id, staff, "Hi", "All", everyone) == 3
    db.session.rollback()
    trail = db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == event.booking_id,
                                                          BookingEvent.action == "mailed")).all()
    assert [(e.actor_id, e.note) for e in trail] == [(staff.id, "会場変更のお知らせ (2)"), (staff.id, "Hi (3)")]


@pytest.mark.parametrize("release", [True, False])
def test_cancelling_the_event_tells_everyone_with_a_calendar_cancel_and_releases_or_keeps_the_booking(
        app, inbox, create_event, create_user, register, release):
    staff = create_user(role="staff")
    event = create_event()
    seated = register(event, email="seated@example.jp", locale="en")
    register(event, email="waiting@example.jp", status="waiting")
    register(event, email="gone@example.jp", status="cancelled")
    inbox.messages.clear()

    told = attendee_mail.withdraw_event(event.id, staff, "Speaker is ill.", release_booking=release)

    assert told == 2
    inbox.wait_for(2 + release)
    assert {"seated@example.jp", "waiting@example.jp"} <= {m["To"] for m in inbox.messages}
    message = inbox.only_one_to("seated@example.jp")
    assert message["Subject"] == "Event cancelled: Joint kick-off"
    assert "Speaker is ill." in text_of(message) and "Event: Joint kick-off" in text_of(message)
    part, calendar, vevent = calendar_of(message)
    assert part.get_param("method") == str(calendar["METHOD"]) == "CANCEL"
    assert str(vevent["STATUS"]) == "CANCELLED" and str(vevent["UID"]) == event.uid
    assert not [p for p in message.iter_attachments() if p.get_content_type() == "image/png"]
    db.session.rollback()
    assert db.session.get(Registration, seated.id).status == "cancelled"
    assert db.session.get(Booking, event.booking_id).status == ("cancelled" if release else "confirmed")
    actions = db.session.scalars(select(BookingEvent.action).where(BookingEvent.booking_id == event.booking_id)).all()
    assert "withdrawn" in actions
    assert db.session.scalar(select(BookingEvent.note).where(
        BookingEvent.booking_id == event.booking_id, BookingEvent.action == "withdrawn")) == "Speaker is ill."
    with pytest.raises(ServiceError):
        attendee_mail.withdraw_event(event.id, staff, "", release_booking=False)


def test_cancelling_the_event_writes_under_its_spaces_write_lock(app, create_event, create_user, locked_spaces):
    event, staff = create_event(), create_user(role="staff")
    locked = locked_spaces
    locked.clear()

    attendee_mail.withdraw_event(event.id, staff, "", release_booking=True)

    assert locked[0] == event.booking.space_id  # the withdrawal; the mail is sent after it, outside it


def test_an_event_cannot_be_cancelled_from_its_start_on(app, create_event, create_user, monkeypatch):
    event, staff = create_event(), create_user(role="staff")
    monkeypatch.setattr(attendee_mail, "utcnow", lambda: event.booking.start_dt)

    with pytest.raises(ServiceError) as refused:
        attendee_mail.withdraw_event(event.id, staff, "", release_booking=False)

    assert refused.value.message == attendee_mail.STARTED
    db.session.rollback()
    assert db.session.get(PublicEvent, event.id).status == "published"


def test_staff_message_to_the_waiting_list_carries_no_check_in_code_or_qr(app, create_event, create_user, register):
    from booking.models import OutboxMessage

    event = create_event()
    seated = register(event, email="seated@example.jp")
    register(event, email="waiting@example.jp", status="waiting")

    attendee_mail.mail_registrants(event.id, create_user(role="staff"), "Hi", "All",
                                   attendee_mail.Audience(include_waiting=True))

    db.session.rollback()
    rows = {row.recipient: row for row in db.session.scalars(select(OutboxMessage))}
    assert rows["seated@example.jp"].payload["code"] == display_code(code_of(seated))
    assert rows["waiting@example.jp"].payload["code"] == ""
    assert [a["content_type"] for a in rows["waiting@example.jp"].attachments if a["content_type"] == "image/png"] == []


def test_a_seated_registrant_whose_code_is_missing_gets_a_new_one_with_staffs_message(
        app, create_event, create_user, register):
    from booking.models import OutboxMessage

    event = create_event()
    person = register(event, email="seated@example.jp")
    db.session.delete(db.session.get(AttendeePass, person.id))
    db.session.commit()

    attendee_mail.mail_registrants(event.id, create_user(role="staff"), "Hi", "All",
                                   attendee_mail.Audience(include_waiting=False))

    db.session.rollback()
    code = code_of(person)
    [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == person.email))
    assert code and row.payload["code"] == display_code(code)


def test_cancelling_the_event_and_releasing_its_booking_records_staffs_note_on_the_booking(
        app, create_event, create_user):
    staff = create_user(role="staff")
    event = create_event()

    attendee_mail.withdraw_event(event.id, staff, "Speaker is ill.", release_booking=True)

    db.session.rollback()
    assert db.session.scalar(select(BookingEvent.note).where(
        BookingEvent.booking_id == event.booking_id, BookingEvent.action == "cancelled")) == "Speaker is ill."
