"""Booking statuses and the transitions allowed between them."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # a request nobody decided before its space's deadline


ACTIVE_STATUSES = frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED})

TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.PENDING: frozenset(
        {BookingStatus.CONFIRMED, BookingStatus.REJECTED, BookingStatus.CANCELLED, BookingStatus.EXPIRED}
    ),
    BookingStatus.CONFIRMED: frozenset({BookingStatus.CANCELLED}),
    BookingStatus.REJECTED: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
    BookingStatus.EXPIRED: frozenset(),
}


def can_transition(current: str, target: str) -> bool:
    """Whether a booking in `current` may move to `target`."""
    return BookingStatus(target) in TRANSITIONS[BookingStatus(current)]


def holds_units(status: str, pending_holds: bool) -> bool:
    """Whether a booking in this status keeps its units from others."""
    if status == BookingStatus.CONFIRMED:
        return True
    return status == BookingStatus.PENDING and pending_holds


def request_deadline(start_dt: datetime, requested_at: datetime, hours_before: int) -> datetime:
    """When an undecided request expires: `hours_before` hours before its start (UTC instants).

    A request made after that point (a short-notice request) gets until its start
    instead, so no request is dead on arrival; none outlives its start. The number
    of hours is the space's `request_deadline_hours`, which staff set (SPEC: issue 14).
    """
    deadline = start_dt - timedelta(hours=max(0, hours_before))
    return deadline if requested_at < deadline else start_dt


def is_due(start_dt: datetime, requested_at: datetime, hours_before: int, now: datetime) -> bool:
    """Whether a pending request has reached its deadline at `now`."""
    return request_deadline(start_dt, requested_at, hours_before) <= now


def status_at(status: str, start_dt: datetime, requested_at: datetime, hours_before: int, now: datetime) -> str:
    """The status a booking has at `now`, whatever the database says yet.

    A pending request whose deadline has passed is `expired` from that instant on: the
    scheduled job (services.expiry) writes it within a minute or so, but every page, feed
    and decision judges by the deadline and the request's `now`, never by that lag.
    """
    if status == BookingStatus.PENDING and is_due(start_dt, requested_at, hours_before, now):
        return BookingStatus.EXPIRED.value
    return str(status)


def is_proposal_open(proposed_start_dt: datetime | None, proposed_at: datetime | None,
                     hours_before: int, now: datetime) -> bool:
    """Whether a confirmed booking's proposed change still waits for staff at `now` (not past its deadline)."""
    if proposed_start_dt is None or proposed_at is None:
        return False
    return not is_due(proposed_start_dt, proposed_at, hours_before, now)


def cancel_refusal(status: str, start_dt: datetime, end_dt: datetime, now: datetime) -> str | None:
    """Why a booking cannot be cancelled at `now`, or None when it can.

    `status` is the booking's status at `now` (`status_at`: a request past its deadline is
    already expired); instants are aware. Returns 'cancelled', 'rejected' or 'expired' (the
    status itself), 'ended' or 'started'; the cancel page heads itself with the reason
    (services.bookings.cancel_booking refuses the same cases).
    """
    if status in ("cancelled", "rejected", "expired"):
        return status
    if end_dt <= now:
        return "ended"
    return "started" if start_dt <= now else None

