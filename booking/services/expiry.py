"""Requests that nobody decides expire at their space's deadline.

`expire_due_requests` is what the scheduled job (and `flask expire-requests`)
runs, without any request arriving: every pending request whose deadline
(`domain.statuses.request_deadline`) has passed becomes `expired`, its holds
stop holding, the trail records it (actor: nobody) and the member is told by
mail. Proposed changes of confirmed bookings past their deadline are dropped
the same way; the booking stays as it was. Each space is handled in its own
write transaction under the space's lock, and each booking is looked at again
there, so a request approved in the same instant is either approved (and not
expired) or expired (and the approval finds it already decided): never both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, literal_column, or_, select
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.domain.statuses import BookingStatus, is_due, request_deadline
from booking.extensions import db
from booking.models import Booking, Space
from booking.services import audit
from booking.services.spaces import Waiting
from booking.services.transactions import run_write


def _candidates(now: datetime) -> dict[int, list[int]]:
    """Per space, the bookings with a pending request or proposal that may be due (a cheap superset)."""
    longest = int(db.session.scalar(select(func.max(Space.request_deadline_hours))) or 0)
    horizon = now + timedelta(hours=longest)
    rows = db.session.execute(
        select(Booking.space_id, Booking.id).where(or_(
            (Booking.status == BookingStatus.PENDING) & (Booking.start_dt <= horizon),
            (Booking.status == BookingStatus.CONFIRMED) & (Booking.proposed_start_dt <= horizon),
        )).order_by(Booking.space_id, Booking.id)
    )
    found: dict[int, list[int]] = defaultdict(list)
    for space_id, booking_id in rows:
        found[space_id].append(booking_id)
    db.session.rollback()  # end the read transaction before taking write locks
    return found


def _expire_space(session: Session, booking_ids: list[int], now: datetime) -> list[int]:
    expired = []
    for booking_id in booking_ids:
        booking = session.get(Booking, booking_id)
        if booking is None:
            continue
        hours = booking.space.request_deadline_hours
        if booking.status == BookingStatus.PENDING and is_due(booking.start_dt, booking.created_at, hours, now):
            booking.status = BookingStatus.EXPIRED.value
            booking.updated_at = now
            booking.sequence += 1
            for hold in booking.holds:
                hold.is_active = False
            audit.record(session, booking, "expired", None, now, BookingStatus.PENDING, audit.EXPIRED_NOTE)
            expired.append(booking.id)
        elif (booking.status == BookingStatus.CONFIRMED and booking.proposed_start_dt is not None
              and booking.proposed_at is not None
              and is_due(booking.proposed_start_dt, booking.proposed_at, hours, now)):
            booking.proposed_start_dt = booking.proposed_end_dt = booking.proposed_seats = None
            booking.proposed_at = None
            booking.updated_at = now
            audit.record(session, booking, "declined", None, now, booking.status, audit.CHANGE_EXPIRED_NOTE)
    return expired


def expire_lapsed_in(session: Session, space: Space, now: datetime) -> list[int]:
    """Inside a write transaction under `space`'s lock: expire its requests already past their deadline at
    `now`, as the scheduled job would, so a booking judged at `now` finds their slots free (SPEC §4: the
    job may lag; the deadline does not). Returns the ids expired; one indexed query when none is due."""
    horizon = lapsing_horizon(space, now)
    session.flush()  # what an ORM query's autoflush did: the query sees this transaction's changes
    ids = list(session.connection().execute(_LAPSED, {"space_id": space.id, "horizon": horizon}).scalars())
    if not ids:
        return []
    expired = _expire_space(session, ids, now)
    session.flush()  # the holds stop holding before the rules and the database guard look
    return expired


def lapsing_horizon(space: Space, now: datetime) -> datetime:
    """The latest start of a request of `space` that can be past its deadline at `now` (the deadline is
    hours before the start)."""
    return now + timedelta(hours=max(0, space.request_deadline_hours))


def expire_lapsed_among(session: Session, space: Space, waiting: Sequence[Waiting], now: datetime) -> list[int]:
    """`expire_lapsed_in` for the space's pending requests starting by `lapsing_horizon`, read already under
    the lock (spaces.holds_closures_and_waiting): no statement at all when none is past its deadline."""
    hours = space.request_deadline_hours
    due = sorted(w.booking_id for w in waiting if is_due(w.start_dt, w.requested_at, hours, now))
    if not due:
        return []
    expired = _expire_space(session, due, now)
    session.flush()  # the holds stop holding before the rules and the database guard look
    return expired


# Pending requests of one space starting by the horizon (a superset of those due); 'pending' written in
# the SQL so that both engines use the partial index ix_bookings_waiting. Built once, of the table's
# columns and run on the connection: the ORM select of Booking.id through Session.scalars took twice
# the time of the lock's other read (profile line 'sqlalchemy/orm/session.py:2647(scalars)' under
# expire_lapsed_in).
_BOOKINGS = Booking.__table__
_LAPSED = (select(_BOOKINGS.c.id)
           .where(_BOOKINGS.c.status == literal_column("'pending'"), _BOOKINGS.c.space_id == bindparam("space_id"),
                  _BOOKINGS.c.start_dt <= bindparam("horizon"))
           .order_by(_BOOKINGS.c.id))


def expire_due_requests(now: datetime | None = None) -> list[int]:
    """Expire every request (and drop every proposed change) past its deadline at `now` (UTC).

    Returns the ids of the bookings that became `expired`. Safe to run at any
    time and as often as wanted: what is not due, or was decided meanwhile, is
    left alone.
    """
    now = now or utcnow()
    expired: list[int] = []
    for space_id, booking_ids in _candidates(now).items():
        expired += run_write(space_id, _expiring(booking_ids, now))
    return expired


def _expiring(booking_ids: list[int], now: datetime) -> Callable[[Session], list[int]]:
    return lambda session: _expire_space(session, booking_ids, now)


def deadline_of(booking: Booking) -> datetime:
    """When this booking's pending request (or, when confirmed, its proposed change) expires (UTC)."""
    hours = booking.space.request_deadline_hours
    if booking.status == BookingStatus.CONFIRMED and booking.proposed_start_dt and booking.proposed_at:
        return request_deadline(booking.proposed_start_dt, booking.proposed_at, hours)
    return request_deadline(booking.start_dt, booking.created_at, hours)
