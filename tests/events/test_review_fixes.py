"""Defects found in review of the public events (each test failed before its fix)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import AgendaItem, Booking, PublicEvent, Registration
from booking.services import ServiceError
from booking.services.changes import BookingChange, change_booking


def _with_agenda(event: PublicEvent) -> PublicEvent:
    start = event.booking.start_dt
    event.agenda_items = [AgendaItem(start_dt=start, minutes=30, title_ja="開会"),
                          AgendaItem(start_dt=start + timedelta(minutes=30), minutes=60, title_ja="発表")]
    db.session.commit()
    return event


def test_moving_the_booking_moves_its_agenda_by_the_same_offset(kick_off, create_user):
    event = _with_agenda(kick_off)
    booking = event.booking
    staff = create_user(role="staff")
    later = booking.start_dt + timedelta(days=2, hours=1)

    outcome = change_booking(staff, booking.id, BookingChange(later, later + timedelta(hours=2),
                                                              booking.title, True))

    assert outcome.ok
    db.session.rollback()
    items = db.session.scalars(select(AgendaItem).order_by(AgendaItem.start_dt)).all()
    assert [(i.start_dt, i.minutes) for i in items] == [(later, 30), (later + timedelta(minutes=30), 60)]


def test_a_move_the_agenda_would_not_fit_is_refused_and_nothing_moves(kick_off, create_user):
    event = _with_agenda(kick_off)
    booking_id, start = event.booking_id, event.booking.start_dt
    staff = create_user(role="staff")
    later = start + timedelta(days=1)

    with pytest.raises(ServiceError):
        change_booking(staff, booking_id, BookingChange(later, later + timedelta(hours=1), "Kick-off", True))

    db.session.rollback()
    assert db.session.get(Booking, booking_id).start_dt == start
    assert min(i.start_dt for i in db.session.scalars(select(AgendaItem))) == start


def test_staff_cannot_publish_an_event_on_a_pending_booking_and_visitors_never_see_it(
        client, hall, create_user, create_booking):
    from booking.services import event_review, public_events

    start = kick_start()
    hall.members_may_host_events = True
    booking = create_booking(hall, create_user(), start, start + timedelta(hours=2), title="仮予約", status="pending")
    staff = create_user(role="staff")
    data = public_events.EventInput(title_ja="仮のイベント", capacity=5,
                                    registration_opens_at=start - timedelta(days=5), registration_closes_at=start)

    saved = public_events.save_event(staff, booking.id, data)

    assert not saved.ok and [p.code for p in saved.problems] == ["booking_pending"]
    member_saved = public_events.save_event(booking.user, booking.id, data)  # a member's proposal waits
    assert member_saved.ok and member_saved.event.status == "pending"
    event_id = member_saved.event.id
    with pytest.raises(ServiceError):
        event_review.approve(staff, event_id)
    db.session.rollback()
    event = db.session.get(PublicEvent, event_id)
    assert event.status == "pending"
    event.status = "published"  # as rows published before this rule
    db.session.commit()
    assert client.get(f"/events/{event_id}").status_code == 404
    assert client.get(f"/events/{event_id}.ics").status_code == 404
    assert event.uid not in client.get("/events.ics").get_data(as_text=True)


def kick_start():
    from tests.conftest import future_day

    return future_day(12) + timedelta(hours=1)


def test_a_withdrawn_event_stays_visible_as_cancelled_on_its_page_and_in_the_feeds(client, kick_off, create_user):
    from booking.services.attendee_mail import withdraw_event

    sequence = kick_off.sequence
    withdraw_event(kick_off.id, create_user(role="staff"), "台風のため", release_booking=False)

    page = client.get(f"/events/{kick_off.id}")
    assert page.status_code == 200 and "中止" in page.get_data(as_text=True)
    assert 'action="/events/' not in page.get_data(as_text=True)
    single = client.get(f"/events/{kick_off.id}.ics")
    assert single.status_code == 200
    feed = client.get("/events.ics").get_data(as_text=True)
    for text in (single.get_data(as_text=True), feed):
        unfolded = text.replace("\r\n ", "")
        assert kick_off.uid in unfolded and "STATUS:CANCELLED" in unfolded
        assert f"SEQUENCE:{sequence + 1}" in unfolded


def test_a_party_larger_than_the_event_is_refused_next_to_the_companions_field(client, kick_off):
    from tests.events.test_registration_views import register

    response = register(client, kick_off, "big@example.jp", companions=5)  # 6 people, 3 seats

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "席は全部で3席" in page and "同伴者は2名まで" in page
    db.session.rollback()
    assert db.session.scalar(select(Registration).where(Registration.email == "big@example.jp")) is None


def test_growing_a_party_beyond_the_event_through_the_link_is_refused_next_to_the_field(client, kick_off):
    from tests.events.test_registration_views import link_of, mails, register

    register(client, kick_off, "one@example.jp")
    link = link_of(mails("one@example.jp")[0])

    response = client.submit(link, {"action": "change", "companions": "3"})

    assert response.status_code == 422 and "席は全部で3席" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(Registration.party_size).where(Registration.email == "one@example.jp")) == 1


def test_turning_walk_ins_off_in_the_event_form_hides_the_door_form(client, hall, create_user, create_booking):
    from tests.events.test_event_form import form, hall_booking

    booking = hall_booking(hall, create_user, create_booking)
    client.login(create_user(role="staff").email)
    values = form(booking.start_dt)
    del values["accepts_walk_ins"]

    assert client.submit(f"/bookings/{booking.id}/event", values).status_code == 302
    db.session.rollback()
    event = db.session.scalar(select(PublicEvent))
    assert event.accepts_walk_ins is False
    assert "door-walk-in" not in client.get(f"/staff/events/{event.id}/door").get_data(as_text=True)


def test_the_sent_page_opened_directly_is_the_event_page(client, kick_off):
    response = client.get(f"/events/{kick_off.id}/sent")

    assert response.status_code == 302 and response.headers["Location"].endswith(f"/events/{kick_off.id}")


def test_the_personal_page_is_never_cached_nor_sent_on_as_a_referrer(client, kick_off):
    from tests.events.test_registration_views import link_of, mails, register

    register(client, kick_off, "private@example.jp")
    client.get("/")  # the sign-in state of the visitor does not matter
    response = client.get(link_of(mails("private@example.jp")[0]))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_member_already_registered_sees_their_registration_and_its_link_not_the_form(
        client, kick_off, create_user):
    member = create_user(name="会員 一郎")
    client.login(member.email)
    client.submit(f"/events/{kick_off.id}/register", {"m-companions": "1", "m-consent": "y"})

    page = client.get(f"/events/{kick_off.id}").get_data(as_text=True)

    assert "申込済み" in page or "You are registered" in page
    assert 'href="/events/r/' in page and 'action="/events/' not in page
    link = page.split('href="/events/r/', 1)[1].split('"', 1)[0]
    assert client.get(f"/events/r/{link}").status_code == 200


def test_a_members_proposed_move_the_agenda_would_not_fit_is_refused_when_proposed(hall, create_user):
    from tests.events.factories import make_event

    start = kick_start() + timedelta(hours=7)  # 17:00 in Tokyo
    event = _with_agenda(make_event(hall, create_user(), start, start + timedelta(hours=2)))
    booking = event.booking
    booking.space.requires_approval = True
    db.session.commit()
    later = booking.start_dt + timedelta(days=1)

    with pytest.raises(ServiceError):
        change_booking(booking.user, booking.id, BookingChange(later, later + timedelta(hours=1), "Kick-off", True))

    db.session.rollback()
    assert db.session.get(Booking, booking.id).proposed_start_dt is None


def test_registering_for_a_withdrawn_event_says_it_was_cancelled_in_the_visitors_language(
        client, kick_off, create_user):
    from booking.services.attendee_mail import withdraw_event
    from tests.events.test_registration_views import register

    withdraw_event(kick_off.id, create_user(role="staff"), "", release_booking=False)

    response = register(client, kick_off, "late@example.jp")
    page = response.get_data(as_text=True)

    assert response.status_code == 409  # refused on the page, the input kept (was a redirect to the event)
    assert 'value="late@example.jp"' in page
    assert "Not found." not in page and page.count("このイベントは中止になりました。") == 1  # said once, at the top
    db.session.rollback()
    assert db.session.scalar(select(Registration)) is None


def test_a_member_not_registered_sees_the_form_not_somebody_elses_registration(client, kick_off, create_user):
    from booking.services import registrations

    registrations.register(kick_off.id, registrations.RegistrationInput(
        name="他の 人", email="other@example.jp", consent=True), "test-secret")
    member = create_user(name="会員 二郎")

    assert registrations.member_registration(kick_off.id, member) is None
    client.login(member.email)
    page = client.get(f"/events/{kick_off.id}").get_data(as_text=True)
    assert 'href="/events/r/' not in page and f'action="/events/{kick_off.id}/register"' in page
