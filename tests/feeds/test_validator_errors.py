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


class _FailingCursor:
    """A validator cursor whose every query fails with `error`; counts the tries."""

    def __init__(self, error: Exception) -> None:
        self.error, self.tries = error, 0

    def execute(self, *_args: object) -> None:
        self.tries += 1
        raise self.error


def _fail_every_poll(monkeypatch: pytest.MonkeyPatch, error: Exception) -> _FailingCursor:
    """Every validator query fails with `error`, through SQLite's cursor or PostgreSQL's libpq path alike."""
    cursor = _FailingCursor(error)
    real = feeds._validator_connection

    def failing_connection(engine=None):
        connection, _cursor = real(engine)
        return connection, cursor

    monkeypatch.setattr(feeds, "_validator_connection", failing_connection)
    monkeypatch.setattr(feeds, "_rows_through_libpq", lambda *_args: cursor.execute())
    return cursor


def test_a_poll_whose_validator_connection_died_is_answered_on_a_fresh_one(app, space):
    feeds.space_feed("studio")
    dead = feeds._held.connection
    dead.dbapi_connection.close()  # as a restart or a proxy would leave it

    assert feeds.space_feed("studio").etag
    assert feeds._held.connection is not dead


def test_a_poll_whose_fresh_connection_is_lost_too_raises_sqlalchemys_error_marked_invalidated(
        app, space, monkeypatch):
    from sqlalchemy.exc import DBAPIError

    cursor = _fail_every_poll(monkeypatch, _lost_connection_error())

    with pytest.raises(DBAPIError) as raised:
        feeds.space_feed("studio")

    assert raised.value.connection_invalidated is True and cursor.tries == 2


def test_a_driver_error_on_a_live_validator_connection_is_raised_at_once_without_a_retry(app, space, monkeypatch):
    from sqlalchemy.exc import DBAPIError

    cursor = _fail_every_poll(monkeypatch, _busy_error())

    with pytest.raises(DBAPIError) as raised:
        feeds.space_feed("studio")

    assert raised.value.connection_invalidated is False and cursor.tries == 1


def test_an_error_that_is_not_the_drivers_comes_out_of_a_poll_unchanged(app, space, monkeypatch):
    cursor = _fail_every_poll(monkeypatch, KeyError("not the driver's"))

    with pytest.raises(KeyError):
        feeds.space_feed("studio")
    assert cursor.tries == 1


def test_polls_of_one_thread_share_one_validator_connection_until_it_is_dropped_and_closed(app, space):
    feeds.space_feed("studio")
    first = feeds._held.connection
    feeds.space_feed("studio")
    assert feeds._held.connection is first
    driver = first.dbapi_connection

    feeds._drop_validator_connection()

    assert feeds._held.connection is None
    if _is_postgresql():
        assert driver.closed
    else:
        with pytest.raises(sqlite3.ProgrammingError):
            driver.execute("SELECT 1")


def test_a_validator_connection_that_fails_to_close_is_dropped_with_a_debug_line(app, caplog):
    class Unclosable:
        def close(self) -> None:
            raise OSError("already gone")

    feeds._held.connection = Unclosable()

    with caplog.at_level("DEBUG", logger="booking.services.feeds"):
        feeds._drop_validator_connection()

    assert feeds._held.connection is None
    assert [r.getMessage() for r in caplog.records] == ["closing a validator connection failed"]
    assert caplog.records[0].exc_info and caplog.records[0].exc_info[0] is OSError


def test_validator_polls_read_outside_a_transaction_so_each_sees_the_last_commit(app, space):
    feeds.space_feed("studio")
    driver = feeds._held.connection.dbapi_connection
    if _is_postgresql():
        assert driver.autocommit is True
    else:
        assert driver.in_transaction is False
