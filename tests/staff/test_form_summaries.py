"""Staff forms after a failed submit: a summary opens the page, in the order of the fields, each
message also beside its field; a POST-only form address opened again leads to its page."""

from __future__ import annotations

import re

import pytest

from tests.staff.test_staff_booking import local_form
from tests.summary_html import field_is_invalid, is_in_page_order, is_summary_first, summary_items, summary_targets


@pytest.fixture
def staff_client(client, create_user):
    client.login(create_user(role="staff", locale="en").email)
    return client


def test_an_unknown_member_email_is_beside_its_field_and_in_the_summary(staff_client, create_space):
    create_space(slug="studio")

    response = staff_client.submit("/staff/spaces/studio/book", local_form(10, 12, member_email="nobody@example.jp"))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_is_invalid(page, "member_email", "No account uses the e-mail address nobody@example.jp.")
    assert summary_targets(page) == ["member_email"]
    assert is_summary_first(page)


def test_the_booking_summary_follows_the_order_of_the_fields(staff_client, create_space):
    create_space(slug="desks", kind="pooled", unit_count=4)

    response = staff_client.submit("/staff/spaces/desks/book", {
        "title": "", "day": "2026-02-30", "start_time": "10:00", "end_time": "12:00", "seats": "99",
        "attendees": "abc", "override_reason": "x"})

    page = response.get_data(as_text=True)
    targets = summary_targets(page)
    assert response.status_code == 422
    assert targets[:2] == ["title", "day"] and "seats" in targets and "attendees" in targets
    assert is_in_page_order(page, targets)


def test_a_refused_holiday_opening_shows_the_summary_and_its_address_leads_back(staff_client, create_space):
    space = create_space(close_on_holidays=True, holiday_country="JP")

    response = staff_client.submit(f"/staff/spaces/{space.id}/holidays", {"day": "2026-02-30"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert [target for target, _text in summary_items(page)] == ["day"]
    assert is_summary_first(page)
    assert f'name="_next" value="/staff/spaces/{space.id}/hours"' in page  # the language switch
    opened_again = staff_client.get(f"/staff/spaces/{space.id}/holidays")
    assert opened_again.status_code == 302
    assert opened_again.headers["Location"].endswith(f"/staff/spaces/{space.id}/hours")


def test_refused_opening_hours_show_the_summary(staff_client, create_space):
    space = create_space()

    typed = {**{f"day_{n}": "" for n in range(7)}, "day_0": "09:00-25:00", "day_2": "9-18"}
    response = staff_client.submit(f"/staff/spaces/{space.id}/hours", typed)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert summary_targets(page) and is_summary_first(page)
    assert is_in_page_order(page, summary_targets(page))


def test_the_summary_is_on_top_of_the_staff_menu_and_names_no_field_twice(staff_client, create_space):
    create_space(slug="studio")

    page = staff_client.submit("/staff/spaces/studio/book", local_form(10, 12, title="")).get_data(as_text=True)

    assert len(re.findall(r'href="#title"', page)) == 1
    assert is_summary_first(page)


def test_a_too_long_decline_note_is_kept_beside_its_field_on_the_booking(staff_client, create_space, create_user):
    from datetime import timedelta

    from booking.services import staff as staff_service
    from booking.services.bookings import BookingInput, request_booking
    from booking.services.changes import BookingChange, change_booking
    from tests.conftest import future_day

    hall = create_space(requires_approval=True)
    member = create_user()
    start = future_day(8)
    booking = request_booking(member, BookingInput(hall.id, start, start + timedelta(hours=1), "Kick-off")).booking
    staff_service.approve(create_user(role="staff"), booking.id)
    later = start + timedelta(hours=3)
    assert change_booking(member, booking.id, BookingChange(later, later + timedelta(hours=1), "Kick-off",
                                                            False)).is_proposal

    response = staff_client.submit(f"/staff/changes/{booking.id}/decline", {"note": "x" * 2001})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert summary_targets(page) == [f"decline-{booking.id}"]
    assert f'aria-describedby="decline-{booking.id}-errors"' in page and "x" * 2001 in page
    opened_again = staff_client.get(f"/staff/changes/{booking.id}/decline")
    assert opened_again.headers["Location"].endswith(f"/staff/bookings/{booking.id}")
