"""Declarative base, UTC instants, and the SQLite write-transaction hook."""

from __future__ import annotations

import contextvars
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase
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


SQLITE_BUSY_TIMEOUT_MS = 1500

# Set while a service opens a write transaction: on SQLite the next BEGIN becomes
# BEGIN IMMEDIATE, which takes the database write lock up front, so two writers
# never both read "free" and then both insert. Readers keep a plain deferred BEGIN.
sqlite_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "sqlite_immediate", default=False
)


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


def utcnow() -> datetime:
    return datetime.now(UTC)
