"""The my-bookings page keeps each line by its values: never stale, never another member's."""

from __future__ import annotations

import pytest

from booking.extensions import db
from booking.models import Booking
from booking.services import staff as staff_service
from booking.views import bookings as booking_views
from tests.conftest import without_csrf_tokens
from tests.views.conftest import at, monday_ahead

MONDAY = monday_ahead()


@pytest.fixture(autouse=True)
def empty_cache():
    booking_views.line_html_cache.clear()
    yield
    booking_views.line_html_cache.clear()


def page_of(client) -> str:
    response = client.get("/bookings")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def fresh_page_of(client) -> str:
    """The page as it is rendered when no line is kept."""
    booking_views.line_html_cache.clear()
    return page_of(client)


def test_an_approval_a_cancellation_and_a_rename_show_on_the_next_view(app, client, create_user, create_space,
                                                                      create_booking):
    room = create_space(slug="hall", name_en="Hall", requires_approval=True)
    member, staff = create_user(locale="en"), create_user(role="staff")
    client.login(member.email)
    pending = create_booking(room, member, at(MONDAY, 10), at(MONDAY, 11), status="pending", title="Talk")
    confirmed = create_booking(room, member, at(MONDAY, 13), at(MONDAY, 14), title="Meet-up")
    first = page_of(client)
    assert "Pending approval" in first and first.count(">Cancel</a>") == 2

    staff_service.approve(staff, pending.id)
    client.submit(f"/bookings/{confirmed.id}/cancel")
    assert "You cancelled “Meet-up”" in page_of(client)  # said once, beside its undo button
    db.session.get(Booking, pending.id).title = "Talk <renamed>"
    db.session.commit()

    kept = page_of(client)
    assert "Pending approval" not in kept and "Confirmed" in kept and "Cancelled" in kept
    assert "Talk &lt;renamed&gt;" in kept and kept.count(">Cancel</a>") == 1
    assert without_csrf_tokens(kept) == without_csrf_tokens(fresh_page_of(client))


def test_a_member_sees_only_their_own_lines(app, client, create_user, create_space, create_booking):
    room = create_space(slug="studio")
    aiko, ken = create_user(locale="en"), create_user(locale="en")
    theirs = create_booking(room, aiko, at(MONDAY, 10), at(MONDAY, 11), title="Aiko's recording")
    mine = create_booking(room, ken, at(MONDAY, 12), at(MONDAY, 13), title="Aiko's recording", status="pending")
    aiko_client, ken_client = client, app.test_client()
    aiko_client.login(aiko.email)
    ken_client.login(ken.email)
    page_of(aiko_client)  # Aiko's line kept

    ken_page = page_of(ken_client)
    assert f"/bookings/{mine.id}" in ken_page and f"/bookings/{theirs.id}" not in ken_page
    assert without_csrf_tokens(ken_page) == without_csrf_tokens(fresh_page_of(ken_client))
    assert f"/bookings/{mine.id}" not in page_of(aiko_client)
