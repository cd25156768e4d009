"""What a write (a request's, or a job's) makes of each database error: a clash, another try, or a 503.

The errors are built as SQLAlchemy wraps the drivers' own (sqlite3, psycopg), with the
messages and SQLSTATEs those drivers give; tests/concurrency and tests/faults provoke the
real ones with real locks and processes.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
from types import SimpleNamespace

import psycopg
import psycopg.errors as pg
import pytest
from sqlalchemy.exc import DBAPIError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from booking import create_app
from booking.extensions import db
from booking.services import transactions
from booking.services.transactions import (
    _is_ours_holding,
    is_guard_refusal,
    is_transient,
    is_unavailable,
    run_write,
)


def wrapped(orig: Exception, *, invalidated: bool = False) -> DBAPIError:
    """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError…, by the driver's class)."""
    base = sqlite3.Error if isinstance(orig, sqlite3.Error) else psycopg.Error
    error = DBAPIError.instance("INSERT …", {}, orig, base, connection_invalidated=invalidated)
    assert isinstance(error, DBAPIError)
    return error


SQLITE_GUARD = sqlite3.IntegrityError("booking_holds_overlap: unit 1 is held from 10:00")
PG_EXCLUSION = pg.ExclusionViolation('conflicting key value violates exclusion constraint "ex_holds_no_overlap"')
SQLITE_UNIQUE = sqlite3.IntegrityError("UNIQUE constraint failed: bookings.submit_token")
PG_UNIQUE = pg.UniqueViolation('duplicate key value violates unique constraint "uq_bookings_submit_token"')


@pytest.mark.parametrize("orig", [SQLITE_GUARD, PG_EXCLUSION], ids=["sqlite trigger", "postgresql exclusion"])
def test_the_overlap_guard_refusing_a_hold_is_a_clash(orig):
    assert is_guard_refusal(wrapped(orig))


@pytest.mark.parametrize("orig", [SQLITE_UNIQUE, PG_UNIQUE], ids=["sqlite unique", "postgresql unique"])
def test_another_integrity_error_is_not_a_clash(orig):
    assert not is_guard_refusal(wrapped(orig))


def test_only_an_integrity_error_is_a_clash_even_when_it_names_the_guard():
    assert not is_guard_refusal(wrapped(sqlite3.OperationalError("booking_holds_overlap is locked")))
    assert not is_guard_refusal(ValueError("booking_holds_overlap"))


@pytest.mark.parametrize("orig", [
    pg.SerializationFailure("could not serialize access due to concurrent update"),
    pg.DeadlockDetected("deadlock detected"),
    pg.LockNotAvailable('could not obtain lock on row in relation "spaces"'),
    sqlite3.OperationalError("database is locked"),
    sqlite3.OperationalError("database table is locked"),
    sqlite3.OperationalError("SQLITE_BUSY: database is busy"),
], ids=["serialization", "deadlock", "nowait lock", "sqlite locked", "sqlite table locked", "sqlite busy"])
def test_a_busy_database_is_worth_another_try(orig):
    assert is_transient(wrapped(orig))


@pytest.mark.parametrize("orig", [
    sqlite3.OperationalError("disk I/O error"),
    sqlite3.IntegrityError("the row is locked by a CHECK named busy"),  # the words, but not a busy database
    SQLITE_GUARD,
    pg.UniqueViolation("key locked in"),
    pg.AdminShutdown("terminating connection due to administrator command"),
], ids=["sqlite io", "sqlite integrity", "guard", "postgresql unique", "postgresql shutdown"])
def test_other_database_errors_are_not_tried_again(orig):
    assert not is_transient(wrapped(orig))


def test_an_error_that_is_not_the_databases_is_not_tried_again():
    assert not is_transient(ValueError("database is locked"))


@pytest.mark.parametrize("error", [
    PoolTimeout("QueuePool limit of size 5 overflow 10 reached"),
    PendingRollbackError("This Session's transaction has been rolled back due to a previous exception"),
], ids=["pool exhausted", "pending rollback"])
def test_a_connection_the_pool_could_not_give_is_unavailable(error):
    assert is_unavailable(error)


@pytest.mark.parametrize("orig", [
    pg.AdminShutdown("terminating connection due to administrator command"),
    pg.CannotConnectNow("the database system is starting up"),
    pg.DiskFull("could not extend file: No space left on device"),
    pg.ConnectionFailure("server closed the connection unexpectedly"),
    psycopg.OperationalError("connection refused"),  # no SQLSTATE: the server never answered
    pg.SerializationFailure("could not serialize access"),  # retried until the tries ran out
    sqlite3.OperationalError("database is locked"),
    sqlite3.OperationalError("database or disk is full"),
    sqlite3.OperationalError("disk I/O error"),
    sqlite3.OperationalError("unable to open database file"),
], ids=["pg shutdown", "pg starting", "pg disk full", "pg connection lost", "pg refused", "pg retried",
        "sqlite locked", "sqlite full", "sqlite io", "sqlite cannot open"])
def test_a_database_that_cannot_serve_now_is_unavailable(orig):
    assert is_unavailable(wrapped(orig))


@pytest.mark.parametrize("orig", [
    PG_UNIQUE,
    pg.SyntaxError('syntax error at or near "SELEC"'),
    pg.QueryCanceled("canceling statement due to statement timeout"),  # operational, but its SQLSTATE decides
    SQLITE_UNIQUE,
    sqlite3.OperationalError("no such table: bookings"),
    psycopg.InterfaceError("the connection is closed by the program"),  # no SQLSTATE, not operational
], ids=["pg unique", "pg syntax", "pg cancelled", "sqlite unique", "sqlite no table", "pg interface"])
def test_a_database_error_of_the_programs_own_making_is_not_unavailable(orig):
    assert not is_unavailable(wrapped(orig))


def test_a_connection_sqlalchemy_invalidated_is_unavailable_whatever_its_error():
    assert is_unavailable(wrapped(pg.UniqueViolation("duplicate key"), invalidated=True))


def test_an_error_that_is_not_the_databases_is_not_unavailable():
    assert not is_unavailable(ValueError("database is locked"))


@pytest.mark.parametrize(("marker", "ours"), [
    (None, False),  # not SQLite: no marker
    ((7, 4096, 20, 10), True),  # one of our writers took the lock (writer-in) and has not let go
    ((7, 4096, 20, 20), False),  # it let go at the same instant
    ((7, 4096, 10, 20), False),  # it let go
], ids=["no marker", "holding", "released same instant", "released"])
def test_the_write_lock_counts_as_held_by_one_of_ours_only_between_taking_and_letting_go(marker, ours):
    assert _is_ours_holding(marker) is ours


def _busy():
    return wrapped(sqlite3.OperationalError("database is locked"))


def test_a_write_refused_as_busy_is_tried_again_with_a_longer_pause_each_time_and_logged(app, monkeypatch, caplog):
    pauses, calls = [], []
    monkeypatch.setattr(transactions.random, "uniform", lambda low, high: high)
    monkeypatch.setattr(transactions.time, "sleep", pauses.append)
    caplog.set_level(logging.INFO, logger="booking.services.transactions")

    def work(session):
        calls.append(len(calls) + 1)
        if len(calls) < 3:
            raise _busy()
        return "written"

    assert run_write(None, work) == "written"
    assert calls == [1, 2, 3]
    assert pauses == [pytest.approx(0.05), pytest.approx(0.10)]
    assert [r.getMessage() for r in caplog.records if r.name == "booking.services.transactions"] == [
        "retrying a write after OperationalError (attempt 1)", "retrying a write after OperationalError (attempt 2)"]


def test_a_write_busy_every_time_gives_up_after_its_number_of_attempts_with_the_last_error(app, monkeypatch):
    monkeypatch.setattr(transactions.time, "sleep", lambda seconds: None)
    calls = []

    def work(session):
        calls.append(1)
        raise _busy()

    with pytest.raises(DBAPIError) as refused:
        run_write(None, work, attempts=3)
    assert len(calls) == 3 and is_unavailable(refused.value)


def test_a_write_refused_for_another_reason_is_not_tried_again(app):
    calls = []

    def work(session):
        calls.append(1)
        raise wrapped(SQLITE_UNIQUE)

    with pytest.raises(DBAPIError):
        run_write(None, work)
    assert len(calls) == 1


def test_a_write_on_sqlite_leaves_the_hint_files_other_writers_watch(app, database_url):
    run_write(None, lambda session: None)

    if not database_url.startswith("sqlite"):
        assert transactions._sqlite_path() is None  # PostgreSQL: its row lock needs no hint
        return
    path = database_url.removeprefix("sqlite:///")
    assert os.path.exists(path + "-writer-in") and os.path.exists(path + "-writer-out")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite:///:memory:"],
                         ids=["in memory", "temporary file", "named in memory"])
def test_a_write_on_a_database_without_a_file_watches_and_leaves_no_hint_files(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where a hint file named after an empty or in-memory database would appear
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t"})
    with app.app_context():
        assert run_write(None, lambda session: "written") == "written"
        assert transactions._commit_marker() is None
        db.engine.dispose()
    assert list(tmp_path.iterdir()) == []


def _scratch(path: str) -> sqlite3.Connection:
    """A connection of another program to the test database (autocommit), with a table of its own."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE IF NOT EXISTS scratch (blob BLOB)")
    return other


def _sqlite_file(database_url: str) -> str | None:
    """The test database's file; None on PostgreSQL, where writers wait on a row lock, not on a WAL file."""
    return database_url.removeprefix("sqlite:///") if database_url.startswith("sqlite") else None


def test_a_commit_is_seen_by_the_wal_growing_even_when_its_mtime_did_not_move(app, database_url):
    """Two commits within one tick of the file system's clock leave the WAL's mtime alone: its size tells."""
    path = _sqlite_file(database_url)
    if path is None:
        return
    other = _scratch(path)
    before = transactions._commit_marker()
    wal = os.stat(path + "-wal")
    other.execute("INSERT INTO scratch VALUES (randomblob(8000))")
    os.utime(path + "-wal", ns=(wal.st_atime_ns, wal.st_mtime_ns))
    assert os.stat(path + "-wal").st_size > wal.st_size
    assert transactions._commit_marker() != before
    other.close()


def test_a_commit_is_seen_by_the_wal_mtime_when_it_rewrote_the_wal_in_place(app, database_url):
    """After a checkpoint the next commit writes the WAL from its start again: same size, a new mtime."""
    path = _sqlite_file(database_url)
    if path is None:
        return
    other = _scratch(path)
    other.execute("INSERT INTO scratch VALUES (randomblob(8000))")
    other.execute("PRAGMA wal_checkpoint(RESTART)")
    size = os.stat(path + "-wal").st_size
    os.utime(path + "-wal", ns=(10**9, 10**9))  # long ago: any write moves it
    before = transactions._commit_marker()
    other.execute("INSERT INTO scratch VALUES (randomblob(8000))")
    assert os.stat(path + "-wal").st_size == size
    assert transactions._commit_marker() != before
    other.close()


def test_a_write_waiting_on_a_lock_another_program_holds_gives_up_once_nobody_committed_for_a_while(
    app, database_url, monkeypatch
):
    """Busy while nobody commits and no writer of ours holds the lock: stuck, a 503 after STALL_S, not 25 s."""
    path = _sqlite_file(database_url)
    if path is None:
        return
    # Each try waits 1 ms for the lock, not 1.5 s (booking.db the module: the package's `db` is the extension).
    monkeypatch.setattr(sys.modules["booking.db"], "SQLITE_BUSY_TIMEOUT_MS", 1)
    db.engine.dispose()
    ticks = iter(range(1000))  # a clock that moves one second each time it is read
    monkeypatch.setattr(transactions, "time", SimpleNamespace(monotonic=lambda: float(next(ticks)),
                                                              sleep=lambda seconds: None))
    other = _scratch(path)
    other.execute("BEGIN IMMEDIATE")
    tries = []
    try:
        with pytest.raises(DBAPIError) as refused:
            run_write(None, lambda session: tries.append(1))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert is_unavailable(refused.value)
    # read at the start (0 s), then after each failed try: 1 s, 2 s, 3 s > STALL_S = 2.5 s
    assert next(ticks) == 4 and tries == []
