"""Attendee data does not stay: an event's personal data is removed a set time after it ends.

Removing keeps the rows and their counts (status, party size, organisation kind,
check-in time) and blanks what names a person: name, address, organisation, the
member link and the personal link (its hash is replaced, so the link stops
working). Walk-ins lose their names too. Mail to the person goes the same way, in the
same transaction: what was not sent (pending, or failed for good) is dropped, and what
was sent stays in the mail log as a row to the person's placeholder address, with no
name, address, check-in code or attachment (the calendar object names them). The event's counts are written to
`event_records` at that moment, for the usage figures. A registrant who deletes
their registration through their link gets the same treatment at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from booking.domain import checkin
from booking.models import Booking, OutboxMessage, PublicEvent, Registration
from booking.models_attendance import EventRecord, WalkIn
from booking.services import ServiceError
from booking.services.attendance import tally_of
from booking.services.transactions import run_write

BATCH = 20  # events per run: a long backlog is worked off over several runs
PERSONAL_PAYLOAD = ("name", "email", "code", "checkin_code", "organisation")  # what a payload may hold of a person


def _registrant_kinds() -> frozenset[str]:
    from booking.services import attendee_mail, event_mail

    return frozenset(event_mail.SUBJECTS) | {f"events.{kind}" for kind in ("message", *attendee_mail.SUBJECTS)}


def forget_mail(session: Session, registration: Registration, address: str) -> None:
    """Drop the registrant's unsent mail about this event and strip the sent mail of what names them
    (the caller's transaction; `address` is the one the mail went to, before forgetting)."""
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address,
                                                       OutboxMessage.kind.in_(_registrant_kinds())))
    for row in rows:
        if row.payload.get("event_id") != registration.event_id:
            continue  # the same address registered for another event: that registration is not forgotten
        if row.status != "sent":
            session.delete(row)  # never delivered: nothing to keep, and it must not go out now
            continue
        row.recipient = checkin.forgotten_email(registration.id)
        row.payload = {key: value for key, value in row.payload.items() if key not in PERSONAL_PAYLOAD}
        row.attachments = []


def forget_person(registration: Registration) -> None:
    """Blank what identifies the registrant, here and in their mail; counts and statuses stay."""
    session = object_session(registration)
    assert session is not None  # a registration the caller's transaction read
    if not checkin.is_forgotten(registration.email):
        forget_mail(session, registration, registration.email)
    registration.name = ""
    registration.email = checkin.forgotten_email(registration.id)
    registration.organisation = ""
    registration.user_id = None
    registration.token_hash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def anonymise_event(session: Session, found: PublicEvent, now: datetime) -> EventRecord:
    """Keep the event's counts and remove its attendees' personal data (the caller's transaction)."""
    counts = tally_of(session, found.id)
    record = session.get(EventRecord, found.id) or EventRecord(event_id=found.id)
    record.registered, record.companions, record.waiting = counts.registered, counts.companions, counts.waiting
    record.checked_in, record.walk_ins, record.anonymised_at = counts.checked_in, counts.walk_ins, now
    session.add(record)
    for registration in session.scalars(select(Registration).where(Registration.event_id == found.id)):
        forget_person(registration)
    session.execute(update(WalkIn).where(WalkIn.event_id == found.id).values(name="", organisation="")
                    .execution_options(synchronize_session=False))
    return record


def anonymise_due(now: datetime, retention_days: int) -> int:
    """Remove the personal data of every event that ended `retention_days` ago or longer; how many."""
    if retention_days < 0:
        raise ValueError("retention cannot be negative")

    def work(session: Session) -> int:
        ended_before = now - timedelta(days=retention_days)  # domain.checkin.anonymise_at, as a query
        due = list(session.scalars(
            select(PublicEvent).join(Booking, Booking.id == PublicEvent.booking_id)
            .outerjoin(EventRecord, EventRecord.event_id == PublicEvent.id)
            .where(EventRecord.event_id.is_(None), Booking.end_dt <= ended_before)
            .order_by(Booking.end_dt).limit(BATCH)))
        for found in due:
            anonymise_event(session, found, now)
        return len(due)

    return run_write(None, work)


def delete_registration(secret: str, key: str) -> int:
    """A registrant deletes their registration through their personal link: a registration still
    holding or waiting for seats is cancelled first (seats pass on, as issue 18's cancel does),
    then what names the person is removed. Returns the event's id; NotFound for a dead link."""
    from booking.services import registrations

    registration = registrations.find_by_secret(secret)
    event_id, registration_id = registration.event_id, registration.id
    if registration.status in ("registered", "offered", "waiting"):
        try:
            registrations.cancel(secret, key)
        except ServiceError:
            pass  # the event is over or withdrawn: nothing to give back, only data to remove

    def work(session: Session) -> int:
        current = session.get(Registration, registration_id, populate_existing=True)
        if current is not None:
            forget_person(current)
        return event_id

    return run_write(None, work)
