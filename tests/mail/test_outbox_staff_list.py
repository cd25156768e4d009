"""The staff's list of failed mail and the clean-up of sent mail, at their edges."""

from __future__ import annotations

from datetime import timedelta

from booking.db import utcnow
from booking.extensions import db
from booking.models import OutboxMessage
from booking.services import outbox
from booking.services.transactions import run_write


def _stored(status, created_at=None, sent_at=None):
    row = OutboxMessage(kind="booking.cancelled", recipient="someone@example.jp", locale="en", payload={},
                        attachments=[], status=status, attempts=outbox.MAX_ATTEMPTS if status == "failed" else 1,
                        sent_at=sent_at)
    if created_at is not None:
        row.created_at = created_at
    db.session.add(row)
    db.session.commit()
    return row.id


def test_failed_mail_is_listed_newest_first_and_of_two_at_the_same_time_the_later_written_first(app):
    now = utcnow()
    oldest = _stored("failed", created_at=now - timedelta(hours=3))
    same_time_first = _stored("failed", created_at=now - timedelta(hours=1))
    same_time_second = _stored("failed", created_at=now - timedelta(hours=1))
    # written last but created earliest: the list follows the creation time, not the row order
    backdated = _stored("failed", created_at=now - timedelta(hours=5))
    _stored("sent", created_at=now, sent_at=now)

    assert [m.id for m in outbox.failed_messages()] == [same_time_second, same_time_first, oldest, backdated]


def test_the_failed_list_shows_at_most_two_hundred_messages(app):
    now = utcnow()
    db.session.add_all(
        OutboxMessage(kind="booking.cancelled", recipient=f"m{n}@example.jp", locale="en", payload={}, attachments=[],
                      status="failed", attempts=outbox.MAX_ATTEMPTS, created_at=now - timedelta(minutes=n))
        for n in range(201))
    db.session.commit()

    listed = outbox.failed_messages()

    assert len(listed) == 200
    assert "m200@example.jp" not in {m.recipient for m in listed}  # the oldest is the one left out


def test_mail_sent_exactly_at_the_cut_is_kept(app):
    cut = utcnow() - timedelta(days=30)
    at_the_cut = _stored("sent", sent_at=cut)
    _stored("sent", sent_at=cut - timedelta(seconds=1))

    assert run_write(None, lambda session: outbox.forget_sent(session, cut)) == 1

    db.session.rollback()
    assert [m.id for m in db.session.scalars(db.select(OutboxMessage))] == [at_the_cut]


def test_forgetting_sent_mail_when_none_is_old_enough_deletes_nothing_and_says_so(app):
    recent = _stored("sent", sent_at=utcnow())

    assert run_write(None, lambda session: outbox.forget_sent(session, utcnow() - timedelta(days=30))) == 0

    db.session.rollback()
    assert [m.id for m in db.session.scalars(db.select(OutboxMessage))] == [recent]
