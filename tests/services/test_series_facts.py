"""A series' facts, read once, give each date exactly what its own queries (active_holds, _usage) return."""

from __future__ import annotations

from dataclasses import astuple
from datetime import UTC, datetime, timedelta

import pytest

from booking.domain.rules import occupied
from booking.domain.values import Hold, Request
from booking.extensions import db
from booking.services.bookings import _usage
from booking.services.series_facts import _holds_near, read_facts
from booking.services.spaces import active_holds, longest_hold, policy_of

NOW = datetime(2030, 6, 3, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)
FIRST = NOW + timedelta(days=2, hours=1)  # 10:00 in Tokyo
REQUESTS = [Request(FIRST + n * WEEK, FIRST + n * WEEK + 2 * HOUR, 1, 0) for n in (0, 1, 3)]


@pytest.fixture
def studio(create_space):
    # Pooled, so bookings may overlap on distinct desks; the longest hold is 4 h.
    return create_space(kind="pooled", unit_count=40, max_minutes=240)


@pytest.fixture
def booked(studio, create_space, create_user, create_booking):
    """The member's and others' bookings on every edge the facts' queries and filters draw."""
    member, other, elsewhere = create_user(), create_user(), create_space(kind="pooled", unit_count=4)
    units = iter(range(1, 41))
    first, second, third = (r.start_dt for r in REQUESTS)
    longest = longest_hold(studio)

    def book(user, start, end, space=studio, **fields):
        create_booking(space, user, start, end, units=(next(units) if space is studio else 1,), **fields)

    for start, end in [
        (first - 2 * HOUR, first),  # ends as the first date starts
        (first + 2 * HOUR, first + 3 * HOUR),  # starts as the first date ends
        (first - 3 * HOUR, first + HOUR),  # a longest hold overlapping the start
        (first - longest, first),  # as long as the longest, touching
        (second + 6 * HOUR, second + 8 * HOUR),  # near no date
        (third - WEEK, third - WEEK + HOUR),  # between the dates
    ]:
        book(other, start, end)
    book(other, second, second + HOUR, status="cancelled")
    book(other, second, second + HOUR, space=elsewhere)
    book(member, third, third + HOUR)  # one's own hold on a date
    # The member's own bookings on the quota's edges: now, each date's week before and after.
    since = [max(NOW, r.start_dt) - WEEK for r in REQUESTS]
    for start, end in [
        (NOW - HOUR, NOW),  # ends now
        (NOW - HOUR, NOW + HOUR),  # under way
        (NOW - 30 * WEEK, NOW - 30 * WEEK + HOUR),  # long past
        (NOW - 2 * HOUR, NOW - HOUR),  # just past
        (since[0] - HOUR, since[0] + HOUR),  # across the first date's week start
        (since[1] - HOUR, since[1]),  # ends as the second date's week starts
        (since[2] - 3 * HOUR, since[2] - HOUR),  # ends shortly before the third date's week
        (REQUESTS[0].end_dt + WEEK, REQUESTS[0].end_dt + WEEK + HOUR),  # starts as the first's week ends
        (REQUESTS[2].end_dt + WEEK - HOUR, REQUESTS[2].end_dt + WEEK),  # last hour of the third's week
        (REQUESTS[2].end_dt + WEEK, REQUESTS[2].end_dt + WEEK + HOUR),  # starts as the third's week ends
        (REQUESTS[2].end_dt + 2 * WEEK, REQUESTS[2].end_dt + 2 * WEEK + HOUR),  # beyond every week
    ]:
        book(member, start, end)
    book(member, NOW + HOUR, NOW + 2 * HOUR, status="pending")
    book(member, second - 5 * HOUR, second - 4 * HOUR, status="pending")
    book(member, first + 5 * HOUR, first + 6 * HOUR, status="cancelled")
    book(member, first + 5 * HOUR, first + 6 * HOUR, space=elsewhere)
    book(other, first + 7 * HOUR, first + 8 * HOUR)
    return member


def ordered(holds: list[Hold]) -> list[tuple[object, ...]]:
    return sorted(astuple(h) for h in holds)


def spans_of(space) -> list[tuple[datetime, datetime]]:
    return [occupied(r, policy_of(space)) for r in REQUESTS]


@pytest.mark.parametrize("count_limit, hours_limit", [(None, None), (2, None), (None, 3), (2, 3)])
def test_each_date_of_a_series_sees_the_holds_and_own_bookings_a_single_booking_would(
        studio, booked, count_limit, hours_limit):
    studio.quota_active_bookings, studio.quota_hours_per_week = count_limit, hours_limit
    db.session.commit()
    requests = [Request(r.start_dt, r.end_dt, 1, booked.id) for r in REQUESTS]
    facts = read_facts(db.session(), studio, policy_of(studio), booked.id, requests, spans_of(studio), NOW, "ja")
    for request, (start_dt, end_dt) in zip(requests, spans_of(studio), strict=True):
        assert ordered(facts.holds_between(start_dt, end_dt)) == ordered(
            active_holds(db.session(), studio, start_dt, end_dt))
        assert sorted(facts.usage_of(NOW, request).intervals) == sorted(
            _usage(db.session(), studio, booked.id, NOW, request).intervals)


@pytest.mark.parametrize("count_limit, hours_limit", [(2, None), (None, 3), (2, 3)])
def test_a_series_earlier_dates_count_in_a_dates_quota_as_if_they_were_stored(
        studio, booked, create_booking, count_limit, hours_limit):
    studio.quota_active_bookings, studio.quota_hours_per_week = count_limit, hours_limit
    db.session.commit()
    requests = [Request(r.start_dt, r.end_dt, 1, booked.id) for r in REQUESTS]
    facts = read_facts(db.session(), studio, policy_of(studio), booked.id, requests, spans_of(studio), NOW, "ja")
    since, before = REQUESTS[0].start_dt - WEEK, REQUESTS[0].end_dt + WEEK  # the first date's week
    also = [(since - HOUR, since), (since, since + HOUR), (before - HOUR, before), (before, before + HOUR)]
    for start, end in also:
        create_booking(studio, booked, start, end, units=(40,))
    assert sorted(facts.usage_of(NOW, requests[0], also).intervals) == sorted(
        _usage(db.session(), studio, booked.id, NOW, requests[0]).intervals)


def test_a_series_reads_only_the_holds_some_date_meets(studio, booked):
    spans = spans_of(studio)
    expected = {h for start_dt, end_dt in spans for h in active_holds(db.session(), studio, start_dt, end_dt)}
    assert ordered(_holds_near(db.session(), studio, spans, longest_hold(studio))) == ordered(list(expected))
