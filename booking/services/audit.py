"""The audit trail: every transition of a booking records who, when, from what to what, and why.

`record` only adds a row to the caller's session, so the entry commits or rolls
back together with the change it describes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.values import N_
from booking.extensions import db
from booking.models import Booking, BookingEvent, User

AUTO_REJECT_NOTE = N_("Another request for the same time was approved.")
EXPIRED_NOTE = N_("Staff did not decide on this request before its deadline.")
CHANGE_EXPIRED_NOTE = N_("Staff did not decide on this change before its deadline; the booking stays as it was.")
MOVED_NOTE = N_("Desks re-picked after a policy change.")
SERIES_CANCEL_NOTE = N_("Cancelled together with other dates of its series.")
# Notes the system writes itself: stored as their English source and shown
# translated. Anything else is a person's text and is shown as written.
SYSTEM_NOTES = frozenset({AUTO_REJECT_NOTE, EXPIRED_NOTE, CHANGE_EXPIRED_NOTE, MOVED_NOTE, SERIES_CANCEL_NOTE})


def record(
    session: Session,
    booking: Booking,
    action: str,
    actor: User | None,
    at: datetime,
    from_status: str | None,
    note: str = "",
) -> BookingEvent:
    """Add one trail entry for a change just made to `booking` (its new status is `to_status`)."""
    event = BookingEvent(
        booking=booking, actor=actor, at=at, action=action,
        from_status=from_status, to_status=booking.status, note=note,
    )
    session.add(event)
    return event


def trail(booking_id: int) -> list[BookingEvent]:
    """A booking's history, oldest first."""
    return list(
        db.session.scalars(
            select(BookingEvent)
            .where(BookingEvent.booking_id == booking_id)
            .order_by(BookingEvent.at, BookingEvent.id)
        )
    )


def rejection_note(booking: Booking) -> str:
    """The note of the rejection the member reads, or "" when it was not rejected."""
    if booking.status != "rejected":
        return ""
    note = db.session.scalar(
        select(BookingEvent.note)
        .where(BookingEvent.booking_id == booking.id, BookingEvent.action == "rejected")
        .order_by(BookingEvent.at.desc(), BookingEvent.id.desc())
        .limit(1)
    )
    return note or ""
