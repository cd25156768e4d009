"""Declarative base, UTC instants, the SQLite write-transaction hook, the PostgreSQL hook that
lets a request that only read keep its connection's prepared statements, and the refusal of writes
while a request may only read (a language switch's replay of a form: booking.views.language)."""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware instant, stored in UTC.

    PostgreSQL keeps it as timestamptz. SQLite keeps the naive UTC text
    'YYYY-MM-DD HH:MM:SS.ffffff', whose string order is time order, so the
    overlap triggers can compare it directly.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _same(value: Any) -> Any:
    return value


@lru_cache(maxsize=8)
def utc_result_converter(dialect: Dialect) -> Callable[[Any], Any]:
    """What UTCDateTime makes of a value the driver returned for `dialect`, built once per dialect.

    For rows read on the connection with their instants left to the caller (type_coerce to NullType).
    Profile lines 'sqlalchemy/sql/type_api.py(dialect_impl)' and '(result_processor)' under
    'spaces.py(read_locked_space)' and 'spaces.py(_lock_read)': a UTCDateTime, its dialect's
    implementation and its processor built twice inside the space's lock of every booking POST.
    """
    return UTCDateTime().dialect_impl(dialect).result_processor(dialect, None) or _same


SQLITE_BUSY_TIMEOUT_MS = 1500
# The product's PostgreSQL sessions, as libpq's startup `options` (no statement sent for them): no
# parallel workers. Every statement of a page or a write reads a few rows by index, but a generic plan
# (booking.services.spaces._opaque) estimates a bound range at 0.5 % of the table: at 1,000,000
# bookings of history that is 5,000 rows, and the planner started two workers to read the week
# grid's own bookings, which found none (profile line 'Gather … Workers Launched: 2 (actual
# time=18.017..22.621 rows=0)' of EXPLAIN ANALYZE: the grid took 17.9 ms at 1M bookings, 1.2 ms at
# 100k; 0.7 ms with no workers). A statement that does gain from workers asks for them with SET LOCAL.
POSTGRESQL_SESSION_OPTIONS = "-c max_parallel_workers_per_gather=0"


def sqlite_busy_timeout_s() -> float:
    """How long a writer waits for SQLite's write lock per try, in seconds (also for its turn among ours)."""
    return SQLITE_BUSY_TIMEOUT_MS / 1000

# Set while a service opens a write transaction: on SQLite the next BEGIN becomes
# BEGIN IMMEDIATE, which takes the database write lock up front, so two writers
# never both read "free" and then both insert. Readers keep a plain deferred BEGIN.
sqlite_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "sqlite_immediate", default=False
)


def _unicode_lower(value: Any) -> Any:
    """SQL lower() on SQLite: text in Unicode lower case (str.lower); NULL and other types as given."""
    return value.lower() if isinstance(value, str) else value


def install_sqlite_hooks(engine: Engine) -> None:
    """Let this module, not pysqlite, emit BEGIN (the SQLAlchemy-documented recipe)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # Short on purpose: a writer waits at most 1.5 s per try, and run_write retries only
        # while others commit, so a lock held elsewhere gives a quick 503, not a 30 s hang.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()
        # SQLite's own lower() (and so ILIKE, which SQLAlchemy writes as lower() LIKE lower()) folds only
        # A-Z: a search for "ＡＢＣ" or "É" missed "ａｂｃ" and "é", which PostgreSQL finds. Python's folds
        # what PostgreSQL's does in a UTF-8 database (Unicode case mapping); SQLite lets a connection's
        # own function replace a built-in one (https://www.sqlite.org/appfunc.html). No index is built
        # on lower(), and the e-mail CHECK (email = lower(email)) holds for addresses the services
        # lowered in Python.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if sqlite_immediate.get():
            # Through SQLAlchemy: a busy database raises its OperationalError, which run_write retries.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # A reader's deferred BEGIN takes no lock and cannot be busy: sent on the DBAPI connection
            # directly, not through the statement machinery (profile line
            # 'sqlalchemy/engine/base.py:1738(exec_driver_sql)' under _on_begin, on every request that reads).
            # Should the driver refuse (a connection closed under the pool), SQLAlchemy sends it again, so
            # that the error is its own, classified as a disconnect and retried (booking.resilience).
            try:
                connection.connection.driver_connection.execute("BEGIN")
            except Exception:
                connection.exec_driver_sql("BEGIN")


# Set on a PostgreSQL connection's info when its transaction sent anything but a plain SELECT.
_HAS_WRITTEN = "booking_has_written"


def has_only_read(connection: Connection) -> bool:
    """Whether the PostgreSQL transaction open on `connection` has sent nothing but plain SELECTs (no
    FOR UPDATE or FOR SHARE either), as `install_postgresql_hooks` notes it; False when it was not noted."""
    return connection.info.get(_HAS_WRITTEN) is False


def install_postgresql_hooks(engine: Engine) -> None:
    """End a PostgreSQL transaction that only read with COMMIT, not ROLLBACK, so psycopg keeps its
    prepared statements.

    psycopg prepares a statement on the server once a connection has run it five times
    (`prepare_threshold`), and forgets every one on each ROLLBACK. A request that only reads
    ends with its session's rollback, so on the app's pooled connections no statement was ever
    prepared: every request had PostgreSQL parse and plan each of its statements again (the
    week page's statements: 1.3 ms of backend CPU unprepared, 0.4 ms prepared). Just before
    SQLAlchemy rolls back a transaction that sent nothing but plain SELECTs (no FOR UPDATE or
    FOR SHARE, which take row locks; anything else counts as a write: INSERT, UPDATE, DELETE,
    SAVEPOINT, SET, a CTE) and is not failed, this commits it instead: for such a transaction
    the two are the same to the database, and the rollback that follows finds nothing to roll
    back and leaves psycopg's statements in place. Any error on that COMMIT is left to the
    rollback to meet and report as it always did.

    The rollback hook runs inside SQLAlchemy's own rollback, so it must never raise: on a
    connection that died in its transaction (PostgreSQL stopped, a backend terminated), which
    SQLAlchemy has invalidated, reading `connection.info` raises PendingRollbackError. That made
    the session's rollback fail, the request's session was closed instead, its signed-in account
    detached, and the retry on a fresh connection met DetachedInstanceError: a 500 (CI, the
    database stopped under load; tests/faults/test_connection_dies_mid_request.py).
    """
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.info[_HAS_WRITTEN] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _on_statement(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("SELECT") or " FOR " in statement:
            connection.info[_HAS_WRITTEN] = True

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        if connection.closed or connection.invalidated:
            return  # a dead connection: SQLAlchemy sends no ROLLBACK, there is nothing to keep
        try:
            if connection.info.get(_HAS_WRITTEN, True):
                return
            connection.info[_HAS_WRITTEN] = True
            driver = connection.connection.driver_connection
            if driver.info.transaction_status == _IN_TRANSACTION:
                driver.commit()
        except Exception:  # noqa: S110 (the rollback that follows meets the same error and reports it)
            pass


_IN_TRANSACTION = 2  # psycopg.pq.TransactionStatus.INTRANS: idle inside a transaction that has not failed


def utcnow() -> datetime:
    return datetime.now(UTC)


# A statement that changes data: INSERT, UPDATE, DELETE… and a WITH whose body writes (new_booking's CTE).
# SELECT … FOR UPDATE and BEGIN IMMEDIATE lock without writing.
_WRITE_STATEMENT = re.compile(
    r"^\s*(?:INSERT|UPDATE|DELETE|REPLACE|MERGE|TRUNCATE|DROP|ALTER)\b"
    r"|^\s*WITH\b.*\b(?:INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.IGNORECASE | re.DOTALL)
_write_refusals: list[Callable[[], bool]] = []


class WriteRefused(Exception):
    """A statement that writes was issued while writes are refused: it never reached the database."""


def refuse_writes_while(is_refused: Callable[[], bool]) -> None:
    """Refuse every statement that writes on a connection an ORM session begins a transaction on
    while `is_refused()` (added once); `refuse_writes_on` adds a transaction already open.

    Scoped to those connections: `is_refused` is asked once per transaction begun (the Session
    class's 'after_begin'), and only a connection begun while it holds gets `_refuse_writes`,
    which reads each of its statements. A normal request's statements are never looked at (the
    listener that was on every Engine read each statement of every request: profile line
    'booking/db.py(<genexpr>)', one per statement). The connection, with its listener, ends with
    its checkout; `_refuse_writes` asks `is_refused` again, so it refuses nothing once that ends.
    """
    if is_refused not in _write_refusals:
        _write_refusals.append(is_refused)
    if not event.contains(Session, "after_begin", _watch_if_refused):
        event.listen(Session, "after_begin", _watch_if_refused)


def refuse_writes_on(session: Session) -> None:
    """Refuse the writes of the transaction `session` has open now too (one begun before the refusal
    started, which 'after_begin' did not see); nothing when it has none."""
    if session.in_transaction():
        _watch(session.connection())


def _watch_if_refused(_session: Session, _transaction: Any, connection: Connection) -> None:
    if _is_refused():
        _watch(connection)


def _watch(connection: Connection) -> None:
    if not event.contains(connection, "before_cursor_execute", _refuse_writes):
        event.listen(connection, "before_cursor_execute", _refuse_writes)


def _is_refused() -> bool:
    return any(refused() for refused in _write_refusals)


def _refuse_writes(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    if _is_refused() and _WRITE_STATEMENT.search(statement):
        raise WriteRefused(statement.split(None, 1)[0])


Model = TypeVar("Model", bound=DeclarativeBase)


def as_loaded(session: Session, model: type[Model], values: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Model:
    """An instance of `model` holding `values` (column name to value, or such pairs), put into `session` as if its
    loader had read it from a row: its __dict__ filled without attribute events, marked loaded
    (`make_transient_to_detached`), then added (persistent, nothing pending). Columns not given stay
    unloaded. `model(**values)` sets each column through its instrumented attribute (profile lines
    "<sqlalchemy generated __init__ for class ...>": User 21 -> 5.5 us, Booking 35 -> 9 us).
    """
    instance = unsaved(model, values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def unsaved(model: type[Model], values: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Model:
    """A transient instance of `model` holding `values` (column or relationship name to value; a collection as
    a plain list), for reading a row that is not written yet: rendering a booking's feed events and mail
    before its write lock. Filled as `as_loaded` fills one, without attribute events: `model(**values)`
    and appending to a relationship fire an event per attribute and a backref per appended row (profile line
    '<sqlalchemy generated __init__ for class booking.models.Booking>' and 'sqlalchemy/orm/collections.py(extend)'
    under 'new_booking.py(prepare)'). Never add it to a session: nothing about it is tracked.
    """
    instance: Model = model.__mapper__.class_manager.new_instance()
    instance.__dict__.update(values)
    return instance


class DriverStatement:
    """A Core INSERT or UPDATE compiled once per dialect and run on the DBAPI connection itself.

    For the few statements a write lock is held for (booking/services/new_booking.py): the SQL
    and each parameter's bind processor (the column types', UTCDateTime and JSON included) are
    found once, so a run is the processors and the driver's execute, not SQLAlchemy's per
    statement machinery (compiled-cache lookup, execution context, parameter processing, result
    set-up: profile line 'sqlalchemy/engine/base.py(_execute_clauseelement)').

    SQLAlchemy still runs it when anything listens to the connection's statements (the refusal
    of writes above, a test or a benchmark counting them), and when the driver refuses it: a
    statement the driver refused changed nothing (SQLite's statements are atomic), so it is sent
    again through SQLAlchemy, which raises (and classifies) the error as its own, or runs it.
    SQLite only: on another dialect `execute` is SQLAlchemy's.
    """

    def __init__(self, statement: Any, column_keys: Iterable[str] | None = None) -> None:
        self.statement = statement
        self.column_keys = None if column_keys is None else list(column_keys)  # an INSERT's columns given
        self._compiled: dict[str, tuple[str, tuple[tuple[str, Any, Any], ...]]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, tuple[tuple[str, Any, Any], ...]]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled: Any = self.statement.compile(dialect=dialect, column_keys=self.column_keys)
            fixed = compiled.params  # the statement's own values (feed_version + 1)
            # None for a parameter: compiled.params gives an INSERT's given columns SQLAlchemy's REQUIRED
            # marker (an int), which `values.get(name, fixed)` would have bound for a value left out.
            found = (compiled.string, tuple(
                (name, None if compiled.binds[name].required else fixed.get(name),
                 compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                for name in compiled.positiontup))
            self._compiled[dialect.name] = found
        return found

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> int | None:
        """Run it with `values` (every parameter the statement has no value of); the new row's id
        (the driver's lastrowid) for an INSERT."""
        if connection.dialect.name != "sqlite" or _is_watched(connection):
            return _inserted(connection.execute(self.statement, dict(values)))
        sql, parameters = self._for(connection.dialect)
        row = []
        for name, fixed, process in parameters:
            value = values[name] if fixed is None else values.get(name, fixed)
            row.append(value if process is None else process(value))
        driver: Any = connection.connection.driver_connection
        try:
            cursor = driver.execute(sql, row)
        except Exception as error:
            if _has_lost_transaction(driver):
                # SQLite rolled the whole transaction back (a full disk, an I/O error): sent again it would run
                # outside any transaction, so the error is raised as SQLAlchemy's execute raises it (its class).
                raise DBAPIError.instance(sql, row, error, connection.dialect.loaded_dbapi.Error,
                                          dialect=connection.dialect) from error
            return _inserted(connection.execute(self.statement, dict(values)))
        return cursor.lastrowid  # type: ignore[no-any-return]


def _has_lost_transaction(driver: Any) -> bool:
    """Whether the driver's connection is open but no longer in the transaction it was in (False when it is
    closed: sent again through SQLAlchemy, that error is classified as a lost connection)."""
    try:
        return not driver.in_transaction
    except Exception:
        return False


def _is_watched(connection: Connection) -> bool:
    dispatch: Any = connection.dispatch
    return bool(dispatch.before_cursor_execute or dispatch.after_cursor_execute)


def _inserted(result: Any) -> int | None:
    key = result.inserted_primary_key if result.context.isinsert else None
    return None if not key else int(key[0])
