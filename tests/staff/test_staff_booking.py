"""Staff book for a member (chosen by e-mail) or block time; confirmed at once, rules still apply."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Booking, Closure
from booking.services import InputRefused, ServiceError, audit
from booking.services import staff as staff_service
from booking.services.bookings import BookingInput, request_booking
from tests.conftest import future_day

TOKYO = ZoneInfo("Asia/Tokyo")
DAY = future_day(8)  # 09:00 in Tokyo; the test spaces open 09:00–21:00 local time


def local_form(hour_from, hour_to, **extra):
    day = DAY.astimezone(TOKYO).date()
    values = {"day": day.isoformat(), "start_time": f"{hour_from:02d}:00", "end_time": f"{hour_to:02d}:00",
              "title": "Recording", "attendees": "3"}
    values.update(extra)
    return values


def bookings_count():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Booking))


@pytest.fixture
def staff(create_user):
    return create_user(role="staff", name="Staff Sato")


@pytest.fixture
def staff_client(client, staff):
    client.login(staff.email)
    return client


@pytest.fixture
def studio(create_space):
    return create_space(requires_approval=True, slug="studio")


def test_staff_book_for_a_member_by_email_and_it_is_confirmed_at_once(
    staff_client, studio, create_user, client
):
    member = create_user(email="hanako@example.jp", name="Hanako")

    response = staff_client.submit("/staff/spaces/studio/book",
                                   local_form(10, 12, member_email="  Hanako@Example.JP "))

    assert response.status_code == 302
    booking = db.session.scalar(select(Booking))
    assert (booking.user_id, booking.status) == (member.id, "confirmed")
    assert [(e.action, e.actor.name) for e in audit.trail(booking.id)] == [("requested", "Staff Sato")]


def test_an_unknown_member_email_is_an_error_next_to_the_form_and_nothing_is_written(staff_client, studio):
    response = staff_client.submit("/staff/spaces/studio/book", local_form(10, 12, member_email="nobody@example.jp"))

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nobody@example.jp" in page
    assert 'value="Recording"' in page
    assert bookings_count() == 0


def test_blocking_time_keeps_members_out(staff_client, studio, staff, create_user):
    response = staff_client.submit("/staff/spaces/studio/book", local_form(10, 12, override_reason="TV recording"))

    assert response.status_code == 302
    block = db.session.scalar(select(Booking))
    assert (block.user_id, block.status, block.purpose) == (staff.id, "confirmed", "TV recording")
    member_try = request_booking(create_user(), BookingInput(studio.id, block.start_dt, block.end_dt, "Mine"))
    assert [c.code for c in member_try.conflicts] == ["overlap"]


def test_blocking_needs_a_reason(staff_client, studio):
    response = staff_client.submit("/staff/spaces/studio/book", local_form(10, 12))

    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert bookings_count() == 0


def test_staff_may_block_outside_opening_hours_with_a_recorded_reason(staff_client, studio):
    response = staff_client.submit("/staff/spaces/studio/book", local_form(
        21, 23, override_hours="y", override_reason="Night maintenance of the lights"))

    assert response.status_code == 302
    block = db.session.scalar(select(Booking))
    assert block.override_reason == "Night maintenance of the lights"
    assert [e.action for e in audit.trail(block.id)] == ["overridden"]


def test_outside_opening_hours_without_the_override_is_refused(staff_client, studio):
    response = staff_client.submit("/staff/spaces/studio/book", local_form(21, 23, override_reason="Maintenance"))

    assert response.status_code == 422
    assert bookings_count() == 0


def test_staff_cannot_book_over_another_booking(staff_client, studio, create_user, create_booking):
    create_booking(studio, create_user(), DAY.replace(hour=2), DAY.replace(hour=4))

    response = staff_client.submit("/staff/spaces/studio/book", local_form(10, 12, override_reason="Recording"))

    assert response.status_code == 409
    assert bookings_count() == 1


def test_staff_cannot_book_into_a_closure(staff_client, studio):
    db.session.add(Closure(space_id=studio.id, start_dt=DAY, end_dt=DAY.replace(hour=12), reason="Inspection"))
    db.session.commit()

    response = staff_client.submit("/staff/spaces/studio/book", local_form(
        10, 12, override_hours="y", override_notice="y", override_reason="Recording"))

    assert response.status_code == 422
    assert "Inspection" in response.get_data(as_text=True)
    assert bookings_count() == 0


def test_the_staff_booking_page_of_an_unknown_space_is_not_found(staff_client):
    assert staff_client.get("/staff/spaces/nowhere/book").status_code == 404


def test_a_member_cannot_book_for_someone_else(create_space, create_user):
    member, other = create_user(), create_user()
    space = create_space()

    with pytest.raises(ServiceError):
        request_booking(other, BookingInput(space.id, DAY.replace(hour=2), DAY.replace(hour=3), "X"), booked_by=member)

    assert bookings_count() == 0


def test_a_staff_booking_for_a_deactivated_member_says_the_account_is_deactivated(
        staff_client, studio, create_user):
    create_user(email="gone@example.jp", is_enabled=False)

    response = staff_client.submit("/staff/spaces/studio/book", local_form(10, 12, member_email="gone@example.jp"))

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "gone@example.jpのアカウントは利用停止中" in page
    assert bookings_count() == 0


def test_booking_for_an_unknown_address_names_the_address_it_looked_for(app):
    with pytest.raises(ServiceError) as refused:
        staff_service.find_member("  nobody@example.jp ")
    assert refused.value.message == "No account uses the e-mail address %(email)s."
    assert refused.value.params == {"email": "nobody@example.jp"}


@pytest.mark.parametrize("seats", ["abc", "1e3", "2.5"])
def test_staff_desks_that_are_not_a_whole_number_state_the_range_of_the_space(
        staff_client, create_space, create_user, seats):
    """Issue 16 (tester): 'abc' in a 24-desk space said "between 1 and 500"."""
    create_space(slug="desks", kind="pooled", unit_count=24)
    member = create_user(email="m@example.jp")
    response = staff_client.submit("/staff/spaces/desks/book",
                                   local_form(10, 12, member_email=member.email, seats=seats))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("1～24" in text or "1 and 24" in text) and "1～500" not in text and "1 and 500" not in text
    assert bookings_count() == 0


def test_blocking_time_without_a_reason_is_refused_beside_the_reason_field(studio, staff):
    data = BookingInput(studio.id, DAY.replace(hour=2), DAY.replace(hour=3), "Recording")

    with pytest.raises(InputRefused) as refused:
        staff_service.book_as_staff(staff, data, member_email="", reason="  ")

    assert (refused.value.field, refused.value.message) == ("override_reason", "Say why the time is blocked.")
    assert bookings_count() == 0


def test_booking_for_a_deactivated_account_is_refused_beside_the_member_field(app, create_user):
    from booking.services import InputRefused

    create_user(email="gone@example.jp", is_enabled=False)

    with pytest.raises(InputRefused) as refused:
        staff_service.find_member("gone@example.jp")

    assert refused.value.field == "member_email"
    assert refused.value.message == "The account %(email)s is deactivated: it cannot be booked for."
