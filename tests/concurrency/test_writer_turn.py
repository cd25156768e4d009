"""On SQLite our writers take turns by a flock before BEGIN IMMEDIATE (transactions._take_turn), so one
waiting for another is let in as soon as the other's transaction ends, not after SQLite's busy sleeps."""

from __future__ import annotations

import fcntl
import os
import sys
import threading
from types import SimpleNamespace

import pytest

from booking.extensions import db
from booking.services.transactions import run_write


def _turn_file(database_url: str) -> str | None:
    """The turn file beside a SQLite database; None on PostgreSQL, whose writers wait on the space's row lock."""
    if not database_url.startswith("sqlite"):
        return None
    return database_url.removeprefix("sqlite:///") + "-writer-turn"


def _no_turn_on_postgresql() -> None:
    """On PostgreSQL a writer takes no turn (no file, no wait) and writes as usual."""
    from booking.services import transactions

    assert transactions._take_turn() is None
    assert run_write(None, lambda session: "written") == "written"


def _held_turn(path: str) -> int:
    """The turn taken as another process of ours takes it (its own open file)."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    return descriptor


def test_a_write_waits_for_the_writer_whose_turn_it_is_and_goes_on_when_it_ends(app, database_url):
    path = _turn_file(database_url)
    if path is None:
        return _no_turn_on_postgresql()
    holder = _held_turn(path)
    written = threading.Event()

    def write() -> None:
        with app.app_context():
            run_write(None, lambda session: written.set())
            db.session.remove()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert not written.wait(0.2)  # still waiting for its turn
    finally:
        os.close(holder)
    writer.join(10)
    assert written.is_set() and not writer.is_alive()


def test_a_turn_held_past_the_busy_timeout_is_not_waited_for_any_longer(app, database_url, monkeypatch):
    """A writer of ours stuck with the turn but not the database lock (say, stopped before BEGIN) stops no one."""
    path = _turn_file(database_url)
    if path is None:
        return _no_turn_on_postgresql()
    holder = _held_turn(path)
    monkeypatch.setattr(sys.modules["booking.db"], "SQLITE_BUSY_TIMEOUT_MS", 1)
    try:
        assert run_write(None, lambda session: "written") == "written"
    finally:
        os.close(holder)


def test_a_write_gives_its_turn_back_when_it_fails(app, database_url):
    path = _turn_file(database_url)
    if path is None:
        return _no_turn_on_postgresql()

    with pytest.raises(ZeroDivisionError):
        run_write(None, lambda session: 1 / 0)

    descriptor = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises BlockingIOError if still held
    finally:
        os.close(descriptor)


def test_a_turn_is_waited_for_a_quarter_of_the_busy_timeout_at_most(app, database_url, monkeypatch):
    """A writer of ours that holds the turn while SQLite's lock is held elsewhere (another program, a stuck
    transaction) keeps the next writer from BEGIN IMMEDIATE for TURN_SHARE of the busy timeout, not all of it:
    the next writer's own BEGIN then waits the busy timeout, so its 503 comes after 1.25 of it per try."""
    from booking.services import transactions

    path = _turn_file(database_url)
    if path is None:
        return _no_turn_on_postgresql()
    holder = _held_turn(path)
    clock = {"now": 0.0}
    monkeypatch.setattr(transactions, "time", SimpleNamespace(  # this module's clock only, not the process's
        monotonic=lambda: clock["now"], sleep=lambda seconds: clock.update(now=clock["now"] + seconds)))
    try:
        assert transactions._take_turn() is None
    finally:
        os.close(holder)
    busy = sys.modules["booking.db"].SQLITE_BUSY_TIMEOUT_MS / 1000
    # Waited for the turn a while (the holder may let go any moment), but well short of the busy timeout.
    assert busy / 10 <= clock["now"] <= busy / 3


def test_a_write_made_after_another_commits_in_its_thread_waits_for_no_turn(app, database_url, monkeypatch):
    """The mail sent inline after a booking's commit records its outcome in a write of its own (booking/delivery.py,
    MAIL_BACKGROUND off), while the booking's write still holds the turn: that write goes ahead at once instead of
    waiting for its own thread's turn (and keeping every other writer waiting meanwhile)."""
    from sqlalchemy import event

    from booking.services import transactions

    path = _turn_file(database_url)
    if path is None:
        return _no_turn_on_postgresql()
    clock = {"now": 0.0}
    monkeypatch.setattr(transactions, "time", SimpleNamespace(
        monotonic=lambda: clock["now"], sleep=lambda seconds: clock.update(now=clock["now"] + seconds)))
    settled: list[str] = []

    def settle(_session: object) -> None:
        with app.app_context():  # as delivery._settle: its own session
            settled.append(run_write(None, lambda session: "settled"))
            db.session.remove()

    def book(session: object) -> str:
        event.listen(session, "after_commit", settle, once=True)
        return "booked"

    assert run_write(None, book) == "booked"
    assert settled == ["settled"]
    assert clock["now"] == 0.0  # never slept for a turn
    descriptor = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # both writes gave the turn back
    finally:
        os.close(descriptor)
