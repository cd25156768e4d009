"""Write transactions that serialise writers per space, with bounded retries.

Retries are bounded in count and in time. On SQLite a try waits at most the busy
timeout (1.5 s, booking/db.py) for the write lock; the write keeps trying while other
writers are committing (the WAL file changes: the lock is busy, not stuck), and
gives up once nobody has committed for STALL_S, or after LIMIT_S (25 s) in all. So a lock
held elsewhere (a backup, a stuck process) answers a 503 (booking/views/errors.py)
within about 3 s, while a crowd of writers is served in turn; no request outlives
gunicorn's 30-second worker timeout.
"""

from __future__ import annotations

import logging
import os

try:
    import fcntl
except ImportError:  # not on Windows: writers there wait in SQLite's busy handler only
    fcntl = None  # type: ignore[assignment]
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, joinedload

from booking.db import has_only_read, sqlite_busy_timeout_s, sqlite_immediate
from booking.extensions import db
from booking.models import Space
from booking.services.spaces import LockedSpace, read_locked_space

log = logging.getLogger(__name__)
T = TypeVar("T")

TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}
OVERLAP_SQLSTATE = "23P01"
SQLITE_GUARD_MESSAGE = "booking_holds_overlap"
STALL_S = 2.5  # no commit for this long, and the lock not held by one of ours: it is stuck
LIMIT_S = 25.0  # no new try after this long in all (gunicorn kills a worker at 30 s)
# PostgreSQL classes: 08 connection exception, 53 insufficient resources (53100 disk full),
# 57P01–57P03 shut down or starting up (PostgreSQL manual, appendix A).
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57P")
SQLITE_UNAVAILABLE = ("locked", "busy", "disk is full", "disk i/o error", "unable to open")
# session.info: the space whose lock this write transaction holds (its row read under the lock).
LOCKED_SPACE = "locked_space_id"


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def is_guard_refusal(error: Exception) -> bool:
    """Whether the database refused two overlapping active holds of one unit."""
    if not isinstance(error, IntegrityError):
        return False
    return _sqlstate(error) == OVERLAP_SQLSTATE or SQLITE_GUARD_MESSAGE in str(error.orig)


def is_transient(error: Exception) -> bool:
    """Deadlocks, serialization failures and a busy SQLite: worth another try."""
    if not isinstance(error, DBAPIError):
        return False
    if _sqlstate(error) in TRANSIENT_SQLSTATES:
        return True
    text = str(error.orig).lower()
    return isinstance(error, OperationalError) and ("locked" in text or "busy" in text)


def is_unavailable(error: BaseException) -> bool:
    """Whether the database could not serve now (locked, full, down, connection lost): a 503.

    True for a connection SQLAlchemy invalidated, an exhausted pool, PostgreSQL's
    connection, resource and shutdown SQLSTATEs or a connection refused (no SQLSTATE),
    retried transient refusals, and SQLite's busy, locked, full and I/O errors.
    """
    if isinstance(error, PoolTimeout | PendingRollbackError):
        return True  # PendingRollbackError: a session still holding a connection that just failed
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated or is_transient(error):
        return True
    sqlstate = _sqlstate(error)
    if sqlstate is not None:
        return sqlstate.startswith(UNAVAILABLE_SQLSTATE_PREFIXES)
    text = str(error.orig).lower()
    if "sqlite" in type(error.orig).__module__:
        return any(words in text for words in SQLITE_UNAVAILABLE)
    return isinstance(error, OperationalError)


def _sqlite_path() -> str | None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return str(url.database)


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def _commit_marker() -> tuple[int, ...] | None:
    """On SQLite, what changes when a writer commits or one of ours takes the lock; None elsewhere.

    The WAL file's mtime and size change with every commit; `-writer-in` / `-writer-out`
    are touched when one of our writers takes and releases the write lock, so a writer of
    ours that holds it (busy, not stuck) is told from a lock held by another program.
    """
    path = _sqlite_path()
    if path is None:
        return None
    try:
        wal = os.stat(path + "-wal")
        size = wal.st_size
    except OSError:
        size = 0
    return (_mtime(path + "-wal"), size, _mtime(path + "-writer-in"), _mtime(path + "-writer-out"))


def _is_ours_holding(marker: tuple[int, ...] | None) -> bool:
    return marker is not None and marker[2] > marker[3]


def _touch(suffix: str) -> None:
    path = _sqlite_path()
    if path is not None:
        try:
            os.utime(path + suffix)  # one system call inside the lock; the file is made once
        except FileNotFoundError:
            try:
                with open(path + suffix, "a"):
                    os.utime(path + suffix)
            except OSError:
                pass
        except OSError:
            pass  # only a hint for waiting writers; never a reason to fail a write


# Waits for another writer of ours, between tries of the turn (seconds): short, as the lock is held for a
# few milliseconds; SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25 ms … between its tries.
_TURN_WAITS = (0.0001, 0.0002, 0.0004, 0.0008, 0.001)
# How much of the busy timeout a writer spends waiting for its turn. What is left for BEGIN IMMEDIATE is the
# whole busy timeout again, so a write that cannot get the lock answers within 1.25 of it per try, not twice
# it (tests/faults/test_real_processes.py: writes get their 503 within 5 s while another process holds the lock).
TURN_SHARE = 0.25


def _take_turn() -> int | None:
    """On SQLite, wait for our other writers (every process and thread of this app) to let the write lock go:
    an exclusive flock on `<database>-writer-turn`, held until the transaction ends. Returns its descriptor,
    or None (PostgreSQL, no file, or not had within TURN_SHARE of the busy timeout: BEGIN IMMEDIATE then
    waits as before).

    Profile of 8 concurrent booking POSTs on 2 workers: a writer finding the lock taken slept in SQLite's
    busy handler (1, 2, 5, 10 ms … per try, whatever the lock's holder did meanwhile), so the lock, held for
    about 2.5 ms, was often free while the next writer still slept. The turn is tried again within 1 ms.
    """
    path = _sqlite_path()
    if path is None or fcntl is None:
        return None
    try:
        descriptor = os.open(path + "-writer-turn", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None
    waits = iter(_TURN_WAITS)
    deadline = None
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return descriptor
        except BlockingIOError:
            pass
        except OSError:
            break
        now = time.monotonic()
        if deadline is None:
            deadline = now + sqlite_busy_timeout_s() * TURN_SHARE
        elif now > deadline:
            break
        time.sleep(next(waits, _TURN_WAITS[-1]))
    os.close(descriptor)
    return None


def _give_turn(descriptor: int | None) -> None:
    if descriptor is not None:
        os.close(descriptor)  # closing the only descriptor of the open file lets its flock go


# The thread's writes that hold the turn now. A write begun inside another's (the outbox's settle that
# the mail sent inline after a commit runs, booking/delivery.py) takes no turn of its own: its flock on a
# new descriptor would wait for the one its own thread holds, TURN_SHARE of the busy timeout every time
# (profile line 'transactions.py(_take_turn)' with 'time.sleep' under it: 310 tries per booking POST
# with MAIL_BACKGROUND off, the turn and so every other writer kept waiting about 0.4 s).
_turns = threading.local()


@contextmanager
def _turn() -> Iterator[None]:
    """Hold the writer turn (on SQLite) unless this thread holds it already."""
    depth: int = getattr(_turns, "depth", 0)
    descriptor = _take_turn() if depth == 0 else None
    _turns.depth = depth + 1
    try:
        yield
    finally:
        _turns.depth = depth
        _give_turn(descriptor)


# Built once (profile line 'transactions.py(write_transaction)': select(), joinedload() and the
# comparison composed again on every write, inside the lock).
_READ_SPACE = (select(Space).where(Space.id == bindparam("space_id"))
               .options(joinedload(Space.opening_hours)))
_LOCK_SPACE = _READ_SPACE.with_for_update(of=Space)


@contextmanager
def write_transaction(space_id: int | None, *, shared_space: bool = False) -> Iterator[Session]:
    """One write transaction holding the space's write lock until commit.

    PostgreSQL locks the space row (SELECT … FOR UPDATE); SQLite starts with
    BEGIN IMMEDIATE, taking the database write lock before anything is read. The
    space and its opening hours are then read in one statement (on PostgreSQL the
    locking one), so the work finds them in the session. `session.info[LOCKED_SPACE]`
    names the locked space while the transaction lasts. With `shared_space` the space
    is read as one plain row instead and not put in the session: `locked_space(session)`
    gives it (spaces.read_locked_space: shared, read only), or None when there is no such space.
    """
    session = db.session()
    is_continued = _is_continuable(session)
    if is_continued:
        session.expire_all()  # what was read before the lock is read again under it, as after a commit
    elif session.in_transaction():
        session.commit()
    with _turn():
        token = sqlite_immediate.set(True)
        is_reset = is_holding = False
        try:
            with _continued(session) if is_continued else session.begin():
                session.connection()
                sqlite_immediate.reset(token)
                is_reset = True
                _touch("-writer-in")
                is_holding = True
                if space_id is not None:
                    is_postgresql = session.get_bind().dialect.name == "postgresql"
                    if shared_space:
                        session.info[_SHARED_SPACE] = read_locked_space(session, space_id, for_update=is_postgresql)
                    else:
                        query = _LOCK_SPACE if is_postgresql else _READ_SPACE
                        session.scalars(query, {"space_id": space_id}).unique().first()
                session.info[LOCKED_SPACE] = space_id
                yield session
        finally:
            session.info.pop(LOCKED_SPACE, None)
            session.info.pop(_SHARED_SPACE, None)
            if not is_reset:
                sqlite_immediate.reset(token)
            if is_holding:
                _touch("-writer-out")


_SHARED_SPACE = "locked_shared_space"


def _is_continuable(session: Session) -> bool:
    """Whether the read transaction the request has open can become the write transaction: on PostgreSQL at
    READ COMMITTED (each statement, the lock's read among them, sees what is committed when it runs).

    Profile line 'orm/session.py(commit)' under write_transaction: the booking POST's reads (its member, its
    space) were committed before the write began again, a COMMIT and a BEGIN to the server and a pool
    checkin and checkout more per POST. SQLite must end its read (a deferred transaction cannot take the write
    lock safely once another writer committed), and a transaction set to another isolation level (a feed's
    REPEATABLE READ), inside a savepoint, or that has written or has changes not yet flushed is committed as
    before: its writes stay committed should the write fail, and expiring its rows would drop the unflushed.

    The request's first COMMIT may now be the write's own: a connection lost at it is answered 503, never
    run again, as booking.resilience marks the request before the COMMIT is sent (issue 21).
    """
    if not session.in_transaction() or session.in_nested_transaction():
        return False
    if session.get_bind().dialect.name != "postgresql":
        return False  # asked before session.connection(), which would begin a read on SQLite only to commit it
    if session.new or session.dirty or session.deleted:
        return False
    connection = session.connection()
    return has_only_read(connection) and "isolation_level" not in connection.get_execution_options()


@contextmanager
def _continued(session: Session) -> Iterator[None]:
    """As `session.begin()` for the transaction already open: commit at the end, roll back on an error."""
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    session.commit()


def locked_space(session: Session) -> LockedSpace | None:
    """The space a `shared_space` write transaction read under its lock (None when there is none)."""
    found: LockedSpace | None = session.info.get(_SHARED_SPACE)
    return found


def run_write(space_id: int | None, work: Callable[[Session], T], attempts: int = 20, *,
              shared_space: bool = False) -> T:
    """Run `work` in a write transaction, retrying transient refusals.

    At most `attempts` tries; no new try after LIMIT_S seconds, nor on SQLite once no
    other writer has committed for STALL_S. Then the last DBAPIError is raised
    (is_unavailable(error) is true for it: the caller answers 503).
    """
    started = last_progress = time.monotonic()
    marker = _commit_marker()
    for attempt in range(1, attempts + 1):
        try:
            with write_transaction(space_id, shared_space=shared_space) as session:
                return work(session)
        except DBAPIError as error:
            db.session.rollback()
            now, seen = time.monotonic(), _commit_marker()
            if seen != marker:
                marker, last_progress = seen, now
            stalled = marker is not None and not _is_ours_holding(seen) and now - last_progress > STALL_S
            if not is_transient(error) or attempt == attempts or stalled or now - started > LIMIT_S:
                raise
            log.info("retrying a write after %s (attempt %d)", type(error).__name__, attempt)
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")
