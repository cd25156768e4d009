"""What the error pages need to know about a failed database request, kept out of the views.

A request may be run once more after a dead pooled connection only while it has
committed nothing; `after_commit` marks the request when something was committed.
"""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from booking.extensions import db


def is_dead_connection(error: BaseException) -> bool:
    """Whether SQLAlchemy found the connection dead and invalidated the pool's stale ones."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def has_committed() -> bool:
    """Whether this request committed a transaction (so running it again could repeat it)."""
    return bool(g.get("db_committed"))


def discard_failed_session() -> None:
    """Roll the request's session back after a failure; close it if even that fails."""
    try:
        db.session.rollback()
    except Exception:
        db.session.close()


@event.listens_for(Session, "after_commit")
def _note_commit(_session: Session) -> None:
    if has_request_context():
        g.db_committed = True
