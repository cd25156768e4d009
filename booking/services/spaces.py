"""Reading spaces: their policy, closures and holidays as domain values, and the week grid."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

import holidays as holiday_calendars
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    func,
    inspect,
    literal_column,
    null,
    or_,
    select,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.types import NullType

from booking.caches import BoundedCache
from booking.db import utc_result_converter
from booking.domain.events import SHOWN_STATUSES
from booking.domain.grid import WeekFacts, WeekGrid, grid_in_window, mask_of_bounds, week_facts, window_bounds
from booking.domain.hints import (
    SEARCH_DAYS,
    FreeStarts,
    day_start_facts,
    first_free_start,
    free_starts_by_day,
    free_starts_near,
    is_never_open,
)
from booking.domain.rules import holiday_closures
from booking.domain.values import ClosedRange, Hold, Policy, Request
from booking.extensions import db
from booking.models import (
    Booking,
    BookingHold,
    Closure,
    ClosureRemoval,
    HolidayOpening,
    OpeningPeriod,
    PublicEvent,
    Space,
)
from booking.services import NotFound

HOLIDAY_LANGUAGES = {"ja": "ja", "en": "en_US"}
# Weeks kept per worker process (one fully booked desk week's facts: about 200 small values).
MAX_CACHED_WEEKS = 512
week_facts_cache: BoundedCache[WeekFacts] = BoundedCache(MAX_CACHED_WEEKS)
# Each space's start facts of the days the spaces page reads (two, or a search's SEARCH_DAYS + 1),
# per worker, keyed by the raw rows read and everything else they are made of (see `_days_facts`).
MAX_CACHED_DAY_FACTS = 256
days_facts_cache: BoundedCache[list[tuple[tuple[tuple[Request, bool], ...], ...]]] = BoundedCache(
    MAX_CACHED_DAY_FACTS)
# The same facts for the spaces page, keyed without reading the holds: by each space's row (with its
# feed_version, raised with every change of its bookings), the closures' change counters and the rest
# of what `_days_facts` keys by (see `spaces_at_a_glance`).
glance_facts_cache: BoundedCache[list[tuple[tuple[tuple[Request, bool], ...], ...]]] = BoundedCache(
    MAX_CACHED_DAY_FACTS)


def settings_of(space: Space) -> tuple[object, ...]:
    """Every column of `space` in the mapper's order: a cache key that changes with any edit of the space."""
    return tuple(getattr(space, column.key) for column in inspect(Space).column_attrs)


def list_spaces() -> list[Space]:
    """Every space with its opening hours (one query for all, not one per space)."""
    return list(db.session.scalars(select(Space).options(selectinload(Space.opening_hours)).order_by(Space.id)))


# Read as the driver returns them, one query (profile line 'sqlalchemy/orm/strategies.py:3226(_load_for_path)':
# loading Space rows with selectinload of their opening hours cost more than the rest of the page;
# then 'booking/db.py:48(process_result_value)' and the times' parsing of every row on every page).
_SPACES = Space.__table__
_PERIODS = OpeningPeriod.__table__
_LISTED_COLUMNS = (*_SPACES.c, *_PERIODS.c)
_LISTING = (
    select(*(type_coerce(column, NullType) for column in _LISTED_COLUMNS))
    .select_from(_SPACES.outerjoin(_PERIODS, _PERIODS.c.space_id == _SPACES.c.id))
    .order_by(_SPACES.c.id, _PERIODS.c.weekday, _PERIODS.c.id)
)


class Listing(NamedTuple):
    """Every space in id order (transient: in no session, shared between requests: read only),
    the policy of each (`policy_of`), and per space id its raw row: a key that changes with
    any edit of the space."""

    spaces: list[Space]
    policies: list[Policy]
    keys: dict[int, tuple[object, ...]]


# The listings `listed_spaces` builds, per worker, keyed by the raw rows read.
MAX_CACHED_LISTINGS = 8
listing_cache: BoundedCache[Listing] = BoundedCache(MAX_CACHED_LISTINGS)


def listed_spaces() -> Listing:
    """Every space with its opening hours and policy: one query, built once per worker for the same rows."""
    session = db.session()
    return _listing_of(session, tuple(tuple(row) for row in session.connection().execute(_LISTING)))


def _listing_of(session: Session, rows: tuple[tuple[Any, ...], ...]) -> Listing:
    found = listing_cache.get(rows)
    if found is None:
        found = _build_listing(session, rows)
        listing_cache.put(rows, found)
    return found


def _build_listing(session: Session, rows: Sequence[tuple[Any, ...]]) -> Listing:
    dialect = session.get_bind().dialect
    converters = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in _LISTED_COLUMNS]
    space_keys = [column.key for column in _SPACES.c]
    period_keys = [column.key for column in _PERIODS.c]
    width = len(space_keys)
    listed: dict[int, Space] = {}
    keys: dict[int, tuple[object, ...]] = {}
    for raw in rows:
        row = [value if convert is None or value is None else convert(value)
               for convert, value in zip(converters, raw, strict=True)]
        values = dict(zip(space_keys, row[:width], strict=True))
        space = listed.get(values["id"])
        if space is None:
            space = listed[values["id"]] = Space(**values, opening_hours=[])
            keys[values["id"]] = raw[:width]
        if row[width] is not None:  # the outer join's empty side: a space with no opening hours
            space.opening_hours.append(OpeningPeriod(**dict(zip(period_keys, row[width:], strict=True))))
    spaces = list(listed.values())
    return Listing(spaces, [policy_of(space) for space in spaces], keys)


# One query with the opening hours (policy_of reads them), built once: removes the profile lines
# 'sqlalchemy/orm/strategies.py:1040(_emit_lazyload)' (a second query) and 'coercions.py:323(expect)'.
_SPACE_BY_SLUG = select(Space).where(Space.slug == bindparam("slug")).options(joinedload(Space.opening_hours))


def get_space(slug: str) -> Space:
    """The space with this slug, its opening hours loaded; NotFound when there is none."""
    space: Space | None = db.session.execute(_SPACE_BY_SLUG, {"slug": slug}).unique().scalar_one_or_none()
    if space is None:
        raise NotFound()
    return space


# The week page's space: its row as `listed_spaces` reads it and, in one text column, its opening
# periods ("id,weekday,open,close,next_day" joined by ";"): one row instead of one per period, each
# repeating the space's 28 columns (profile: the joined read of run_all's studio, 7 rows of 34
# columns, 58 µs of SQLite per GET; the space's row and its periods apart, 10 + 10 µs).
_COMMA: ColumnElement[str] = literal_column("','")
_PERIODS_TEXT = func.aggregate_strings(
    cast(_PERIODS.c.id, String) + _COMMA + cast(_PERIODS.c.weekday, String) + _COMMA
    + cast(_PERIODS.c.open_time, String) + _COMMA + cast(_PERIODS.c.close_time, String) + _COMMA
    + cast(cast(_PERIODS.c.close_next_day, Integer), String),
    literal_column("';'"))  # type: ignore[arg-type]
_ONE_LISTED = (
    select(*(type_coerce(column, NullType) for column in _SPACES.c), _PERIODS_TEXT)
    .select_from(_SPACES.outerjoin(_PERIODS, _PERIODS.c.space_id == _SPACES.c.id))
    .where(_SPACES.c.slug == bindparam("slug")).group_by(_SPACES.c.id)
)


class SpaceRead(NamedTuple):
    """A space as the week page reads it: the space (transient, in no session, shared between
    requests: read only) with its opening hours, its policy, and its raw row: a key that changes
    with any edit of the space."""

    space: Space
    policy: Policy
    key: tuple[object, ...]


# Per worker, keyed by the raw rows read (the space's row and its opening periods).
MAX_CACHED_SPACES = 64
space_read_cache: BoundedCache[SpaceRead] = BoundedCache(MAX_CACHED_SPACES)


def read_space(slug: str) -> SpaceRead:
    """The space with this slug, its opening hours and policy, in one query of one plain row (no ORM
    row built: profile line 'sqlalchemy/orm/loading.py:82(instances)' under get_space on every
    week page); built once per worker for the same row. NotFound when there is none."""
    session = db.session()
    row = session.connection().execute(_ONE_LISTED, {"slug": slug}).first()
    if row is None:
        raise NotFound()
    raw = tuple(row)
    found = space_read_cache.get(raw)
    if found is None:
        found = _space_read_of(session, raw)
        space_read_cache.put(raw, found)
    return found


def _space_read_of(session: Session, raw: tuple[Any, ...]) -> SpaceRead:
    """The SpaceRead of `_ONE_LISTED`'s row: the space as `_build_listing` makes it, its periods parsed
    from their text (times as the driver's text of a TIME: 'HH:MM:SS' or SQLite's 'HH:MM:SS.ffffff')."""
    width = len(_SPACES.c)
    space = _build_listing(session, [raw[:width] + (None,) * len(_PERIODS.c)]).spaces[0]
    periods = [period.split(",") for period in (raw[width] or "").split(";") if period]
    for period_id, weekday, open_time, close_time, next_day in sorted(periods, key=lambda p: (int(p[1]), int(p[0]))):
        space.opening_hours.append(OpeningPeriod(
            id=int(period_id), space_id=space.id, weekday=int(weekday), open_time=time.fromisoformat(open_time),
            close_time=time.fromisoformat(close_time), close_next_day=bool(int(next_day))))
    return SpaceRead(space, policy_of(space), raw[:width])


# The space as the booking POST's write lock reads it (transactions.write_transaction with
# `shared_space`): `_ONE_LISTED`'s row by id, its feed counter and change time left out of the space
# (they change with every booking, and the space is built once per worker for the rest of the row)
# and read apart, its periods by a correlated subquery, so that PostgreSQL can lock the row
# (FOR UPDATE takes no GROUP BY). Profile line 'transactions.py(write_transaction)' ->
# 'sqlalchemy/orm/loading.py(instances)': the ORM's loading of the space and its seven opening
# periods, 1.1 ms of CPU per POST inside the lock on SQLite and 1.3 ms on PostgreSQL.
_FEED_COLUMNS = ("feed_version", "feed_changed_at")
_LOCK_READ = select(
    *(null().label(column.key) if column.key in _FEED_COLUMNS else type_coerce(column, NullType)
      for column in _SPACES.c),
    select(_PERIODS_TEXT).where(_PERIODS.c.space_id == _SPACES.c.id).scalar_subquery(),
    type_coerce(_SPACES.c.feed_changed_at, NullType),
).where(_SPACES.c.id == bindparam("space_id"))
_LOCK_READ_FOR_UPDATE = _LOCK_READ.with_for_update(of=_SPACES)
locked_space_cache: BoundedCache[SpaceRead] = BoundedCache(MAX_CACHED_SPACES)


class LockedSpace(NamedTuple):
    """A space read under its write lock: `read` is shared and read only (its feed_version and
    feed_changed_at are None); `feed_changed_at` is the row's, as this transaction read it."""

    read: SpaceRead
    feed_changed_at: datetime | None


def read_locked_space(session: Session, space_id: int, *, for_update: bool) -> LockedSpace | None:
    """The space with this id and its opening hours in one plain row (None when there is none);
    `for_update` locks the row (PostgreSQL)."""
    row = session.connection().execute(_LOCK_READ_FOR_UPDATE if for_update else _LOCK_READ,
                                       {"space_id": space_id}).first()
    if row is None:
        return None
    raw = tuple(row)
    key = raw[:-1]
    found = locked_space_cache.get(key)
    if found is None:
        found = _space_read_of(session, key)
        locked_space_cache.put(key, found)
    changed_at = None if raw[-1] is None else utc_result_converter(session.get_bind().dialect)(raw[-1])
    return LockedSpace(found, changed_at)


# The space's row alone, for pages that show its settings but not its opening hours (the booking
# form): the join of `_SPACE_BY_SLUG` returned one row per opening period (seven for a space open
# every day) and raised the form's database time over 72159f5's (0.40 -> 0.61 ms on PostgreSQL).
_SPACE_ROW_BY_SLUG = select(Space).where(Space.slug == bindparam("slug"))


def get_space_settings(slug: str) -> Space:
    """The space with this slug, its opening hours read only if asked for; NotFound when there is none."""
    space: Space | None = db.session.execute(_SPACE_ROW_BY_SLUG, {"slug": slug}).scalar_one_or_none()
    if space is None:
        raise NotFound()
    return space


def policy_of(space: Space) -> Policy:
    """The domain's view of a space's policy."""
    opening: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for period in space.opening_hours:
        opening[period.weekday].append((period.open_time, period.close_time))
    return Policy(
        timezone=space.timezone,
        kind=space.kind,
        unit_count=space.unit_count,
        slot_minutes=space.slot_minutes,
        min_minutes=space.min_minutes,
        max_minutes=space.max_minutes,
        setup_minutes=space.setup_minutes,
        teardown_minutes=space.teardown_minutes,
        min_notice_minutes=space.min_notice_minutes,
        max_days_ahead=space.max_days_ahead,
        quota_active_bookings=space.quota_active_bookings,
        quota_hours_per_week=space.quota_hours_per_week,
        opening={day: tuple(periods) for day, periods in opening.items()},
    )


def longest_hold(space: Space) -> timedelta:
    """An upper bound on every active hold's length in the space, so range queries stay index-bounded.

    The space's high-water mark (`Space.hold_bound_minutes`), not its current policy: a booking
    made before staff lowered the longest duration or a buffer may still hold longer.
    """
    # The policy's own bound too: a row written without the ORM (its listener raises the mark) reads 0.
    return timedelta(minutes=max(space.hold_bound_minutes,
                                 space.max_minutes + space.setup_minutes + space.teardown_minutes))


# Built once, with bound values (composing them cost more than running them: profile line
# 'sqlalchemy/sql/coercions.py:323(expect)'). The active holds of a space overlapping
# [start_dt, end_dt); `low` (start_dt less the longest hold) keeps them an index range.
_ACTIVE_OVERLAPPING = (
    BookingHold.space_id == bindparam("space_id"),
    BookingHold.is_active.is_(True),
    BookingHold.occupied_start < bindparam("end_dt"),
    BookingHold.occupied_start >= bindparam("low"),
    BookingHold.occupied_end > bindparam("start_dt"),
)
_SPACE_HOLDS = (
    select(BookingHold.booking_id, Booking.user_id, BookingHold.unit_no,
           type_coerce(BookingHold.occupied_start, NullType), type_coerce(BookingHold.occupied_end, NullType))
    .join(Booking, Booking.id == BookingHold.booking_id)
    .where(*_ACTIVE_OVERLAPPING)
)
_SPACE_CLOSURES = select(Closure).where(
    or_(Closure.space_id == bindparam("space_id"), Closure.space_id.is_(None)),
    Closure.start_dt < bindparam("end_dt"),
    Closure.end_dt > bindparam("start_dt"),
)


def active_hold_rows(session: Session, space: Space, start_dt: datetime,
                     end_dt: datetime) -> Sequence[tuple[Any, ...]]:
    """Active holds of the space that overlap [start_dt, end_dt), as the driver returns them.

    (booking_id, user_id, unit_no, occupied_start, occupied_end) with the instants not yet
    converted (SQLite: text): cheap to compare and hash, so the week grid keys its cache by
    them; `holds_of` makes them domain values.
    """
    # Columns, not ORM rows: a fully booked desk week is 2,352 holds, and building an
    # identity-mapped BookingHold for each cost more than the query itself.
    rows = session.execute(_SPACE_HOLDS, {"space_id": space.id, "end_dt": end_dt,
                                          "low": start_dt - longest_hold(space), "start_dt": start_dt})
    # Plain tuples: hashing and comparing 2,352 Row objects costs twice the copy and the tuples together.
    return [tuple(row) for row in rows]


def unit_holds_of(session: Session, groups: Sequence[tuple[Any, Any, str]]) -> list[Hold]:
    """One domain hold per unit of the held units `_WEEK_HOLDS` reads, its booking and member ids 0.

    For what reads of a hold only its unit and occupied interval (`domain.grid.week_facts`).
    """
    return holds_of(session, [(0, 0, int(unit), start, end)
                              for start, end, units in groups for unit in units.split(",")])


def holds_of(session: Session, rows: Sequence[tuple[Any, ...]]) -> list[Hold]:
    """Domain holds of `active_hold_rows`, instants converted as the UTCDateTime columns do."""
    convert = utc_result_converter(session.get_bind().dialect)
    return [Hold(booking_id, user_id, unit_no, convert(start), convert(end))
            for booking_id, user_id, unit_no, start, end in rows]


def active_holds(session: Session, space: Space, start_dt: datetime, end_dt: datetime) -> list[Hold]:
    """Active holds of the space that overlap [start_dt, end_dt)."""
    return holds_of(session, active_hold_rows(session, space, start_dt, end_dt))


@lru_cache(maxsize=64)
def national_holidays(country: str, year: int, language: str) -> dict[date, str]:
    """A country's national holidays of one year (building the table costs milliseconds:
    done once per process, not on every page and inside every booking's write lock)."""
    calendar = holiday_calendars.country_holidays(country, years=year, language=language)
    return {day: str(name) for day, name in calendar.items()}


def holidays_between(space: Space, first: date, last: date, locale: str) -> dict[date, str]:
    """National holidays the space is closed on, minus the days it opens anyway."""
    if not space.close_on_holidays:
        return {}
    language = HOLIDAY_LANGUAGES.get(locale, "ja")
    found = {
        day: name
        for year in range(first.year, last.year + 1)
        for day, name in national_holidays(space.holiday_country, year, language).items()
        if first <= day <= last
    }
    if found:
        opened = db.session.scalars(
            select(HolidayOpening.day_date).where(
                HolidayOpening.space_id == space.id, HolidayOpening.day_date.in_(list(found))
            )
        )
        for day in opened:
            found.pop(day, None)
    return found


def closures_between(
    session: Session, space: Space, policy: Policy, start_dt: datetime, end_dt: datetime, locale: str
) -> list[ClosedRange]:
    """Closures of this space or of every space, and closed holidays, overlapping the range."""
    rows = session.scalars(_SPACE_CLOSURES, {"space_id": space.id, "end_dt": end_dt, "start_dt": start_dt})
    closures = [ClosedRange(c.start_dt, c.end_dt, c.reason) for c in rows]
    zone = policy.zone
    first = start_dt.astimezone(zone).date()
    last = end_dt.astimezone(zone).date()
    closures += holiday_closures(holidays_between(space, first, last, locale), policy)
    return closures


# A booking's active holds (as _SPACE_HOLDS) and its closures (as _SPACE_CLOSURES) in one statement:
# the booking POST reads both inside its space's write lock, and on PostgreSQL each was a round trip
# there (profile line 'spaces.py(closures_between)' under bookings.py(_check), the lock's second read).
# A closure row is (None, None, None, start, end, reason); a hold's reason is NULL.
_HOLDS = (
    select(BookingHold.booking_id, Booking.user_id, BookingHold.unit_no,
           type_coerce(BookingHold.occupied_start, NullType), type_coerce(BookingHold.occupied_end, NullType),
           null().label("reason"))
    .join(Booking, Booking.id == BookingHold.booking_id)
    .where(*_ACTIVE_OVERLAPPING)
)
_CLOSURES = (
    select(null(), null(), null(), type_coerce(Closure.start_dt, NullType), type_coerce(Closure.end_dt, NullType),
           Closure.reason)
    .where(or_(Closure.space_id == bindparam("space_id"), Closure.space_id.is_(None)),
           Closure.start_dt < bindparam("closures_end"), Closure.end_dt > bindparam("closures_start"))
)
_HOLDS_AND_CLOSURES: CompoundSelect[Any] = union_all(_HOLDS, _CLOSURES)
# The same and, as rows (id, NULL, NULL, start, requested at, NULL) told from a hold by their NULL unit, the
# space's pending requests starting by :horizon (a superset of those past their deadline, as
# expiry.expire_lapsed_in reads them; 'pending' written in the SQL for the partial index ix_bookings_waiting).
# Profile line 'expiry.py(expire_lapsed_in)' inside the booking POST's lock: a statement of its own, which
# on PostgreSQL was a round trip more under the lock, to find nothing on nearly every POST.
_HOLDS_CLOSURES_AND_WAITING: CompoundSelect[Any] = union_all(
    _HOLDS, _CLOSURES,
    select(Booking.id, null(), null(), type_coerce(Booking.start_dt, NullType),
           type_coerce(Booking.created_at, NullType), null())
    .where(Booking.status == literal_column("'pending'"), Booking.space_id == bindparam("space_id"),
           Booking.start_dt <= bindparam("horizon")),
)


class Waiting(NamedTuple):
    """A pending request as the lock's read finds it (expiry decides whether it is past its deadline)."""

    booking_id: int
    start_dt: datetime
    requested_at: datetime


def holds_and_closures(session: Session, space: Space, policy: Policy, occupied_start: datetime,
                       occupied_end: datetime, start_dt: datetime, end_dt: datetime,
                       locale: str) -> tuple[list[Hold], list[ClosedRange]]:
    """`active_holds` over [occupied_start, occupied_end) and `closures_between` over [start_dt, end_dt),
    read by one statement."""
    holds, closures, _waiting = _lock_read(session, _HOLDS_AND_CLOSURES, space, policy, occupied_start,
                                           occupied_end, start_dt, end_dt, locale, {})
    return holds, closures


def holds_closures_and_waiting(session: Session, space: Space, policy: Policy, occupied_start: datetime,
                               occupied_end: datetime, start_dt: datetime, end_dt: datetime, locale: str,
                               horizon: datetime) -> tuple[list[Hold], list[ClosedRange], list[Waiting]]:
    """`holds_and_closures`, and the space's pending requests starting by `horizon`, read by one statement."""
    return _lock_read(session, _HOLDS_CLOSURES_AND_WAITING, space, policy, occupied_start, occupied_end, start_dt,
                      end_dt, locale, {"horizon": horizon})


def _lock_read(session: Session, statement: CompoundSelect[Any], space: Space, policy: Policy,
               occupied_start: datetime, occupied_end: datetime, start_dt: datetime, end_dt: datetime, locale: str,
               extra: dict[str, Any]) -> tuple[list[Hold], list[ClosedRange], list[Waiting]]:
    # On the session's connection: a select of columns needs none of the ORM's execution (profile line
    # 'sqlalchemy/orm/context.py(orm_execute_statement)' under 'spaces.py(_lock_read)', inside the write lock)
    # but its autoflush: what the caller changed (requests expired just now) is read as changed.
    if session.autoflush:
        session.flush()
    rows = session.connection().execute(statement, {
        "space_id": space.id, "end_dt": occupied_end, "low": occupied_start - longest_hold(space),
        "start_dt": occupied_start, "closures_start": start_dt, "closures_end": end_dt, **extra}).all()
    dialect = session.get_bind().dialect
    convert: Callable[[Any], Any] = utc_result_converter(dialect)
    holds, closures, waiting = [], [], []
    for booking_id, user_id, unit_no, start, end, reason in rows:
        if booking_id is None:
            closures.append(ClosedRange(convert(start), convert(end), reason))
        elif unit_no is None:
            waiting.append(Waiting(booking_id, convert(start), convert(end)))
        else:
            holds.append(Hold(booking_id, user_id, unit_no, convert(start), convert(end)))
    first, last = start_dt.astimezone(policy.zone).date(), end_dt.astimezone(policy.zone).date()
    return holds, closures + holiday_closures(holidays_between(space, first, last, locale), policy), waiting


# Built once, with bound values (profile line 'sqlalchemy/sql/coercions.py:323(expect)' under
# own_intervals). The lower bound on the start keeps it an index range of the week: without it
# the range ran from the space's first booking (ix_bookings_usage, space_id=? AND start_dt<?).
_OWN_INTERVALS = select(Booking.start_dt, Booking.end_dt).where(
    Booking.space_id == bindparam("space_id"),
    Booking.user_id == bindparam("user_id"),
    Booking.status.in_(("pending", "confirmed")),
    Booking.start_dt < bindparam("end_dt"),
    Booking.start_dt >= bindparam("low"),
    Booking.end_dt > bindparam("start_dt"),
)


def own_intervals(
    session: Session, space: Space, user_id: int | None, start_dt: datetime, end_dt: datetime
) -> list[tuple[datetime, datetime]]:
    """The viewer's pending and confirmed bookings of the space that overlap [start_dt, end_dt) (UTC instants).

    Empty when nobody is signed in (`user_id` None). A booking is no longer than its holds (`longest_hold`).
    """
    if user_id is None:
        return []
    rows = session.execute(_OWN_INTERVALS, {"space_id": space.id, "user_id": user_id, "end_dt": end_dt,
                                            "low": start_dt - longest_hold(space), "start_dt": start_dt})
    return [(start, end) for start, end in rows]


@dataclass(frozen=True)
class KeptWeek:
    """A week grid as one viewer sees it at one time: its clock-free facts, which of its starts
    the time window lets through (`domain.grid.window_bounds`), a key of everything the grid
    shows, and whether the space has public events not yet ended (`has_events`)."""

    facts: WeekFacts
    bounds: tuple[int, int]
    key: Hashable
    has_events: bool = False

    @property
    def grid(self) -> WeekGrid:
        return grid_in_window(self.facts, mask_of_bounds(self.facts, self.bounds))


# Everything a week grid is made of but the space and the clock, in one statement of plain rows
# (profile lines removed: four statements' 'sqlalchemy/orm/session.py:2283(_execute_internal)' under
# the held units, closures_between, own_intervals and public_events.upcoming_in on every GET of a week):
# 'v' the space's change counter (`Space.feed_version`), standing for its held units; 'c' the closures
# (`closures_between`), 'o' the viewer's own bookings (`own_intervals`), and one row 'e' counting the
# space's public events not yet ended (`public_events.upcoming_in`: read only when there are some).
# Instants as the driver returns them. The held units ('h', `_WEEK_HOLDS`) are read by a second
# statement only when the week's facts are not kept: reading and grouping every hold of the week on
# every GET was most of the page's database time (PostgreSQL backend CPU of the fully booked desk week,
# 2,352 holds: 1.2 of 1.3 ms prepared; the rows' hashing for the key in Python on both engines).
_WEEK_HOLDS: Select[Any, Any, Any, Any] = (
    select(literal_column("'h'"), type_coerce(BookingHold.occupied_start, NullType),
           type_coerce(BookingHold.occupied_end, NullType),
           # The separator written into the statement, not a value bound on every execution.
           func.aggregate_strings(cast(BookingHold.unit_no, String), literal_column("','")))  # type: ignore[arg-type]
    .where(BookingHold.space_id == bindparam("space_id"), BookingHold.is_active.is_(True),
           BookingHold.occupied_start < bindparam("hold_end"), BookingHold.occupied_start >= bindparam("hold_low"),
           BookingHold.occupied_end > bindparam("hold_start"))
    .group_by(BookingHold.occupied_start, BookingHold.occupied_end)
)


def _opaque(name: str, type_: Any) -> ColumnElement[Any]:
    """A bound value the planner does not look into, `(SELECT :name)`: the same estimate whatever the value.

    PostgreSQL plans a prepared statement afresh on each execution (a custom plan) for as long
    as the plans made with the values look cheaper than the one plan made without them (the
    generic plan). For the week's statement they always did: its instants lie past the
    statistics' last value, so every part was estimated at one row, and the statement was
    planned on every GET (backend CPU per execution, run_all's studio week, one connection:
    402 µs planned each time, 62 µs with the generic plan; profile line 'Planning Time: 1.388 ms'
    of EXPLAIN ANALYZE). With the values behind a subquery both plans see the same unknowns,
    the custom plan's charge for planning makes the generic one the cheaper, and from the
    sixth execution on the connection the generic plan is used.
    """
    return select(bindparam(name, type_=type_)).scalar_subquery()


_SPACE_ID = _opaque("space_id", BookingHold.space_id.type)
_WEEK_START, _WEEK_END = _opaque("week_start", Booking.start_dt.type), _opaque("week_end", Booking.start_dt.type)
_WEEK_CLOSURES: Select[Any, Any, Any, Any] = select(
    literal_column("'c'"), type_coerce(Closure.start_dt, NullType), type_coerce(Closure.end_dt, NullType),
    Closure.reason,
).where(or_(Closure.space_id == _SPACE_ID, Closure.space_id.is_(None)),
        Closure.start_dt < _WEEK_END, Closure.end_dt > _WEEK_START)
# Status lists written into the statement: an expanding IN of bound values is rendered anew on
# every execution (profile line 'sqlalchemy/sql/compiler.py:2158(_process_parameters_for_postcompile)').
_ACTIVE_STATUSES: list[ColumnElement[Any]] = [literal_column(f"'{status}'") for status in ("pending", "confirmed")]
_SHOWN_STATUSES: list[ColumnElement[Any]] = [literal_column(f"'{status}'") for status in SHOWN_STATUSES]
# The viewer's bookings of the week: its ids found by ix_bookings_user_start (user_id, start_dt), which
# covers that subquery on SQLite (plain conditions there read every booking of the week in all spaces
# through the covering ix_bookings_usage, by a skip-scan: 571 µs a statement), then each booking by its
# id. The space is compared as `space_id + 0`, which no index serves: PostgreSQL planned this part as
# every booking of the space not yet ended joined with the viewer's bookings (growing with history).
_VIEWERS_IN_WEEK = select(Booking.id).where(
    Booking.user_id == _opaque("user_id", Booking.user_id.type), Booking.start_dt < _WEEK_END,
    Booking.start_dt >= _opaque("own_low", Booking.start_dt.type))
_WEEK_OWN: Select[Any, Any, Any, Any] = select(
    literal_column("'o'"), type_coerce(Booking.start_dt, NullType), type_coerce(Booking.end_dt, NullType), null(),
).where(Booking.id.in_(_VIEWERS_IN_WEEK), Booking.space_id + literal_column("0") == _SPACE_ID,
        Booking.status.in_(_ACTIVE_STATUSES), Booking.end_dt > _WEEK_START)
# The public events, each with its booking found by id (SQLite, no statistics, read every booking of
# the space not yet ended through ix_bookings_usage when this was a join).
_WEEK_EVENTS: Select[Any, Any, Any, Any] = (
    select(literal_column("'e'"), null(), null(), cast(func.count(PublicEvent.id), String))
    .where(PublicEvent.status.in_(_SHOWN_STATUSES), select(Booking.id).where(
        Booking.id == PublicEvent.booking_id, Booking.status != literal_column("'pending'"),
        Booking.space_id == _SPACE_ID, Booking.start_dt >= _opaque("event_low", Booking.start_dt.type),
        Booking.end_dt > _opaque("now", Booking.end_dt.type)).exists())
)
_WEEK_VERSION: Select[Any, Any, Any, Any] = select(
    literal_column("'v'"), null(), null(), cast(Space.feed_version, String),
).where(Space.id == bindparam("space_id"))
_WEEK_ROWS: CompoundSelect[Any, Any, Any, Any] = union_all(
    _WEEK_VERSION, _WEEK_CLOSURES, _WEEK_OWN, _WEEK_EVENTS).order_by(text("1, 2, 3, 4"))


def week_of(space: Space, first_day: date, viewer_id: int | None, now: datetime, locale: str,
            policy: Policy | None = None) -> KeptWeek:
    """The week grid of a space as one viewer sees it, with a key of all it shows: the seven
    local days from `first_day`, any day (the space page starts on its first free day or the day
    asked for, `domain.grid.neighbour_weeks`), read and keyed by that day.

    The clock-free part (`domain.grid.week_facts`, the calendar and unit rules of every
    cell) is kept per worker for the same policy, week, held units, closures, closed
    holidays and own bookings, all read here on every request (one statement, and one
    more for the days a closed holiday opens anyway) but the held units: those are stood
    for by the space's `feed_version`, read in the same statement, which the write
    transaction of every change of a hold raises (a booking made, moved, given other
    desks, decided, cancelled, expired or restored: booking.services.feed_events, as the
    staff calendar relies on it), and are read only to build facts not kept. So a kept
    value is never stale: equal keys were read from equal data, the held units as of the
    counter's reading or later. The time window rules run on every request
    (`domain.grid.window_bounds`); the key is the facts' key and those bounds, so equal
    keys are equal grids. `policy`: `policy_of(space)` when the caller has it.
    """
    policy = policy or policy_of(space)
    start_dt = datetime.combine(first_day, time(0), policy.zone)
    end_dt = datetime.combine(first_day + timedelta(days=7), time(0), policy.zone)
    session = db.session()
    margin = longest_hold(space)
    rows = session.connection().execute(_WEEK_ROWS, {
        "space_id": space.id, "week_start": start_dt, "week_end": end_dt, "own_low": start_dt - margin,
        "user_id": viewer_id, "now": now, "event_low": now - margin,
    }).all()
    read = tuple(tuple(row) for row in rows if row[0] != "e")
    has_events = any(row[0] == "e" and int(row[3]) > 0 for row in rows)
    # The days closures_between reads holidays for: up to the local date of the week's end.
    holidays = tuple(holidays_between(space, first_day, end_dt.astimezone(policy.zone).date(), locale).items())
    # The space's id: its counter stands for its holds alone.
    key = (space.id, policy.key, first_day, read, holidays)
    facts = week_facts_cache.get(key)
    if facts is None:
        held = session.connection().execute(_WEEK_HOLDS, {
            "space_id": space.id, "hold_start": start_dt - margin, "hold_end": end_dt + margin,
            "hold_low": start_dt - 2 * margin}).all()
        facts = _week_facts_of(session, policy, first_day, read + tuple(tuple(row) for row in held), holidays)
        week_facts_cache.put(key, facts)
    bounds = window_bounds(facts, policy, now)
    return KeptWeek(facts, bounds, (key, bounds), has_events)


def _week_facts_of(session: Session, policy: Policy, first_day: date, read: Sequence[tuple[Any, ...]],
                   holidays: tuple[tuple[date, str], ...]) -> WeekFacts:
    """`domain.grid.week_facts` of the rows `week_of` read, instants converted as the UTCDateTime columns do."""
    dialect = session.get_bind().dialect
    convert: Callable[[Any], Any] = utc_result_converter(dialect)
    holds = unit_holds_of(session, [(start, end, units) for kind, start, end, units in read if kind == "h"])
    closures = [ClosedRange(convert(start), convert(end), reason) for kind, start, end, reason in read if kind == "c"]
    closures += holiday_closures(dict(holidays), policy)
    own = [(convert(start), convert(end)) for kind, start, end, _none in read if kind == "o"]
    return week_facts(policy, first_day, holds, closures, own)


def week_view(space: Space, first_day: date, viewer_id: int | None, now: datetime, locale: str) -> WeekGrid:
    """The week grid of a space as one viewer sees it (`week_of`)."""
    return week_of(space, first_day, viewer_id, now, locale).grid


def free_starts(
    space: Space, request: Request, now: datetime, locale: str, without_booking: int | None = None
) -> FreeStarts:
    """Where `request` would fit instead (see `domain.hints.free_starts_near`), read outside any lock.

    Loads the holds and closures of the asked local day and the SEARCH_DAYS after it;
    `without_booking` leaves that booking's own holds out (a booking being changed).
    Instants are UTC. Takes a few milliseconds: call it after the write transaction.
    """
    policy = policy_of(space)
    day = request.start_dt.astimezone(policy.zone).date()
    start_dt = datetime.combine(day, time(0), policy.zone)
    end_dt = datetime.combine(day + timedelta(days=SEARCH_DAYS + 1), time(0), policy.zone)
    margin = longest_hold(space)
    session = db.session()
    holds = [h for h in active_holds(session, space, start_dt - margin, end_dt + margin)
             if h.booking_id != without_booking]
    closures = closures_between(session, space, policy, start_dt, end_dt, locale)
    return free_starts_near(request, policy, holds, closures, now)


@dataclass(frozen=True)
class Availability:
    """A space at a glance: where its page opens and how many starts are free today and tomorrow."""

    next_start: datetime | None
    today: date
    free_today: int
    free_tomorrow: int


def availability(space: Space, now: datetime, locale: str) -> Availability:
    """The first free start (`domain.hints.next_free_start`, the refusal hints' search) and the
    free starts of today and tomorrow (see `availabilities`)."""
    return availabilities([space], now, locale)[space.id]


def availabilities(listed: Sequence[Space], now: datetime, locale: str,
                   policies: Sequence[Policy] | None = None,
                   versions: Sequence[Hashable] | None = None) -> dict[int, Availability]:
    """`availability` of each space by id: the first free start (`domain.hints.next_free_start`,
    the refusal hints' search) and the free starts of today and tomorrow.

    Reads two days of every space first, with one query for the holds of all and one for
    their closures (made for `listed` being one space or every space); the next SEARCH_DAYS of
    a space only when neither day has a free start (the search stops at the first free day, so
    it never needs what lies beyond it). `policies`, when given, are those of `listed` in order
    (`listed_spaces` gives both). A space with no opening hours at all (`is_never_open`) has no
    free start and reads no rows (profile: two statements of the spaces page, the benchmark's
    feed space searching 14 days on every request). `versions`, when given, stand for the holds and
    closures of each space of `listed` in order (`spaces_at_a_glance`): the start facts are then kept
    by them and read only when none are kept.
    """
    if policies is None:
        policies = [policy_of(space) for space in listed]
    if versions is None:
        versions = [None] * len(listed)
    found = {space.id: Availability(next_start=None, today=now.astimezone(policy.zone).date(), free_today=0,
                                    free_tomorrow=0)
             for space, policy in zip(listed, policies, strict=True) if is_never_open(policy)}
    if found:
        kept = [n for n, policy in enumerate(policies) if not is_never_open(policy)]
        listed, policies, versions = [listed[n] for n in kept], [policies[n] for n in kept], [versions[n] for n in kept]
    todays = [now.astimezone(policy.zone).date() for policy in policies]
    searching = []
    for n, two_days in enumerate(_days_facts(listed, policies, todays, 2, locale, versions)):
        policy, today = policies[n], todays[n]
        (free_today, free_tomorrow), next_start = free_starts_by_day(two_days, policy, now)
        if next_start is None:
            searching.append(n)
        found[listed[n].id] = Availability(next_start=next_start, today=today, free_today=free_today,
                                           free_tomorrow=free_tomorrow)
    for n in searching:  # one space at a time: its rows only, over the search's days
        days = _days_facts([listed[n]], [policies[n]], [todays[n]], SEARCH_DAYS + 1, locale, [versions[n]])[0]
        facts = [fact for day in days for fact in day]
        found[listed[n].id] = replace(found[listed[n].id], next_start=first_free_start(facts, policies[n], now))
    return found


class Glance(NamedTuple):
    """The spaces page's data: the listing (`listed_spaces`) and each space's `Availability` by id."""

    listing: Listing
    availability: dict[int, Availability]


# The closures' change counters: a closure is only ever added or removed, and each removal adds a
# ClosureRemoval row (space_history.record_removal; those rows are never deleted), so one of the two
# counts rises with every change of the closures. Read on every listing row (uncorrelated: computed
# once; two counts, not report_cache's four aggregates: each subquery is planned on every request).
_CLOSURE_COUNTERS = (select(func.count(Closure.id)).scalar_subquery(),
                     select(func.count(ClosureRemoval.id)).scalar_subquery())
_LISTING_AND_CLOSURES = _LISTING.add_columns(*_CLOSURE_COUNTERS)


def listed_spaces_and_closure_counters() -> tuple[Listing, tuple[object, ...]]:
    """`listed_spaces` and the closures' change counters (see `_CLOSURE_COUNTERS`), in one statement."""
    session = db.session()
    rows = tuple(tuple(row) for row in session.connection().execute(_LISTING_AND_CLOSURES))
    counters = rows[0][-len(_CLOSURE_COUNTERS):] if rows else ()
    return _listing_of(session, tuple(row[:-len(_CLOSURE_COUNTERS)] for row in rows)), counters


def spaces_at_a_glance(now: datetime, locale: str) -> Glance:
    """Every space (`listed_spaces`) and its `Availability` at `now` (aware UTC) in one statement
    while nothing they are made of changes.

    The listing's statement also reads the closures' change counters; each space's start facts
    (`_days_facts`) are kept by its row, whose `feed_version` the write transaction of every
    change of its bookings raises (booking.services.feed_events: a booking's times, status, desks
    and space), by those counters, its policy, its local today and closed holidays. So the holds
    and closures are read only when one of them changed (profile line: the glance statement,
    planned by PostgreSQL on every request, 0.18 → 0.67 ms of database CPU on the spaces page).
    The time window (past, notice, horizon) is applied on every request: nothing kept depends on
    the clock but through the local dates.
    """
    session = db.session()
    rows = tuple(tuple(row) for row in session.connection().execute(_LISTING_AND_CLOSURES))
    counters = rows[0][-len(_CLOSURE_COUNTERS):] if rows else ()
    listing = _listing_of(session, tuple(row[:-len(_CLOSURE_COUNTERS)] for row in rows))
    # The rest of a space's row is in its policy's key, which `_days_facts` keys by too.
    versions = [(space.feed_version, counters) for space in listing.spaces]
    return Glance(listing, availabilities(listing.spaces, now, locale, listing.policies, versions))


# Built once: composing these per request cost more than running them (profile line
# 'sqlalchemy/sql/coercions.py:323(expect)'); the bound values come with each execution.
# The holds and the closures in one statement (UNION ALL; a closure's row has no booking id), one
# round trip less on every spaces page. Two forms: of one space, or of every space, joined to the
# spaces so that each space's holds are an index range of (space_id, occupied_start) however long
# the history (the form of every space without the join scanned the whole index); the rows of
# spaces not asked for are left out when parted. An expanding IN list was re-rendered on every
# execution (profile line 'sqlalchemy/sql/compiler.py:2158(_process_parameters_for_postcompile)').
_HOLD_COLUMNS = (
    BookingHold.space_id, BookingHold.booking_id, Booking.user_id, BookingHold.unit_no,
    type_coerce(BookingHold.occupied_start, NullType), type_coerce(BookingHold.occupied_end, NullType),
    cast(null(), String),
)
_HOLDS_IN_WINDOW = (
    BookingHold.is_active.is_(True),
    BookingHold.occupied_start < bindparam("last"), BookingHold.occupied_start >= bindparam("low"),
    BookingHold.occupied_end > bindparam("first"),
)
_CLOSURES_IN_WINDOW = (
    select(Closure.space_id, null(), null(), null(), type_coerce(Closure.start_dt, NullType),
           type_coerce(Closure.end_dt, NullType), Closure.reason)
    .where(Closure.start_dt < bindparam("last"), Closure.end_dt > bindparam("first"))
)
_LISTED_ROWS: dict[str, CompoundSelect[Any]] = {
    "one": union_all(
        select(*_HOLD_COLUMNS).join(Booking, Booking.id == BookingHold.booking_id)
        .where(BookingHold.space_id == bindparam("space_id"), *_HOLDS_IN_WINDOW),
        _CLOSURES_IN_WINDOW.where(or_(Closure.space_id == bindparam("space_id"), Closure.space_id.is_(None))),
    ),
    "all": union_all(
        select(*_HOLD_COLUMNS).select_from(Space).join(BookingHold, BookingHold.space_id == Space.id)
        .join(Booking, Booking.id == BookingHold.booking_id).where(*_HOLDS_IN_WINDOW),
        _CLOSURES_IN_WINDOW,
    ),
}


def _days_facts(listed: Sequence[Space], policies: Sequence[Policy], todays: Sequence[date], days: int,
                locale: str, versions: Sequence[Hashable] | None = None
                ) -> list[tuple[tuple[tuple[Request, bool], ...], ...]]:
    """Each space's `domain.hints.day_start_facts` for its `days` local days from its today, from
    the holds and closures `active_holds` and `closures_between` give for them.

    Reads the holds and closures of one space, or of every space when `listed` has more (one
    statement for both: `_LISTED_ROWS`), as the driver returns them, and keeps the facts per
    worker keyed by those raw rows, the spaces, their policies, todays and closed holidays: on a hit nothing is
    converted, parted or checked (profile lines removed: 'booking/db.py:48(process_result_value)',
    'domain/values.py(__post_init__)' of each hold, and the hashing of every Hold in the old
    per-day cache keys). With `versions` of every space (`availabilities`), the facts kept for them
    come first (`glance_facts_cache`), with no statement for the holds and closures.
    """
    if not listed:
        return []
    session = db.session()
    ranges = [(datetime.combine(today, time(0), policy.zone),
               datetime.combine(today + timedelta(days=days), time(0), policy.zone))
              for policy, today in zip(policies, todays, strict=True)]
    holidays = tuple(tuple(holidays_between(space, today, end_dt.astimezone(policy.zone).date(), locale).items())
                     for space, policy, today, (_start, end_dt) in zip(listed, policies, todays, ranges, strict=True))
    version_key = None
    if versions is not None and all(version is not None for version in versions):
        version_key = (days, tuple(versions), tuple(policy.key for policy in policies), tuple(todays), holidays)
        kept = glance_facts_cache.get(version_key)
        if kept is not None:
            return kept
    found = _days_facts_read(session, listed, policies, todays, days, ranges, holidays)
    if version_key is not None:
        glance_facts_cache.put(version_key, found)
    return found


def _days_facts_read(session: Session, listed: Sequence[Space], policies: Sequence[Policy], todays: Sequence[date],
                     days: int, ranges: Sequence[tuple[datetime, datetime]],
                     holidays: tuple[tuple[tuple[date, str], ...], ...]
                     ) -> list[tuple[tuple[tuple[Request, bool], ...], ...]]:
    """`_days_facts` from the holds and closures read now, kept by those raw rows (`days_facts_cache`)."""
    connection = session.connection()
    margin = max(longest_hold(space) for space in listed)
    first, last = min(r[0] for r in ranges) - margin, max(r[1] for r in ranges) + margin
    ids = [space.id for space in listed]
    form, which = ("one", {"space_id": ids[0]}) if len(ids) == 1 else ("all", {})
    rows = connection.execute(_LISTED_ROWS[form], {**which, "last": last, "low": first - margin, "first": first})
    hold_rows, closure_rows = [], []
    for space_id, booking_id, user_id, unit_no, start, end, reason in rows:
        if booking_id is None:
            closure_rows.append((space_id, start, end, reason))
        else:
            hold_rows.append((space_id, booking_id, user_id, unit_no, start, end))
    key = (days, tuple(ids), tuple(policy.key for policy in policies), tuple(todays), tuple(hold_rows),
           tuple(closure_rows), holidays)
    found = days_facts_cache.get(key)
    if found is None:
        found = _facts_of(session, listed, policies, todays, days, ranges, hold_rows, closure_rows, holidays)
        days_facts_cache.put(key, found)
    return found


def _facts_of(session: Session, listed: Sequence[Space], policies: Sequence[Policy], todays: Sequence[date],
              days: int, ranges: Sequence[tuple[datetime, datetime]], hold_rows: Sequence[tuple[Any, ...]],
              closure_rows: Sequence[tuple[Any, ...]], holidays: Sequence[tuple[tuple[date, str], ...]]
              ) -> list[tuple[tuple[tuple[Request, bool], ...], ...]]:
    """`_days_facts` once its rows are read: instants converted as the UTCDateTime columns do, parted per space."""
    dialect = session.get_bind().dialect
    convert: Callable[[Any], Any] = utc_result_converter(dialect)
    holds_read = [(space_id, Hold(booking_id, user_id, unit_no, convert(start), convert(end)))
                  for space_id, booking_id, user_id, unit_no, start, end in hold_rows]
    closures_read = [(space_id, ClosedRange(convert(start), convert(end), reason))
                     for space_id, start, end, reason in closure_rows]
    found = []
    for n, space in enumerate(listed):
        policy, today, (start_dt, end_dt) = policies[n], todays[n], ranges[n]
        low, high = start_dt - longest_hold(space), end_dt + longest_hold(space)
        # The same holds as active_holds(low, high): starting in [low - longest, high), ending after low.
        holds = [hold for space_id, hold in holds_read
                 if space_id == space.id and low - longest_hold(space) <= hold.start_dt < high and hold.end_dt > low]
        # Over the same margins: a day's last starts may run past its midnight (overnight opening hours).
        closures = [closure for space_id, closure in closures_read
                    if space_id in (space.id, None) and closure.start_dt < high and closure.end_dt > low]
        closures += holiday_closures(dict(holidays[n]), policy)
        found.append(tuple(day_start_facts(today + timedelta(days=offset), policy, holds, closures)
                           for offset in range(days)))
    return found
