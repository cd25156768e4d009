"""The mail outbox: a notification is a row written in the same transaction as its cause.

Enqueue (any service, inside its write transaction; nothing is sent before the commit,
and a rollback takes the message with it)::

    from booking.services import outbox

    outbox.enqueue(
        session,                       # the session of run_write's transaction
        kind="booking.confirmed",      # a renderer registered with @outbox.renderer
        to=member.email,
        locale=member.locale,          # "ja" or "en": the renderer runs in this language
        payload={"booking_id": 7},     # JSON values only; what the renderer needs
        attachments=[outbox.calendar_attachment(ics_bytes, method="PUBLISH")],
    )

Render (at delivery time, in an app context, with `locale` already in force, so
`gettext` and templates speak the recipient's language)::

    @outbox.renderer("booking.confirmed")
    def _confirmed(payload: dict[str, Any], locale: str) -> tuple[str, str]:
        return subject, body           # plain text; the subject is made one line

The module that registers a renderer must be imported by the app (booking/delivery.py
imports booking.services.notifications). A renderer that raises counts as a failed
attempt, like a refused SMTP conversation.

Delivery (booking/delivery.py) runs after the commit and in the job runner: `claim`
leases due rows (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on
SQLite) by moving `due_at` forward by the lease, the mail is built with the row's
stable Message-ID and sent, and `settle` marks it sent, or due again after a backoff
of 30 s doubling up to 1 h, or failed after MAX_ATTEMPTS with the last reason. Staff
see failed messages (`failed`) and put them back in the queue (`retry`). Delivery is
at least once: a worker that dies after the SMTP server accepted a message but before
`settle` leaves it to be sent again when the lease runs out, with the same Message-ID.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.extensions import db
from booking.mail import Attachment
from booking.models import OutboxMessage
from booking.services.transactions import run_write

Renderer = Callable[[dict[str, Any], str], tuple[str, str]]
ENQUEUED = "outbox_enqueued"
# session.info: messages a service INSERTed already leased to this process (Claimed), tried after the commit.
CLAIMED = "outbox_claimed"
MAX_ATTEMPTS = 8  # 30 s … 1 h apart: about two hours of trying before staff are asked
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_LAST = timedelta(hours=1)
LEASE = timedelta(minutes=2)  # longer than one SMTP conversation (MAIL_TIMEOUT 5 s per step)
_renderers: dict[str, Renderer] = {}


@dataclass(frozen=True)
class Claimed:
    """A leased message, copied out of its row so it can be sent outside any transaction."""

    id: int
    kind: str
    recipient: str
    locale: str
    payload: dict[str, Any]
    attachments: tuple[Attachment, ...]
    message_uuid: str
    attempts: int


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the function that builds (subject, body) for messages of `kind`."""

    def register(function: Renderer) -> Renderer:
        _renderers[kind] = function
        return function

    return register


def renderer_for(kind: str) -> Renderer:
    """The renderer of `kind`; KeyError when none is registered."""
    return _renderers[kind]


def calendar_attachment(ics: bytes, method: str = "PUBLISH", filename: str = "booking.ics") -> Attachment:
    """An iCalendar object as a mail attachment (text/calendar; method=… per RFC 6047)."""
    return Attachment(filename, "text/calendar", ics, (("method", method), ("charset", "utf-8")))


def enqueue(
    session: Session,
    *,
    kind: str,
    to: str,
    locale: str,
    payload: dict[str, Any],
    attachments: Sequence[Attachment] = (),
    now: datetime | None = None,
) -> OutboxMessage:
    """Add one message to the caller's transaction; it is due at once (or at `now`, UTC).

    Raises KeyError when no renderer is registered for `kind`, so a typo fails the
    change in tests rather than every delivery later.
    """
    renderer_for(kind)
    row = OutboxMessage(
        kind=kind, recipient=to, locale=locale if locale in ("ja", "en") else "ja", payload=payload,
        attachments=[_stored(a) for a in attachments], status="pending", attempts=0, last_error="",
    )
    if now is not None:
        row.due_at = now
    session.add(row)
    session.info.setdefault(ENQUEUED, []).append(row)
    return row


def _stored(attachment: Attachment) -> dict[str, Any]:
    return {"filename": attachment.filename, "content_type": attachment.content_type,
            "params": [list(p) for p in attachment.params], "data": base64.b64encode(attachment.data).decode()}


def stored_attachment(attachment: Attachment) -> dict[str, Any]:
    """An attachment as an outbox row keeps it (to add one to a row not yet written)."""
    return _stored(attachment)


def stored_to_attachment(stored: dict[str, Any]) -> Attachment:
    """An attachment as a row keeps it, back as the mail takes it (the inverse of `stored_attachment`)."""
    return _attachment(stored)


def _attachment(stored: dict[str, Any]) -> Attachment:
    params = tuple((str(k), str(v)) for k, v in stored.get("params", []))
    return Attachment(stored["filename"], stored["content_type"], base64.b64decode(stored["data"]), params)


def claim(session: Session, now: datetime, limit: int = 50, ids: Sequence[int] | None = None) -> list[Claimed]:
    """Lease up to `limit` due pending messages (only `ids` when given), oldest due first.

    Call inside a write transaction. Each claimed row's attempt is counted and its
    `due_at` moved to `now + LEASE`, so other workers skip it until then.
    """
    query = (select(OutboxMessage)
             .where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now)
             .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit))
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(list(ids)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = []
    for row in session.scalars(query):
        row.attempts += 1
        row.due_at = now + LEASE
        claimed.append(Claimed(row.id, row.kind, row.recipient, row.locale, dict(row.payload),
                               tuple(_attachment(a) for a in row.attachments), row.message_uuid, row.attempts))
    return claimed


def backoff(attempts: int, first: timedelta = BACKOFF_FIRST) -> timedelta:
    """The wait after the `attempts`-th failure: 30 s (`first`), 1 min, 2 min, … at most 1 h."""
    doubled: timedelta = first * 2 ** max(attempts - 1, 0)
    return min(doubled, BACKOFF_LAST)


# Built once (profile line 'outbox.py(settle)': update(), in_() and values() composed on every call
# took 40 % of it).
_MARK_SENT = (update(OutboxMessage).where(OutboxMessage.id.in_(bindparam("ids", expanding=True)))
              .values(status="sent", sent_at=bindparam("sent_at"), last_error="")
              .execution_options(synchronize_session=False))


def settle(session: Session, outcomes: dict[int, str], now: datetime, first: timedelta = BACKOFF_FIRST) -> None:
    """Record what became of claimed messages: {id: ""} sent, {id: reason} failed this time.

    A failed one is due again after backoff(attempts, first), or failed for good at MAX_ATTEMPTS.
    The sent ones are one UPDATE, with no read first (profile line 'outbox.py(settle)': a
    SELECT of every row and an UPDATE each).
    """
    sent = [message_id for message_id, reason in outcomes.items() if not reason]
    if sent:
        session.execute(_MARK_SENT, {"ids": sent, "sent_at": now})
    failed = [message_id for message_id, reason in outcomes.items() if reason]
    if not failed:
        return
    for row in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(failed))):
        reason = outcomes[row.id]
        if row.attempts >= MAX_ATTEMPTS:
            row.status, row.last_error = "failed", reason[:2000]
        else:
            row.due_at, row.last_error = now + backoff(row.attempts, first), reason[:2000]


def failed(session: Session, limit: int = 200) -> list[OutboxMessage]:
    """Messages that gave up, newest first (the staff page)."""
    query = (select(OutboxMessage).where(OutboxMessage.status == "failed")
             .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit))
    return list(session.scalars(query))


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each status."""
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: int(count) for status, count in rows}


def retry(session: Session, message_id: int, now: datetime) -> bool:
    """Put a failed message back in the queue, due now, with fresh attempts; False if not failed."""
    row = session.get(OutboxMessage, message_id, with_for_update=True)
    if row is None or row.status != "failed":
        return False
    row.status, row.attempts, row.due_at = "pending", 0, now
    session.info.setdefault(ENQUEUED, []).append(row)
    return True


def failed_messages() -> list[OutboxMessage]:
    """The staff page's list: messages that gave up, newest first."""
    return failed(db.session())


def outbox_counts() -> dict[str, int]:
    """The staff page's summary: {"pending": n, "sent": n, "failed": n} (missing keys are 0)."""
    return {"pending": 0, "sent": 0, "failed": 0, **counts(db.session())}


def put_back(message_id: int) -> bool:
    """Queue a failed message again (staff's retry button); delivered right after the commit."""
    return run_write(None, lambda session: retry(session, message_id, utcnow()))


def forget_sent(session: Session, before: datetime) -> int:
    """Delete messages sent before `before` (UTC); returns how many. Failed ones stay for staff."""
    result = session.execute(delete(OutboxMessage).where(OutboxMessage.status == "sent",
                                                         OutboxMessage.sent_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
