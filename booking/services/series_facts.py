"""What the rules read for every date of a series, read once: holds, closures, the member's usage.

Judging a year of weekly dates one at a time sent three queries per date, and in a
space with 100,000 bookings of history the member's usage query alone took 124 ms a
date (it is bounded above only, so it walks the whole history): a 52-date preview cost
7.9 s on SQLite. Here each fact is one query over the series' whole span, bounded on
both sides by the longest hold (as `active_holds` is), and each date then gets
exactly the rows its own queries (bookings.check_booking) would have returned: the
same predicates, applied in Python. So `bookings.judge_booking` sees the same facts
and a series date is judged as a single booking at that time would be.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from booking.domain.intervals import overlaps
from booking.domain.values import ClosedRange, Hold, Policy, Request, Usage, as_utc
from booking.models import Booking, BookingHold, Space
from booking.services.spaces import closures_between, longest_hold

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class SeriesFacts:
    """Holds (sorted by start), closures and the member's own bookings over a series' span.

    `has_count_quota` / `has_hours_quota`: which of the member's bookings the quota
    rule needs (bookings._usage): those not yet over, and those within 7 days of a date.
    """

    holds: list[Hold]
    hold_starts: list[datetime]
    closures: list[ClosedRange]
    own: list[tuple[datetime, datetime]]  # sorted by start
    own_starts: list[datetime]
    longest: timedelta
    has_count_quota: bool
    has_hours_quota: bool

    def holds_between(self, start_dt: datetime, end_dt: datetime) -> list[Hold]:
        """The holds `active_holds(space, start_dt, end_dt)` would return."""
        first = bisect_left(self.hold_starts, start_dt - self.longest)
        last = bisect_left(self.hold_starts, end_dt)
        return [h for h in self.holds[first:last] if h.end_dt > start_dt]

    def closures_between(self, start_dt: datetime, end_dt: datetime) -> list[ClosedRange]:
        """The closures (closed holidays included) that overlap [start_dt, end_dt)."""
        return [c for c in self.closures if overlaps(start_dt, end_dt, c.start_dt, c.end_dt)]

    def usage_of(self, now: datetime, request: Request, also: Sequence[tuple[datetime, datetime]] = ()) -> Usage:
        """The member's bookings `bookings._usage` would return for `request`, were `also` stored too.

        `also` are bookings not yet stored (a series' earlier dates): the same predicates
        choose among them. Without a count limit only bookings within a week of the
        request qualify, found by bisection (none is longer than `longest`).
        """
        since = max(now, request.start_dt) - WEEK
        before = request.end_dt + WEEK
        own: Sequence[tuple[datetime, datetime]] = self.own
        if not self.has_count_quota:
            own = own[bisect_left(self.own_starts, since - self.longest):bisect_left(self.own_starts, before)]
        return Usage(tuple(
            (start, end) for start, end in (*own, *also)
            if (self.has_count_quota and end > now)
            or (self.has_hours_quota and end > since and start < before)
        ))


def read_facts(
    session: Session, space: Space, policy: Policy, member_id: int, requests: Sequence[Request],
    occupied_spans: Sequence[tuple[datetime, datetime]], now: datetime, locale: str,
) -> SeriesFacts:
    """One query each for holds, closures and the member's usage over all `requests` (date order).

    `occupied_spans` are the requests' occupied intervals (buffers included).
    """
    longest = longest_hold(space)
    if not requests:
        return SeriesFacts([], [], [], [], [], longest, False, False)
    holds = sorted(_holds_near(session, space, occupied_spans, longest), key=lambda h: h.start_dt)
    closures = closures_between(session, space, policy, min(r.start_dt for r in requests),
                                max(r.end_dt for r in requests), locale)
    has_count = space.quota_active_bookings is not None
    has_hours = space.quota_hours_per_week is not None
    own = sorted(_own_bookings(session, space, member_id, now, requests, longest, has_count, has_hours))
    return SeriesFacts(holds, [h.start_dt for h in holds], closures, own, [start for start, _end in own], longest,
                       has_count, has_hours)


def _holds_near(
    session: Session, space: Space, spans: Sequence[tuple[datetime, datetime]], longest: timedelta,
) -> list[Hold]:
    """Active holds that `active_holds` returns for any of `spans`: one query, one index range per span.

    Not the whole span of the series: a year of a busy studio is thousands of holds,
    of which a weekly series meets a few.
    """
    windows = [and_(BookingHold.occupied_start < end_dt, BookingHold.occupied_start >= start_dt - longest,
                    BookingHold.occupied_end > start_dt) for start_dt, end_dt in spans]
    rows = session.execute(
        select(BookingHold.booking_id, Booking.user_id, BookingHold.unit_no, BookingHold.occupied_start,
               BookingHold.occupied_end)
        .join(Booking, Booking.id == BookingHold.booking_id)
        .where(BookingHold.space_id == space.id, BookingHold.is_active.is_(True), or_(*windows))
    )
    return [Hold(*row) for row in rows]


def _own_bookings(
    session: Session, space: Space, member_id: int, now: datetime, requests: Sequence[Request],
    longest: timedelta, has_count: bool, has_hours: bool,
) -> list[tuple[datetime, datetime]]:
    if not (has_count or has_hours):
        return []
    # The earliest end any date's usage query accepts; nothing longer than `longest` started before it.
    ends_after = now
    if has_hours:
        ends_after = min(ends_after, max(now, min(r.start_dt for r in requests)) - WEEK)
    query = select(Booking.start_dt, Booking.end_dt).where(
        Booking.space_id == space.id,
        Booking.user_id == member_id,
        Booking.status.in_(("pending", "confirmed")),
        Booking.end_dt > ends_after,
        Booking.start_dt >= ends_after - longest,
    )
    if not has_count:
        query = query.where(Booking.start_dt < max(r.end_dt for r in requests) + WEEK)
    return [(as_utc(start), as_utc(end)) for start, end in session.execute(query)]
