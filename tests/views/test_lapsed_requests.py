"""A request past its staff deadline reads as expired on every page, before the expiry job writes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking

NOW = datetime.now(UTC).replace(second=0, microsecond=0)


@pytest.fixture
def member(create_user):
    return create_user(locale="en", name="Member Mori")


@pytest.fixture
def lapsed(create_space, create_booking, member):
    """Waiting since two days, starting in three hours: its deadline (24 h before) has passed."""
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    start = NOW + timedelta(hours=3)
    return create_booking(hall, member, start, start + timedelta(hours=1), status="pending",
                          created_at=NOW - timedelta(days=2), title="Lapsed kick-off")


def page(client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_the_member_sees_the_request_expired_with_nothing_left_to_cancel(client, member, lapsed):
    client.login(member.email)
    mine = page(client, "/bookings")
    row = mine[mine.index("Lapsed kick-off"):]
    row = row[:row.index("</tr>")]
    assert "Expired" in row and "Pending" not in row and "/cancel" not in row

    detail = page(client, f"/bookings/{lapsed.id}")
    assert 'class="status expired"' in detail and "Cancel this booking" not in detail
    db.session.expire_all()
    assert db.session.get(Booking, lapsed.id).status == "pending"  # the job has yet to write it


def test_staff_see_it_expired_with_no_decision_to_take(client, create_user, lapsed):
    client.login(create_user(role="staff", locale="en").email)
    detail = page(client, f"/staff/bookings/{lapsed.id}")
    assert 'class="status expired"' in detail
    assert f"/staff/requests/{lapsed.id}/approve" not in detail and f"/staff/requests/{lapsed.id}/reject" not in detail
    assert "Lapsed kick-off" not in page(client, "/staff/requests")

    answer = client.submit(f"/staff/requests/{lapsed.id}/approve", {})
    assert answer.status_code in (302, 303, 409)
    db.session.expire_all()
    assert db.session.get(Booking, lapsed.id).status == "pending"
