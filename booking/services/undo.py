"""Undo a member's own cancellation while the slot is still free (booking.domain.undo).

The booking gets its units back under the space's write lock (the database guard has the
last word), its previous status, and a higher SEQUENCE, so calendars show it again; the
cancellation's e-mail, still waiting in the outbox until the undo window closes, is dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.domain.intervals import overlaps
from booking.domain.statuses import holds_units
from booking.domain.undo import UNDO_WINDOW, cancellation_is_final, undo_refusal
from booking.domain.values import N_
from booking.extensions import db
from booking.models import Booking, BookingEvent, BookingHold, OutboxMessage, PublicEvent, Registration, User
from booking.services import ServiceError, audit
from booking.services.bookings import get_own_booking
from booking.services.event_mail import FORGOTTEN
from booking.services.transactions import run_write

CANCELLED_MAIL = "booking.cancelled"


class CannotUndo(ServiceError):
    status_code = 409


def _cancellation(session: Session, booking: Booking) -> BookingEvent | None:
    event: BookingEvent | None = session.scalar(
        select(BookingEvent)
        .where(BookingEvent.booking_id == booking.id, BookingEvent.action == "cancelled")
        .order_by(BookingEvent.at.desc(), BookingEvent.id.desc()).limit(1))
    return event


def carries_event(session: Session, booking_id: int) -> bool:
    """Whether a public event (booking.domain.undo: its cancellation is final) belongs to this booking."""
    return session.scalar(select(PublicEvent.id).where(PublicEvent.booking_id == booking_id)) is not None


def told_with_event(booking_id: int) -> int | None:
    """How many registrants are mailed if this booking is cancelled (None: it carries no public event)."""
    session = db.session()
    event_id = session.scalar(select(PublicEvent.id).where(PublicEvent.booking_id == booking_id))
    if event_id is None:
        return None
    return len(list(session.scalars(select(Registration.id).where(
        Registration.event_id == event_id, Registration.status.in_(("registered", "offered", "waiting")),
        ~FORGOTTEN))))


def _with_series(event: BookingEvent | None) -> bool:
    return event is not None and event.note == audit.SERIES_CANCEL_NOTE


def can_undo_later(member: User, booking: Booking) -> bool:
    """Whether `member`, cancelling this (still active) booking now, could undo it: pages promise it only then."""
    return booking.user_id == member.id and not cancellation_is_final(carries_event(db.session(), booking.id), False)


def undoable(member: User, now: datetime | None = None) -> list[Booking]:
    """The member's bookings they cancelled themselves within the undo window and may undo, soonest first."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(Booking).where(Booking.user_id == member.id, Booking.status == "cancelled",
                              Booking.cancelled_at > now - UNDO_WINDOW, Booking.start_dt > now)
        .order_by(Booking.start_dt))
    session = db.session()
    found = []
    for booking in rows:
        event = _cancellation(session, booking)
        if (event is not None and event.actor_id == member.id
                and not cancellation_is_final(carries_event(session, booking.id), _with_series(event))
                and not _taken_meanwhile(session, booking, event)):
            found.append(booking)
    return found


def _taken_meanwhile(session: Session, booking: Booking, event: BookingEvent) -> bool:
    """Whether undoing would be refused because someone else booked the time meanwhile: then no
    undo is offered (issue 16: the offer stayed beside "the booking stays cancelled")."""
    if event.from_status is None:
        return False
    return holds_units(event.from_status, booking.space.pending_holds) and _units_taken(session, booking)


def _units_taken(session: Session, booking: Booking) -> bool:
    """Whether another active hold now covers one of this booking's units and times."""
    for hold in booking.holds:
        others = session.scalars(
            select(BookingHold).where(
                BookingHold.space_id == hold.space_id, BookingHold.unit_no == hold.unit_no,
                BookingHold.is_active.is_(True), BookingHold.booking_id != booking.id,
                BookingHold.occupied_start < hold.occupied_end,
                BookingHold.occupied_start >= hold.occupied_start - timedelta(days=8),
                BookingHold.occupied_end > hold.occupied_start))
        if any(overlaps(o.occupied_start, o.occupied_end, hold.occupied_start, hold.occupied_end) for o in others):
            return True
    return False


def _drop_waiting_mail(session: Session, booking_id: int) -> int:
    rows = session.scalars(select(OutboxMessage).where(
        OutboxMessage.status == "pending", OutboxMessage.kind == CANCELLED_MAIL))
    dropped = 0
    for row in rows:
        if row.payload.get("facts", {}).get("booking_id") == booking_id:
            session.delete(row)
            dropped += 1
    return dropped


def undo_cancellation(member: User, booking_id: int, now: datetime | None = None) -> Booking:
    """Restore the member's own cancelled booking if still in the window and its units are free.

    Raises CannotUndo (409) with the reason otherwise; nothing is written then.
    """
    space_id = get_own_booking(member, booking_id).space_id

    def work(session: Session) -> Booking:
        at = now or utcnow()
        booking = get_own_booking(member, booking_id)
        event = _cancellation(session, booking)
        by_member = event is not None and event.actor_id == member.id
        last = audit.trail(booking.id)
        restored = bool(last) and last[-1].action == "restored" and last[-1].actor_id == member.id
        refusal = undo_refusal(booking.status, by_member, booking.cancelled_at, booking.start_dt, at,
                               restored=restored, carries_event=carries_event(session, booking.id),
                               with_series=_with_series(event))
        if refusal is not None:
            raise CannotUndo(refusal)
        assert event is not None and event.from_status is not None
        holding = holds_units(event.from_status, booking.space.pending_holds)
        if holding and _units_taken(session, booking):
            raise CannotUndo(N_("Someone else has booked this time meanwhile; the booking stays cancelled."))
        booking.status = event.from_status
        booking.cancelled_at = None
        booking.updated_at = at
        booking.sequence += 1
        for hold in booking.holds:
            hold.is_active = holding
        audit.record(session, booking, "restored", member, at, "cancelled")
        _drop_waiting_mail(session, booking.id)
        return booking

    return run_write(space_id, work)
