"""The viewer's own bookings over a window (the reference the week cache's test compares the kept
week with): one that began before the window and runs into it counts, others' and ended ones do not."""

from __future__ import annotations

from datetime import timedelta

from booking.extensions import db
from booking.services.spaces import own_intervals
from tests.conftest import future_day


def test_own_intervals_are_the_viewers_bookings_that_overlap_the_window_even_those_begun_before_it(
        create_space, create_user, create_booking):
    member, other = create_user(), create_user()
    desks = create_space(kind="pooled", unit_count=4, max_minutes=240)
    window_start = future_day(10)
    window_end = window_start + timedelta(days=1)

    def hour(n: int):
        return window_start + timedelta(hours=n)

    begun_before = create_booking(desks, member, hour(-1), hour(1), units=(1,))
    first_hours = create_booking(desks, member, hour(2), hour(3))
    create_booking(desks, member, hour(-3), hour(0), units=(2,))  # ends as the window opens
    create_booking(desks, other, hour(4), hour(5))
    create_booking(desks, member, hour(6), hour(7), status="cancelled")

    found = own_intervals(db.session, desks, member.id, window_start, window_end)

    assert sorted(found) == [(b.start_dt, b.end_dt) for b in (begun_before, first_hours)]
    assert own_intervals(db.session, desks, None, window_start, window_end) == []
