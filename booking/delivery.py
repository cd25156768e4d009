"""Delivering the outbox: right after the commit that wrote a message, and by the job runner.

After a commit that enqueued messages, the serving process tries them at once:
inline when MAIL_BACKGROUND is off or there is no MAIL_SERVER (the log or the test
list), else in a short-lived thread, so a slow mail server never delays a page.
A message due at once is inserted already leased to that process (one attempt
counted, due again when the lease runs out, as `outbox.claim` leaves it), so the
attempt after the commit needs no claiming transaction, only the one recording
the outcome.
Whatever that attempt leaves (a server down, a message that cannot be built, a
process killed) the job runner's "mail" job sends when it is due again; see
booking/services/outbox.py for the states and the backoff.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from flask_babel import force_locale
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction

from booking import jobs, mail
from booking.db import utcnow
from booking.models import OutboxMessage
from booking.services import (
    event_mail,  # noqa: F401 (registers the public event renderers)
    event_review_mail,  # noqa: F401 (registers the event proposal decisions' renderers)
    notifications,  # noqa: F401 (registers the booking renderers)
    outbox,
    series_mail,  # noqa: F401 (registers the series renderer)
)
from booking.services.transactions import run_write

log = logging.getLogger(__name__)
BATCH = 50
KEEP_SENT = timedelta(days=30)
_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()


def deliver_due(app: Flask, ids: Sequence[int] | None = None, limit: int = BATCH) -> int:
    """Claim due messages (only `ids` when given), build and send them, record the outcome.

    Returns how many were claimed. Never raises for a database that refuses the claim
    or the outcome (a busy SQLite, PostgreSQL down): the lease lets a later run retry.
    """
    with app.app_context():
        if not app.config.get("MAIL_SERVER"):
            return _deliver_locally(app, ids, limit)
        try:
            claimed = run_write(None, lambda session: outbox.claim(session, utcnow(), limit, ids), attempts=2)
        except Exception as error:
            log.warning("could not claim outbox messages: %s", error)
            return 0
        if not claimed:
            return 0
        outcomes = _send(app, claimed)
        try:
            run_write(None, lambda session: outbox.settle(session, outcomes, utcnow(), _first_backoff(app)))
        except Exception:
            log.exception("could not record the outcome of %d e-mail(s); they are sent again later", len(outcomes))
        return len(claimed)


def _deliver_locally(app: Flask, ids: Sequence[int] | None, limit: int) -> int:
    """Without a server "sending" is writing to the log or the test list.

    Claim and outcome are two short write transactions; building the messages (templates,
    calendar attachments) happens between them, holding no write lock: on SQLite every
    write transaction holds the whole database's, so building inside one made every
    booking POST wait for another POST's mail.
    """
    try:
        claimed = run_write(None, lambda session: outbox.claim(session, utcnow(), limit, ids), attempts=2)
        if not claimed:
            return 0
        outcomes = _send(app, claimed)
        run_write(None, lambda session: outbox.settle(session, outcomes, utcnow(), _first_backoff(app)), attempts=2)
        return len(claimed)
    except Exception as error:
        log.warning("could not deliver outbox messages: %s", error)
        return 0


def _first_backoff(app: Flask) -> timedelta:
    return timedelta(seconds=float(app.config.get("OUTBOX_BACKOFF_SECONDS") or 30))


@jobs.job("mail.deliver")
def deliver_job(app: Flask, _due_at: datetime) -> None:
    """Each tick, on every runner: send what is due, batch after batch, until a batch is short."""
    while deliver_due(app) >= BATCH:
        pass


@jobs.job("mail.forget_sent", every=timedelta(hours=1))
def forget_sent_job(app: Flask, due_at: datetime) -> None:
    """Hourly, once across runners: delete sent messages older than KEEP_SENT (30 days)."""
    run_write(None, lambda session: outbox.forget_sent(session, due_at - KEEP_SENT))


def _send(app: Flask, claimed: list[outbox.Claimed]) -> dict[int, str]:
    settings = mail.Settings.of(app)
    domain = mail.sender_domain(settings.sender)
    outcomes: dict[int, str] = {}
    built = []
    for message in claimed:
        try:
            built.append((message.id, _build(message, settings.sender, domain)))
        except Exception as error:
            log.exception("could not build the e-mail %s (%s)", message.id, message.kind)
            outcomes[message.id] = f"could not build: {type(error).__name__}: {error}"
    results = mail.send(app, [message for _id, message in built])
    outcomes.update({message_id: result for (message_id, _m), result in zip(built, results, strict=True)})
    return outcomes


def _build(message: outbox.Claimed, sender: str, domain: str) -> Any:
    with force_locale(message.locale):
        subject, body = outbox.renderer_for(message.kind)(message.payload, message.locale)
    draft = mail.Mail(to=message.recipient, subject=subject, body=body, attachments=message.attachments)
    return mail.build(draft, sender, message_id=f"<{message.message_uuid}@{domain}>")


def deliver_leased(app: Flask, claimed: Sequence[outbox.Claimed]) -> int:
    """Build and send messages leased to this process when they were inserted; record the outcome.

    Returns how many were tried. Never raises: what could not be recorded is sent again
    by the job runner once its lease runs out (with the same Message-ID).
    """
    with app.app_context():
        outcomes = _send(app, list(claimed))
        try:
            run_write(None, lambda session: outbox.settle(session, outcomes, utcnow(), _first_backoff(app)),
                      attempts=2)
        except Exception:
            log.exception("could not record the outcome of %d e-mail(s); they are sent again later", len(outcomes))
        return len(claimed)


def kick(app: Flask, ids: Sequence[int], leased: Sequence[outbox.Claimed] = ()) -> None:
    """Try just-committed messages now: inline without a server or MAIL_BACKGROUND, else in a thread.

    `leased` were inserted leased to this process (sent, then settled); `ids` are other
    rows queued by the commit (a staff retry), claimed first.
    """
    if not app.config.get("MAIL_SERVER") or not app.config.get("MAIL_BACKGROUND", True):
        _deliver_now(app, ids, leased)
        return
    thread = threading.Thread(target=_deliver_in_thread, args=(app, ids, leased), name="mail", daemon=True)
    with _threads_lock:
        _threads.add(thread)
    thread.start()


def _deliver_now(app: Flask, ids: Sequence[int], leased: Sequence[outbox.Claimed]) -> None:
    if leased:
        deliver_leased(app, leased)
    if ids:
        deliver_due(app, ids)


def _deliver_in_thread(app: Flask, ids: Sequence[int], leased: Sequence[outbox.Claimed]) -> None:
    try:
        _deliver_now(app, ids, leased)
    finally:
        with _threads_lock:
            _threads.discard(threading.current_thread())


def wait_for_sending(timeout: float = 10) -> None:
    """Wait for the after-commit threads to finish (tests; a command before it exits)."""
    with _threads_lock:
        pending = list(_threads)
    for thread in pending:
        thread.join(timeout)


LEASED = "outbox_leased"


@event.listens_for(Session, "before_flush")
def _lease_to_this_process(session: Session, _context: Any, _instances: Any) -> None:
    """Insert the messages due at once already claimed by this process, which tries them after the commit.

    Profile line 'delivery.py(deliver_due)' -> 'outbox.py(claim)': a write transaction of its
    own after every booking POST (on SQLite holding the database's write lock, and a commit
    to flush). What that claim copied out of the row is copied once the row is written
    (`_copy_leased`), after every before_flush hook has had its say (check-in codes).
    """
    rows = session.info.get(outbox.ENQUEUED)
    if not rows or not has_app_context():
        return
    leased: dict[OutboxMessage, outbox.Claimed | None] = session.info.setdefault(LEASED, {})
    now = utcnow()
    for row in rows:
        if row in leased or row not in session.new or row.due_at is not None:
            continue  # leased before, already written, or due later (an undo window)
        row.attempts = 1
        row.due_at = now + outbox.LEASE
        row.message_uuid = row.message_uuid or uuid.uuid4().hex
        leased[row] = None


@event.listens_for(Session, "after_flush_postexec")
def _copy_leased(session: Session, _context: Any) -> None:
    leased: dict[OutboxMessage, outbox.Claimed | None] | None = session.info.get(LEASED)
    if not leased:
        return
    for row, copied in leased.items():
        state: Any = inspect(row)
        if copied is None and state.persistent and state.identity:
            leased[row] = outbox.Claimed(
                int(state.identity[0]), row.kind, row.recipient, row.locale, dict(row.payload),
                tuple(outbox.stored_to_attachment(a) for a in row.attachments), row.message_uuid, row.attempts)


@event.listens_for(Session, "after_commit")
def _deliver_committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released; the enclosing transaction decides
    rows = session.info.pop(outbox.ENQUEUED, None) or []
    leased = session.info.pop(LEASED, None) or {}
    claimed: list[outbox.Claimed] = session.info.pop(outbox.CLAIMED, None) or []
    if not (rows or claimed) or not has_app_context():
        return
    ids = []
    for row in rows:
        state = inspect(row)
        if not state.identity or state.was_deleted:
            continue
        if leased.get(row) is not None:
            claimed.append(leased[row])
        elif row not in leased:
            ids.append(int(state.identity[0]))
    if claimed or ids:
        kick(current_app._get_current_object(), ids, claimed)  # type: ignore[attr-defined]


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None and not previous.nested:
        session.info.pop(outbox.ENQUEUED, None)
        session.info.pop(outbox.CLAIMED, None)
        session.info.pop(LEASED, None)
