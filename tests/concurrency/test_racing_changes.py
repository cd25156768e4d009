"""Real processes racing: a change against a new booking, an approval against the expiry job."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import Booking
from booking.services.bookings import BookingInput, request_booking
from booking.services.integrity import count_double_bookings
from tests.concurrency.change_racers import write_at_the_barrier
from tests.conftest import future_day
from tests.race_harness import race

pytestmark = pytest.mark.slow
TIMEOUT_S = 120


def fresh(booking_id):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Booking, booking_id)


def book(member, space, start, end, now=None):
    outcome = request_booking(member, BookingInput(space.id, start, end, "Before the race"), now=now)
    assert outcome.ok, outcome.conflicts
    return outcome.booking


def test_a_member_moving_a_booking_and_another_booking_that_time_exactly_one_wins(
        create_space, create_user, database_url):
    room = create_space()
    day = future_day(4)
    mover, other = create_user(), create_user()
    booking = book(mover, room, day + timedelta(hours=1), day + timedelta(hours=2))
    target = (day + timedelta(hours=4), day + timedelta(hours=5))
    jobs = [
        {"kind": "change", "user_id": mover.id, "booking_id": booking.id, "start_dt": target[0], "end_dt": target[1]},
        {"kind": "book", "user_id": other.id, "space_id": room.id, "start_dt": target[0], "end_dt": target[1]},
    ]
    booking_id = booking.id
    db.session.commit()

    reports = race(write_at_the_barrier, database_url, jobs, timeout_s=TIMEOUT_S)

    assert [r["error"] for r in reports] == [None, None]
    assert sum(r["ok"] for r in reports) == 1, reports
    assert [r["refusal"] for r in reports if not r["ok"]] == ["overlap"]
    moved = fresh(booking_id)
    change_won = next(r["ok"] for r in reports if r["kind"] == "change")
    # The loser of a change keeps its old time: nothing is lost.
    assert moved.start_dt == (target[0] if change_won else day + timedelta(hours=1))
    assert moved.status == "confirmed" and [h.is_active for h in moved.holds] == [True]
    assert count_double_bookings(db.session) == 0


def test_a_request_approved_in_the_instant_the_job_expires_it_has_exactly_one_outcome(
        create_space, create_user, database_url):
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    start = future_day(4) + timedelta(hours=2)
    booking = book(create_user(), hall, start, start + timedelta(hours=1), now=start - timedelta(days=3))
    deadline = start - timedelta(hours=24)
    jobs = [{"kind": "approve", "user_id": create_user(role="staff").id, "booking_id": booking.id, "now": deadline},
            {"kind": "expire", "now": deadline}]
    booking_id = booking.id
    db.session.commit()

    reports = race(write_at_the_barrier, database_url, jobs, timeout_s=TIMEOUT_S)

    assert [r["error"] for r in reports] == [None, None]
    outcome = {r["kind"]: r for r in reports}
    assert outcome["approve"]["ok"] != outcome["expire"]["ok"], reports
    status = fresh(booking_id).status
    if outcome["approve"]["ok"]:
        assert status == "confirmed"
    else:
        assert (status, outcome["approve"]["refusal"]) == ("expired", "Stale")
