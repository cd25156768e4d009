"""Staff review a public event a member proposed on their booking (SPEC §9): approve or reject.

A member's event waits as `pending` (public_events.save_event). Approving publishes
it: visitors see it on /events, its space's page and the feeds. Rejecting keeps it
from visitors (`rejected`) with a note the member reads on the booking page; the
member may change the event and propose it again. Each decision is written to the
booking's audit trail (`published`, `turned_down`) and mailed to the member through
the outbox in their language (renderers in event_review_mail.py), in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from booking.db import utcnow
from booking.domain.values import N_
from booking.extensions import db
from booking.models import Booking, BookingEvent, PublicEvent, User
from booking.services import NotFound, ServiceError, Stale, audit, outbox
from booking.services.event_review_mail import event_facts
from booking.services.public_events import NOT_CONFIRMED
from booking.services.transactions import run_write

NOTE_MAX = 2000  # as staff's note on a rejected booking (services.staff.NOTE_MAX)
NO_NOTE = N_("Write a note for the member: why the event is not published.")
LONG_NOTE = N_("The note is too long (at most %(max)s characters).")
DECIDED = N_("This event proposal was already decided.")
REVIEWED_BOOKINGS = ("pending", "confirmed")  # a proposal on a cancelled or rejected booking is moot


# Built once: the notice is on every staff queue page. Each proposal's booking is looked up by its
# key: joined, SQLite's plan read every booking of the history through ix_bookings_usage to find
# the few events (1.4 ms of the staff queue page's 4, profile line 'event_review.py:49(proposal_count)').
_BOOKING_STATUS = select(Booking.status).where(Booking.id == PublicEvent.booking_id).scalar_subquery()
WAITING_COUNT = select(func.count(PublicEvent.id)).where(
    PublicEvent.status == "pending", _BOOKING_STATUS.in_(REVIEWED_BOOKINGS))


# Built once and run through Core, then the proposals' objects only when there are any: building
# and running the ORM statement for a list that is usually empty was half the staff proposals page
# (profile line 'services/event_review.py:40(proposals)', 0.46 s of 0.87 s in the view, 150 requests).
_PROPOSAL_IDS = (select(PublicEvent.id).where(PublicEvent.status == "pending", _BOOKING_STATUS.in_(REVIEWED_BOOKINGS))
                 .order_by(PublicEvent.updated_at, PublicEvent.id))


def proposals() -> list[PublicEvent]:
    """Events members proposed that wait for staff, on bookings still pending or confirmed, oldest first,
    with their booking, space, member and agenda loaded (the page shows them all)."""
    ids = list(db.session.connection().scalars(_PROPOSAL_IDS))
    if not ids:
        return []
    loaded = {event.id: event for event in db.session.scalars(
        select(PublicEvent).where(PublicEvent.id.in_(ids))
        .options(joinedload(PublicEvent.booking).options(joinedload(Booking.space), joinedload(Booking.user)),
                 selectinload(PublicEvent.agenda_items)))}
    return [loaded[event_id] for event_id in ids if event_id in loaded]


def proposal_count() -> int:
    """How many proposals wait (the notice on the staff queues): one COUNT, no rows loaded."""
    return db.session.connection().scalar(WAITING_COUNT) or 0  # Core: no ORM execution for one number


def get_proposal(staff: User, event_id: int) -> PublicEvent:
    """Any event, for staff to look at; NotFound for others and for unknown ids."""
    event = db.session.get(PublicEvent, event_id) if staff.is_staff else None
    if event is None:
        raise NotFound()
    return event


def approve(staff: User, event_id: int, now: datetime | None = None) -> PublicEvent:
    """Publish a member's pending event. Raises Stale when it was decided meanwhile,
    ServiceError while its booking is not confirmed, NotFound for non-staff."""
    booking = get_proposal(staff, event_id).booking

    def work(session: Session) -> PublicEvent:
        event = _pending(session, event_id)
        if event.booking.status != "confirmed":
            raise ServiceError(NOT_CONFIRMED)
        at = now or utcnow()  # read under the lock
        event.status, event.updated_at = "published", at
        audit.record(session, event.booking, "published", session.merge(staff), at, event.booking.status)
        _mail(session, "proposal_approved", event, "")
        return event

    return run_write(booking.space_id, work)


def reject(staff: User, event_id: int, note: str, now: datetime | None = None) -> PublicEvent:
    """Keep a member's pending event from visitors, with `note` (1–NOTE_MAX characters) the member reads.
    Raises ServiceError for a missing or long note, Stale when decided meanwhile, NotFound for non-staff."""
    booking = get_proposal(staff, event_id).booking
    note = note.strip()
    if not note:
        raise ServiceError(NO_NOTE)
    if len(note) > NOTE_MAX:
        raise ServiceError(LONG_NOTE, max=NOTE_MAX)

    def work(session: Session) -> PublicEvent:
        event = _pending(session, event_id)
        at = now or utcnow()  # read under the lock
        event.status, event.updated_at = "rejected", at
        audit.record(session, event.booking, "turned_down", session.merge(staff), at, event.booking.status, note)
        _mail(session, "proposal_rejected", event, note)
        return event

    return run_write(booking.space_id, work)


def rejection_note(event: PublicEvent) -> str:
    """Staff's note on the rejected event, for its member; "" unless the event is rejected."""
    if event.status != "rejected":
        return ""
    note = db.session.scalar(
        select(BookingEvent.note).where(BookingEvent.booking_id == event.booking_id,
                                        BookingEvent.action == "turned_down")
        .order_by(BookingEvent.at.desc(), BookingEvent.id.desc()).limit(1))
    return note or ""


def _pending(session: Session, event_id: int) -> PublicEvent:
    event = session.get(PublicEvent, event_id, populate_existing=True,
                        with_for_update=session.get_bind().dialect.name == "postgresql")
    if event is None:
        raise NotFound()
    if event.status != "pending":
        raise Stale(DECIDED)
    return event


def _mail(session: Session, kind: str, event: PublicEvent, note: str) -> None:
    booking, member = event.booking, event.booking.user
    payload: dict[str, Any] = {**event_facts(event), "booking_status": booking.status, "name": member.name,
                               "note": note}
    outbox.enqueue(session, kind=f"events.{kind}", to=member.email, locale=member.locale or "ja", payload=payload)
