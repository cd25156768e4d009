"""The staff page's usage figures kept per worker, keyed by the filters and by the data they are made of.

A report is a pure function of the filters, the locale, the rows it reads and which events are
over by `now`. `data_version` reads, in one query, a value that changes whenever one of those
rows does: bookings (newest id, latest updated_at, newest trail entry, which every change of
status writes), members (their kind, organisation, role and registration, one short string per
member), closures and their removals (counts and newest ids: a removal is never deleted), events,
registrations, check-ins and frozen counts (counts, newest ids and times); and, as text, every
column of the rows that are rewritten in place or deleted and inserted again under the same id
(SQLite reuses a table's greatest rowid), which no count or greatest id follows: the spaces, their
opening hours, holiday openings and versions (booking.services.space_history rewrites a space's
latest version when two changes share an instant), and the walk-ins counted per event (taking
one back deletes it); and the number of events over by `now`. So a kept report is never stale,
and nothing expires by the clock: `now` enters only through the data (events whose booking has
ended). Each worker process has its own cache (booking.caches).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import reduce
from operator import add
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Dialect,
    Select,
    String,
    Table,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)
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
    Space,
    SpaceVersion,
    User,
)
from booking.models_attendance import AttendeePass, EventRecord, WalkIn
from booking.services.reports import Filters, Report, build_report

MAX_CACHED_REPORTS = 32  # filters × data versions; a report is a few kB (168 heatmap cells, 12 months)
report_cache: BoundedCache[Report] = BoundedCache(MAX_CACHED_REPORTS)


def highest(column: InstrumentedAttribute[Any]) -> ScalarSelect[Any]:
    """The column's greatest value, as a scalar subquery (a part of a data version)."""
    return select(func.max(column)).scalar_subquery()


def count_of(column: InstrumentedAttribute[Any]) -> ScalarSelect[Any]:
    """The number of non-NULL values of the column, as a scalar subquery (a part of a data version)."""
    return select(func.count(column)).scalar_subquery()


def _text(value: str) -> ColumnElement[str]:
    """A constant string written into the statement, not a parameter: the statement's only parameter is `now`."""
    return literal_column(f"'{value}'", String)


# aggregate_strings' separator, written into the text as well (its stub asks for a str, which it binds
# as a parameter rendered at each execution).
_COMMA: Any = _text(",")


def _encoded(column: ColumnElement[Any]) -> ColumnElement[str]:
    """One value as text: prefixed by its length and ":", "~" for NULL, so that values written one after
    another read back one way only (no two rows, or texts of rows, read the same)."""
    value = cast(column, String)
    return func.coalesce(cast(func.length(value), String) + _text(":") + value, _text("~"))


def rows_text(table: Table) -> ScalarSelect[Any]:
    """Every column of every row of the table as one text, rows separated by ",": unlike a count
    and a greatest id, it changes when a row is rewritten in place, or deleted and inserted again
    under the same id (SQLite reuses the greatest rowid of a table without AUTOINCREMENT)."""
    row = reduce(add, (_encoded(column) for column in table.c))
    return select(func.aggregate_strings(row, _COMMA)).scalar_subquery()


def spaces_text() -> ScalarSelect[Any]:
    """Every column of every space as one text (rows_text)."""
    return rows_text(Space.__table__)


def walk_ins_text() -> ScalarSelect[Any]:
    """The number of walk-ins of each event, all the figures read of them, as one text (event id and
    number, each encoded as rows_text's values): taking back an event's newest walk-in and recording
    one for another event leaves their count and greatest id as they were on SQLite (the id is used again)."""
    per_event = select(WalkIn.event_id, func.count(WalkIn.id).label("n")).group_by(WalkIn.event_id).subquery()
    return select(func.aggregate_strings(_encoded(per_event.c.event_id) + _encoded(per_event.c.n), _COMMA)
                  ).scalar_subquery()


def _version_query() -> Select[Any]:
    colon = _text(":")
    member = (cast(User.id, String) + colon + User.org_kind + colon + User.organisation + colon + User.role + colon
              + cast(User.created_at, String))
    members = select(func.count(User.id), func.aggregate_strings(member, _COMMA)).subquery("members")
    # Each event looks up its booking's end by key: joined, SQLite walked every booking for the few events.
    ended = select(Booking.end_dt).where(Booking.id == PublicEvent.booking_id).scalar_subquery()
    over = (select(func.count(PublicEvent.id)).where(ended <= bindparam("now", type_=UTCDateTime))
            .scalar_subquery())
    return select(
        highest(Booking.id), highest(Booking.updated_at), highest(BookingEvent.id),
        members.c[0], members.c[1],
        rows_text(OpeningPeriod.__table__), count_of(Closure.id), highest(Closure.id),
        count_of(ClosureRemoval.id), highest(ClosureRemoval.id), rows_text(SpaceVersion.__table__),
        rows_text(HolidayOpening.__table__),
        count_of(PublicEvent.id), highest(PublicEvent.updated_at), count_of(Registration.id),
        highest(Registration.id), highest(Registration.updated_at),
        count_of(AttendeePass.registration_id), count_of(AttendeePass.checked_in_at),
        highest(AttendeePass.checked_in_at),
        walk_ins_text(), count_of(EventRecord.event_id), highest(EventRecord.anonymised_at),
        over, spaces_text(),
    ).select_from(members)


class _Statement(NamedTuple):
    """The version query compiled for one dialect, and how `now` is passed to its driver."""

    sql: str
    bind_now: Callable[[datetime], Any]
    positional: bool


_COMPILED: dict[str, _Statement] = {}  # per dialect name: at most the two engines the app runs on


def _compiled(dialect: Dialect) -> _Statement:
    """The SQL text of `_version_query()` for `dialect`, built and compiled once per process (building it
    cost more than running it; built here rather than at import, so that what builds it runs under the
    tests of the pages that read it, mutants included): its only parameter is `now`.

    Run as text, the statement's cache key (23 subqueries) is neither built nor hashed on every page
    view (profile lines 'sqlalchemy/sql/elements.py:695(_compile_w_cache)' and
    'sqlalchemy/util/_collections.py:499(get)').
    """
    found = _COMPILED.get(dialect.name)
    if found is None:
        compiled = _version_query().compile(dialect=dialect)
        assert list(compiled.binds) == ["now"], "the version query's constants are written into its text"
        to_driver = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
        found = _COMPILED[dialect.name] = _Statement(
            compiled.string, to_driver or (lambda value: value), bool(compiled.positional))
    return found


def data_version(session: Session, now: datetime) -> tuple[object, ...]:
    """A value that changes with every row the figures read (see the module docstring), and with
    the number of events over by `now` (UTC). One query on the session's connection, the spaces'
    columns in it (profile lines 'booking/services/spaces.py:101(listed_spaces)', a second query,
    and 'sqlalchemy/orm/loading.py:82(instances)': the ORM's path for a row of plain values), its
    values as the driver returns them."""
    connection = session.connection()
    statement = _compiled(connection.dialect)
    value = statement.bind_now(now)
    parameters = (value,) if statement.positional else {"now": value}
    # On the driver's connection, in the session's transaction: SQLAlchemy's result for a row of 25
    # plain values cost as much as the query (profile line 'sqlalchemy/engine/cursor.py:914(_merge_cols_by_none)').
    # Should the driver refuse, the statement goes again through SQLAlchemy, so that the error is its
    # own, classified as a disconnect and retried where it is one (booking.resilience; as booking.db's BEGIN).
    try:
        driver = connection.connection.driver_connection
        assert driver is not None, "the session's connection is open"
        cursor = driver.cursor()
        try:
            cursor.execute(statement.sql, parameters)
            row = cursor.fetchone()
        finally:
            cursor.close()
    except Exception:
        row = connection.exec_driver_sql(statement.sql, parameters).one()
    return tuple(row)


def kept_report(session: Session, filters: Filters, locale: str, now: datetime,
                version: tuple[object, ...] | None = None) -> Report:
    """build_report, or the report kept for the same filters, locale and data version (`version`
    when the caller has just read it with `data_version(session, now)`, else read here).

    A report is kept only if the data version read after building it is the one read before
    (a change committed meanwhile could be in it under the older version).
    """
    version = data_version(session, now) if version is None else version
    key = (filters, locale, version)
    found = report_cache.get(key)
    if found is None:
        found = build_report(session, filters, locale, now)
        if data_version(session, now) == version:
            report_cache.put(key, found)
    return found
