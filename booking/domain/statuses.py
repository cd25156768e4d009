"""Booking statuses and the transitions allowed between them."""

from __future__ import annotations

from enum import StrEnum


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED})

TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.PENDING: frozenset(
        {BookingStatus.CONFIRMED, BookingStatus.REJECTED, BookingStatus.CANCELLED}
    ),
    BookingStatus.CONFIRMED: frozenset({BookingStatus.CANCELLED}),
    BookingStatus.REJECTED: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
}


def can_transition(current: str, target: str) -> bool:
    """Whether a booking in `current` may move to `target`."""
    return BookingStatus(target) in TRANSITIONS[BookingStatus(current)]


def holds_units(status: str, pending_holds: bool) -> bool:
    """Whether a booking in this status keeps its units from others."""
    if status == BookingStatus.CONFIRMED:
        return True
    return status == BookingStatus.PENDING and pending_holds
