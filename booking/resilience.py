"""What the error pages need to know about a failed database request, kept out of the views.

A request may be run once more after a dead pooled connection only while it has sent no COMMIT:
the engine's `commit` event marks the request just before each COMMIT goes to the database, since
the outcome of a COMMIT whose connection is lost is unknown (it may have committed: run again, the
request could book twice). A connection lost before any COMMIT was sent has committed nothing of
this request (the server rolls its open transaction back), so running the request again is safe.
"""

from __future__ import annotations

import logging

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from booking.db import refuse_writes_on
from booking.extensions import db

log = logging.getLogger(__name__)


def is_dead_connection(error: BaseException) -> bool:
    """Whether SQLAlchemy found the connection dead and invalidated the pool's stale ones."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def may_have_committed() -> bool:
    """Whether this request sent a COMMIT, whatever came of it (so running it again could repeat it).

    A savepoint's RELEASE is no COMMIT (the transaction around it decides), and `g` is the request's
    own: a new request, and the retry of one that sent none, start unmarked.
    """
    return bool(g.get(_COMMIT_SENT))


def discard_failed_session() -> None:
    """Roll the request's session back after a failure; close it if even that fails, and end it
    without its ROLLBACK (invalidated) if closing fails too. Never raises: the error pages call it.

    Closing detaches the session's rows (the signed-in account among them): whatever runs the
    request again loads them anew (booking.views.errors).
    """
    try:
        db.session.rollback()
    except Exception as error:
        log.warning("could not roll back the request's session: %r", error)
        try:
            db.session.close()
        except Exception:
            db.session().invalidate()  # Session.invalidate: scoped_session does not proxy it


def refuse_writes_from_now() -> None:
    """The request's open transaction, if any, refuses writes as well (booking.db.refuse_writes_on):
    a language switch's replay starts after the request has read (its signed-in account)."""
    refuse_writes_on(db.session())


def remove_session(_error: BaseException | None = None) -> None:
    """End the request's session at teardown; a connection that died inside a transaction is
    invalidated (closed without its ROLLBACK), so the answer already given stands.

    Registered after Flask-SQLAlchemy's own teardown, hence run before it. Without it, a
    connection PostgreSQL terminated (AdminShutdown, `tests/faults/test_real_processes.py`)
    raised from its ROLLBACK inside Flask-SQLAlchemy's `session.remove()` and turned the
    request into a 500.
    """
    try:
        db.session.remove()
    except Exception as error:  # a teardown that raised would turn the answer given into a bare 500
        log.warning("the request's database connection died before its end: %s", getattr(error, "orig", error))
        db.session().invalidate()  # Session.invalidate: scoped_session does not proxy it
        db.session.remove()


_COMMIT_SENT = "db_commit_sent"


def install_commit_mark(engine: Engine) -> None:
    """Mark the request before each COMMIT it sends on `engine` (see `may_have_committed`).

    Before, not after: a mark set once the COMMIT succeeded (the session's `after_commit`) left a
    COMMIT that lost its connection unmarked, and that request was run again (issue 21: with the
    request's read transaction carried into its write transaction on PostgreSQL, the booking's own
    COMMIT was the request's first). The connection's `commit` event runs just before SQLAlchemy
    hands the COMMIT to the driver, for the ORM's transactions and Core's alike, and only for an
    outermost transaction; booking.db's PostgreSQL rollback hook, which ends a transaction that only
    read with the driver's COMMIT, sends nothing a retry could repeat and goes unmarked.
    """
    event.listen(engine, "commit", _note_commit_sent)


def _note_commit_sent(_connection: Connection) -> None:
    if has_request_context():
        setattr(g, _COMMIT_SENT, True)
