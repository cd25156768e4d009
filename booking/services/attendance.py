"""The event's day for staff: attendees, check-in at the door, walk-ins, counts.

Every registration gets its check-in pass (code) in the flush that writes it, by
the session hook below, so any service that registers people (issue 18) hands out
codes without knowing about them.

A check-in is one conditional UPDATE (`… SET checked_in_at = now WHERE
registration_id = … AND checked_in_at IS NULL AND the registration is registered`):
two phones scanning the same code at once give exactly one row changed; the other
is told "already checked in". The database decides, not a read before the write
(PostgreSQL re-checks the WHERE after the first scan's commit; SQLite runs writers
one at a time).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, event, func, or_, select, update
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.sql.elements import BindParameter

from booking.db import utcnow
from booking.domain.checkin import (
    Outcome,
    Tally,
    checkin_outcome,
    door_window,
    is_door_open,
    new_code,
    normalise_code,
)
from booking.domain.values import N_
from booking.extensions import db
from booking.models import Booking, PublicEvent, Registration
from booking.models_attendance import AttendeePass, EventRecord, WalkIn
from booking.services import NotFound, ServiceError
from booking.services.attendee_exports import AttendeeRow
from booking.services.transactions import run_write

SEARCH_MAX = 100
LIST_MAX = 2000
NO_WALK_INS = N_("This event does not accept walk-ins.")
NO_WALK_IN_TO_UNDO = N_("There is no walk-in to take back.")
WALK_IN_TOO_EARLY = N_("Walk-ins are counted from the event's day on, 3 hours before the start at the "
                       "earliest: nothing was counted.")


@dataclass(frozen=True)
class Scan:
    """What the door is told after a scan, a tap or an undo."""

    outcome: Outcome
    registration_id: int | None = None
    name: str = ""
    party_size: int = 0
    checked_in_at: datetime | None = None


def new_pass(registration: Registration) -> AttendeePass:
    """A pass with a fresh code for a registration being written."""
    attendee_pass = AttendeePass(code=new_code(secrets.token_bytes(5)), registration=registration)
    if registration.event_id is not None:
        attendee_pass.event_id = registration.event_id
    else:
        attendee_pass.event = registration.event
    return attendee_pass


@event.listens_for(Session, "before_flush")
def _give_passes(session: Session, _context: Any, _instances: Any) -> None:
    given = {id(obj.registration) for obj in session.new if isinstance(obj, AttendeePass)}
    for obj in list(session.new):
        if isinstance(obj, Registration) and id(obj) not in given:
            session.add(new_pass(obj))


def get_event(event_id: int) -> PublicEvent:
    """The event, or NotFound."""
    found = db.session.get(PublicEvent, event_id)
    if found is None:
        raise NotFound()
    return found


def pass_of(session: Session, registration_id: int) -> AttendeePass | None:
    return session.get(AttendeePass, registration_id)


def pass_for(registration_id: int) -> AttendeePass | None:
    return db.session.get(AttendeePass, registration_id)


def attendees(event_id: int, query: str = "") -> list[AttendeeRow]:
    """Registrations of the event (with their pass), in registration order; `query` searches name,
    organisation and address."""
    # Plain rows of the shown columns: whole registrations and passes as ORM objects were half
    # of the attendee page's time.
    statement = (select(Registration.id, Registration.name, Registration.email, Registration.organisation,
                        Registration.org_kind, Registration.party_size, Registration.status,
                        Registration.created_at, AttendeePass.code, AttendeePass.checked_in_at)
                 .outerjoin(AttendeePass, AttendeePass.registration_id == Registration.id)
                 .where(Registration.event_id == event_id)
                 .order_by(Registration.created_at, Registration.id).limit(LIST_MAX))
    words = query.strip()[:SEARCH_MAX]
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(Registration.name.ilike(pattern, escape="\\"),
                                        Registration.organisation.ilike(pattern, escape="\\"),
                                        Registration.email.ilike(pattern, escape="\\")))
    return [AttendeeRow(*row[:8], row.code or "", row.checked_in_at) for row in db.session.execute(statement)]


# The tally's three statements, built once (profile line 'sqlalchemy/sql/coercions.py:323(expect)':
# building them cost about as much as running them, on the attendee list and the door).
_EVENT_ID: BindParameter[int] = bindparam("event_id")
_PERSONS_BY_STATUS = (
    select(Registration.status, func.coalesce(func.sum(Registration.party_size), 0),
           func.coalesce(func.sum(case((AttendeePass.checked_in_at.is_not(None), Registration.party_size),
                                       else_=0)), 0))
    .outerjoin(AttendeePass, AttendeePass.registration_id == Registration.id)
    .where(Registration.event_id == _EVENT_ID).group_by(Registration.status))
_PARTIES = select(func.count()).select_from(Registration).where(
    Registration.event_id == _EVENT_ID, Registration.status == "registered")
_WALK_INS = select(func.count()).select_from(WalkIn).where(WalkIn.event_id == _EVENT_ID)


def tally_of(session: Session, event_id: int) -> Tally:
    """The event's counts in persons, summed in SQL."""
    given = {"event_id": event_id}
    rows = session.execute(_PERSONS_BY_STATUS, given)
    by_status = {status: (int(total), int(checked)) for status, total, checked in rows}
    registered, checked_in = by_status.get("registered", (0, 0))
    parties = session.scalar(_PARTIES, given) or 0
    walk_ins = session.scalar(_WALK_INS, given) or 0
    return Tally(registered=registered, companions=registered - int(parties),
                 waiting=by_status.get("waiting", (0, 0))[0], checked_in=checked_in, walk_ins=int(walk_ins))


def counts(event_id: int) -> Tally:
    """The live counts of the event (registered, companions, waiting, checked in, walk-ins)."""
    return tally_of(db.session(), event_id)


def record_of(event_id: int) -> EventRecord | None:
    """The counts kept after the personal data went, if it has."""
    return db.session.get(EventRecord, event_id)


def _scan(session: Session, registration: Registration, outcome: Outcome) -> Scan:
    attendee_pass = session.get(AttendeePass, registration.id, populate_existing=True)
    return Scan(outcome, registration.id, registration.name, registration.party_size,
                attendee_pass.checked_in_at if attendee_pass else None)


def _admit(session: Session, registration: Registration, staff_id: int, now: datetime | None) -> Scan:
    """Check the registration in unless it is not allowed or already done (decided by the UPDATE)."""
    if session.get(AttendeePass, registration.id) is None:
        session.add(new_pass(registration))
        session.flush()
    attendee_pass = session.get(AttendeePass, registration.id, populate_existing=True)
    assert attendee_pass is not None
    outcome = checkin_outcome(registration.status, attendee_pass.checked_in_at)
    booking = registration.event.booking
    if outcome == Outcome.ACCEPTED and not is_door_open(booking.start_dt, booking.end_dt,
                                                        booking.space.timezone, now or utcnow()):
        outcome = Outcome.NOT_TODAY
    if outcome != Outcome.ACCEPTED:
        return _scan(session, registration, outcome)
    is_registered = select(Registration.id).where(Registration.id == registration.id,
                                                  Registration.status == "registered")
    result = session.execute(
        update(AttendeePass)
        .where(AttendeePass.registration_id == registration.id, AttendeePass.checked_in_at.is_(None),
               AttendeePass.registration_id.in_(is_registered))
        .values(checked_in_at=now or utcnow(), checked_in_by_id=staff_id)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0) or 0) == 1:
        return _scan(session, registration, Outcome.ACCEPTED)
    session.refresh(registration)
    again = session.get(AttendeePass, registration.id, populate_existing=True)
    return _scan(session, registration, checkin_outcome(registration.status, again.checked_in_at if again else None))


def describe(event_id: int, outcome: Outcome, registration_id: int | None) -> Scan:
    """The door's banner after a redirect: the outcome with the party's name and check-in time."""
    registration = db.session.get(Registration, registration_id) if registration_id else None
    if registration is None or registration.event_id != event_id:
        return Scan(outcome)
    attendee_pass = db.session.get(AttendeePass, registration.id)
    return Scan(outcome, registration.id, registration.name, registration.party_size,
                attendee_pass.checked_in_at if attendee_pass else None)


def check_in_code(event_id: int, typed: str, staff_id: int, now: datetime | None = None) -> Scan:
    """Check in whoever's code was typed or scanned at this event's door (only on the event's day)."""
    code = normalise_code(typed)
    if code is None:
        return Scan(Outcome.UNKNOWN)

    def work(session: Session) -> Scan:
        registration = session.scalars(
            select(Registration).join(AttendeePass, AttendeePass.registration_id == Registration.id)
            .where(AttendeePass.code == code, Registration.event_id == event_id)).first()
        if registration is None:
            return Scan(Outcome.UNKNOWN)
        return _admit(session, registration, staff_id, now)

    return run_write(None, work)


def check_in(event_id: int, registration_id: int, staff_id: int, now: datetime | None = None) -> Scan:
    """Check in one registration found by name (one tap), only on the event's day."""

    def work(session: Session) -> Scan:
        registration = session.get(Registration, registration_id)
        if registration is None or registration.event_id != event_id:
            raise NotFound()
        return _admit(session, registration, staff_id, now)

    return run_write(None, work)


def undo_check_in(event_id: int, registration_id: int) -> Scan:
    """Take a check-in back (a wrong tap); the code can be used again."""

    def work(session: Session) -> Scan:
        registration = session.get(Registration, registration_id)
        if registration is None or registration.event_id != event_id:
            raise NotFound()
        session.execute(update(AttendeePass).where(AttendeePass.registration_id == registration_id)
                        .values(checked_in_at=None, checked_in_by_id=None)
                        .execution_options(synchronize_session=False))
        return _scan(session, registration, checkin_outcome(registration.status, None))

    return run_write(None, work)


def add_walk_in(event_id: int, staff_id: int, name: str = "", organisation: str = "",
                now: datetime | None = None) -> Tally:
    """Count one person who came without registering (name and organisation optional).

    Raises ServiceError, writing nothing, when the event takes no walk-ins or when its
    door has not opened yet (booking.domain.checkin.door_window: the event's day, at most
    3 hours before the start); NotFound for an unknown event.
    """

    def work(session: Session) -> Tally:
        found = session.get(PublicEvent, event_id)
        if found is None:
            raise NotFound()
        if not found.accepts_walk_ins:
            raise ServiceError(NO_WALK_INS)
        at = now or utcnow()  # read under the lock
        booking = found.booking
        if at < door_window(booking.start_dt, booking.end_dt, booking.space.timezone)[0]:
            raise ServiceError(WALK_IN_TOO_EARLY)
        session.add(WalkIn(event_id=event_id, at=at, name=name.strip(), organisation=organisation.strip(),
                           recorded_by_id=staff_id))
        session.flush()
        return tally_of(session, event_id)

    return run_write(None, work)


def undo_walk_in(event_id: int) -> Tally:
    """Take back the last walk-in counted (a double tap)."""

    def work(session: Session) -> Tally:
        newest = session.scalar(select(WalkIn.id).where(WalkIn.event_id == event_id)
                                .order_by(WalkIn.at.desc(), WalkIn.id.desc()).limit(1))
        if newest is None:
            raise ServiceError(NO_WALK_IN_TO_UNDO)
        session.execute(delete(WalkIn).where(WalkIn.id == newest))
        return tally_of(session, event_id)

    return run_write(None, work)


def recent_walk_ins(event_id: int, limit: int = 20) -> list[WalkIn]:
    return list(db.session.scalars(select(WalkIn).where(WalkIn.event_id == event_id)
                                   .order_by(WalkIn.at.desc(), WalkIn.id.desc()).limit(limit)))


def events_for_staff(limit: int = 100) -> list[PublicEvent]:
    """Public events, latest start first (the staff's way into lists and doors), with their bookings and spaces."""
    # One query: the list shows each event's start and space, which were two lazy loads an event
    # (profile line 'sqlalchemy/orm/strategies.py:1040(_emit_lazyload)').
    return list(db.session.scalars(select(PublicEvent).join(Booking, Booking.id == PublicEvent.booking_id)
                                   .options(contains_eager(PublicEvent.booking).joinedload(Booking.space))
                                   .order_by(Booking.start_dt.desc()).limit(limit)))
