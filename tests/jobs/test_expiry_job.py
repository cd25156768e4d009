"""Requests expire through the job runner, with no request arriving."""

from __future__ import annotations

from datetime import time, timedelta

from booking import jobs
from booking.db import utcnow
from booking.extensions import db
from booking.models import Booking, OutboxMessage
from booking.services.bookings import BookingInput, request_booking


def ask(member, space, start, now):
    data = BookingInput(space_id=space.id, start_dt=start, end_dt=start + timedelta(hours=1), title="Recording")
    return request_booking(member, data, now=now).booking


def test_the_runner_expires_a_request_past_its_deadline_and_tells_the_member(app, create_space, create_user):
    member = create_user(name="Member Mori", email="mori@example.jp")
    around_the_clock = {day: ((time(0), time(0)),) for day in range(7)}
    hall = create_space(requires_approval=True, request_deadline_hours=24, hours=around_the_clock)
    now = utcnow()
    start = (now + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    past_deadline = ask(member, hall, start, now - timedelta(days=3))
    later = start + timedelta(days=5)
    in_time = ask(member, hall, later, now - timedelta(days=3))

    ran = jobs.run_once(app)

    assert "bookings.expire_requests" in ran
    db.session.rollback()  # end the test's read snapshot: the runner committed in its own session
    assert db.session.get(Booking, past_deadline.id).status == "expired"
    assert db.session.get(Booking, in_time.id).status == "pending"
    kinds = db.session.scalars(db.select(OutboxMessage.kind).where(OutboxMessage.recipient == "mori@example.jp")).all()
    assert "booking.expired" in kinds
    # Once per due time: a second tick within the minute does not run it again.
    assert "bookings.expire_requests" not in jobs.run_once(app)
