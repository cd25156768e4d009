"""The member's own bookings as the my-bookings page lists them: plain values, one statement.

The page used to load every booking as an ORM object and its space by a lazy load (profile
lines 'sqlalchemy/orm/strategies.py:906(_load_for_state)' and
'sqlalchemy/orm/loading.py:1077(_instance)'); a row of plain values with the space's names and
zone is all a line of the table shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select

from booking.domain.statuses import ACTIVE_STATUSES, status_at
from booking.domain.undo import UNDO_WINDOW
from booking.extensions import db
from booking.models import Booking, Space, User
from booking.services import undo


class BookingLine(NamedTuple):
    """One booking of the member as its line shows it. Instants are aware UTC; `timezone` is the
    space's zone name (its local times), `space_name_ja`/`space_name_en` its names."""

    id: int
    title: str
    status: str
    start_dt: datetime
    end_dt: datetime
    cancelled_at: datetime | None
    space_name_ja: str
    space_name_en: str
    timezone: str

    def space_name(self, locale: str) -> str:
        """The space's name in `locale` ("ja"/"en"), as `Space.name` chooses it."""
        return self.space_name_en if locale == "en" and self.space_name_en else self.space_name_ja

    @property
    def is_active(self) -> bool:
        """Whether the booking holds its slot (pending or confirmed), as `Booking.is_active`."""
        return self.status in ACTIVE_STATUSES


class MyBookings(NamedTuple):
    """The page's three lists: upcoming (soonest first), past (latest first), and the upcoming
    bookings the member cancelled and may still undo (`undo.undoable`, soonest first)."""

    upcoming: list[BookingLine]
    past: list[BookingLine]
    undoable: list[BookingLine]


# Built once, with the member bound on each execution (profile line 'sqlalchemy/sql/coercions.py:323(expect)').
_LINES = (
    select(Booking.id, Booking.title, Booking.status, Booking.start_dt, Booking.end_dt, Booking.cancelled_at,
           Space.name_ja, Space.name_en, Space.timezone, Booking.created_at, Space.request_deadline_hours)
    .join(Space, Space.id == Booking.space_id)
    .where(Booking.user_id == bindparam("user_id"))
    .order_by(Booking.start_dt, Booking.id)
)


def my_bookings(member: User, now: datetime) -> MyBookings:
    """The member's bookings split at `now` (aware UTC): upcoming while they have not ended; a request
    past its staff deadline is `expired` from that instant on (domain.statuses.status_at).

    One statement; the undo window's checks (`undo.undoable`, a few more) run only when a
    booking the member cancelled within `UNDO_WINDOW` has not started yet.
    """
    # On the session's connection: a Core select needs none of the ORM's result machinery
    # (profile line 'sqlalchemy/orm/context.py:347(orm_execute_statement)').
    rows = db.session.connection().execute(_LINES, {"user_id": member.id})
    # A request past its deadline shows as expired at `now`, before the expiry job writes it (status_at).
    lines = [BookingLine(id_, title, status_at(status, start_dt, created_at, hours, now), start_dt, *rest)
             for id_, title, status, start_dt, *rest, created_at, hours in rows]
    upcoming = [line for line in lines if line.end_dt > now]
    past = [line for line in reversed(lines) if line.end_dt <= now]
    may_undo: list[BookingLine] = []
    if any(line.status == "cancelled" and line.cancelled_at is not None and line.cancelled_at > now - UNDO_WINDOW
           and line.start_dt > now for line in upcoming):
        undoable_ids = {booking.id for booking in undo.undoable(member, now)}
        may_undo = [line for line in upcoming if line.id in undoable_ids]
    return MyBookings(upcoming, past, may_undo)
