"""The staff calendar: every space side by side, for one day (time slots) or one week (days).

Times are wall times of one zone for the whole page: the first space's zone, or
Asia/Tokyo when there is no space. Only active bookings (pending and confirmed)
are shown; closures of a space or of all spaces mark the time they cover.

In a pooled space, the bookings of the same time range are one entry ("18 of 24 desks",
how many bookings, how many pending), which links to the day list of that space: the day
calendar of that one space, where every booking is an entry of its own. A fully booked
week of 24 desks is 98 entries instead of 2,352, and every booking stays one click away.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from math import gcd
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, func, select

from booking.domain.grid import week_start
from booking.domain.statuses import ACTIVE_STATUSES, BookingStatus
from booking.extensions import db
from booking.models import Booking, Closure, Space, User
from booking.services import NotFound
from booking.services.spaces import listed_spaces_and_closure_counters

DEFAULT_ZONE = "Asia/Tokyo"
DEFAULT_HOURS = (time(9), time(18))
ONE_DAY = timedelta(days=1)


@dataclass
class DayCalendar:
    """Rows are slot start times; `starting` has the bookings that begin in a slot (or before the first).

    `is_space_list` when `spaces` is the one space asked for, with every booking on its own.
    """

    day: date
    zone: ZoneInfo
    spaces: list[Space]
    times: list[time]
    slot: timedelta
    is_space_list: bool = False
    starting: dict[tuple[int, time], list[CalendarEntry]] = field(default_factory=dict)
    busy: set[tuple[int, time]] = field(default_factory=set)
    closed: dict[tuple[int, time], str] = field(default_factory=dict)
    closures: list[ClosureRow] = field(default_factory=list)

    @property
    def slugs(self) -> dict[int, str]:
        """{space id: slug}, for the links to a space's day list."""
        return {space.id: space.slug for space in self.spaces}


@dataclass
class WeekCalendar:
    """Rows are the seven days from `monday`; each cell has the bookings touching that local day."""

    monday: date
    zone: ZoneInfo
    spaces: list[Space]
    days: list[date]
    cells: dict[tuple[int, date], list[CalendarEntry]] = field(default_factory=dict)
    closed: dict[tuple[int, date], list[str]] = field(default_factory=dict)

    @property
    def slugs(self) -> dict[int, str]:
        """{space id: slug}, for the links to a space's day list."""
        return {space.id: space.slug for space in self.spaces}


class ClosureRow(NamedTuple):
    """What the calendar shows of a closure."""

    id: int
    space_id: int | None
    start_dt: datetime
    end_dt: datetime
    reason: str


@dataclass(frozen=True)
class CalendarScope:
    """A calendar page before its bookings and closures are read: the spaces, zone and period it shows.

    `day` is the day shown (the Monday for a week). `key` holds all the page is made of but
    its bookings and closures: every column of every space shown (its settings, names and slug)
    with its opening hours, the period and the space asked for, and the closures' change
    counters (a closure is only ever added or removed, and a removal is recorded: one of the two
    counts rises with every change; services.spaces._CLOSURE_COUNTERS). The bookings are
    stood for by each space's `feed_version`, one of those columns: the counter the same
    write transaction raises on every change a staff feed shows (a booking's times, status,
    title, desks or member, a member's name; booking.services.feed_events), read here before
    the bookings. So two scopes with equal keys show the same bookings, as of their reading
    or later, and a page rendered from one is the page of the other.
    """

    spaces: list[Space]
    zone: ZoneInfo
    day: date
    is_week: bool
    space_slug: str | None
    key: Hashable

    @property
    def closures(self) -> list[ClosureRow]:
        """The closures touching the period, read now (only a page not kept reads them)."""
        start_dt = datetime.combine(self.day, time(0), self.zone)
        length = 7 * ONE_DAY if self.is_week else ONE_DAY
        return _closures(start_dt, datetime.combine(self.day + length, time(0), self.zone))


def calendar_scope(day: date | None, now: datetime, space_slug: str | None = None,
                   is_week: bool = False) -> CalendarScope:
    """What the day (or, `is_week`, the week holding `day`) shows: today's when `day` is None.

    With `space_slug`, the day list of that one space (NotFound for an unknown slug).
    The spaces are read as `listed_spaces` keeps them (shared, read only), with the closures'
    change counters, in one query; the bookings and closures only when the page is rendered.
    """
    listing, closure_counters = listed_spaces_and_closure_counters()
    spaces = listing.spaces
    zone = ZoneInfo(spaces[0].timezone if spaces else DEFAULT_ZONE)
    if space_slug is not None and not is_week:
        spaces = [s for s in spaces if s.slug == space_slug]
        if not spaces:
            raise NotFound()
    else:
        space_slug = None
    day = day or now.astimezone(zone).date()
    if is_week:
        day = week_start(day)
    hours = tuple(tuple((p.weekday, p.open_time, p.close_time, p.close_next_day) for p in s.opening_hours)
                  for s in spaces)
    key = (day, is_week, space_slug, zone.key, tuple(listing.keys[s.id] for s in spaces), hours, closure_counters)
    return CalendarScope(spaces, zone, day, is_week, space_slug, key)


@dataclass(frozen=True)
class CalendarEntry:
    """What the calendar shows of an active booking (templates/staff/_calendar_entry.html).

    With `count` > 1, the `count` bookings of one pooled space over the same time range:
    `seats` desks in all of the space's `unit_count`, `pending` of them pending; `id`,
    `title`, `status` and `member_name` are then those of one of them (not shown).
    """

    id: int
    space_id: int
    start_dt: datetime
    end_dt: datetime
    title: str
    status: str
    seats: int
    member_name: str
    count: int = 1
    pending: int = 0
    unit_count: int = 1

    @property
    def is_group(self) -> bool:
        return self.count > 1


def _active_bookings(start_dt: datetime, end_dt: datetime, space_id: int | None = None) -> list[CalendarEntry]:
    """Every active booking touching [start_dt, end_dt), of one space when `space_id` is given."""
    # Plain rows of the columns an entry shows: a week of desks is thousands of bookings, and
    # loading them as whole ORM objects with their members was a fifth of the week's time.
    query = (select(Booking.id, Booking.space_id, Booking.start_dt, Booking.end_dt, Booking.title, Booking.status,
                    Booking.seats, User.name)
             .join(User, User.id == Booking.user_id)
             .where(Booking.status.in_([s.value for s in ACTIVE_STATUSES]),
                    Booking.start_dt < end_dt, Booking.end_dt > start_dt)
             .order_by(Booking.start_dt, Booking.id))
    if space_id is not None:
        query = query.where(Booking.space_id == space_id)
    return [CalendarEntry(*row) for row in db.session.execute(query)]


def _condensed_bookings(start_dt: datetime, end_dt: datetime, spaces: list[Space]) -> list[CalendarEntry]:
    """The active bookings touching [start_dt, end_dt), those of a pooled space grouped by time range.

    Counted by the database (one row per group): a fully booked desk week is 2,352
    bookings but 98 groups, and reading and showing each booking was most of the week's time.
    Only numbers are aggregated, from bookings alone; the title and member of a booking alone
    in its group come by id afterwards. (min() of the title and member name, with users and
    spaces joined, took PostgreSQL 140-190 ms for the benchmark's week, EXPLAIN ANALYZE on a
    loaded machine, against 1.2 ms for this query.)
    """
    pooled = [space.id for space in spaces if space.is_pooled]
    units = {space.id: space.unit_count for space in spaces}
    is_pending = case((Booking.status == BookingStatus.PENDING.value, 1), else_=0)
    groups = db.session.execute(
        select(func.min(Booking.id), Booking.space_id, Booking.start_dt, Booking.end_dt, func.sum(Booking.seats),
               func.count(Booking.id), func.sum(is_pending))
        .where(Booking.status.in_([s.value for s in ACTIVE_STATUSES]),
               Booking.start_dt < end_dt, Booking.end_dt > start_dt)
        .group_by(Booking.space_id, Booking.start_dt, Booking.end_dt,
                  case((Booking.space_id.in_(pooled), 0), else_=Booking.id))
        .order_by(Booking.start_dt, func.min(Booking.id))).all()
    alone = [row[0] for row in groups if row[5] == 1]
    details = {booking_id: (title, name) for booking_id, title, name in db.session.execute(
        select(Booking.id, Booking.title, User.name).join(User, User.id == Booking.user_id)
        .where(Booking.id.in_(alone)))} if alone else {}
    entries = []
    for first_id, space_id, start, end, seats, count, pending in groups:
        title, name = details.get(first_id, ("", ""))
        status = BookingStatus.PENDING.value if pending else BookingStatus.CONFIRMED.value
        entries.append(CalendarEntry(first_id, space_id, start, end, title, status, int(seats), name, count,
                                     int(pending), units.get(space_id, 1)))
    return entries


# Built once and run on the session's connection (profile line 'booking/services/calendar.py(_closures)':
# building the statement and the ORM's execution around it cost more than the query).
_CLOSURES = (select(Closure.id, Closure.space_id, Closure.start_dt, Closure.end_dt, Closure.reason)
             .where(Closure.start_dt < bindparam("end_dt"), Closure.end_dt > bindparam("start_dt"))
             .order_by(Closure.start_dt, Closure.id))


def _closures(start_dt: datetime, end_dt: datetime) -> list[ClosureRow]:
    rows = db.session.connection().execute(_CLOSURES, {"start_dt": start_dt, "end_dt": end_dt})
    return [ClosureRow(*row) for row in rows]


def _covers(closure: ClosureRow, space: Space) -> bool:
    return closure.space_id in (None, space.id)


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def _row_range(day: date, spaces: list[Space], bookings: list[CalendarEntry], zone: ZoneInfo) -> tuple[int, int]:
    """First and last minute of the day to show: the opening hours, widened to every booking."""
    # A period past midnight runs to the end of its day, and from the start of the next.
    periods = [(_minutes(p.open_time), 1440 if p.close_next_day else _minutes(p.close_time))
               for s in spaces for p in s.opening_hours if p.weekday == day.weekday()]
    periods += [(0, _minutes(p.close_time)) for s in spaces for p in s.opening_hours
                if p.close_next_day and p.weekday == (day.weekday() - 1) % 7]
    first, last = (min(a for a, _ in periods), max(b for _, b in periods)) if periods else (
        _minutes(DEFAULT_HOURS[0]), _minutes(DEFAULT_HOURS[1]))
    for booking in bookings:
        start = booking.start_dt.astimezone(zone)
        end = booking.end_dt.astimezone(zone)
        first = min(first, _minutes(start.time()) if start.date() == day else 0)
        last = max(last, _minutes(end.time()) if end.date() == day else 1440)
    return first, last


def day_calendar(day: date | None, now: datetime, space_slug: str | None = None) -> DayCalendar:
    """Every space side by side for one local day (today when None), in slots of the finest slot length.

    With `space_slug`, the day list of that one space: every booking an entry of its own
    (NotFound for an unknown slug). Otherwise a pooled space's bookings of one time range
    are one entry (_condensed_bookings).
    """
    return day_calendar_of(calendar_scope(day, now, space_slug))


def day_calendar_of(scope: CalendarScope) -> DayCalendar:
    """The day calendar of `scope` (a day's, from calendar_scope), its bookings read now."""
    spaces, zone, day = scope.spaces, scope.zone, scope.day
    start_dt = datetime.combine(day, time(0), zone)
    end_dt = datetime.combine(day + ONE_DAY, time(0), zone)
    bookings = (_active_bookings(start_dt, end_dt, spaces[0].id) if scope.space_slug is not None
                else _condensed_bookings(start_dt, end_dt, spaces))
    step = 60
    for space in spaces:
        step = gcd(step, space.slot_minutes)
    first, last = _row_range(day, spaces, bookings, zone)
    first -= first % step
    times = [time(m // 60, m % 60) for m in range(first, last, step)]
    calendar = DayCalendar(day, zone, spaces, times, timedelta(minutes=step), scope.space_slug is not None,
                           closures=scope.closures)
    by_space = defaultdict(list)
    for booking in bookings:
        by_space[booking.space_id].append(booking)
    for space in spaces:
        _fill_day(calendar, space, by_space[space.id])
    return calendar


def _fill_day(calendar: DayCalendar, space: Space, bookings: list[CalendarEntry]) -> None:
    slot_starts = [datetime.combine(calendar.day, at, calendar.zone) for at in calendar.times]
    for booking in bookings:
        # Slots are in time order: only those from the one holding the start to the one
        # holding the end can touch the booking (the profile's per-slot scan of every booking).
        first = max(0, bisect_right(slot_starts, booking.start_dt) - 1)
        for index in range(first, len(slot_starts)):
            slot_start = slot_starts[index]
            if slot_start >= booking.end_dt:
                break
            if booking.start_dt < slot_start + calendar.slot:
                key = (space.id, calendar.times[index])
                calendar.busy.add(key)
                if booking.start_dt >= slot_start or index == 0:
                    calendar.starting.setdefault(key, []).append(booking)
    for index, at in enumerate(calendar.times):
        slot_start = slot_starts[index]
        slot_end = slot_start + calendar.slot
        for closure in calendar.closures:
            if _covers(closure, space) and closure.start_dt < slot_end and closure.end_dt > slot_start:
                calendar.closed[(space.id, at)] = closure.reason


def week_calendar(day: date | None, now: datetime) -> WeekCalendar:
    """Every space side by side for the week (Monday to Sunday) holding `day` (this week when None)."""
    return week_calendar_of(calendar_scope(day, now, is_week=True))


def week_calendar_of(scope: CalendarScope) -> WeekCalendar:
    """The week calendar of `scope` (a week's, from calendar_scope), its bookings read now."""
    spaces, zone, monday, closures = scope.spaces, scope.zone, scope.day, scope.closures
    days = [monday + ONE_DAY * n for n in range(7)]
    start_dt = datetime.combine(monday, time(0), zone)
    end_dt = datetime.combine(monday + 7 * ONE_DAY, time(0), zone)
    bookings = _condensed_bookings(start_dt, end_dt, spaces)
    calendar = WeekCalendar(monday, zone, spaces, days)
    bounds = [(datetime.combine(day, time(0), zone), datetime.combine(day + ONE_DAY, time(0), zone))
              for day in days]
    for day in days:
        for space in spaces:
            calendar.cells[(space.id, day)] = []
    for booking in bookings:
        # Each booking goes to the days it touches, instead of every cell scanning every booking.
        first = max(0, (booking.start_dt.astimezone(zone).date() - monday).days - 1)
        for index in range(first, 7):
            day_start, day_end = bounds[index]
            if day_start >= booking.end_dt:
                break
            if booking.start_dt < day_end and (booking.space_id, days[index]) in calendar.cells:
                calendar.cells[(booking.space_id, days[index])].append(booking)
    for index, day in enumerate(days):
        day_start, day_end = bounds[index]
        for space in spaces:
            reasons = [c.reason for c in closures
                       if _covers(c, space) and c.start_dt < day_end and c.end_dt > day_start]
            if reasons:
                calendar.closed[(space.id, day)] = reasons
    return calendar
