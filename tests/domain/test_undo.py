"""Undoing a cancellation: the member's own, within five minutes, before the start, and not when final."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.domain.undo import UNDO_WINDOW, cancellation_is_final, undo_deadline, undo_refusal

CANCELLED_AT = datetime(2030, 6, 3, 10, 0, tzinfo=UTC)
START = datetime(2030, 6, 3, 12, 0, tzinfo=UTC)
SOON = CANCELLED_AT + timedelta(minutes=1)

ALREADY_UNDONE = "This cancellation was already undone; your booking is back."
NOT_YOURS = "Only your own cancellation can be undone."
EVENT = "This booking carried a public event whose registrants were told at once; its cancellation cannot be undone."
SERIES = "Dates cancelled together as a series cannot be undone; please book them again."
TOO_LATE = "The time to undo this cancellation has passed."
STARTED = "This booking has already started."


def refusal(
    status: str = "cancelled",
    by_member: bool = True,
    cancelled_at: datetime | None = CANCELLED_AT,
    start_dt: datetime = START,
    now: datetime = SOON,
    **flags: bool,
) -> str | None:
    return undo_refusal(status, by_member, cancelled_at, start_dt, now, **flags)


def test_a_cancellation_can_be_undone_for_five_minutes():
    assert UNDO_WINDOW == timedelta(minutes=5)
    assert undo_deadline(CANCELLED_AT) == datetime(2030, 6, 3, 10, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("carries_event", "with_series", "final"),
    [(False, False, False), (True, False, True), (False, True, True), (True, True, True)],
)
def test_a_cancellation_is_final_when_it_carries_an_event_or_a_series(carries_event, with_series, final):
    assert cancellation_is_final(carries_event, with_series) is final


def test_the_members_own_fresh_cancellation_of_a_future_booking_can_be_undone():
    assert refusal() is None


def test_a_cancellation_undone_and_made_again_can_be_undone_again():
    assert refusal(restored=True) is None


@pytest.mark.parametrize("status", ["confirmed", "pending"])
def test_a_booking_back_after_an_undo_says_so(status):
    assert refusal(status, restored=True) == ALREADY_UNDONE


@pytest.mark.parametrize(
    ("status", "by_member", "cancelled_at"),
    [
        ("confirmed", True, CANCELLED_AT),  # never cancelled
        ("rejected", True, CANCELLED_AT),
        ("cancelled", False, CANCELLED_AT),  # staff cancelled it
        ("cancelled", True, None),  # no record of when
    ],
)
def test_only_the_members_own_cancellation_can_be_undone(status, by_member, cancelled_at):
    assert refusal(status, by_member, cancelled_at) == NOT_YOURS


def test_staff_cancellations_are_refused_before_anything_else_is_said():
    assert refusal(by_member=False, carries_event=True, with_series=True) == NOT_YOURS


def test_a_cancelled_public_event_cannot_be_undone_even_within_the_window():
    assert refusal(carries_event=True) == EVENT
    assert refusal(carries_event=True, with_series=True, now=START) == EVENT


def test_dates_cancelled_as_a_series_cannot_be_undone():
    assert refusal(with_series=True) == SERIES
    assert refusal(with_series=True, now=START) == SERIES


def test_the_window_closes_exactly_five_minutes_after_the_cancellation():
    deadline = CANCELLED_AT + timedelta(minutes=5)
    assert refusal(now=deadline - timedelta(microseconds=1)) is None
    assert refusal(now=deadline) == TOO_LATE
    assert refusal(now=deadline + timedelta(hours=1)) == TOO_LATE


def test_a_closed_window_is_named_before_a_started_booking():
    assert refusal(start_dt=CANCELLED_AT + timedelta(minutes=3), now=CANCELLED_AT + timedelta(minutes=6)) == TOO_LATE


def test_a_booking_that_has_started_cannot_be_brought_back():
    start = CANCELLED_AT + timedelta(minutes=2)
    assert refusal(start_dt=start, now=start - timedelta(microseconds=1)) is None
    assert refusal(start_dt=start, now=start) == STARTED
    assert refusal(start_dt=start, now=start + timedelta(minutes=1)) == STARTED
