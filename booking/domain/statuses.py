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
