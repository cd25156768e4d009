"""Real processes racing: a 6-date series against single bookings of some of its dates."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking
from booking.services.integrity import count_double_bookings
from tests.concurrency.series_racers import write_at_the_barrier
from tests.conftest import future_day
from tests.race_harness import race

pytestmark = pytest.mark.slow
TIMEOUT_S = 120
TOKYO = ZoneInfo("Asia/Tokyo")


def test_a_series_and_racing_single_bookings_never_double_book(create_space, create_user, database_url):
    studio = create_space()
    first = future_day(5).astimezone(TOKYO).date()
    dates = [first + timedelta(weeks=n) for n in range(6)]
    contested = [dates[1], dates[4]]
    series_job = {"kind": "series", "user_id": create_user().id, "space_id": studio.id, "first_day": first,
                  "count": 6, "start_time": time(10), "end_time": time(12)}
    singles = [{"kind": "book", "user_id": create_user().id, "space_id": studio.id,
                "start_dt": datetime.combine(day, time(11), TOKYO), "end_dt": datetime.combine(day, time(13), TOKYO)}
               for day in contested]
    db.session.commit()

    reports = race(write_at_the_barrier, database_url, [series_job, *singles], timeout_s=TIMEOUT_S)

    assert [r["error"] for r in reports] == [None, None, None]
    series = next(r for r in reports if r["kind"] == "series")
    uncontested = {d.isoformat() for d in dates} - {d.isoformat() for d in contested}
    assert uncontested <= set(series["booked"]), reports
    for day in contested:
        winners = [r for r in reports if day.isoformat() in r["booked"]]
        losers = [r for r in reports if day.isoformat() in r["lost"]]
        assert (len(winners), len(losers)) == (1, 1), reports
    db.session.rollback()
    assert count_double_bookings(db.session) == 0
    active = db.session.scalars(select(Booking).where(Booking.status == "confirmed"))
    assert len(list(active)) == 6
