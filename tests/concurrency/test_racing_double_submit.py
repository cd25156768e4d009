"""Real processes: one form sent twice at once (a double click) creates one booking, or one series."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Booking, BookingSeries
from tests.concurrency.series_racers import write_at_the_barrier
from tests.conftest import future_day
from tests.race_harness import race

pytestmark = pytest.mark.slow
TIMEOUT_S = 120
TOKYO = ZoneInfo("Asia/Tokyo")
TOKEN = "double-click-token-0001"


def test_a_booking_form_posted_twice_at_once_creates_one_booking(create_space, create_user, database_url):
    studio = create_space()
    member = create_user()
    day = future_day(5).astimezone(TOKYO).date()
    job = {"kind": "book", "user_id": member.id, "space_id": studio.id, "submit_token": TOKEN,
           "start_dt": datetime.combine(day, time(10), TOKYO), "end_dt": datetime.combine(day, time(11), TOKYO)}
    db.session.commit()

    reports = race(write_at_the_barrier, database_url, [job, dict(job)], timeout_s=TIMEOUT_S)

    assert [r["error"] for r in reports] == [None, None]
    assert [r["booked"] for r in reports] == [[day.isoformat()]] * 2, reports  # both answered with the booking
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_a_series_form_posted_twice_at_once_creates_one_series(create_space, create_user, database_url):
    studio = create_space()
    member = create_user()
    first = future_day(5).astimezone(TOKYO).date()
    job = {"kind": "series", "user_id": member.id, "space_id": studio.id, "first_day": first, "count": 4,
           "start_time": time(10), "end_time": time(12), "submit_token": TOKEN}
    db.session.commit()

    reports = race(write_at_the_barrier, database_url, [job, dict(job)], timeout_s=TIMEOUT_S)

    assert [r["error"] for r in reports] == [None, None]
    assert sorted(len(r["booked"]) for r in reports) == [0, 4], reports  # the repeat books nothing new
    assert all(r["lost"] == [] for r in reports), reports
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(BookingSeries)) == 1
    days = [b.start_dt.astimezone(TOKYO).date() for b in db.session.scalars(select(Booking).order_by(Booking.id))]
    assert days == [first + timedelta(weeks=n) for n in range(4)]
