"""A database connection that dies in the middle of a signed-in member's request: the request is run
once more on a fresh connection, or answered 503 with Retry-After, never 500.

As when PostgreSQL is stopped or restarted under load (`test_real_processes.py`): the member's
account has been read on the connection, then its server side ends. Found there: the end of
the dead transaction raised from the PostgreSQL rollback hook (booking/db.py), the request's
session was closed instead of rolled back, and the retry met the account detached from it
(DetachedInstanceError, a 500). PostgreSQL: the backend is ended with pg_terminate_backend;
SQLite: the driver's connection is closed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError

from booking.extensions import db
from booking.models import Booking, User
from booking.services import report_cache
from booking.services.transactions import run_write
from tests.conftest import future_day
from tests.faults.test_unavailable import assert_unavailable

DAY = future_day(5).date().isoformat()
FORM = {"day": DAY, "start_time": "10:00", "end_time": "11:00", "title": "Kick-off"}


class Killer:
    """Ends the server side of the app's connection `times` times: each time just before the first
    statement `dies_before` picks (COMMIT included) that follows one containing `after`."""

    def __init__(self, database_url: str, dies_before: Callable[[str], bool], after: str, times: int) -> None:
        self.is_sqlite = database_url.startswith("sqlite")
        self.other = None if self.is_sqlite else create_engine(database_url, isolation_level="AUTOCOMMIT")
        self.dies_before, self.after, self.left, self.killed = dies_before, after, times, 0
        self.is_armed = False

    def statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.left and self.is_armed and self.dies_before(statement):
            self.kill(conn)
        if self.after in statement:
            self.is_armed = True

    def commit(self, conn: Any) -> None:
        if self.left and self.is_armed and self.dies_before("COMMIT"):
            self.kill(conn)

    def kill(self, conn: Any) -> None:
        self.left -= 1
        self.killed += 1
        self.is_armed = False
        driver = conn.connection.driver_connection
        if self.is_sqlite:
            driver.close()
            return
        with self.other.connect() as other:  # type: ignore[union-attr]
            # Waits (up to 5 s) until the backend has ended: the app's next statement meets a closed connection.
            assert other.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": driver.info.backend_pid})


@contextmanager
def connection_dies(database_url: str, dies_before: Callable[[str], bool], after: str = "FROM users",
                    times: int = 1) -> Iterator[Killer]:
    """By default the connection dies after the signed-in account was read on it."""
    killer = Killer(database_url, dies_before, after, times)
    event.listen(db.engine, "before_cursor_execute", killer.statement)
    event.listen(db.engine, "commit", killer.commit)
    try:
        yield killer
    finally:
        event.remove(db.engine, "before_cursor_execute", killer.statement)
        event.remove(db.engine, "commit", killer.commit)
        if killer.other is not None:
            killer.other.dispose()


def any_statement(_statement: str) -> bool:
    return True


def the_desks_read_ahead_of_the_lock(statement: str) -> bool:
    return "FROM booking_holds" in statement and "FOR UPDATE" not in statement


def the_booking_insert(statement: str) -> bool:
    return "INSERT INTO bookings" in statement  # PostgreSQL: inside one WITH … statement


def the_commit(statement: str) -> bool:
    return statement == "COMMIT"


@pytest.fixture
def member(client, create_user, create_space):
    create_space(slug="studio")
    create_space(slug="desks", kind="pooled", unit_count=4)
    user = create_user(locale="en")
    client.login(user.email)
    db.session.remove()
    return user


def bookings() -> int:
    db.session.rollback()
    return int(db.session.scalar(db.select(db.func.count(Booking.id))) or 0)


@pytest.mark.parametrize("url", ["/spaces/studio", "/bookings", "/spaces/desks"])
def test_a_page_whose_connection_dies_after_the_account_was_read_is_answered_on_a_fresh_one(
        app, client, member, database_url, url, caplog):
    with caplog.at_level(logging.WARNING, logger="booking.views.errors"), \
            connection_dies(database_url, any_statement) as killer:
        page = client.get(url)

    assert killer.killed == 1
    assert page.status_code == 200
    assert [r for r in caplog.records if "retrying" in r.getMessage()]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


RUN_AGAIN, UNAVAILABLE = "run again on a fresh connection", "503, never run again"

# Where a booking POST's connection dies, and what the member gets, on PostgreSQL and on SQLite. A request
# is run again only while it has sent no COMMIT (booking.resilience marks it just before one is sent): the
# outcome of a COMMIT whose connection is lost is unknown, and running the booking again could book twice.
# On PostgreSQL the request's read transaction becomes its write transaction (transactions._is_continuable),
# so the booking's COMMIT is its first; SQLite commits the read before BEGIN IMMEDIATE.
BOOKING_CONNECTION_DIES = {
    "while reading ahead of the lock": (the_desks_read_ahead_of_the_lock, "FROM users", RUN_AGAIN, RUN_AGAIN),
    "at the request's first COMMIT": (the_commit, "FROM users", UNAVAILABLE, UNAVAILABLE),
    "under the lock, before the COMMIT": (the_booking_insert, "FROM users", RUN_AGAIN, UNAVAILABLE),
    "at the booking's COMMIT": (the_commit, "INSERT INTO bookings", UNAVAILABLE, UNAVAILABLE),
}


@pytest.mark.parametrize("case", list(BOOKING_CONNECTION_DIES))
def test_a_booking_whose_connection_dies_is_run_again_before_any_commit_and_a_503_from_one_on(
        app, client, member, database_url, case, caplog):
    dies_before, after, on_postgresql, on_sqlite = BOOKING_CONNECTION_DIES[case]
    with caplog.at_level(logging.WARNING), connection_dies(database_url, dies_before, after) as killer:
        response = client.submit("/spaces/desks/book", FORM)

    assert killer.killed == 1
    if (on_sqlite if killer.is_sqlite else on_postgresql) == RUN_AGAIN:
        assert response.status_code == 302
        assert bookings() == 1
        assert [r for r in caplog.records if "retrying" in r.getMessage()]
    else:
        assert_unavailable(response)
        assert bookings() == 0  # the COMMIT never reached the server; the member cannot know that
        assert not [r for r in caplog.records if "retrying" in r.getMessage()]
        assert client.submit("/spaces/desks/book", FORM).status_code == 302  # and normal service after
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


WRITE = text("UPDATE spaces SET name_en = 'Written once' WHERE slug = 'studio'")


@pytest.fixture
def write_then_read(app):
    """Two forms whose page writes, then reads: one commits the write first (as a view that reads after its
    service committed), the other only releases a savepoint, which commits nothing."""
    def committed() -> str:
        run_write(None, lambda session: session.execute(WRITE))
        return str(db.session.scalar(text("SELECT 'read after the commit'")))

    def released() -> str:
        with db.session.begin_nested():
            db.session.execute(WRITE)
        return str(db.session.scalar(text("SELECT 'read after the savepoint'")))

    app.add_url_rule("/test/commit-then-read", "commit_then_read", committed, methods=["POST"])
    app.add_url_rule("/test/savepoint-then-read", "savepoint_then_read", released, methods=["POST"])


def written_names() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(text("SELECT name_en FROM spaces WHERE name_en = 'Written once'")))


def test_a_request_whose_connection_dies_after_its_commit_is_a_503_and_its_write_stands(
        write_then_read, app, client, member, database_url, caplog):
    with caplog.at_level(logging.WARNING), \
            connection_dies(database_url, lambda s: "read after the commit" in s, "UPDATE spaces") as killer:
        response = client.submit("/test/commit-then-read")

    assert killer.killed == 1
    assert_unavailable(response)
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]
    assert written_names() == ["Written once"]


def test_a_request_whose_connection_dies_after_releasing_a_savepoint_is_run_again(
        write_then_read, app, client, member, database_url, caplog):
    with caplog.at_level(logging.WARNING), \
            connection_dies(database_url, lambda s: "read after the savepoint" in s, "UPDATE spaces") as killer:
        response = client.submit("/test/savepoint-then-read")

    assert killer.killed == 1
    assert response.status_code == 200
    assert [r for r in caplog.records if "retrying" in r.getMessage()]


@pytest.mark.parametrize("url", ["/spaces/studio", "/bookings"])
def test_a_page_whose_connection_dies_again_on_the_retry_is_a_translated_503(
        app, client, member, database_url, url, caplog):
    with caplog.at_level(logging.WARNING), connection_dies(database_url, any_statement, times=2) as killer:
        page = client.get(url)

    assert killer.killed == 2
    assert_unavailable(page)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_retry_after_a_rollback_that_failed_loads_the_account_again(
        app, client, member, database_url, monkeypatch):
    """Should even the rollback fail, the session is closed and its rows detached; the retry reads
    the account anew instead of touching the detached one (DetachedInstanceError, a 500)."""
    session = db.session()
    real_rollback, failures = session.rollback, []

    def rollback_that_fails_once() -> None:
        real_rollback()  # the rows expired, as a rollback that fails does before it raises
        if not failures:
            failures.append("rollback")
            raise RuntimeError("the rollback failed")

    monkeypatch.setattr(session, "rollback", rollback_that_fails_once)
    with connection_dies(database_url, any_statement) as killer:
        page = client.get("/spaces/studio")

    assert killer.killed == 1 and failures == ["rollback"]
    assert page.status_code == 200


def test_a_transaction_whose_connection_died_rolls_back_without_an_error_and_keeps_its_rows(
        app, create_user, database_url):
    """The PostgreSQL hook on ROLLBACK (booking/db.py) reads nothing of a connection SQLAlchemy invalidated."""
    user = create_user()
    user_id, email = user.id, user.email
    db.session.remove()
    with connection_dies(database_url, any_statement) as killer:
        account = db.session.get(User, user_id)
        with pytest.raises(DBAPIError) as died:
            db.session.execute(text("SELECT 1"))

    assert killer.killed == 1 and died.value.connection_invalidated
    db.session.rollback()  # raised PendingRollbackError on PostgreSQL, from the hook
    assert account in db.session  # expired, still attached: read again on a fresh connection
    assert account.email == email


def test_the_figures_whose_connection_dies_before_their_driver_level_query_are_answered_on_a_fresh_one(
        app, client, create_user, create_space, database_url, monkeypatch, caplog):
    """The figures' data version is read on the driver's connection (services.report_cache): its
    driver error must come back as SQLAlchemy's disconnect, retried, never a 500."""
    create_space(slug="studio")
    client.login(create_user(role="staff", locale="en").email)
    killer, real_compiled = Killer(database_url, any_statement, "", times=1), report_cache._compiled

    def dies_first(dialect):
        if killer.left:
            killer.kill(db.session.connection())
        return real_compiled(dialect)

    monkeypatch.setattr(report_cache, "_compiled", dies_first)
    try:
        with caplog.at_level(logging.WARNING):
            page = client.get("/staff/reports")
    finally:
        if killer.other is not None:
            killer.other.dispose()

    assert killer.killed == 1
    assert page.status_code == 200
    assert [r for r in caplog.records if "retrying" in r.getMessage()]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
