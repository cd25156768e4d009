"""PostgreSQL: a registration and a staff review hold their event's row until they commit, so a second
writer of that event waits for the first instead of deciding on what it read before.

(SQLite has one writer at a time: every write transaction is begun IMMEDIATE, and no row is locked.)
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from booking.extensions import db
from booking.services import event_review, registrations
from tests.conftest import engine_name

LOCK_NOW = "SELECT id FROM public_events WHERE id = :id FOR UPDATE NOWAIT"


def _is_locked_by_another(event_id: int) -> bool:
    """PostgreSQL: whether another transaction holds the event's row (SQLite has no FOR UPDATE)."""
    with Session(db.engine) as other:
        try:
            other.execute(text(LOCK_NOW), {"id": event_id})
        except OperationalError:
            return True
        finally:
            other.rollback()
    return False


def test_a_registration_holds_its_events_row_until_it_commits(app, kick_off):
    db.session.commit()
    with Session(db.engine) as one:
        assert registrations.visible_event(one, kick_off.id, lock=True).id == kick_off.id
        if engine_name() != "postgresql":
            return  # SQLite: the registration's write transaction is the only writer
        assert _is_locked_by_another(kick_off.id)
        one.rollback()
    assert not _is_locked_by_another(kick_off.id)


def test_a_review_holds_the_proposals_row_until_it_commits(app, kick_off):
    kick_off.status = "pending"
    db.session.commit()
    with Session(db.engine) as one:
        assert event_review._pending(one, kick_off.id).id == kick_off.id  # what approve and reject both read
        if engine_name() != "postgresql":
            return  # SQLite: the review's write transaction is the only writer
        assert _is_locked_by_another(kick_off.id)
        one.rollback()
    assert not _is_locked_by_another(kick_off.id)
