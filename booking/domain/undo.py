"""Undoing a cancellation: a member may take back their own cancellation for a short while.

The cancellation's e-mail waits in the outbox until the window closes (its due time is
`undo_deadline`), and is dropped when the member undoes it.

Some cancellations tell other people at once, so they are final (no undo is offered or
promised): a booking carrying a public event (its registrants are mailed that the event
is cancelled) and dates cancelled together as a series (one mail lists them all).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from booking.domain.values import N_

UNDO_WINDOW = timedelta(minutes=5)


def undo_deadline(cancelled_at: datetime) -> datetime:
    """Until when (UTC) a cancellation can be undone, and when its e-mail goes out."""
    return cancelled_at + UNDO_WINDOW


def cancellation_is_final(carries_event: bool, with_series: bool) -> bool:
    """Whether a cancellation is told to others at once and so can never be undone."""
    return carries_event or with_series


def undo_refusal(status: str, cancelled_by_member: bool, cancelled_at: datetime | None, start_dt: datetime,
                 now: datetime, *, restored: bool = False, carries_event: bool = False,
                 with_series: bool = False) -> str | None:
    """Why this cancellation can no longer be undone (a message), or None when it can.

    Only the member's own cancellation, within UNDO_WINDOW, of a booking that has not
    started and whose cancellation is not final; whether its units are still free is the
    service's check under the lock. `restored`: the booking's last change was an undo.
    """
    if status != "cancelled" and restored:
        return N_("This cancellation was already undone; your booking is back.")
    if status != "cancelled" or not cancelled_by_member or cancelled_at is None:
        return N_("Only your own cancellation can be undone.")
    if carries_event:
        return N_("This booking carried a public event whose registrants were told at once; "
                  "its cancellation cannot be undone.")
    if with_series:
        return N_("Dates cancelled together as a series cannot be undone; please book them again.")
    if now >= undo_deadline(cancelled_at):
        return N_("The time to undo this cancellation has passed.")
    if start_dt <= now:
        return N_("This booking has already started.")
    return None
