"""Delivering the outbox: right after the commit that wrote a message, and by the job runner.

After a commit that enqueued messages, the serving process tries them at once:
inline when MAIL_BACKGROUND is off or in tests without a MAIL_SERVER (the test list),
else by the process's mail thread, so a slow mail server never delays a page; the
thread sends the mail of several commits in one round, recording their outcome in
one transaction.
A message due at once is inserted already leased to that process (one attempt
counted, due again when the lease runs out, as `outbox.claim` leaves it), so the
attempt after the commit needs no claiming transaction, only the one recording
the outcome.
Whatever that attempt leaves (a server down, a message that cannot be built, a
process killed) the job runner's "mail" job sends when it is due again; see
booking/services/outbox.py for the states and the backoff.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
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
    return mail.compose(draft, sender, message_id=f"<{message.message_uuid}@{domain}>")


def _settle(app: Flask, outcomes: dict[int, str]) -> None:
    """Record the outcome of messages tried (one write transaction); never raises."""
    with app.app_context():
        try:
            run_write(None, lambda session: outbox.settle(session, outcomes, utcnow(), _first_backoff(app)),
                      attempts=2)
        except Exception:
            log.exception("could not record the outcome of %d e-mail(s); they are sent again later", len(outcomes))


def deliver_leased(app: Flask, claimed: Sequence[outbox.Claimed]) -> int:
    """Build and send messages leased to this process when they were inserted; record the outcome.

    Returns how many were tried. Never raises: what could not be recorded is sent again
    by the job runner once its lease runs out (with the same Message-ID).
    """
    with app.app_context():
        outcomes = _send(app, list(claimed))
    _settle(app, outcomes)
    return len(claimed)


def kick(app: Flask, ids: Sequence[int], leased: Sequence[outbox.Claimed] = ()) -> None:
    """Try just-committed messages now: inline in tests without a server or without MAIL_BACKGROUND,
    else by this process's mail thread (`_Courier`).

    `leased` were inserted leased to this process (sent, then settled); `ids` are other
    rows queued by the commit (a staff retry), claimed first.
    """
    if not app.config.get("MAIL_BACKGROUND", True) or (app.testing and not app.config.get("MAIL_SERVER")):
        _deliver_now(app, ids, leased)
        return
    _courier.hand(app, ids, leased)


def _deliver_now(app: Flask, ids: Sequence[int], leased: Sequence[outbox.Claimed]) -> None:
    if leased:
        deliver_leased(app, leased)
    if ids:
        deliver_due(app, ids)


# How long the outcome of a message the mail thread sent may wait for those of later rounds, so
# that one write transaction records them all. Far below outbox.LEASE (2 min): a process that dies
# in between has its mail sent again (same Message-ID) when the lease runs out, as before.
SETTLE_WITHIN_S = 0.25


class _Courier:
    """The process's one mail thread: it takes everything commits handed it since its last round,
    sends it (over one SMTP connection) at once, and records the outcomes of the rounds of up to
    SETTLE_WITHIN_S in one write transaction.

    Profile line 'delivery.py(deliver_leased)' -> 'outbox.py(settle)': a write transaction
    (and on SQLite the database's write lock and a flush to disk) after every booking POST:
    run_all's "other write transactions (mail outbox) per booking POST: 1.0", each holding
    SQLite's write lock a median 5.3 ms beside the booking's own 5.5 ms. Under load the rounds
    of a quarter of a second now share one. Delivery stays at least once: the rows were leased
    when inserted, and what is not recorded is sent again by the job runner when the lease runs out.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._queue: list[tuple[Flask, list[int], list[outbox.Claimed]]] = []
        self._rounds = 0  # rounds taken and not finished
        self._unsettled: dict[int, tuple[Flask, dict[int, str]]] = {}  # per app: outcomes not yet recorded
        self._unsettled_since = 0.0
        self._waiting = 0  # callers of wait(): record the outcomes now
        self._thread: threading.Thread | None = None
        self._pid = 0

    def hand(self, app: Flask, ids: Sequence[int], leased: Sequence[outbox.Claimed]) -> None:
        with self._changed:
            self._queue.append((app, list(ids), list(leased)))
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                if self._pid != os.getpid():
                    self._unsettled = {}  # a forked worker does not record its parent's outcomes
                    atexit.register(self.wait, 5)
                self._pid = os.getpid()  # a forked worker starts its own
                self._thread = threading.Thread(target=self._run, name="mail", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def _next_round(self) -> list[tuple[Flask, list[int], list[outbox.Claimed]]] | None:
        """What commits handed since the last round, or None when the outcomes are due to be recorded."""
        with self._changed:
            while not self._queue:
                if self._unsettled:
                    left = self._unsettled_since + SETTLE_WITHIN_S - time.monotonic()
                    if left <= 0 or self._waiting:
                        return None
                    self._changed.wait(left)
                else:
                    self._changed.wait()
            taken, self._queue = self._queue, []
            self._rounds += 1
            return taken

    def _run(self) -> None:
        while True:
            taken = self._next_round()
            try:
                if taken is None:
                    self._settle_all()
                    continue
                for app, ids, leased in _by_app(taken):
                    if leased:
                        with app.app_context():
                            outcomes = _send(app, leased)
                        self._note(app, outcomes)
                    if ids:
                        deliver_due(app, ids)
                if self._waiting or time.monotonic() - self._unsettled_since >= SETTLE_WITHIN_S:
                    self._settle_all()
            except Exception:
                log.exception("the mail thread failed a round; the job runner sends it when its lease runs out")
            finally:
                if taken is not None:
                    with self._changed:
                        self._rounds -= 1
                        self._changed.notify_all()

    def _note(self, app: Flask, outcomes: dict[int, str]) -> None:
        with self._changed:
            if not self._unsettled:
                self._unsettled_since = time.monotonic()
            self._unsettled.setdefault(id(app), (app, {}))[1].update(outcomes)

    def _settle_all(self) -> None:
        with self._changed:
            unsettled, self._unsettled = self._unsettled, {}
            self._rounds += 1  # wait() is not done before they are recorded
        try:
            for app, outcomes in unsettled.values():
                _settle(app, outcomes)
        finally:
            with self._changed:
                self._rounds -= 1
                self._changed.notify_all()

    def wait(self, timeout: float) -> None:
        """Until everything handed so far is sent and recorded, or `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            if self._pid != os.getpid():
                return
            self._waiting += 1
            self._changed.notify_all()
            try:
                while self._queue or self._rounds or self._unsettled:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return
                    self._changed.wait(left)
            finally:
                self._waiting -= 1


def _by_app(taken: list[tuple[Flask, list[int], list[outbox.Claimed]]]) -> list[tuple[Flask, list[int],
                                                                                      list[outbox.Claimed]]]:
    grouped: dict[int, tuple[Flask, list[int], list[outbox.Claimed]]] = {}
    for app, ids, leased in taken:
        _app, all_ids, all_leased = grouped.setdefault(id(app), (app, [], []))
        all_ids.extend(ids)
        all_leased.extend(leased)
    return list(grouped.values())


_courier = _Courier()


def wait_for_sending(timeout: float = 10) -> None:
    """Wait until the mail thread has done what it was handed (tests; a command before it exits)."""
    _courier.wait(timeout)


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
