"""What a booking loads of the member's other bookings for the quota (issue 21): only what the quota needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from booking.domain.values import Request
from booking.extensions import db
from booking.services.bookings import BookingInput, _usage, request_booking
from tests.feeds.conftest import counting_queries

NOW = datetime(2030, 6, 3, 0, 0, tzinfo=UTC)  # a Monday, 09:00 in Tokyo
WEEK = timedelta(days=7)
HOUR = timedelta(hours=1)


def history(create_booking, space, member):
    """Bookings long past, just past, soon, in three weeks and in a year."""
    starts = [NOW - 30 * WEEK, NOW - 2 * HOUR, NOW + WEEK + 3 * HOUR, NOW + 3 * WEEK, NOW + 52 * WEEK]
    for start in starts:
        create_booking(space, member, start, start + HOUR)
    return starts


def test_without_a_quota_nothing_of_the_members_history_is_loaded(create_space, create_user, create_booking):
    space, member = create_space(), create_user()
    history(create_booking, space, member)
    request = Request(NOW + WEEK, NOW + WEEK + HOUR, 1, member.id)
    db.session.refresh(space)  # the space row itself is read by the caller

    with counting_queries() as statements:
        usage = _usage(db.session(), space, member.id, NOW, request)

    assert usage.intervals == () and statements == []


def test_a_count_quota_loads_the_bookings_not_yet_over(create_space, create_user, create_booking):
    space, member = create_space(quota_active_bookings=5), create_user()
    starts = history(create_booking, space, member)

    usage = _usage(db.session(), space, member.id, NOW, Request(NOW + WEEK, NOW + WEEK + HOUR, 1, member.id))

    assert sorted(start for start, _end in usage.intervals) == starts[2:]


def test_an_hours_quota_loads_only_the_bookings_within_a_week_of_the_request(create_space, create_user,
                                                                            create_booking):
    space, member = create_space(quota_hours_per_week=10), create_user()
    starts = history(create_booking, space, member)

    usage = _usage(db.session(), space, member.id, NOW, Request(NOW + WEEK, NOW + WEEK + HOUR, 1, member.id))

    assert sorted(start for start, _end in usage.intervals) == [starts[2]]


def test_an_hours_quota_still_refuses_what_the_week_around_the_request_holds(create_space, create_user,
                                                                            create_booking):
    space, member = create_space(quota_hours_per_week=3, max_days_ahead=3650), create_user()
    history(create_booking, space, member)  # the one at NOW + 1 week + 3 h counts: 1 h
    start = NOW + WEEK + 5 * HOUR

    allowed = request_booking(member, BookingInput(space.id, start, start + 2 * HOUR, "Two hours"), now=NOW)
    refused = request_booking(member, BookingInput(space.id, start + 3 * HOUR, start + 4 * HOUR, "One more"),
                              now=NOW)

    assert allowed.ok
    assert [c.code for c in refused.conflicts] == ["quota"]
