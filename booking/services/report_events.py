"""Event figures of the usage page (issue 20): events held, registrations, attendance, walk-ins, no-shows.

An event is counted in the period in which its booking starts (the space's own local
days) when it was held: published, on a confirmed booking, and over by `now` (an event
still to come has no attendance yet, and all its registrants would look like no-shows).
Counts are in persons (a registrant and their companions). Once an event's personal data
is removed (issue 19's retention), its counts come from `event_records`, frozen at that
moment, so past events keep counting; before that they are summed from the registrations,
check-in passes and walk-ins, as the door's counts are (services.attendance.tally_of).
With an organisation kind chosen, events count when the member who booked is of that kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from booking.models import Booking, PublicEvent, Registration, User
from booking.models_attendance import AttendeePass, EventRecord, WalkIn
from booking.services.report_sql import Bucket, bucket_table


@dataclass
class EventFigures:
    """Events held and their persons: registered (final), checked in, walk-ins."""

    held: int = 0
    registered: int = 0
    checked_in: int = 0
    walk_ins: int = 0

    @property
    def attendance(self) -> int:
        """Persons present: registered ones checked in, and walk-ins."""
        return self.checked_in + self.walk_ins

    @property
    def no_shows(self) -> int:
        """Registered persons who never checked in (Tally.no_shows, final for a past event)."""
        return self.registered - self.checked_in

    def add(self, other: EventFigures) -> None:
        self.held += other.held
        self.registered += other.registered
        self.checked_in += other.checked_in
        self.walk_ins += other.walk_ins


def _live_counts(event_id: ColumnElement[int]) -> tuple[ColumnElement[int], ColumnElement[int], ColumnElement[int]]:
    """Correlated to the outer event id: registered persons, of them checked in, walk-ins."""
    registered = (select(func.sum(Registration.party_size))
                  .where(Registration.event_id == event_id, Registration.status == "registered")
                  .scalar_subquery())
    checked_in = (select(func.sum(Registration.party_size))
                  .join(AttendeePass, AttendeePass.registration_id == Registration.id)
                  .where(Registration.event_id == event_id, Registration.status == "registered",
                         AttendeePass.checked_in_at.is_not(None))
                  .scalar_subquery())
    walk_ins = select(func.count(WalkIn.id)).where(WalkIn.event_id == event_id).scalar_subquery()
    return registered, checked_in, walk_ins


def event_figures(session: Session, buckets: Sequence[Bucket], now: datetime,
                  org_kind: str = "") -> dict[tuple[int, int], EventFigures]:
    """Per (space id, bucket number): the events held whose booking starts in the bucket's [start_dt, end_dt).

    One grouped query over all buckets (the period's and the trend's months); buckets
    with no event are absent. The events held are read first (a materialised WITH over
    public_events, each looking up its booking by key): joined from the buckets or the
    bookings instead, SQLite walked every booking the buckets cover. Raises nothing for no buckets.
    """
    if not buckets:
        return {}
    table = bucket_table(buckets)
    of_booking = [Booking.id == PublicEvent.booking_id, Booking.status == "confirmed", Booking.end_dt <= now]
    if org_kind:
        of_booking.append(Booking.user_id.in_(select(User.id).where(User.org_kind == org_kind)))
    events = (select(PublicEvent.id.label("event_id"),
                     select(Booking.space_id).where(*of_booking).scalar_subquery().label("space_id"),
                     select(Booking.start_dt).where(*of_booking).scalar_subquery().label("start_dt"))
              .where(PublicEvent.status == "published").subquery("events"))
    held = select(events).where(events.c.space_id.is_not(None)).cte("held").prefix_with("MATERIALIZED")
    registered, checked_in, walk_ins = _live_counts(held.c.event_id)

    def kept(frozen: InstrumentedAttribute[int], live: ColumnElement[int]) -> ColumnElement[int]:
        return func.coalesce(func.sum(func.coalesce(frozen, live, 0)), 0)

    query = (
        select(table.c.space_id, table.c.bucket, func.count(held.c.event_id),
               kept(EventRecord.registered, registered), kept(EventRecord.checked_in, checked_in),
               kept(EventRecord.walk_ins, walk_ins))
        .select_from(held)
        .join(table, and_(held.c.space_id == table.c.space_id, held.c.start_dt >= table.c.start_dt,
                          held.c.start_dt < table.c.end_dt))
        .outerjoin(EventRecord, EventRecord.event_id == held.c.event_id)
        .group_by(table.c.space_id, table.c.bucket)
    )
    return {(int(space_id), int(bucket)): EventFigures(int(n), int(reg), int(checked), int(walked))
            for space_id, bucket, n, reg, checked, walked in session.execute(query)}
