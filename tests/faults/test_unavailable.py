"""A database that is locked, full, down or whose pooled connection died: quick 503s, never a hang or a 500."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from booking import create_app
from booking.extensions import db
from booking.models import Booking
from booking.services import feeds
from tests.conftest import future_day

DAY = future_day(5)
FORM = {"day": DAY.date().isoformat(), "start_time": "10:00", "end_time": "11:00", "title": "Kick-off"}


def bookings():
    db.session.rollback()
    return db.session.scalar(db.select(db.func.count(Booking.id)))


@pytest.fixture
def member(client, create_user, create_space):
    create_space(slug="studio")
    user = create_user(locale="en")
    client.login(user.email)
    return user


def assert_unavailable(response, language="en"):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    expected = ("Please try again in a few seconds." if language == "en" else "数秒後にもう一度お試しください。")
    assert expected in page


@contextmanager
def write_lock_held_elsewhere(database_url, release_after=None):
    """Another process's transaction holds the lock a booking write needs (released after `release_after` s)."""
    is_sqlite = database_url.startswith("sqlite")
    space_id = db.session.scalar(text("SELECT id FROM spaces"))
    db.session.rollback()
    other = create_engine(database_url, connect_args={"isolation_level": None} if is_sqlite else {})
    try:
        with other.connect() as holder:
            if is_sqlite:
                holder.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                holder.exec_driver_sql(f"SELECT id FROM spaces WHERE id = {space_id} FOR UPDATE")
            timer = threading.Timer(release_after or 0, holder.rollback)
            if release_after is not None:
                timer.start()
            yield
            if release_after is not None:
                timer.join()
            holder.rollback()
    finally:
        other.dispose()


def test_on_sqlite_a_write_under_a_lock_held_elsewhere_answers_503_within_5_s_and_reads_still_answer(
        app, client, member, database_url):
    if not database_url.startswith("sqlite"):
        # PostgreSQL locks one space's row for ms at a time; a write queues behind it.
        with write_lock_held_elsewhere(database_url, release_after=1.0):
            assert client.get("/spaces/studio").status_code == 200  # reads take no row lock
            assert client.submit("/spaces/studio/book", FORM).status_code == 302
        assert bookings() == 1
        return
    with write_lock_held_elsewhere(database_url):
        started = time.monotonic()
        response = client.submit("/spaces/studio/book", FORM)
        write_took = time.monotonic() - started
        started = time.monotonic()
        page = client.get("/spaces/studio")
        read_took = time.monotonic() - started

    assert_unavailable(response)
    assert write_took < 5
    assert page.status_code == 200 and read_took < 1
    assert bookings() == 0
    assert client.submit("/spaces/studio/book", FORM).status_code == 302  # the lock is gone: normal again


def test_the_503_page_is_in_the_members_language(app, client, create_user, create_space, database_url):
    create_space(slug="studio")
    client.login(create_user(locale="ja").email)
    refused = write_lock_held_elsewhere if database_url.startswith("sqlite") else full_disk

    with refused(database_url):
        response = client.submit("/spaces/studio/book", FORM)

    assert_unavailable(response, language="ja")


class full_disk:
    """Writes fail as on a full disk: SQLite may not grow the file; PostgreSQL raises 53100 (disk_full)."""

    def __init__(self, database_url):
        self.is_sqlite = database_url.startswith("sqlite")

    def __enter__(self):
        if self.is_sqlite:
            db.engine.dispose()
            event.listen(db.engine, "connect", _no_growth)
        else:
            db.session.execute(text(
                "CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; "
                "END $$"))
            db.session.execute(text("CREATE TRIGGER test_disk_full BEFORE INSERT ON bookings "
                                    "FOR EACH ROW EXECUTE FUNCTION test_disk_full()"))
            db.session.commit()
        return self

    def __exit__(self, *_exc):
        if self.is_sqlite:
            event.remove(db.engine, "connect", _no_growth)
            db.engine.dispose()
        else:
            db.session.rollback()
            db.session.execute(text("DROP TRIGGER test_disk_full ON bookings"))
            db.session.execute(text("DROP FUNCTION test_disk_full()"))
            db.session.commit()


def _no_growth(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    pages = cursor.execute("PRAGMA page_count").fetchone()[0]
    cursor.execute(f"PRAGMA max_page_count={pages}")
    cursor.close()


def test_a_full_disk_answers_503_on_writes_and_pages_still_answer(app, client, member, database_url):
    with full_disk(database_url):
        # Enough writes that SQLite's WAL has to grow the database file.
        responses = [client.submit("/spaces/studio/book", {**FORM, "start_time": f"{9 + n}:00",
                                                           "end_time": f"{9 + n}:30"}) for n in range(3)]
        page = client.get("/spaces/studio")

    assert {r.status_code for r in responses} <= {503, 302}
    assert 503 in {r.status_code for r in responses}
    assert_unavailable(next(r for r in responses if r.status_code == 503))
    assert page.status_code == 200


def kill_pooled_connections(database_url):
    """The server side of every idle pooled connection goes away, as in a database restart."""
    db.session.remove()
    if database_url.startswith("sqlite"):
        for record in list(db.engine.pool._pool.queue):
            if record.dbapi_connection is not None:
                record.dbapi_connection.close()
        held = getattr(feeds._held, "connection", None)  # the feed validators' own connection
        if held is not None and held.dbapi_connection is not None:
            held.dbapi_connection.close()
        return 0
    other = create_engine(database_url)
    with other.connect() as conn:
        killed = conn.scalar(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"))
    other.dispose()
    return killed


def test_a_dead_pooled_connection_is_replaced_and_the_request_retried_once(
        app, client, member, database_url, caplog):
    assert client.get("/spaces/studio").status_code == 200
    kill_pooled_connections(database_url)

    with caplog.at_level(logging.WARNING, logger="booking.views.errors"):
        page = client.get("/spaces/studio")
        kill_pooled_connections(database_url)
        booked = client.submit("/spaces/studio/book", FORM)

    assert page.status_code == 200
    assert booked.status_code == 302
    assert bookings() == 1
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert 1 <= len(retries) <= 2


def test_feed_polls_after_the_connections_died_are_answered_never_500(app, client, member, database_url):
    """Calendar apps poll through the feeds' own connection (issue 21): a restart must not give them 500s.

    Found by a break-it run: after pg_terminate_backend, each worker answered its next poll 500
    (the bare driver's AdminShutdown was neither retried nor a 503, and the pool kept its dead
    connections for the next try).
    """
    url = "/spaces/studio/calendar.ics"
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]

    answers = []
    for _ in range(3):
        kill_pooled_connections(database_url)
        answers.append(client.get(url, headers={"If-None-Match": etag}).status_code)
        kill_pooled_connections(database_url)
        answers.append(client.get(url).status_code)

    assert answers == [304, 200] * 3


def test_a_database_that_is_down_answers_503_pages(tmp_path: Path, database_url):
    from tests.mail.conftest import free_port

    if database_url.startswith("sqlite"):
        down = f"sqlite:///{tmp_path / 'gone' / 'booking.sqlite'}"  # the volume is not there
    else:
        down = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/booking"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": down, "SECRET_KEY": "t"})
    app.instance_path = str(tmp_path)

    started = time.monotonic()
    response = app.test_client().get("/spaces/studio")

    assert_unavailable(response, language="ja")
    assert time.monotonic() - started < 5
