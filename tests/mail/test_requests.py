"""Requesting a booking: who gets which mail, in which language, and nothing when nothing was stored."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest

from booking.extensions import db
from booking.models import Booking, OutboxMessage
from booking.services import audit, notifications
from booking.services.bookings import BookingInput, request_booking
from booking.services.transactions import run_write
from tests.mail.conftest import DAY, calendars_of, text_of


def form(**overrides):
    """What a member types: 10:00–11:00 Tokyo time on DAY."""
    values = {"day": DAY.date().isoformat(), "start_time": "10:00", "end_time": "11:00",
              "title": "Open data study group", "purpose": "Monthly meet-up", "attendees": "12"}
    values.update(overrides)
    return values


@pytest.fixture
def hall(create_space):
    return create_space(slug="hall", name_ja="イベントホール", name_en="Event hall", requires_approval=True)


@pytest.fixture
def studio(create_space):
    return create_space(slug="studio", name_ja="スタジオ", name_en="Studio")


def test_a_request_tells_a_japanese_member_in_japanese_that_it_arrived(client, inbox, create_user, hall):
    member = create_user(name="鈴木 花子", locale="ja")
    client.login(member.email)

    response = client.submit("/spaces/hall/book", form())

    assert response.status_code == 302
    message = inbox.only_one_to(member.email)
    assert message["Subject"] == "予約申請を受け付けました：Open data study group"
    assert message["From"] == "Floor booking <booking@floor.example.jp>"
    body = text_of(message)
    assert "鈴木 花子様" in body
    assert "スペース：イベントホール" in body
    assert f"{DAY.year}年{DAY.month}月{DAY.day}日" in body and "10:00～11:00（Asia/Tokyo）" in body
    booking_id = db.session.scalar(db.select(Booking.id))
    assert f"https://booking.example.jp/bookings/{booking_id}" in body
    assert calendars_of(message) == []


def test_a_request_tells_an_english_member_in_english(client, inbox, create_user, hall):
    member = create_user(name="Alice Smith", locale="en")
    client.login(member.email)

    client.submit("/spaces/hall/book", form())

    message = inbox.only_one_to(member.email)
    assert message["Subject"] == "Booking request received: Open data study group"
    body = text_of(message)
    assert "Dear Alice Smith," in body
    assert "Space: Event hall" in body
    assert "10:00–11:00 (Asia/Tokyo)" in body
    assert "another e-mail when it is approved or rejected" in body


def test_every_enabled_staff_member_hears_of_a_waiting_request_in_their_language(
        client, inbox, create_user, hall):
    sato = create_user(role="staff", name="Sato", locale="ja")
    brown = create_user(role="admin", name="Brown", locale="en")
    gone = create_user(role="staff", is_enabled=False)
    bystander = create_user(name="Other member")
    member = create_user(name="Suzuki", organisation="Prefecture Lab", locale="en")
    client.login(member.email)

    client.submit("/spaces/hall/book", form())

    assert sorted(m["To"] for m in inbox.messages) == sorted([member.email, sato.email, brown.email])
    assert inbox.to(gone.email) == [] and inbox.to(bystander.email) == []
    booking_id = db.session.scalar(db.select(Booking.id))
    english = inbox.only_one_to(brown.email)
    assert english["Subject"] == "New booking request to approve: Open data study group"
    body = text_of(english)
    assert "Requested by: Suzuki (Prefecture Lab)" in body
    assert "Purpose: Monthly meet-up" in body
    assert f"https://booking.example.jp/staff/bookings/{booking_id}" in body
    japanese = inbox.only_one_to(sato.email)
    assert japanese["Subject"] == "承認待ちの予約申請があります：Open data study group"
    assert "申請者：Suzuki（Prefecture Lab）" in text_of(japanese)  # full-width brackets in Japanese


def test_a_booking_without_approval_is_confirmed_by_mail_with_its_calendar_event(
        client, inbox, create_user, studio):
    staff = create_user(role="staff")
    member = create_user(locale="en")
    client.login(member.email)

    client.submit("/spaces/studio/book", form())

    booking = db.session.scalar(db.select(Booking))
    assert booking.status == "confirmed"
    assert inbox.to(staff.email) == []  # nothing for staff to do
    message = inbox.only_one_to(member.email)
    assert message["Subject"] == "Booking confirmed: Open data study group"
    assert "Your booking is confirmed." in text_of(message)
    [attachment] = calendars_of(message)
    assert attachment.get_filename() == "booking.ics"
    event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert str(event["UID"]) == booking.uid
    assert event.decoded("DTSTART") == booking.start_dt


def test_a_request_without_a_purpose_gives_staff_no_purpose_line(client, inbox, create_user, hall):
    staff = create_user(role="staff", locale="en")
    member = create_user(locale="en")
    client.login(member.email)

    client.submit("/spaces/hall/book", form(purpose=""))

    body = text_of(inbox.only_one_to(staff.email))
    assert "Requested by:" in body and "Purpose" not in body


def test_a_booking_confirmed_at_once_carries_its_calendar_as_a_request(client, inbox, create_user, studio):
    member = create_user(locale="en")
    client.login(member.email)

    client.submit("/spaces/studio/book", form())

    [attachment] = calendars_of(inbox.only_one_to(member.email))
    assert attachment.get_param("method") == "REQUEST"
    assert str(icalendar.Calendar.from_ical(attachment.get_content())["METHOD"]) == "REQUEST"


def test_a_booking_made_while_mail_is_muted_writes_no_mail(create_user, studio):
    create_user(role="staff")
    member = create_user(locale="en")

    with notifications.muted():
        start = DAY + timedelta(hours=1)
        outcome = request_booking(member, BookingInput(studio.id, start, start + timedelta(hours=1), "Quiet"))

    assert outcome.ok
    assert db.session.scalars(db.select(OutboxMessage)).all() == []


def test_a_title_arrives_exactly_as_typed(client, inbox, create_user, studio):
    member = create_user(locale="en")
    client.login(member.email)

    client.submit("/spaces/studio/book", form(title='Q&A <live> "Open" day'))

    message = inbox.only_one_to(member.email)
    assert message["Subject"] == 'Booking confirmed: Q&A <live> "Open" day'
    assert 'Booking: Q&A <live> "Open" day' in text_of(message)


def test_a_refused_booking_sends_nothing(client, inbox, create_user, create_booking, studio):
    create_user(role="staff")
    other = create_user()
    start = DAY + timedelta(hours=1)  # 10:00 in Tokyo
    create_booking(studio, other, start, start + timedelta(hours=1))
    member = create_user(locale="en")
    client.login(member.email)

    response = client.submit("/spaces/studio/book", form())

    assert response.status_code == 409
    assert inbox.messages == []


def test_a_rolled_back_transaction_sends_nothing_and_is_not_sent_later(app, inbox, create_user, studio):
    member = create_user(locale="en")

    def request_then_fail(session):
        booking = Booking(space=studio, user=member, start_dt=DAY + timedelta(hours=1),
                          end_dt=DAY + timedelta(hours=2), title="Never stored", status="confirmed")
        session.add(booking)
        audit.record(session, booking, "requested", member, DAY, None)
        session.flush()
        raise RuntimeError("something failed after the flush")

    with pytest.raises(RuntimeError):
        run_write(studio.id, request_then_fail)
    assert db.session.scalar(db.select(db.func.count(Booking.id))) == 0
    assert inbox.messages == []

    data = BookingInput(studio.id, DAY + timedelta(hours=3), DAY + timedelta(hours=4), "Stored")
    assert request_booking(member, data).ok
    assert [m["Subject"] for m in inbox.messages] == ["Booking confirmed: Stored"]


def test_a_rolled_back_savepoint_sends_nothing_but_the_rest_of_the_transaction_does(
        app, inbox, create_user, studio):
    member = create_user(locale="en")

    def add(session, title, hour):
        booking = Booking(space=studio, user=member, start_dt=DAY + timedelta(hours=hour),
                          end_dt=DAY + timedelta(hours=hour + 1), title=title, status="confirmed")
        session.add(booking)
        audit.record(session, booking, "requested", member, DAY, None)
        session.flush()

    def work(session):
        add(session, "Kept", 1)
        savepoint = session.begin_nested()
        add(session, "Undone", 3)
        savepoint.rollback()
        with session.begin_nested():
            add(session, "Released", 5)

    run_write(studio.id, work)

    titles = set(db.session.scalars(db.select(Booking.title)))
    assert titles == {"Kept", "Released"}
    assert sorted(m["Subject"] for m in inbox.messages) == [
        "Booking confirmed: Kept", "Booking confirmed: Released"]


def test_a_staff_members_own_request_is_announced_to_the_other_staff_not_to_themselves(
        inbox, create_user, hall):
    asking, other = create_user(role="staff", locale="en"), create_user(role="staff", locale="en")
    start = DAY + timedelta(hours=1)
    outcome = request_booking(asking, BookingInput(hall.id, start, start + timedelta(hours=1), "Rehearsal"))
    assert outcome.ok and outcome.booking.status == "pending"

    assert inbox.only_one_to(asking.email)["Subject"] == "Booking request received: Rehearsal"
    assert inbox.only_one_to(other.email)["Subject"] == "New booking request to approve: Rehearsal"
