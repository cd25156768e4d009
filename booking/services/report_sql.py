"""The SQL of the usage figures that both engines run alike: time arithmetic, heatmap, peak.

SQLite has no time-zone data, so the local hours are cut by the domain
(`usage.local_hours`, correct across clock changes) and handed to the database as a
temporary table of UTC spans, each with its local weekday and hour; the database
sums the booked time of every span from running sums over the bookings' starts and
ends (booked_before) and groups it per (weekday, hour). Bookings are never loaded
into Python for the figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Float,
    Integer,
    MetaData,
    Table,
    case,
    column,
    func,
    literal,
    null,
    select,
    text,
    union_all,
    values,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import CTE, FunctionElement

from booking.db import UTCDateTime
from booking.domain.usage import Span
from booking.models import Booking

# (space id, bucket number, start_dt, end_dt): one space's share of a period or of a month, in UTC.
Bucket = tuple[int, int, datetime, datetime]
SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S.%f"  # UTC, naive: how booking.db.UTCDateTime stores an instant on SQLite
HOURS = Table(
    "report_pieces", MetaData(),
    Column("start_dt", UTCDateTime), Column("end_dt", UTCDateTime), Column("weekday", Integer),
    Column("hour", Integer), Column("start_ms", BigInteger), Column("end_ms", BigInteger),
)
# On SQLite the spans are DATETIME (numeric affinity) like the bookings' columns: with TEXT the
# affinities differ and the join could not use the index's upper bound (one year scanned per booking).
# start_ms / end_ms: the span in whole ms after the first piece's start, the instants the running
# sums are keyed by (booked_before), so the join is on plain integer columns.
_CREATE = {
    "sqlite": ("CREATE TEMP TABLE IF NOT EXISTS report_pieces (start_dt DATETIME NOT NULL, "
               "end_dt DATETIME NOT NULL, weekday INTEGER NOT NULL, hour INTEGER NOT NULL, "
               "start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL)",
               "CREATE INDEX IF NOT EXISTS temp.ix_report_pieces_start ON report_pieces (start_ms)"),
    "postgresql": ("CREATE TEMP TABLE IF NOT EXISTS report_pieces (start_dt timestamptz NOT NULL, "
                   "end_dt timestamptz NOT NULL, weekday integer NOT NULL, hour integer NOT NULL, "
                   "start_ms bigint NOT NULL, end_ms bigint NOT NULL) ON COMMIT DELETE ROWS",
                   "CREATE INDEX IF NOT EXISTS ix_report_pieces_start ON report_pieces (start_ms)"),
}
MILLISECOND = timedelta(milliseconds=1)


def without_jit(session: Session) -> None:
    """PostgreSQL: no JIT compilation, 32 MB per sort or hash, and up to two parallel workers per
    statement, for the rest of this transaction (a no-op on SQLite).

    The report's grouped joins cost enough to pass jit_above_cost, but they run in well under a
    second: compiling them (inlining, optimisation, emission) took longer than running them. With
    the default 4 MB, a fiscal year of desk bookings (157k rows) spilled the running sums' bookings
    to temporary files. The product's sessions start with no parallel workers
    (booking.db.POSTGRESQL_SESSION_OPTIONS); the report reads a year of bookings, where they pay:
    `benchmarks.reports` at 1,000,000 bookings, build_report 780 ms with two workers, 1,186 ms
    without (PostgreSQL's default is two).
    """
    if session.get_bind().dialect.name == "postgresql":
        # set_config(name, value, is_local => true) is SET LOCAL: the three in one round trip.
        session.execute(text("SELECT set_config('jit', 'off', true), set_config('work_mem', '32MB', true), "
                             "set_config('max_parallel_workers_per_gather', '2', true)"))


def bucket_table(buckets: Sequence[Bucket]) -> CTE:
    """The buckets as a VALUES table (space_id, bucket, start_dt, end_dt) to group by in one query.

    A WITH clause, because SQLite has no column names on VALUES in FROM.
    """
    return values(column("space_id", Integer), column("bucket", Integer), column("start_dt", UTCDateTime),
                  column("end_dt", UTCDateTime), name="buckets").data(list(buckets)).cte("buckets")


class seconds_between(FunctionElement[float]):  # noqa: N801 (an SQL function name)
    """SQL: seconds from the first instant to the second (both UTC columns or literals)."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between | millis_between, compiler: object, **kw: object) -> str:
    a, b = list(element.clauses)
    return f"((julianday({compiler.process(b, **kw)}) - julianday({compiler.process(a, **kw)})) * 86400.0)"  # type: ignore[attr-defined]


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: seconds_between | millis_between, compiler: object, **kw: object) -> str:
    a, b = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(b, **kw)} - {compiler.process(a, **kw)}))"  # type: ignore[attr-defined]


def clipped(start_dt: datetime | ColumnElement[datetime], end_dt: datetime | ColumnElement[datetime]
            ) -> tuple[ColumnElement[datetime], ColumnElement[datetime]]:
    """A booking's start and end, clipped to [start_dt, end_dt) (instants or columns)."""
    lo = literal(start_dt, UTCDateTime) if isinstance(start_dt, datetime) else start_dt
    hi = literal(end_dt, UTCDateTime) if isinstance(end_dt, datetime) else end_dt
    return (case((Booking.start_dt < lo, lo), else_=Booking.start_dt),
            case((Booking.end_dt > hi, hi), else_=Booking.end_dt))


def clipped_seconds(start_dt: datetime, end_dt: datetime) -> ColumnElement[float]:
    """Seconds of a booking inside [start_dt, end_dt), times the units it holds."""
    return seconds_between(*clipped(start_dt, end_dt)) * Booking.seats


def load_hours(session: Session, pieces: Sequence[tuple[int, int, Span]]) -> None:
    """Fill this transaction's report_pieces with the local-hour pieces (weekday, hour, UTC span).

    Spaces in one zone share the pieces of a period: loaded once per transaction. The pieces
    are compared whole: two zones' pieces of a period can begin, end and number alike and still
    differ in between (Europe/Berlin and Africa/Casablanca over 2026). hour_pieces returns the
    same tuple for a zone and period, which == recognises by identity, without reading it.
    """
    connection = session.connection()  # one per transaction: the rows live as long as it
    key = (connection, tuple(pieces))  # Connection compares by identity
    if session.info.get("report_pieces") == key:
        return
    dialect = session.get_bind().dialect.name
    for statement in _CREATE[dialect]:
        session.execute(text(statement))
    session.execute(HOURS.delete())
    origin = pieces[0][2][0] if pieces else None
    if dialect == "sqlite":  # the text UTCDateTime stores, bound without a TypeDecorator per value
        rows = [(a.strftime(SQLITE_INSTANT), z.strftime(SQLITE_INSTANT), day, hour, (a - origin) // MILLISECOND,
                 (z - origin) // MILLISECOND) for day, hour, (a, z) in pieces if origin is not None]
        connection.exec_driver_sql("INSERT INTO report_pieces VALUES (?, ?, ?, ?, ?, ?)", rows)
    elif origin is not None:  # one statement: four integer lists as text, the instants made by the server
        # (psycopg dumping 2 x 8,760 datetimes in Python arrays was most of this function's time)
        columns = zip(*[(day, hour, (a - origin) // MILLISECOND, (z - origin) // MILLISECOND)
                        for day, hour, (a, z) in pieces], strict=True)
        connection.exec_driver_sql(
            "INSERT INTO report_pieces SELECT %s::timestamptz + s * interval '1 millisecond', "
            "%s::timestamptz + e * interval '1 millisecond', d, h, s, e FROM unnest("
            "string_to_array(%s, ',')::int[], string_to_array(%s, ',')::int[], string_to_array(%s, ',')::bigint[], "
            "string_to_array(%s, ',')::bigint[]) AS t(d, h, s, e)",
            (origin, origin, *(",".join(map(str, column)) for column in columns)))
        connection.exec_driver_sql("ANALYZE report_pieces")
    session.info["report_pieces"] = key


class millis_between(FunctionElement[int]):  # noqa: N801 (an SQL function name)
    """SQL: whole milliseconds from the first instant to the second, as an integer (exact sums)."""

    type = BigInteger()
    inherit_cache = True


@compiles(millis_between, "sqlite")
def _millis_sqlite(element: millis_between, compiler: object, **kw: object) -> str:
    return f"CAST(round({_seconds_sqlite(element, compiler, **kw)} * 1000.0) AS INTEGER)"


@compiles(millis_between, "postgresql")
def _millis_pg(element: millis_between, compiler: object, **kw: object) -> str:
    return f"CAST(round({_seconds_pg(element, compiler, **kw)} * 1000) AS BIGINT)"


def booked_before(origin: datetime, where: Sequence[ColumnElement[bool]],
                  joins: Sequence[tuple[object, ColumnElement[bool]]] = (), marks: Sequence[int] = ()) -> CTE:
    """Running sums over the bookings matching `where` and the pieces' bounds in report_pieces.

    One row per instant `at` (ms after `origin`) at which a booking starts or ends or a piece
    begins or ends: `level`, the units held from then on, and `booked`, the booked unit-ms
    before it, F(t) = t × Σ deltas − Σ deltas × at over the starts (+units) and ends (−units)
    up to t. A piece's booked time is F(end) − F(start): grouped sums and one window over the
    distinct instants, instead of a join of every booking with the hours it touches. The
    bookings are grouped by their start and by their end as stored, and only those distinct
    instants converted to ms (bookings share the slot grid's instants: a tenth of the rows).
    `marks` (ms after `origin`) are added as instants too, so F can be read at them.
    """
    k = HOURS.c
    per_booking = select(Booking.start_dt.label("s"), Booking.end_dt.label("e"), Booking.seats.label("n"))
    for target, on in joins:
        per_booking = per_booking.join(target, on)  # type: ignore[arg-type]
    held = per_booking.where(*where).cte("held")
    starts = select(held.c.s.label("t"), func.sum(held.c.n).label("d")).group_by(held.c.s)
    ends = select(held.c.e, -func.sum(held.c.n)).group_by(held.c.e)
    grouped = union_all(starts, ends).subquery("grouped")
    zero = literal(0, BigInteger)
    bookings_at = select(millis_between(literal(origin, UTCDateTime), grouped.c.t), grouped.c.d)
    bounds = [select(column, zero) for column in (k.start_ms, k.end_ms)]
    bounds += [select(literal(mark, BigInteger), zero) for mark in sorted(set(marks))]
    changes = union_all(bookings_at, *bounds).subquery("changes")
    at, delta = changes.c
    instants = select(at.label("at"), func.sum(delta).label("delta"), func.sum(delta * at).label("weight")
                      ).group_by(at).subquery("instants")
    running = {"order_by": instants.c.at, "rows": (None, 0)}
    level = func.sum(instants.c.delta).over(**running)  # type: ignore[arg-type]
    return select(instants.c.at, level.label("level"),
                  (instants.c.at * level - func.sum(instants.c.weight).over(**running)).label("booked")  # type: ignore[arg-type]
                  ).cte("levels")


def booked_and_peak(session: Session, where: Sequence[ColumnElement[bool]], start_dt: datetime, end_dt: datetime,
                    joins: Sequence[tuple[object, ColumnElement[bool]]] = (), marks: Sequence[datetime] = ()
                    ) -> tuple[dict[tuple[int, int], float], int, dict[datetime, int]]:
    """Booked unit-seconds per (weekday, hour) of the pieces in report_pieces, the most units held
    at one instant of [start_dt, end_dt) (the pieces must cover it, from start_dt on), and for each
    of `marks` F(mark), the booked unit-ms before it counted from the bookings' starts, for bookings
    matching `where`: the booked time between two marks is F(later) − F(earlier), provided `where`
    takes in every booking overlapping them (bookings outside [start_dt, end_dt) add nothing to the
    pieces or the peak).

    One query (booked_before); at an instant, ends and starts count together, so back-to-back
    bookings do not add up in the peak.
    """
    k = HOURS.c
    inside = {(mark - start_dt) // MILLISECOND: mark for mark in marks}
    levels = booked_before(start_dt, where, joins, list(inside))
    first, last = levels.alias("first"), levels.alias("last")
    peak = (select(func.coalesce(func.max(levels.c.level), 0))
            .where(levels.c.at >= 0, levels.c.at < millis_between(literal(start_dt, UTCDateTime),
                                                                   literal(end_dt, UTCDateTime)))
            .scalar_subquery())
    query = (select(k.weekday, k.hour, func.sum(last.c.booked - first.c.booked), peak).select_from(HOURS)
             .join(first, first.c.at == k.start_ms).join(last, last.c.at == k.end_ms)
             .group_by(k.weekday, k.hour))
    if inside:
        at_marks = select(literal(-1, BigInteger), levels.c.at, levels.c.booked, null()).where(
            levels.c.at.in_(list(inside)))
        query = union_all(query, at_marks)  # type: ignore[assignment]
    cells: dict[tuple[int, int], float] = {}
    highest = 0
    before: dict[datetime, int] = {}
    for day, hour, booked, level in session.execute(query):
        if day == -1:
            before[inside[int(hour)]] = int(booked or 0)
            continue
        if booked:
            cells[(int(day), int(hour))] = int(booked) / 1000
        highest = int(level or 0)
    return cells, highest, before
