"""Changing the time or title of one occurrence of a series and all following ones.

The preview and the change run the same code: every following occurrence that has
not started is changed in date order, each with `changes._change` (every rule again,
against everything but the occurrence itself, under the space's lock, a member's
change of time in a space that needs approval becoming a proposal). The preview
does exactly that and rolls the transaction back, so it can never judge a date
differently from the change. A date whose new time breaks a rule (or does not
exist: a DST gap) keeps its time and only takes the new title.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.domain.recurrence import MISSING_MESSAGES, occurrence_on
from booking.domain.statuses import BookingStatus
from booking.domain.values import N_, Conflict
from booking.models import Booking, User
from booking.services import NotFound, ServiceError
from booking.services.bookings import _units_conflict, get_own_booking
from booking.services.changes import TITLE_MAX, BookingChange, _change
from booking.services.series import NO_SUCH_DATE
from booking.services.transactions import is_guard_refusal, run_write


@dataclass(frozen=True)
class SeriesChange:
    """The new local wall times (`end_days` after the start day, 0 = same day) and title."""

    start_time: time
    end_time: time
    title: str
    end_days: int = 0


@dataclass
class ChangedDate:
    """One occurrence and what the change does to it: moved, proposed to staff, or kept (with conflicts)."""

    booking_id: int
    day: date
    old_start_dt: datetime
    old_end_dt: datetime
    new_start_dt: datetime | None
    new_end_dt: datetime | None
    conflicts: list[Conflict] = field(default_factory=list)
    is_proposal: bool = False

    @property
    def is_moved(self) -> bool:
        return not self.conflicts and not self.is_proposal and self.new_start_dt != self.old_start_dt


class _DryRun(Exception):
    def __init__(self, dates: list[ChangedDate]) -> None:
        super().__init__()
        self.dates = dates


def _following(session: Session, first: Booking, now: datetime) -> list[Booking]:
    rows = session.scalars(
        select(Booking).where(Booking.series_id == first.series_id, Booking.start_dt >= first.start_dt,
                              Booking.start_dt > now,
                              Booking.status.in_((BookingStatus.PENDING, BookingStatus.CONFIRMED)))
        .order_by(Booking.start_dt)
    )
    return list(rows)


def _one(session: Session, actor: User, booking: Booking, change: SeriesChange, now: datetime,
         locale: str) -> ChangedDate:
    zone = ZoneInfo(booking.space.timezone)
    day = booking.start_dt.astimezone(zone).date()
    wanted = occurrence_on(day, change.start_time, change.end_time, change.end_days, zone)
    item = ChangedDate(booking.id, day, booking.start_dt, booking.end_dt, wanted.start_dt, wanted.end_dt)
    if wanted.missing is not None:
        item.conflicts = [Conflict(NO_SUCH_DATE, MISSING_MESSAGES[wanted.missing], dict(wanted.params))]
    else:
        assert wanted.start_dt is not None and wanted.end_dt is not None
        moved = BookingChange(wanted.start_dt, wanted.end_dt, change.title, booking.is_public, booking.seats)
        try:
            with session.begin_nested():  # a refusal by the database guard undoes this date only
                outcome = _change(session, actor, booking.id, moved, now, locale)
            item.conflicts, item.is_proposal = outcome.conflicts, outcome.is_proposal
        except IntegrityError as error:
            if not is_guard_refusal(error):
                raise
            item.conflicts = [_units_conflict(booking.space)]
    if item.conflicts:  # keeps its time; the title still changes
        kept = BookingChange(booking.start_dt, booking.end_dt, change.title, booking.is_public, booking.seats)
        _change(session, actor, booking.id, kept, now, locale)
    return item


def _run(actor: User, booking_id: int, change: SeriesChange, now: datetime, locale: str,
         dry_run: bool) -> list[ChangedDate]:
    title = change.title.strip()
    if not title or len(title) > TITLE_MAX:
        raise ServiceError(N_("Enter a title (at most %(max)s characters)."), max=TITLE_MAX)
    first = get_own_booking(actor, booking_id)
    if first.series_id is None:
        raise NotFound()
    change = SeriesChange(change.start_time, change.end_time, title, change.end_days)

    def work(session: Session) -> list[ChangedDate]:
        anchor = session.get(Booking, booking_id)
        assert anchor is not None
        dates = [_one(session, actor, b, change, now, locale) for b in _following(session, anchor, now)]
        if not dates:
            raise ServiceError(N_("Nothing left to change: these dates have started or were cancelled."))
        if dry_run:
            raise _DryRun(dates)  # leaves the transaction, which rolls everything back
        return dates

    try:
        return run_write(first.space_id, work)
    except _DryRun as preview:
        return preview.dates


def preview_change(actor: User, booking_id: int, change: SeriesChange, now: datetime | None = None,
                   locale: str = "ja") -> list[ChangedDate]:
    """What `change_following` would do to each date from this occurrence on; nothing is kept.

    Raises NotFound for somebody else's booking or one outside a series,
    ServiceError for a bad title or when no date is left to change.
    """
    return _run(actor, booking_id, change, now or utcnow(), locale, dry_run=True)


def change_following(actor: User, booking_id: int, change: SeriesChange, now: datetime | None = None,
                     locale: str = "ja") -> list[ChangedDate]:
    """Change this occurrence and every following one that has not started, in one transaction.

    Each date is re-checked under the space's lock; one whose new time breaks a
    rule keeps its old time (it is returned with its conflicts) and takes the new
    title. Errors as for preview_change.
    """
    return _run(actor, booking_id, change, now or utcnow(), locale, dry_run=False)
