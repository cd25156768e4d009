"""Undoing a cancellation: a member may take back their own cancellation for a short while.

The cancellation's e-mail waits in the outbox until the window closes (its due time is
`undo_deadline`), and is dropped when the member undoes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from booking.domain.values import N_

UNDO_WINDOW = timedelta(minutes=5)


def undo_deadline(cancelled_at: datetime) -> datetime:
    """Until when (UTC) a cancellation can be undone, and when its e-mail goes out."""
    return cancelled_at + UNDO_WINDOW


def undo_refusal(status: str, cancelled_by_member: bool, cancelled_at: datetime | None, start_dt: datetime,
                 now: datetime) -> str | None:
    """Why this cancellation can no longer be undone (a message), or None when it can.

    Only the member's own cancellation, within UNDO_WINDOW, of a booking that has not
    started; whether its units are still free is the service's check under the lock.
    """
    if status != "cancelled" or not cancelled_by_member or cancelled_at is None:
        return N_("Only your own cancellation can be undone.")
    if now >= undo_deadline(cancelled_at):
        return N_("The time to undo this cancellation has passed.")
    if start_dt <= now:
        return N_("This booking has already started.")
    return None
