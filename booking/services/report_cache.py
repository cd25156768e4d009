"""The staff page's usage figures kept per worker, keyed by the filters and by the data they are made of.

A report is a pure function of the filters, the locale, the rows it reads and which events are
over by `now`. `data_version` reads, in one query of indexed maxima and small counts, a value
that changes whenever one of those rows does: bookings (newest id, latest updated_at, newest
trail entry, which every change of status writes), members (their kind, organisation, role and
registration, one short string per member), opening hours, closures and their removals, the
versions of a space's rules, holiday openings, events, registrations, check-ins, walk-ins and
frozen counts; the spaces' own columns; and the number of events over by `now`. So a kept
report is never stale, and nothing expires by the clock: `now` enters only through the data
(events whose booking has ended). Each worker process has its own cache (booking.caches).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, bindparam, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.selectable import ScalarSelect

from booking.caches import BoundedCache
from booking.db import UTCDateTime
from booking.models import (
    Booking,
    BookingEvent,
    Closure,
    ClosureRemoval,
    HolidayOpening,
    OpeningPeriod,
    PublicEvent,
    Registration,
    SpaceVersion,
    User,
)
from booking.models_attendance import AttendeePass, EventRecord, WalkIn
from booking.services.reports import Filters, Report, build_report
from booking.services.spaces import listed_spaces

MAX_CACHED_REPORTS = 32  # filters × data versions; a report is a few kB (168 heatmap cells, 12 months)
report_cache: BoundedCache[Report] = BoundedCache(MAX_CACHED_REPORTS)


def _highest(column: InstrumentedAttribute[Any]) -> ScalarSelect[Any]:
    return select(func.max(column)).scalar_subquery()


def _count(column: InstrumentedAttribute[Any]) -> ScalarSelect[Any]:
    return select(func.count(column)).scalar_subquery()


def _version_query() -> Select[Any]:
    member = (cast(User.id, String) + ":" + User.org_kind + ":" + User.organisation + ":" + User.role + ":"
              + cast(User.created_at, String))
    members = select(func.count(User.id), func.aggregate_strings(member, ",")).subquery("members")
    # Each event looks up its booking's end by key: joined, SQLite walked every booking for the few events.
    ended = select(Booking.end_dt).where(Booking.id == PublicEvent.booking_id).scalar_subquery()
    over = (select(func.count(PublicEvent.id)).where(ended <= bindparam("now", type_=UTCDateTime))
            .scalar_subquery())
    return select(
        _highest(Booking.id), _highest(Booking.updated_at), _highest(BookingEvent.id),
        members.c[0], members.c[1],
        _count(OpeningPeriod.id), _highest(OpeningPeriod.id), _count(Closure.id), _highest(Closure.id),
        _count(ClosureRemoval.id), _highest(ClosureRemoval.id), _count(SpaceVersion.id), _highest(SpaceVersion.id),
        _count(HolidayOpening.id), _highest(HolidayOpening.id),
        _count(PublicEvent.id), _highest(PublicEvent.updated_at), _count(Registration.id),
        _highest(Registration.id), _highest(Registration.updated_at),
        _count(AttendeePass.registration_id), _count(AttendeePass.checked_in_at), _highest(AttendeePass.checked_in_at),
        _count(WalkIn.id), _highest(WalkIn.id), _count(EventRecord.event_id), _highest(EventRecord.anonymised_at),
        over,
    ).select_from(members)


_VERSION = _version_query()  # built once: building it cost more than running it


def data_version(session: Session, now: datetime) -> tuple[object, ...]:
    """A value that changes with every row the figures read (see the module docstring), and with
    the number of events over by `now` (UTC). One query, plus the spaces' rows as read by
    `listed_spaces` (every column, raw; not loaded as ORM objects on each page: profile line
    'booking/services/report_cache.py:80(data_version)')."""
    row = session.execute(_VERSION, {"now": now}).one()
    return (*row, tuple(listed_spaces().keys.values()))


def kept_report(session: Session, filters: Filters, locale: str, now: datetime) -> Report:
    """build_report, or the report kept for the same filters, locale and data version.

    A report is kept only if the data version read after building it is the one read before
    (a change committed meanwhile could be in it under the older version).
    """
    version = data_version(session, now)
    key = (filters, locale, version)
    found = report_cache.get(key)
    if found is None:
        found = build_report(session, filters, locale, now)
        if data_version(session, now) == version:
            report_cache.put(key, found)
    return found
