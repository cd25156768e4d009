"""Staff in separate OS processes approve overlapping requests at the same moment.

Each racer is a spawned interpreter with its own app and engine on the test
database (SQLite file or PostgreSQL), so nothing is shared but the database.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking
from booking.services.bookings import BookingInput, request_booking
from booking.services.integrity import count_double_bookings
from tests.conftest import future_day
from tests.race_harness import race
from tests.staff.racers import approve_at_the_barrier

pytestmark = pytest.mark.slow
JOIN_TIMEOUT_S = 120

def race_approvals(database_url, pairs):
    """One spawned process per (staff_id, booking_id); all approve at one barrier."""
    return race(approve_at_the_barrier, database_url, pairs, timeout_s=JOIN_TIMEOUT_S)


def test_three_staff_approving_overlapping_requests_at_once_confirm_exactly_one(
    create_space, create_user, database_url
):
    space = create_space(requires_approval=True, pending_holds=False)
    day = future_day(4).replace(hour=2)
    requests = []
    for offset in range(3):  # 2:00–4:00, 2:30–4:30, 3:00–5:00: every two overlap
        start = day + timedelta(minutes=30 * offset)
        outcome = request_booking(create_user(), BookingInput(
            space.id, start, start + timedelta(hours=2), f"Request {offset}"))
        assert outcome.ok and outcome.booking.status == "pending"
        requests.append(outcome.booking.id)
    pairs = [(create_user(role="staff").id, booking_id) for booking_id in requests]
    db.session.commit()

    reports = race_approvals(database_url, pairs)

    assert [r["error"] for r in reports] == [None, None, None]
    winners = [r["booking_id"] for r in reports if r["ok"]]
    assert len(winners) == 1
    assert sorted(r["refusal"] for r in reports if not r["ok"]) in (
        ["Refused", "Refused"], ["Refused", "Stale"], ["Stale", "Stale"])
    db.session.rollback()
    statuses = dict(db.session.execute(select(Booking.id, Booking.status).where(Booking.id.in_(requests))).all())
    assert sorted(statuses.values()).count("confirmed") == 1
    assert statuses[winners[0]] == "confirmed"
    assert count_double_bookings(db.session) == 0
