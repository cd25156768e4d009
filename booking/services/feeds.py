"""The calendar feeds: validators from one cheap query, the body only when needed.

Each feed function runs one query that finds what the URL names (space, token
owner) together with the change counters of the spaces in scope
(`Space.feed_version`, raised in the same write transaction as every change a
feed shows; see `feed_events`). A feed of one space takes its space's counter and
change time; a feed over every space (member, staff) the sum of all counters,
which rises whenever any of them does, and no Last-Modified (change times of
different spaces are not ordered by commit). The view answers 304 from these;
only otherwise does it call `Feed.build`, which concatenates the bookings' stored
events between a header and a footer. An event whose stamp no longer matches
(space renamed, member renamed, language changed) is rendered in memory for the
response; GETs never write. `rebuild_events` stores the new renderings after such
a change, in short write transactions of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from types import SimpleNamespace
from typing import Any, Final, cast

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Engine, Select, String, and_, bindparam, func, or_, select, true, type_coerce
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, joinedload, selectinload, undefer

from booking import ical
from booking.db import utcnow
from booking.domain.values import N_
from booking.extensions import db
from booking.models import Booking, FeedToken, Space, User
from booking.services import NotFound
from booking.services.feed_events import (
    FORMAT_VERSION,
    feed_locale,
    key_of,
    render_booking,
    render_key,
    render_one,
    stamp_of,
    store,
)
from booking.services.feed_tokens import hash_token, is_well_formed
from booking.services.transactions import run_write

log = logging.getLogger(__name__)

GONE = ("cancelled", "rejected", "expired")
STAFF_ROLES = ("staff", "admin")
ACTIVE = ("pending", "confirmed")
COLUMNS = {"public": Booking.ics_public, "member": Booking.ics_member, "staff": Booking.ics_staff}


def _setting(name: str, default: int, config: Mapping[str, Any] | None = None) -> int:
    """An integer setting of the app (`config`: its config, when a caller has it at hand already)."""
    return int((current_app.config if config is None else config).get(name, default))


@dataclass(frozen=True)
class Window:
    """The bookings a feed shows: a span of local days, plus recently cancelled ones."""

    day: date
    day_start: datetime
    start_dt: datetime
    end_dt: datetime
    gone_since: datetime

    @property
    def years(self) -> tuple[int, int]:
        """The first and last calendar year the window touches (UTC), for its VTIMEZONEs."""
        return self.start_dt.year, self.end_dt.year

    @classmethod
    def around(cls, now: datetime, zone: str, config: Mapping[str, Any] | None = None) -> Window:
        config = current_app.config if config is None else config
        day = now.astimezone(ical.zone_of(zone)).date()
        return _window(day, zone, _setting("FEED_DAYS_BACK", 14, config), _setting("FEED_DAYS_AHEAD", 365, config),
                       _setting("FEED_CANCELLED_DAYS", 14, config))


@lru_cache(maxsize=256)
def _window(day: date, zone: str, days_back: int, days_ahead: int, cancelled_days: int) -> Window:
    midnight = datetime.combine(day, time(), ical.zone_of(zone)).astimezone(UTC)
    return Window(
        day=day, day_start=midnight,
        start_dt=midnight - timedelta(days=days_back),
        end_dt=midnight + timedelta(days=days_ahead + 1),
        gone_since=midnight - timedelta(days=cancelled_days),
    )


@dataclass(frozen=True)
class Body:
    """A feed's bytes with the validators of exactly what they show."""

    data: bytes
    etag: str
    last_modified: datetime | None


@dataclass(frozen=True)
class Feed:
    """A feed's validators (from one cheap query) and how to build its body."""

    etag: str
    last_modified: datetime | None
    is_public: bool
    body: Callable[[], Body]
    cache_key: tuple[object, ...] | None = None  # of the body cache: (audience, scope, ETag)

    def build(self) -> bytes:
        return self.body().data

    def cached(self) -> bytes | None:
        """The body this process built before for exactly these validators, while it keeps it."""
        return body_cache().get(self.cache_key) if self.cache_key is not None else None


def refresh_interval(config: Mapping[str, Any] | None = None) -> timedelta:
    return timedelta(minutes=_setting("FEED_REFRESH_MINUTES", 60, config))


def _etag(window: Window, version: int, key: Sequence[object], config: Mapping[str, Any] | None = None) -> str:
    """A strong ETag from everything the body depends on: counters, window day, settings, language."""
    config = current_app.config if config is None else config
    return _etag_of((FORMAT_VERSION, feed_locale(config), window, refresh_interval(config), version, *key))


Settings = tuple[str, int, int, int, int, str]
SETTINGS_ZONE: Final = 5  # where the time zone of the feeds over every space is in Settings


def _settings(config: Mapping[str, Any]) -> Settings:
    """What a feed's validators take from the settings: language, days back, ahead, cancelled, refresh minutes,
    and the time zone of the feeds over every space."""
    return (feed_locale(config), _setting("FEED_DAYS_BACK", 14, config), _setting("FEED_DAYS_AHEAD", 365, config),
            _setting("FEED_CANCELLED_DAYS", 14, config), _setting("FEED_REFRESH_MINUTES", 60, config),
            str(config["DEFAULT_TIMEZONE"]))


@lru_cache(maxsize=4096)
def _etag_of(parts: tuple[object, ...]) -> str:
    # Calendar apps poll an unchanged feed with the same values over and over.
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:32]


def last_modified(changed_at: datetime | None, window: Window, now: datetime) -> datetime | None:
    """Last-Modified of a one-space feed (UTC, whole seconds), or None when it cannot be trusted yet.

    The space's last change time (taken under its lock, at least one second after
    the one before) or the start of the window's day, whichever is later: both
    only grow. Not sent while that falls in the current second or later (RFC 9110
    §8.8.2.1: a date in the same second as a later change would hide that change).
    """
    stamp = max(changed_at or window.day_start, window.day_start).replace(microsecond=0)
    return stamp if stamp < now.replace(microsecond=0) else None


@dataclass(frozen=True)
class Scope:
    """Which bookings a feed covers: of one space or member (or all), in these statuses."""

    space_id: int | None = None
    user_id: int | None = None
    statuses: tuple[str, ...] = ACTIVE


BOOKINGS, SPACES, USERS, TOKENS = Booking.__table__, Space.__table__, User.__table__, FeedToken.__table__


@cache
def _rows_query(audience: str, by: str | None) -> Select[Any]:
    """The body's one query, built once per audience and scope kind (Core, no ORM rows)."""
    scope = {"space": BOOKINGS.c.space_id == bindparam("scope_id"),
             "user": BOOKINGS.c.user_id == bindparam("scope_id"), None: true()}[by]
    return (
        select(BOOKINGS.c.id, BOOKINGS.c[f"ics_{audience}"].label("ics"), BOOKINGS.c.ics_stamp,
               type_coerce(BOOKINGS.c.updated_at, String).label("updated_at"), BOOKINGS.c.sequence,
               BOOKINGS.c.status, BOOKINGS.c.space_id, BOOKINGS.c.user_id)
        .where(scope, BOOKINGS.c.start_dt < bindparam("end_dt"), BOOKINGS.c.end_dt > bindparam("start_dt"),
               or_(BOOKINGS.c.status.in_(bindparam("statuses", expanding=True)),
                   and_(BOOKINGS.c.status.in_(GONE), BOOKINGS.c.updated_at >= bindparam("gone_since"))))
        .order_by(BOOKINGS.c.start_dt, BOOKINGS.c.id)
    )


def _render_keys(session: Session, pairs: set[tuple[int, int]], locale: str) -> dict[tuple[int, int], tuple[str, str]]:
    """{(space id, user id): (render key, TZID)} for the pairs a body shows: two small queries, not a join per row."""
    space_ids = {space_id for space_id, _user_id in pairs}
    user_ids = {user_id for _space_id, user_id in pairs}
    connection = session.connection()
    spaces = {row.id: row for row in connection.execute(
        select(SPACES.c.id, SPACES.c.name_ja, SPACES.c.name_en, SPACES.c.timezone, SPACES.c.kind)
        .where(SPACES.c.id.in_(space_ids)))}
    users = {row.id: row for row in connection.execute(
        select(USERS.c.id, USERS.c.name, USERS.c.organisation, USERS.c.email).where(USERS.c.id.in_(user_ids)))}
    keys = {}
    for space_id, user_id in pairs:
        space, user = spaces[space_id], users[user_id]
        key = render_key(_name(space, locale), space.timezone, space.kind, user.name, user.organisation or "",
                         user.email)
        keys[space_id, user_id] = key, space.timezone
    return keys


def _events(audience: str, scope: Scope, window: Window) -> tuple[list[str], set[str]]:
    """The audience's events of the scope in the window, and the time zones they use.

    Stored events whose stamp does not match what they would render now are
    rendered in memory; an event that cannot be rendered is left out and logged.
    """
    session = db.session()
    by = "space" if scope.space_id is not None else "user" if scope.user_id is not None else None
    rows = session.connection().execute(_rows_query(audience, by), {
        "scope_id": scope.space_id if by == "space" else scope.user_id, "end_dt": window.end_dt,
        "start_dt": window.start_dt, "gone_since": window.gone_since, "statuses": list(scope.statuses),
    }).all()
    locale = feed_locale()
    keys = _render_keys(session, {(r.space_id, r.user_id) for r in rows}, locale) if rows else {}
    stale = set()
    for booking_id, ics, stamp, updated_at, sequence, status, space_id, user_id in rows:
        changed_at = _instant(updated_at)
        if ics is None or changed_at is None or stamp != stamp_of(changed_at, sequence, status, locale,
                                                                  keys[space_id, user_id][0]):
            stale.add(booking_id)
    renders = _render_in_memory(sorted(stale), locale, audience) if stale else {}
    events = [renders.get(r.id, "") if r.id in stale else r.ics for r in rows]
    shown = {keys[r.space_id, r.user_id][1] for r, text in zip(rows, events, strict=True) if text}
    return [text for text in events if text], {zone for zone in shown if ical.is_zone(zone)}


def _render_in_memory(ids: list[int], locale: str, audience: str) -> dict[int, str]:
    bookings = db.session.scalars(
        select(Booking).where(Booking.id.in_(ids))
        .options(joinedload(Booking.space), joinedload(Booking.user), selectinload(Booking.holds))
    )
    renders = {}
    for booking in bookings:
        try:
            renders[booking.id] = render_one(booking, booking.space, booking.user, locale, audience)
        except Exception:
            log.exception("could not render booking %s for a feed; left out", booking.id)
    return renders


def rebuild_events(space_id: int, now: datetime | None = None, chunk: int = 200) -> int:
    """Store fresh events for the space's bookings a feed can still show whose stamps are stale.

    Runs after the change that made them stale has committed, in write
    transactions of at most `chunk` bookings each, so no lock is held for long and
    no GET ever waits; until it is done, feeds render the stale ones in memory.
    Returns how many bookings were re-rendered.
    """
    now = now or utcnow()
    days_back = max(_setting("FEED_DAYS_BACK", 14), _setting("FEED_CANCELLED_DAYS", 14)) + 1
    since = now - timedelta(days=days_back)
    locale = feed_locale()
    done, after = 0, 0
    while True:
        def work(session: Session, after: int = after) -> tuple[int, int | None]:
            bookings = list(session.scalars(
                select(Booking).where(Booking.space_id == space_id, Booking.end_dt > since, Booking.id > after)
                .order_by(Booking.id).limit(chunk)
                .options(joinedload(Booking.space), joinedload(Booking.user), selectinload(Booking.holds),
                         undefer(Booking.ics_stamp))
            ))
            count = 0
            for booking in bookings:
                key = key_of(booking.space, booking.user, locale)
                if booking.ics_stamp != stamp_of(booking.updated_at, booking.sequence, booking.status, locale, key):
                    store(booking, render_booking(booking, booking.space, booking.user, locale))
                    count += 1
            return count, (bookings[-1].id if len(bookings) == chunk else None)

        count, last = run_write(space_id, work)
        done += count
        if last is None:
            return done
        after = last


def _snapshot() -> Session:
    """The session, reading from one snapshot (PostgreSQL: REPEATABLE READ; SQLite's read transaction is one)."""
    session = db.session()
    if not session.in_transaction() and db.engine.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session


def _version_now(session: Session, scope: Scope) -> int:
    if scope.space_id is not None:
        return int(session.scalar(select(Space.feed_version).where(Space.id == scope.space_id)) or 0)
    return int(session.scalar(select(func.coalesce(func.sum(Space.feed_version), 0))) or 0)


def _feed(audience: str, name: Callable[[], str], zone: str, scope: Scope, window: Window, version: int,
          etag_of: Callable[[int], str], changed: datetime | None) -> Feed:
    """A feed whose body, when built, is read in one snapshot together with its counter.

    A change may commit between the validators' query and the body's: then the body
    goes out with the ETag of the counter it was read with, and no Last-Modified.
    """
    etag = etag_of(version)
    key = (audience, scope, etag)

    def body() -> Body:
        cache = body_cache()
        cached = cache.get(key)
        if cached is not None:  # the same validator: the very bytes built for it before
            return Body(cached, key[2], changed)
        session = _snapshot()
        try:
            seen = _version_now(session, scope)
            events, zones = _events(audience, scope, window)
        finally:
            session.rollback()
        header = ical.calendar_header(name(), zones, zone, refresh_interval(), years=window.years)
        if seen == version:
            data = ical.assemble(header, events)
            cache.put(key, data)
            return Body(data, etag, changed)
        return Body(ical.assemble(header, events), etag_of(seen), None)

    return Feed(etag=etag, last_modified=changed, is_public=audience == "public", body=body,
                cache_key=key)


class BodyCache:
    """Full feed bodies of this process, keyed by (audience, scope, ETag), least recently used out first.

    The ETag is a digest of everything a body depends on (the counters raised with every
    change a feed shows, the window's day, the language, the settings), so an entry is
    right for as long as its key is asked for; entries of old validators simply age out.
    At most `max_bytes` of bodies are kept; a body over a quarter of that is not kept.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> bytes | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], data: bytes) -> None:
        if len(data) > self.max_bytes // 4:
            return
        with self.lock:
            previous = self.entries.pop(key, None)
            if previous is not None:
                self.size -= len(previous)
            self.entries[key] = data
            self.size += len(data)
            while self.size > self.max_bytes:
                _key, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped)


def body_cache() -> BodyCache:
    """This app's cache of feed bodies (FEED_CACHE_BYTES, default 16 MiB per process)."""
    extensions = current_app.extensions
    found = extensions.get("booking_feed_bodies")
    if found is None:
        found = extensions["booking_feed_bodies"] = BodyCache(_setting("FEED_CACHE_BYTES", 16 * 1024 * 1024))
    return cast(BodyCache, found)


@cache
def _space_query() -> Select[Any]:
    return (select(SPACES.c.id, SPACES.c.name_ja, SPACES.c.name_en, SPACES.c.timezone,
                   SPACES.c.pending_holds, SPACES.c.feed_version.label("version"),
                   SPACES.c.feed_changed_at.label("changed_at"))
            .where(SPACES.c.slug == bindparam("slug")))


SPACE_ZONE = list(_space_query().selected_columns.keys()).index("timezone")  # in its row, as the driver gives it


@cache
def _owner_query(kind: str, per_space: bool) -> Select[Any]:
    query = (select(TOKENS.c.token_hash, USERS.c.id, USERS.c.is_enabled, USERS.c.role)
             .join_from(TOKENS, USERS, USERS.c.id == TOKENS.c.user_id)
             .where(TOKENS.c.token_hash == bindparam("digest"), TOKENS.c.kind == kind))
    if per_space:
        return (query.add_columns(SPACES.c.id.label("space_id"), SPACES.c.name_ja, SPACES.c.name_en,
                                  SPACES.c.timezone, SPACES.c.feed_version.label("version"),
                                  SPACES.c.feed_changed_at.label("changed_at"))
                .join(SPACES, SPACES.c.slug == bindparam("slug")))
    # Counters only grow, so their sum changes whenever any of them does.
    total = select(func.coalesce(func.sum(SPACES.c.feed_version), 0)).scalar_subquery()
    return query.add_columns(total.label("version"))


# Where the owner's checks and the per-space time zone are in the owner queries' rows, as the driver gives them.
OWNER_HASH, OWNER_ENABLED, OWNER_ROLE = (list(_owner_query("member", False).selected_columns.keys()).index(name)
                                         for name in ("token_hash", "is_enabled", "role"))
OWNER_SPACE_ZONE = list(_owner_query("staff", True).selected_columns.keys()).index("timezone")


@dataclass(frozen=True)
class _Statement:
    """A validator query compiled once: its SQL, its bound values, the order it takes them in, its columns."""

    sql: str
    params: dict[str, Any]
    order: tuple[str, ...] | None  # positional drivers (SQLite's qmark): the names in order
    columns: tuple[str, ...]
    libpq: tuple[bytes, bytes, tuple[str, ...]] | None = None  # PostgreSQL: (name, SQL with $n, names in order)


_PYFORMAT = re.compile(r"%\((\w+)\)s")


def _libpq_form(sql: str) -> tuple[bytes, bytes, tuple[str, ...]]:
    """A psycopg (pyformat) statement as libpq takes it: its prepared statement's name, `$n` SQL, names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    text = _PYFORMAT.sub(number, sql).replace("%%", "%")
    name = "booking_validators_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return name.encode("ascii"), text.encode("utf-8"), tuple(names)


@cache
def _compiled(query: Select[Any], dialect: str) -> _Statement:
    compiled = query.compile(dialect=db.engine.dialect)
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    libpq = _libpq_form(compiled.string) if db.engine.dialect.driver == "psycopg" else None
    return _Statement(compiled.string, dict(compiled.params), order, tuple(query.selected_columns.keys()), libpq)


def _libpq_text(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"a validator query takes text and integers only, not {type(value).__name__}")
    return str(value).encode("utf-8")


@cache
def _psycopg() -> tuple[Any, Any, Any]:
    """psycopg's errors, pq and Transformer, imported once (an import statement in `_rows_through_libpq` ran
    importlib's '_handle_fromlist' at every poll); not at the top, so SQLite alone needs no psycopg."""
    from psycopg import errors, pq
    from psycopg.adapt import Transformer

    return errors, pq, Transformer


def _rows_through_libpq(connection: Any, statement: _Statement, values: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The statement's rows straight from libpq, prepared once per connection, typed by psycopg's own loaders.

    psycopg's cursor (its prepared-statement bookkeeping, query conversion, generator-driven
    wait and result selection) cost more Python than the rest of a 304 together (profile lines
    'psycopg/_cursor_base.py(_maybe_prepare_gen)', '(_execute_gen)', 'psycopg/connection.py(wait)',
    'psycopg/_queries.py(convert)', 'psycopg/cursor.py(fetchall)'). A failure raises psycopg's own
    error for the result, so `_connection_lost` reads it as it read the cursor's.
    """
    errors, pq, Transformer = _psycopg()
    assert statement.libpq is not None
    name, sql, order = statement.libpq
    driver = connection.dbapi_connection
    pgconn = driver.pgconn
    prepared: set[bytes] = _held.prepared
    if name not in prepared:
        result = pgconn.prepare(name, sql)
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise errors.error_from_result(result, encoding=driver.info.encoding)
        prepared.add(name)
    result = pgconn.exec_prepared(name, [_libpq_text(values[key]) for key in order])
    if result.status != pq.ExecStatus.TUPLES_OK:
        raise errors.error_from_result(result, encoding=driver.info.encoding)
    transformer = _held.transformer
    if transformer is None:
        transformer = _held.transformer = Transformer(driver)
    transformer.set_pgresult(result)
    return cast(list[tuple[Any, ...]], transformer.load_rows(0, result.ntuples, tuple))


def _instant(value: datetime | str | None) -> datetime | None:
    """A driver's timestamp as an aware UTC instant (SQLite hands back naive UTC text)."""
    if value is None:
        return None
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def _row(query: Select[Any], values: tuple[Any, ...]) -> SimpleNamespace:
    found = SimpleNamespace(**dict(zip(_compiled(query, db.engine.dialect.name).columns, values, strict=True)))
    found.changed_at = _instant(getattr(found, "changed_at", None))
    found.version = int(found.version)
    return found


def _first_values(query: Select[Any], **params: str) -> tuple[Any, ...] | None:
    """The validators' one query, straight on a DBAPI connection of this thread: its first row as the driver gave it.

    Every poll of every subscribed calendar app runs this, and most end in 304, so
    it skips the ORM session and SQLAlchemy's execution layer (which cost several
    times the query itself) and the pool's checkout and reset (a third of a 304 in
    cProfile); the SQL, the order of its values and its column names are taken
    from the statement once, and the thread keeps one cursor (the driver's
    `cursor.description` built seven column objects a poll). The connection reads
    without a transaction (SQLite without BEGIN, PostgreSQL in autocommit), so
    every poll sees the last commit of any process.
    """
    engine = db.engine
    statement = _compiled(query, engine.dialect.name)
    values = {**statement.params, **params}
    args = tuple(values[name] for name in statement.order) if statement.order is not None else values
    for attempt in (1, 2):
        connection, cursor = _validator_connection(engine)
        try:
            if statement.libpq is not None:
                rows = _rows_through_libpq(connection, statement, values)
            else:
                cursor.execute(statement.sql, args)
                rows = cursor.fetchall()  # to the end: SQLite keeps a statement stepped short of it open (a snapshot)
            break
        except Exception as error:
            lost = _connection_lost(error, connection)
            _drop_validator_connection()  # a dead or broken connection: the next poll opens a new one
            if lost is None:
                raise
            if attempt == 2 or not lost.connection_invalidated:
                raise lost from error
    return tuple(rows[0]) if rows else None


_held = threading.local()


def _connection_lost(error: Exception, connection: Any) -> DBAPIError | None:
    """The driver's error on a validator connection as SQLAlchemy's, or None when it is not the driver's.

    This path runs on a bare DBAPI connection, so SQLAlchemy never sees the error and
    neither invalidates its pool nor marks the error as a lost connection. When the
    connection is gone (PostgreSQL restarted, a proxy cut it), the pool's other idle
    connections are as dead, so the pool is replaced (`Engine.dispose(close=False)`, what
    SQLAlchemy does itself on a disconnect) and the error comes back with
    `connection_invalidated` set: the caller retries once, and a second failure is the
    503 of `transactions.is_unavailable`.
    """
    engine = db.engine
    dbapi = engine.dialect.loaded_dbapi
    if not isinstance(error, dbapi.Error):
        return None
    dbapi_connection = getattr(connection, "dbapi_connection", None)
    gone = engine.dialect.is_disconnect(error, dbapi_connection, None) or (
        engine.dialect.name == "postgresql" and isinstance(error, dbapi.OperationalError))
    if gone:
        engine.dispose(close=False)
    return DBAPIError(None, None, error, connection_invalidated=gone)


def _validator_connection(engine: Engine | None = None) -> tuple[Any, Any]:
    """This thread's DBAPI connection to the app's database for the validators, taken out of the pool once,
    and its cursor."""
    engine = engine or db.engine
    owner = getattr(_held, "engine", None)
    if owner is None or owner() is not engine:
        _drop_validator_connection()
        connection = engine.raw_connection()  # through the pool once: its connect hooks (SQLite PRAGMAs) ran
        connection.detach()  # the pool forgets it; closing it closes the DBAPI connection
        if engine.dialect.name == "postgresql":
            connection.dbapi_connection.autocommit = True  # type: ignore[union-attr]
        _held.engine, _held.connection, _held.cursor = weakref.ref(engine), connection, connection.cursor()
        _held.prepared, _held.transformer = set(), None  # libpq's prepared statements live with their connection
    return _held.connection, _held.cursor


def _drop_validator_connection() -> None:
    """Close this thread's validator connection; the next poll opens a new one."""
    connection = getattr(_held, "connection", None)
    _held.engine = _held.connection = _held.cursor = None
    if connection is not None:
        try:
            connection.close()
        except Exception:
            log.debug("closing a validator connection failed", exc_info=True)


def _name(row: Any, locale: str) -> str:
    return str(row.name_en if locale == "en" and row.name_en else row.name_ja)


def space_feed(slug: str, now: datetime | None = None) -> Feed:
    """A space's public feed: titles of public bookings only, never who booked or why."""
    values = _first_values(_space_query(), slug=slug)
    if values is None:
        raise NotFound()
    return _current("space", values, values[SPACE_ZONE], now)


def member_feed(token: str, now: datetime | None = None) -> Feed:
    """A member's own bookings in every space, with their details (no Last-Modified: spans spaces)."""
    values = _owner(token, "member")
    return _current("member", values, current_app.config["DEFAULT_TIMEZONE"], now)


def staff_feed(token: str, slug: str | None = None, now: datetime | None = None) -> Feed:
    """Every booking of every space (or of one), with the members' names; staff only."""
    values = _owner(token, "staff", slug)
    if slug is None:
        return _current("staff", values, current_app.config["DEFAULT_TIMEZONE"], now)
    return _current("staff-space", values, values[OWNER_SPACE_ZONE], now)


def _owner(token: str, kind: str, slug: str | None = None) -> tuple[Any, ...]:
    """The validators' row of the enabled owner of this token (found by its hash, confirmed in constant time), or
    NotFound. Checked at every poll, before any memo: a renewed or revoked token, a disabled account or a lost
    staff role is refused at once."""
    if not is_well_formed(token):
        raise NotFound()
    digest = hash_token(token)
    params = {"digest": digest} if slug is None else {"digest": digest, "slug": slug}
    values = _first_values(_owner_query(kind, slug is not None), **params)
    if values is None or not hmac.compare_digest(values[OWNER_HASH], digest) or not values[OWNER_ENABLED]:
        raise NotFound()
    if kind == "staff" and values[OWNER_ROLE] not in STAFF_ROLES:
        raise NotFound()
    return values


def _current(kind: str, values: tuple[Any, ...], zone: str, now: datetime | None) -> Feed:
    """The feed of this kind for its validators' row as of `now`: from `_feeds`, with Last-Modified by its rule."""
    now = now or utcnow()
    day = now.astimezone(ical.zone_of(zone)).date()
    without, with_date = _feeds(kind, values, day, _settings(current_app.config))
    stamp = with_date.last_modified
    return with_date if stamp is not None and stamp < now.replace(microsecond=0) else without


@lru_cache(maxsize=1024)
def _feeds(kind: str, values: tuple[Any, ...], day: date, settings: Settings) -> tuple[Feed, Feed]:
    """A feed of this kind for its validators' row, the window's day and the settings, without and with
    Last-Modified (the same one twice where it has none).

    Everything a feed's validators depend on is in the arguments (the row holds the
    counters and change time raised with every change the feed shows, and the owner's
    token hash, state and role), so each poll of an unchanged feed finds the same two
    feeds here instead of building its window, name, ETag and body recipe anew (profile
    lines 'services/feeds.py(around)', '(_etag)', '(_feed)', '(last_modified)'). Which one
    a poll gets is `last_modified`'s rule: not while the change time is in the current second.
    """
    return _BUILDERS[kind](values, day, settings)


def _space_feeds(values: tuple[Any, ...], day: date, settings: Settings) -> tuple[Feed, Feed]:
    row = _row(_space_query(), values)
    locale = settings[0]
    statuses = ACTIVE if row.pending_holds else ("confirmed",)
    name = _name(row, locale)
    key = ("space", row.id, name, row.timezone, statuses)
    scope = Scope(space_id=row.id, statuses=statuses)
    return _pair("public", lambda: name, row.timezone, scope, row, day, settings, key)


def _member_feeds(values: tuple[Any, ...], day: date, settings: Settings) -> tuple[Feed, Feed]:
    row = _row(_owner_query("member", False), values)
    zone = settings[SETTINGS_ZONE]
    name = _translated(N_("My bookings"), settings[0])
    return _pair("member", name, zone, Scope(user_id=row.id), row, day, settings, ("member", row.id, zone))


def _staff_feeds(values: tuple[Any, ...], day: date, settings: Settings) -> tuple[Feed, Feed]:
    row = _row(_owner_query("staff", False), values)
    name = _translated(N_("All bookings"), settings[0])
    return _pair("staff", name, settings[SETTINGS_ZONE], Scope(), row, day, settings, ("staff", row.id, "all"))


def _staff_space_feeds(values: tuple[Any, ...], day: date, settings: Settings) -> tuple[Feed, Feed]:
    row = _row(_owner_query("staff", True), values)
    space_name = _name(row, settings[0])
    name = _translated(N_("All bookings: %(space)s"), settings[0], space=space_name)
    key = ("staff", row.id, f"{row.space_id}|{row.timezone}|{space_name}")
    return _pair("staff", name, row.timezone, Scope(space_id=row.space_id), row, day, settings, key)


def _pair(audience: str, name: Callable[[], str], zone: str, scope: Scope, row: SimpleNamespace, day: date,
          settings: Settings, key: tuple[object, ...]) -> tuple[Feed, Feed]:
    """The feed without and with Last-Modified; a feed over every space (no change time in its row) has none."""
    locale, days_back, days_ahead, cancelled_days, refresh_minutes, _zone = settings
    window = _window(day, zone, days_back, days_ahead, cancelled_days)
    refresh = timedelta(minutes=refresh_minutes)

    def etag_of(version: int) -> str:
        return _etag_of((FORMAT_VERSION, locale, window, refresh, version, *key))

    without = _feed(audience, name, zone, scope, window, row.version, etag_of, None)
    if scope.space_id is None:
        return without, without
    stamp = max(row.changed_at or window.day_start, window.day_start).replace(microsecond=0)
    return without, _feed(audience, name, zone, scope, window, row.version, etag_of, stamp)


_BUILDERS: dict[str, Callable[[tuple[Any, ...], date, Settings], tuple[Feed, Feed]]] = {
    "space": _space_feeds, "member": _member_feeds, "staff": _staff_feeds, "staff-space": _staff_space_feeds,
}


def _translated(message: str, locale: str, **params: str) -> Callable[[], str]:
    def name() -> str:
        with force_locale(locale):
            return str(_(message, **params))

    return name


def booking_calendar(booking: Booking) -> bytes:
    """One booking as a calendar to import (what a confirmation e-mail attaches)."""
    locale = feed_locale()
    rendered = render_booking(booking, booking.space, booking.user, locale)
    zone = booking.space.timezone
    years = (booking.start_dt.year, booking.end_dt.year)
    header = ical.calendar_header(booking.title, [zone], zone, refresh=None, method="PUBLISH", years=years)
    return ical.assemble(header, [rendered.member])


def session_was_opened() -> bool:
    """Whether this thread's ORM session exists (the feed fast path's teardown runs only then).

    The validators read through the thread's own DBAPI connection, never the session; a view
    asks here instead of touching the session itself (tests/test_architecture.py).
    """
    return bool(db.session.registry.has())
