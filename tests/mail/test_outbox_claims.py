"""Which messages a delivery worker leases, and in what order (booking.services.outbox.claim)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.extensions import db
from booking.models import OutboxMessage
from booking.services import outbox
from booking.services.transactions import run_write
from tests.conftest import engine_name


def _stored(due_at, status="pending", recipient="someone@example.jp"):
    row = OutboxMessage(kind="booking.cancelled", recipient=recipient, locale="en", payload={}, attachments=[],
                        status=status, attempts=outbox.MAX_ATTEMPTS if status == "failed" else 0, due_at=due_at)
    db.session.add(row)
    db.session.commit()
    return row.id


def _claim(now, **options):
    return [c.id for c in run_write(None, lambda session: outbox.claim(session, now, **options))]


def test_a_message_due_exactly_now_is_claimed_and_one_due_later_is_not(app):
    now = utcnow()
    due_now = _stored(now)
    _stored(now + timedelta(seconds=1))

    assert _claim(now) == [due_now]


def test_sent_and_failed_messages_are_never_claimed_however_overdue(app):
    now = utcnow()
    _stored(now - timedelta(hours=1), status="sent")
    _stored(now - timedelta(hours=1), status="failed")
    pending = _stored(now - timedelta(minutes=1))

    assert _claim(now) == [pending]


def test_the_longest_due_message_is_claimed_first_and_of_those_due_together_the_first_written(app):
    now = utcnow()
    recent = _stored(now - timedelta(minutes=1))
    overdue = _stored(now - timedelta(hours=2))
    middle = _stored(now - timedelta(minutes=30))

    assert _claim(now) == [overdue, middle, recent]
    # their leases ran out together: now they are due at the same instant
    assert _claim(now + outbox.LEASE) == [recent, overdue, middle]
    assert _claim(now + 3 * outbox.LEASE, limit=1) == [recent]


def test_a_worker_claims_at_most_fifty_messages_at_a_time(app):
    now = utcnow()
    db.session.add_all(
        OutboxMessage(kind="booking.cancelled", recipient=f"m{n}@example.jp", locale="en", payload={},
                      attachments=[], status="pending", attempts=0, due_at=now - timedelta(seconds=n))
        for n in range(51))
    db.session.commit()

    assert len(_claim(now)) == 50
    assert len(_claim(now)) == 1  # the one left is claimed by the next round


def test_two_workers_claiming_at_once_never_lease_the_same_message(app):
    """PostgreSQL: a message another worker's open transaction is leasing is skipped, not read twice.

    (SQLite has one writer at a time: the second worker's BEGIN IMMEDIATE waits for the first.)
    """
    if engine_name() != "postgresql":
        return  # SQLite: claims run in write transactions begun IMMEDIATE, so two never overlap
    now = utcnow()
    first, second = _stored(now - timedelta(minutes=2)), _stored(now - timedelta(minutes=1))
    with Session(db.engine) as one, Session(db.engine) as other:
        leased = [c.id for c in outbox.claim(one, now, limit=1)]
        one.flush()
        other.execute(text("SET LOCAL lock_timeout = '5s'"))  # waiting for `one` would be the failure
        assert [c.id for c in outbox.claim(other, now)] == [second]
        other.rollback()
        one.commit()
    assert leased == [first]


def test_a_retry_holds_the_failed_message_until_it_commits_so_two_staff_retries_send_it_once(app):
    """PostgreSQL: a second retry of the same message waits for the first and then finds it pending, not
    failed (SQLite: retries run in write transactions begun IMMEDIATE, so two never overlap)."""
    failed = _stored(utcnow() - timedelta(hours=1), status="failed")
    with Session(db.engine) as one:
        assert outbox.retry(one, failed, utcnow())
        if engine_name() != "postgresql":
            return
        with Session(db.engine) as other:
            with pytest.raises(OperationalError):  # the row is held: a second retry would wait for it
                other.execute(text("SELECT id FROM outbox WHERE id = :id FOR UPDATE NOWAIT"), {"id": failed})
            other.rollback()
        one.commit()
    assert not run_write(None, lambda session: outbox.retry(session, failed, utcnow()))


def test_of_messages_due_together_the_first_written_is_claimed_first_whatever_order_the_table_keeps(app):
    """PostgreSQL keeps a row whose due time moved after the others, in the table and its index alike."""
    now = utcnow()
    first, second = _stored(now - timedelta(minutes=2)), _stored(now - timedelta(minutes=1))
    db.session.get(OutboxMessage, first).due_at = now - timedelta(minutes=1)  # due together now
    db.session.commit()

    assert _claim(now, limit=1) == [first]
    assert _claim(now) == [second]
