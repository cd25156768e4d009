"""What the error pages need to know about a failed database request, kept out of the views.

A request may be run once more after a dead pooled connection only while it has
committed nothing; `after_commit` marks the request when something was committed.
"""

from __future__ import annotations

import logging

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from booking.db import refuse_writes_on
from booking.extensions import db

log = logging.getLogger(__name__)


def is_dead_connection(error: BaseException) -> bool:
    """Whether SQLAlchemy found the connection dead and invalidated the pool's stale ones."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def has_committed() -> bool:
    """Whether this request committed a transaction (so running it again could repeat it)."""
    return bool(g.get("db_committed"))


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


@event.listens_for(Session, "after_commit")
def _note_commit(_session: Session) -> None:
    if has_request_context():
        g.db_committed = True
