"""feeds._connection_lost: how a driver error on the validators' own DBAPI connection is read, on each engine.

The validators run past SQLAlchemy's execution layer, so this function does what SQLAlchemy would
do on a disconnect: it wraps the driver's error, marks a lost connection, and replaces the pool.
"""

from __future__ import annotations

import sqlite3

import pytest

from booking.extensions import db
from booking.services import feeds


def _is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _lost_connection_error() -> Exception:
    """What the driver raises once the server side of a connection is gone."""
    if _is_postgresql():
        import psycopg

        return psycopg.OperationalError("server closed the connection unexpectedly")
    return sqlite3.ProgrammingError("Cannot operate on a closed database.")


def _busy_error() -> Exception:
    """A driver error on a live connection."""
    if _is_postgresql():
        import psycopg

        return psycopg.IntegrityError("duplicate key value violates unique constraint")
    return sqlite3.OperationalError("database is locked")


def test_an_error_that_is_not_the_drivers_is_left_to_the_caller(app):
    connection, _cursor = feeds._validator_connection()
    pool = db.engine.pool

    assert feeds._connection_lost(ValueError("not the driver's"), connection) is None
    assert db.engine.pool is pool


def test_a_lost_connection_comes_back_as_sqlalchemys_error_marked_invalidated_and_the_pool_is_replaced(app):
    connection, _cursor = feeds._validator_connection()
    pooled = db.engine.raw_connection()
    kept = pooled.dbapi_connection
    pooled.close()  # back in the pool, idle
    pool = db.engine.pool
    error = _lost_connection_error()

    lost = feeds._connection_lost(error, connection)

    assert lost is not None and lost.orig is error
    assert lost.connection_invalidated is True
    assert db.engine.pool is not pool
    # The old pool is dropped, not closed (what SQLAlchemy does on a disconnect): its idle connection still works.
    (cursor := kept.cursor()).execute("SELECT 1")
    assert cursor.fetchall() == [(1,)]
    kept.close()


def test_a_driver_error_on_a_live_connection_comes_back_as_sqlalchemys_error_and_keeps_the_pool(app):
    connection, _cursor = feeds._validator_connection()
    pool = db.engine.pool
    error = _busy_error()

    lost = feeds._connection_lost(error, connection)

    assert lost is not None and lost.orig is error
    assert lost.connection_invalidated is False
    assert db.engine.pool is pool


def test_on_sqlite_a_locked_database_is_not_a_lost_connection_and_on_postgresql_any_operational_error_is(app):
    connection, _cursor = feeds._validator_connection()
    if _is_postgresql():
        import psycopg

        error: Exception = psycopg.OperationalError("an unfamiliar message")
    else:
        error = sqlite3.OperationalError("database is locked")

    lost = feeds._connection_lost(error, connection)

    assert lost is not None and lost.connection_invalidated is _is_postgresql()


def test_any_driver_error_on_a_connection_the_driver_has_closed_is_a_lost_connection_on_postgresql(app):
    dbapi = db.engine.dialect.loaded_dbapi
    connection = db.engine.raw_connection()
    connection.detach()
    connection.dbapi_connection.close()
    error = dbapi.DatabaseError("an unfamiliar message")

    lost = feeds._connection_lost(error, connection)

    # SQLite's driver says nothing of a closed connection but its own message; psycopg's connection says it is closed.
    assert lost is not None and lost.connection_invalidated is _is_postgresql()


@pytest.fixture(autouse=True)
def _fresh_validator_connection(app):
    yield
    feeds._drop_validator_connection()
