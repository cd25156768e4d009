"""Booking statuses: which transitions exist, which statuses keep units, when a request expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.domain.statuses import (
    ACTIVE_STATUSES,
    can_transition,
    cancel_refusal,
    holds_units,
    is_due,
    is_proposal_open,
    request_deadline,
    status_at,
)

ALLOWED = {
    ("pending", "confirmed"),
    ("pending", "rejected"),
    ("pending", "cancelled"),
    ("confirmed", "cancelled"),
    ("pending", "expired"),
}
STATUSES = ("pending", "confirmed", "rejected", "cancelled", "expired")


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
        ("expired", True, False),
    ],
)
def test_confirmed_bookings_hold_units_and_pending_ones_when_the_space_says_so(status, pending_holds, expected):
    assert holds_units(status, pending_holds) is expected


def test_only_pending_and_confirmed_bookings_are_active():
    assert ACTIVE_STATUSES == {"pending", "confirmed"}


@pytest.mark.parametrize("status", ["unknown", "PENDING", ""])
def test_an_unknown_status_has_no_transitions(status):
    with pytest.raises(ValueError):
        can_transition(status, "cancelled")
    with pytest.raises(ValueError):
        can_transition("pending", status)


START = datetime(2030, 6, 10, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("requested_at", "hours_before", "deadline"),
    [
        (START - timedelta(days=3), 24, START - timedelta(hours=24)),
        (START - timedelta(days=3), 1, START - timedelta(hours=1)),
        (START - timedelta(hours=24, seconds=1), 24, START - timedelta(hours=24)),
        # made at or after the deadline (short notice): until its start instead
        (START - timedelta(hours=24), 24, START),
        (START - timedelta(hours=2), 24, START),
        # no hours: the start itself; a negative number counts as none, never after the start
        (START - timedelta(days=3), 0, START),
        (START - timedelta(days=3), -5, START),
    ],
)
def test_a_request_expires_hours_before_its_start_or_at_its_start_when_made_later(requested_at, hours_before,
                                                                                    deadline):
    assert request_deadline(START, requested_at, hours_before) == deadline


def test_a_pending_request_is_due_from_its_deadline_on_and_not_a_moment_before():
    requested_at = START - timedelta(days=3)
    deadline = START - timedelta(hours=24)
    assert is_due(START, requested_at, 24, deadline)
    assert is_due(START, requested_at, 24, deadline + timedelta(seconds=1))
    assert not is_due(START, requested_at, 24, deadline - timedelta(microseconds=1))


def test_a_short_notice_request_is_due_only_at_its_start():
    requested_at = START - timedelta(hours=2)
    assert not is_due(START, requested_at, 24, START - timedelta(seconds=1))
    assert is_due(START, requested_at, 24, START)


@pytest.mark.parametrize(
    ("status", "now", "shown"),
    [
        ("pending", START - timedelta(hours=24, microseconds=1), "pending"),
        ("pending", START - timedelta(hours=24), "expired"),  # the job may not have run yet
        ("pending", START + timedelta(days=1), "expired"),
        ("confirmed", START + timedelta(days=1), "confirmed"),
        ("rejected", START - timedelta(hours=1), "rejected"),
        ("cancelled", START - timedelta(hours=1), "cancelled"),
        ("expired", START - timedelta(hours=1), "expired"),
    ],
)
def test_a_pending_request_past_its_deadline_reads_as_expired_before_the_job_writes_it(status, now, shown):
    assert status_at(status, START, START - timedelta(days=3), 24, now) == shown


def test_a_proposed_change_is_open_until_its_deadline_only():
    asked = START - timedelta(days=3)
    assert is_proposal_open(START, asked, 24, START - timedelta(hours=24, microseconds=1))
    assert not is_proposal_open(START, asked, 24, START - timedelta(hours=24))
    assert not is_proposal_open(None, None, 24, asked)


@pytest.mark.parametrize(("status", "start_h", "end_h", "reason"), [
    ("confirmed", 1, 2, None),
    ("pending", 1, 2, None),
    ("cancelled", 1, 2, "cancelled"),
    ("rejected", 1, 2, "rejected"),
    ("expired", 1, 2, "expired"),
    ("confirmed", -1, 1, "started"),
    ("confirmed", 0, 1, "started"),
    ("confirmed", -2, 0, "ended"),
])
def test_the_cancel_refusal_names_why_a_booking_cannot_be_cancelled(status, start_h, end_h, reason):
    now = datetime(2026, 12, 1, 3, tzinfo=UTC)
    assert cancel_refusal(status, now + timedelta(hours=start_h), now + timedelta(hours=end_h), now) == reason
