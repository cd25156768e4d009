"""run_write's bounds on retrying a busy write (attempts, LIMIT_S, STALL_S), the SQLite marker it reads to
tell a busy lock from a stuck one, and the writers' turn file (booking/services/transactions.py).

The clock is this module's own (transactions.time replaced), so no test sleeps through a retry's backoff.
"""

from __future__ import annotations

import fcntl
import math
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from booking.services import transactions
from booking.services.transactions import STALL_S, locked_space, run_write
from tests.conftest import engine_name


def _busy() -> OperationalError:
    """The refusal a busy SQLite gives (is_transient: worth another try) on either engine."""
    return OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


class _Clock:
    """transactions' clock: `monotonic` reads `now`; the sleeps take no time and are kept in `slept` (seconds)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    found = _Clock()
    monkeypatch.setattr(transactions, "time", SimpleNamespace(monotonic=found.monotonic, sleep=found.sleep))
    return found


def _tries(clock: _Clock, ends_at: Callable[[int], float]) -> int:
    """How many times run_write tries a write refused as busy every time, its n-th try ending at
    ends_at(n) on transactions' clock (seconds); the refusal must come out of it."""
    tries = 0

    def work(session: object) -> None:
        nonlocal tries
        tries += 1
        clock.now = ends_at(tries)
        raise _busy()

    with pytest.raises(OperationalError):
        run_write(None, work)
    return tries


def test_a_write_refused_as_busy_every_time_is_tried_twenty_times_then_the_refusal_is_raised(app: Any,
                                                                                           clock: _Clock) -> None:
    assert _tries(clock, lambda n: 0.0) == 20
    # Between tries a random backoff of 10–50 ms times the tries so far, so crowded writers spread out.
    assert len(clock.slept) == 19
    assert all(0.01 * n <= seconds <= 0.05 * n for n, seconds in enumerate(clock.slept, start=1))


def test_a_busy_write_is_not_tried_again_once_the_time_limit_has_passed(app: Any, clock: _Clock,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """LIMIT_S (25 s) bounds the tries in time: gunicorn kills a worker at 30 s."""
    assert _tries(clock, lambda n: transactions.LIMIT_S + 1) == 1  # the first try took past the limit


def test_on_sqlite_a_lock_nobody_commits_under_for_the_stall_time_is_given_up_on(app: Any, clock: _Clock,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """No commit for STALL_S and the lock not held by a writer of ours: stuck (a backup, a stopped process),
    so the write answers 503 at once. PostgreSQL has no such marker: there only the count and time bound it."""
    # Refused at BEGIN IMMEDIATE, as a held lock refuses: before the try marks itself in and out.
    monkeypatch.setattr(transactions, "_touch", lambda suffix: None)
    run_write(None, lambda session: None)  # the database's write-ahead log is made, as on a floor in use
    tries = _tries(clock, lambda n: n * (STALL_S + 0.5))  # each try waits out more than the stall time

    # PostgreSQL goes on until the tries have taken LIMIT_S: the try that ends past it is the last.
    assert tries == (1 if engine_name() == "sqlite" else math.floor(transactions.LIMIT_S / (STALL_S + 0.5)) + 1)


def test_a_write_is_given_its_space_in_the_session_unless_it_asks_for_the_shared_read(app: Any,
                                                                                      create_space: Any) -> None:
    space = create_space()

    assert run_write(space.id, locked_space) is None
    shared = run_write(space.id, locked_space, shared_space=True)
    assert shared is not None and shared.read.space.id == space.id


def test_the_commit_marker_reads_the_wal_and_the_writers_in_and_out_files_beside_the_database(
        app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = str(tmp_path / "booking.sqlite3")
    monkeypatch.setattr(transactions, "_sqlite_path", lambda: database)
    assert transactions._commit_marker() == (0, 0, 0, 0)  # no file yet: nothing committed, nobody writing

    Path(database + "-wal").write_bytes(b"x" * 7)
    for suffix, mtime_ns in (("-wal", 5_000), ("-writer-in", 9_000), ("-writer-out", 8_000)):
        Path(database + suffix).touch()
        os.utime(database + suffix, ns=(mtime_ns, mtime_ns))

    marker = transactions._commit_marker()
    assert marker == (5_000, 7, 9_000, 8_000)
    assert transactions._is_ours_holding(marker)  # went in after it last came out: one of ours holds the lock


def test_the_turn_file_is_made_readable_by_all_and_writable_by_its_owner(app: Any, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    database = str(tmp_path / "booking.sqlite3")
    monkeypatch.setattr(transactions, "_sqlite_path", lambda: database)
    mask = os.umask(0)
    os.umask(mask)

    descriptor = transactions._take_turn()

    assert descriptor is not None
    transactions._give_turn(descriptor)
    assert os.stat(database + "-writer-turn").st_mode & 0o777 == 0o644 & ~mask


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_turn_not_had_in_time_leaves_no_file_open(app: Any, tmp_path: Path, clock: _Clock,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    database = str(tmp_path / "booking.sqlite3")
    monkeypatch.setattr(transactions, "_sqlite_path", lambda: database)
    monkeypatch.setattr(sys.modules["booking.db"], "SQLITE_BUSY_TIMEOUT_MS", 1000)
    holder = os.open(database + "-writer-turn", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another writer of ours has the turn and keeps it
    ticks = iter(range(1000))
    monkeypatch.setattr(transactions, "time", SimpleNamespace(monotonic=lambda: float(next(ticks)), sleep=clock.sleep))
    try:
        before = _open_descriptors()
        assert transactions._take_turn() is None
        assert _open_descriptors() == before
    finally:
        os.close(holder)


def test_a_turn_file_that_cannot_be_locked_is_closed_and_the_write_goes_on_without_a_turn(
        app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = str(tmp_path / "booking.sqlite3")
    monkeypatch.setattr(transactions, "_sqlite_path", lambda: database)

    def refuse(descriptor: int, operation: int) -> None:
        raise OSError(37, "No locks available")  # ENOLCK, as on a file system without flock

    monkeypatch.setattr(transactions, "fcntl", SimpleNamespace(flock=refuse, LOCK_EX=fcntl.LOCK_EX,
                                                               LOCK_NB=fcntl.LOCK_NB))
    before = _open_descriptors()

    assert transactions._take_turn() is None
    assert _open_descriptors() == before


def test_a_writer_waiting_for_the_turn_tries_again_within_a_millisecond(app: Any, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The turn is held for a few milliseconds: tries after 0.1, 0.2, 0.4 and 0.8 ms, then every 1 ms until
    TURN_SHARE of the busy timeout has passed."""
    database = str(tmp_path / "booking.sqlite3")
    monkeypatch.setattr(transactions, "_sqlite_path", lambda: database)
    holder = os.open(database + "-writer-turn", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(holder, fcntl.LOCK_EX)
    clock = _Clock()

    def sleep(seconds: float) -> None:
        clock.slept.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(transactions, "time", SimpleNamespace(monotonic=clock.monotonic, sleep=sleep))
    try:
        assert transactions._take_turn() is None
    finally:
        os.close(holder)
    assert clock.slept[:5] == [0.0001, 0.0002, 0.0004, 0.0008, 0.001]
    assert len(clock.slept) > 10 and set(clock.slept[5:]) == {0.001}


def test_a_try_that_ends_exactly_at_the_time_limit_is_followed_by_one_more(app: Any, clock: _Clock,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit is passed only after LIMIT_S: a try ending on it may still be followed by another."""
    monkeypatch.setattr(transactions, "STALL_S", transactions.LIMIT_S * 10)  # SQLite's stall out of the way
    assert _tries(clock, lambda n: transactions.LIMIT_S * n) == 2


def test_on_sqlite_a_lock_quiet_for_exactly_the_stall_time_is_tried_once_more(app: Any, clock: _Clock,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transactions, "_touch", lambda suffix: None)
    run_write(None, lambda session: None)
    expected = 2 if engine_name() == "sqlite" else math.floor(transactions.LIMIT_S / STALL_S) + 1
    assert _tries(clock, lambda n: STALL_S * n) == expected


def test_on_sqlite_a_lock_held_by_a_writer_of_ours_is_waited_for_past_the_stall_time(
        app: Any, clock: _Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer of ours inside the lock (went in, not out yet) is busy, not stuck, however long nobody commits:
    the write goes on trying until the time limit, as on PostgreSQL."""
    monkeypatch.setattr(transactions, "_touch", lambda suffix: None)
    run_write(None, lambda session: None)
    database = transactions._sqlite_path()
    if database is not None:  # SQLite: another of ours went in after the last one came out
        for suffix, mtime_ns in (("-writer-out", 1_000_000_000), ("-writer-in", 2_000_000_000)):
            Path(database + suffix).touch()
            os.utime(database + suffix, ns=(mtime_ns, mtime_ns))
        assert transactions._is_ours_holding(transactions._commit_marker())
    assert _tries(clock, lambda n: n * (STALL_S + 0.5)) == math.floor(transactions.LIMIT_S / (STALL_S + 0.5)) + 1
