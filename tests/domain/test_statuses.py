"""Booking statuses: which transitions exist and which statuses keep units."""

from __future__ import annotations

import pytest

from booking.domain.statuses import can_transition, holds_units

ALLOWED = {
    ("pending", "confirmed"),
    ("pending", "rejected"),
    ("pending", "cancelled"),
    ("confirmed", "cancelled"),
}
STATUSES = ("pending", "confirmed", "rejected", "cancelled")


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_only_the_lifecycle_transitions_are_allowed(current, target):
    assert can_transition(current, target) is ((current, target) in ALLOWED)


@pytest.mark.parametrize(
    ("status", "pending_holds", "expected"),
    [
        ("confirmed", False, True),
        ("confirmed", True, True),
        ("pending", True, True),
        ("pending", False, False),
        ("rejected", True, False),
        ("cancelled", True, False),
    ],
)
def test_confirmed_bookings_hold_units_and_pending_ones_when_the_space_says_so(status, pending_holds, expected):
    assert holds_units(status, pending_holds) is expected
