"""Staff turn a booking into a public event; the agenda must fit and the capacity stay within the space."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from booking.extensions import db
from booking.models import PublicEvent, Registration
from tests.conftest import future_day

TOKYO = ZoneInfo("Asia/Tokyo")


def form(start, **changes):
    local = start.astimezone(TOKYO)
    values = {
        "title_ja": "合同キックオフ", "title_en": "Joint kick-off", "description_ja": "説明", "description_en": "",
        "organiser": "4市町", "capacity": "60", "fee_ja": "無料", "fee_en": "Free",
        "opens_day": (local.date() - timedelta(days=20)).isoformat(), "opens_time": "09:00",
        "closes_day": local.date().isoformat(), "closes_time": "17:00", "accepts_walk_ins": "y",
        "agenda_1_time": "17:00", "agenda_1_minutes": "20", "agenda_1_title_ja": "開会セレモニー",
        "agenda_2_time": "17:20", "agenda_2_minutes": "50", "agenda_2_title_ja": "トーク",
        "agenda_2_speakers": "各オフィス長",
        "agenda_3_time": "18:15", "agenda_3_minutes": "30", "agenda_3_title_ja": "交流会",
    }
    values.update(changes)
    return values


def hall_booking(hall, create_user, create_booking):
    start = datetime.combine(future_day(10).astimezone(TOKYO).date(), time(17), TOKYO)
    member = create_user()
    return create_booking(hall, member, start, start + timedelta(hours=1, minutes=45), title="キックオフ")


def test_staff_turn_a_booking_into_a_published_event_with_its_agenda(client, hall, create_user, create_booking):
    booking = hall_booking(hall, create_user, create_booking)
    staff = create_user(role="staff")
    client.login(staff.email)

    response = client.submit(f"/bookings/{booking.id}/event", form(booking.start_dt))

    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalar(select(PublicEvent))
    assert event.status == "published" and event.capacity == 60
    assert [(i.start_dt.astimezone(TOKYO).strftime("%H:%M"), i.minutes) for i in event.agenda_items] == [
        ("17:00", 20), ("17:20", 50), ("18:15", 30)]
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "各オフィス長" in page and "残り60席" in page


def test_an_agenda_item_outside_the_booking_is_refused_and_nothing_is_saved(client, hall, create_user,
                                                                            create_booking):
    booking = hall_booking(hall, create_user, create_booking)
    client.login(create_user(role="staff").email)

    response = client.submit(f"/bookings/{booking.id}/event", form(booking.start_dt, agenda_3_minutes="45"))

    assert response.status_code == 422
    assert "プログラム3番目が予約時間の外にあります。" in response.get_data(as_text=True)
    assert db.session.scalar(select(PublicEvent)) is None


def test_a_capacity_above_the_space_maximum_is_refused(client, hall, create_user, create_booking):
    booking = hall_booking(hall, create_user, create_booking)
    client.login(create_user(role="staff").email)

    response = client.submit(f"/bookings/{booking.id}/event", form(booking.start_dt, capacity="81"))

    assert response.status_code == 422
    assert "最大人数は80人" in response.get_data(as_text=True)


def test_a_member_cannot_make_an_event_where_the_space_does_not_allow_it(client, hall, create_user,
                                                                         create_booking):
    booking = hall_booking(hall, create_user, create_booking)
    client.login(booking.user.email)
    assert client.submit(f"/bookings/{booking.id}/event", form(booking.start_dt)).status_code == 404


def test_a_member_proposes_an_event_where_the_space_allows_it_and_it_waits_for_staff(
        client, hall, create_user, create_booking):
    hall.members_may_host_events = True
    db.session.commit()
    booking = hall_booking(hall, create_user, create_booking)
    client.login(booking.user.email)

    client.submit(f"/bookings/{booking.id}/event", form(booking.start_dt))

    event = db.session.scalar(select(PublicEvent))
    assert event.status == "pending"
    assert client.get(f"/events/{event.id}").status_code == 404


def test_a_signed_in_member_registers_with_one_click(client, kick_off, create_user):
    member = create_user(name="会員 一郎")
    client.login(member.email)

    client.submit(f"/events/{kick_off.id}/register", {"m-companions": "1", "m-consent": "y"})

    db.session.rollback()
    registration = db.session.scalar(select(Registration))
    assert (registration.email, registration.name, registration.party_size, registration.user_id) == (
        member.email, "会員 一郎", 2, member.id)
