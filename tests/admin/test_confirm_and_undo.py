"""Confirm before destroying (issue 16, point 3): cancel, reject and deactivate ask once more,
saying what will happen, without JavaScript; a member's own cancellation can be undone."""

from __future__ import annotations

import re

import pytest

from booking.extensions import db
from booking.models import Booking
from tests.views.conftest import at, monday_ahead

MONDAY = monday_ahead()


@pytest.fixture
def member(client, create_user):
    user = create_user(locale="en")
    client.login(user.email)
    return user


def status_of(booking_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def sequence_in_feed(client, slug: str, uid: str) -> int:
    body = client.get(f"/spaces/{slug}/calendar.ics").get_data(as_text=True).replace("\r\n ", "")
    event = next(e for e in body.split("BEGIN:VEVENT")[1:] if f"UID:{uid}" in e)
    return int(re.search(r"SEQUENCE:(\d+)", event).group(1))


def test_cancel_asks_once_more_and_says_what_happens(client, create_space, create_booking, member):
    booking = create_booking(create_space(slug="room"), member, at(MONDAY, 10), at(MONDAY, 11), title="Recording")
    listing = client.get("/bookings").get_data(as_text=True)
    assert f'href="/bookings/{booking.id}/cancel"' in listing
    assert f'action="/bookings/{booking.id}/cancel"' not in listing

    page = client.get(f"/bookings/{booking.id}/cancel").get_data(as_text=True)
    assert "Cancel this booking?" in page and "What happens" in page and "undo" in page
    assert f'<form method="post" action="/bookings/{booking.id}/cancel"' in page
    assert status_of(booking.id) == "confirmed"


def test_a_member_undoes_a_cancellation_and_the_feed_shows_it_again_with_a_higher_sequence(
        client, create_space, create_booking, member):
    booking = create_booking(create_space(slug="room"), member, at(MONDAY, 10), at(MONDAY, 11), title="Recording")
    uid = booking.uid
    before = sequence_in_feed(client, "room", uid)
    client.submit(f"/bookings/{booking.id}/cancel")
    assert status_of(booking.id) == "cancelled"
    cancelled = sequence_in_feed(client, "room", uid)
    listing = client.get("/bookings").get_data(as_text=True)
    assert "Undo the cancellation" in listing and f'action="/bookings/{booking.id}/undo"' in listing

    response = client.submit(f"/bookings/{booking.id}/undo")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bookings/{booking.id}")
    assert status_of(booking.id) == "confirmed"
    assert before < cancelled < sequence_in_feed(client, "room", uid)
    assert "Undo the cancellation" not in client.get("/bookings").get_data(as_text=True)


def test_staff_reject_from_a_page_that_says_what_happens(staff_client, create_space, create_user, create_booking):
    booking = create_booking(create_space(requires_approval=True), create_user(), at(MONDAY, 10), at(MONDAY, 11),
                             status="pending")
    queue = staff_client.get("/staff/requests").get_data(as_text=True)
    assert f'href="/staff/requests/{booking.id}/reject"' in queue and 'name="note"' not in queue
    page = staff_client.get(f"/staff/requests/{booking.id}/reject").get_data(as_text=True)
    assert "メッセージ付きのメール" in page and 'rows="8"' in page
    assert status_of(booking.id) == "pending"


def test_deactivating_asks_once_more(admin_client, create_user, app):
    user = create_user(name="Hanako")
    member_page = admin_client.get(f"/staff/members/{user.id}").get_data(as_text=True)
    assert f'href="/staff/members/{user.id}/deactivate"' in member_page
    assert f'action="/staff/members/{user.id}/deactivate"' not in member_page
    page = admin_client.get(f"/staff/members/{user.id}/deactivate").get_data(as_text=True)
    assert "以後ログインできません" in page and f'action="/staff/members/{user.id}/deactivate"' in page


def test_deactivating_leaves_the_future_bookings_unless_the_box_is_ticked(admin_client, create_space, create_user,
                                                                          create_booking):
    """The page says the future bookings stay unless the box is ticked: the box is shown unticked, and
    sending the page as shown deactivates the account, keeps the bookings and asks for no message."""
    user = create_user(name="Hanako")
    booking = create_booking(create_space(slug="room"), user, at(MONDAY, 10), at(MONDAY, 11))
    page = admin_client.get(f"/staff/members/{user.id}/deactivate").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="cancel_future"[^>]*>', page)
    assert box is not None and "checked" not in box.group(0)

    sent = admin_client.submit(f"/staff/members/{user.id}/deactivate", {"message": ""})

    assert sent.status_code == 302
    db.session.expire_all()
    assert not user.is_active and status_of(booking.id) == "confirmed"


def test_staff_cancelling_a_members_booking_are_promised_no_undo(staff_client, create_space, create_user,
                                                                 create_booking):
    booking = create_booking(create_space(slug="room"), create_user(), at(MONDAY, 10), at(MONDAY, 11))
    page = staff_client.get(f"/bookings/{booking.id}/cancel").get_data(as_text=True)
    assert "5分間" not in page and "元に戻せません" in page
    staff_client.submit(f"/bookings/{booking.id}/cancel")
    assert status_of(booking.id) == "cancelled"
    after = staff_client.get("/bookings").get_data(as_text=True)
    assert "予約を取り消しました" in after and "元に戻せます" not in after


def test_the_cancel_page_of_a_booking_with_a_public_event_tells_who_is_mailed(client, create_space, member):
    from booking.services import registrations
    from tests.events.factories import make_event

    event = make_event(create_space(slug="hall", max_people=80), member, at(MONDAY, 10), at(MONDAY, 11))
    for email in ("a@example.jp", "b@example.jp"):
        registrations.register(event.id, registrations.RegistrationInput(
            name=email, email=email, companions=0, consent=True), "key")
    page = client.get(f"/bookings/{event.booking_id}/cancel").get_data(as_text=True)
    assert "public event of this booking is cancelled too: 2 registered people" in page
    assert "cannot be undone" in page and "you can undo" not in page
    client.submit(f"/bookings/{event.booking_id}/cancel")
    listing = client.get("/bookings").get_data(as_text=True)
    assert "Undo the cancellation" not in listing and "You can undo" not in listing


def test_a_second_undo_click_says_the_booking_is_already_back(client, create_space, create_booking, member):
    booking = create_booking(create_space(slug="room"), member, at(MONDAY, 10), at(MONDAY, 11))
    client.submit(f"/bookings/{booking.id}/cancel")
    client.submit(f"/bookings/{booking.id}/undo")
    client.submit(f"/bookings/{booking.id}/undo")
    assert "already undone" in client.get("/bookings").get_data(as_text=True)


def test_rejecting_a_confirmed_booking_goes_to_the_booking_with_a_message(staff_client, create_space, create_user,
                                                                          create_booking):
    booking = create_booking(create_space(), create_user(), at(MONDAY, 10), at(MONDAY, 11))
    response = staff_client.get(f"/staff/requests/{booking.id}/reject")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/staff/bookings/{booking.id}")
    assert "お断りできるのは承認待ちの申請だけ" in staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert status_of(booking.id) == "confirmed"


@pytest.mark.parametrize(("status", "heading"), [
    ("expired", "This request has expired"),
    ("rejected", "This request was rejected"),
    ("cancelled", "This booking has already been cancelled"),
])
def test_the_cancel_page_of_a_booking_that_cannot_be_cancelled_is_headed_so(
        client, create_space, create_booking, member, status, heading):
    """Issue 16 (tester): an expired request's page asked "Cancel this booking?" above "can no longer";
    the heading now names why it cannot be cancelled (tests/views/test_cancel_wording.py has every reason)."""
    booking = create_booking(create_space(slug="room"), member, at(MONDAY, 10), at(MONDAY, 11), status=status)
    page = client.get(f"/bookings/{booking.id}/cancel").get_data(as_text=True)
    assert "Cancel this booking?" not in page
    assert re.search(rf"<h1>\s*{heading}\s*</h1>", page)
    assert "Yes, cancel" not in page


def test_after_an_undo_refused_because_the_time_was_taken_no_undo_is_offered(
        client, create_space, create_booking, create_user, member):
    """Issue 16 (tester): the page said the cancellation stays, and still offered the undo."""
    room = create_space(slug="room")
    booking = create_booking(room, member, at(MONDAY, 10), at(MONDAY, 11), title="Recording")
    client.submit(f"/bookings/{booking.id}/cancel")
    assert "Undo the cancellation" in client.get("/bookings").get_data(as_text=True)
    create_booking(room, create_user(), at(MONDAY, 10), at(MONDAY, 11), title="Someone else")
    client.submit(f"/bookings/{booking.id}/undo")
    page = client.get("/bookings").get_data(as_text=True)
    assert "booked this time meanwhile" in page
    assert "Undo the cancellation" not in page and "You can undo" not in page
    assert status_of(booking.id) == "cancelled"
