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

import functools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, case, delete, event, func, or_, select, true, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter

from booking.db import utcnow
from booking.domain.checkin import (
    FORGOTTEN_PREFIX,
    FORGOTTEN_SUFFIX,
    Outcome,
    Tally,
    checkin_outcome,
    door_window,
    is_door_open,
    is_forgotten,
    new_code,
    normalise_code,
    standing_outcome,
)
from booking.domain.values import N_
from booking.extensions import db
from booking.models import Booking, PublicEvent, Registration, Space
from booking.models_attendance import AttendeeListChange, AttendeePass, EventRecord, WalkIn
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
    is_forgotten: bool = False  # the party deleted its data: its check-in stays (checkin.can_undo_check_in)


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


def pass_for(registration_id: int) -> AttendeePass | None:
    return db.session.get(AttendeePass, registration_id)


class ListedAttendee(NamedTuple):
    """One registration as the attendee list and the door show it (the exports' AttendeeRow adds the
    registration time and the code). A tuple: the kept pages hash and compare 150 of them at C speed."""

    registration_id: int
    name: str
    email: str
    organisation: str
    org_kind: str
    party_size: int
    status: str
    checked_in_at: datetime | None
    is_forgotten: bool  # the party deleted its data: listed as nothing, its check-in kept


# The attendee rows' statements (listed, exported; each whole or searched), built once (profile line
# 'sqlalchemy/sql/coercions.py:323(expect)', two dozen calls a list). Plain rows of the shown
# columns: whole registrations and passes as ORM objects were half of the attendee page's time, and
# the registration time only the exports show was a third of the list's rows (its text parsed into
# an aware datetime for each row: 'sqlalchemy/sql/type_api.py:2270(process)', 'db.py:48(process_result_value)').
_EVENT_ID: BindParameter[int] = bindparam("event_id")
_PATTERN: BindParameter[str] = bindparam("pattern")
# a forgotten person's placeholder address (checkin.is_forgotten) is listed, exported and searched as nothing
_FORGOTTEN = Registration.email.like(f"{FORGOTTEN_PREFIX}%{FORGOTTEN_SUFFIX}")
_SHOWN = (Registration.id, Registration.name, case((_FORGOTTEN, ""), else_=Registration.email).label("email"),
          Registration.organisation, Registration.org_kind, Registration.party_size, Registration.status)


def _listing(*columns: Any) -> tuple[Select[Any], Select[Any]]:
    """The event's registrations with their pass, in registration order: all of them, and those searched."""
    every = (select(*columns).outerjoin(AttendeePass, AttendeePass.registration_id == Registration.id)
             .where(Registration.event_id == _EVENT_ID)
             .order_by(Registration.created_at, Registration.id).limit(LIST_MAX))
    return every, every.where(or_(Registration.name.ilike(_PATTERN, escape="\\"),
                                  Registration.organisation.ilike(_PATTERN, escape="\\"),
                                  Registration.email.ilike(_PATTERN, escape="\\") & ~_FORGOTTEN))


@functools.lru_cache(maxsize=2)
def _statements(exported: bool) -> tuple[Select[Any], Select[Any]]:
    """The listed or the exported statements, built once a process on first use (at import, a change
    to _listing would have been built before any test could see it: mutation/run.py's forks)."""
    if exported:
        return _listing(*_SHOWN, Registration.created_at, func.coalesce(AttendeePass.code, ""),
                        AttendeePass.checked_in_at)
    return _listing(*_SHOWN, AttendeePass.checked_in_at, _FORGOTTEN.label("is_forgotten"))


def _rows(statements: tuple[Select[Any], Select[Any]], event_id: int, query: str) -> Sequence[Row[Any]]:
    words = query.strip()[:SEARCH_MAX]
    given: dict[str, object] = {"event_id": event_id}
    if words:
        given["pattern"] = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    # Executed on the session's connection (Core) and fetched at once: the ORM's execution wrapped each
    # of the 150 rows in Python (profile line 'sqlalchemy/orm/loading.py:216(chunks)'), and iterating
    # fetched them one by one ('sqlite3.Cursor.fetchone').
    return db.session.connection().execute(statements[1] if words else statements[0], given).all()


def attendees(event_id: int, query: str = "") -> list[ListedAttendee]:
    """Registrations of the event (with their check-in), in registration order, at most LIST_MAX; `query`
    searches name, organisation and address (its first SEARCH_MAX characters, case-insensitive)."""
    return list(map(ListedAttendee._make, _rows(_statements(False), event_id, query)))


def export_rows(event_id: int, query: str = "") -> list[AttendeeRow]:
    """The same registrations as `attendees`, with their registration time (UTC) and check-in code."""
    return list(map(AttendeeRow._make, _rows(_statements(True), event_id, query)))


# The tally in one statement, built once: the persons of the event's registrations summed by
# status in one aggregate row (an aggregate without GROUP BY always gives exactly one), and its
# walk-ins counted beside it. Three statements built on every call were profile lines
# 'sqlalchemy/sql/coercions.py:323(expect)' and then 'services/attendance.py:131(tally_of)'.
_REGISTERED = Registration.status == "registered"
_PERSONS = (
    select(func.coalesce(func.sum(case((_REGISTERED, Registration.party_size), else_=0)), 0).label("registered"),
           func.coalesce(func.sum(case((_REGISTERED & AttendeePass.checked_in_at.is_not(None),
                                        Registration.party_size), else_=0)), 0).label("checked_in"),
           func.coalesce(func.sum(case((Registration.status == "waiting", Registration.party_size), else_=0)),
                         0).label("waiting"),
           func.coalesce(func.sum(case((_REGISTERED, 1), else_=0)), 0).label("parties"))
    .outerjoin(AttendeePass, AttendeePass.registration_id == Registration.id)
    .where(Registration.event_id == _EVENT_ID).subquery("persons"))
_WALK_INS = select(func.count()).select_from(WalkIn).where(WalkIn.event_id == _EVENT_ID).scalar_subquery()
_TALLY_COLUMNS = (_PERSONS.c.registered, _PERSONS.c.checked_in, _PERSONS.c.waiting, _PERSONS.c.parties,
                  _WALK_INS.label("walk_ins"))
_TALLY = select(*_TALLY_COLUMNS)


def _tally(counted: Sequence[Any]) -> Tally:
    """The Tally of one row of _TALLY_COLUMNS (persons registered, checked in, waiting; parties; walk-ins)."""
    registered, checked_in, waiting, parties, walk_ins = counted
    return Tally(registered=int(registered), companions=int(registered) - int(parties), waiting=int(waiting),
                 checked_in=int(checked_in), walk_ins=int(walk_ins))


def tally_of(session: Session, event_id: int) -> Tally:
    """The event's counts in persons, summed in SQL (one statement)."""
    row = session.execute(_TALLY, {"event_id": event_id}).one()
    return _tally(row)


def counts(event_id: int) -> Tally:
    """The live counts of the event (registered, companions, waiting, checked in, walk-ins)."""
    return tally_of(db.session(), event_id)


@dataclass(frozen=True)
class EventPage:
    """What the attendee list and the door show of an event besides its people: hashable, so
    that it can be part of the key of a kept page. Times are aware UTC instants."""

    id: int
    title_ja: str
    title_en: str
    status: str
    accepts_walk_ins: bool
    start_dt: datetime
    timezone: str
    space_name_ja: str
    space_name_en: str
    anonymised_at: datetime | None  # when the personal data was removed (EventRecord), if it was
    counts: Tally
    # How many writes to the event's registrations and passes there were, and the newest one's id
    # (AttendeeListChange, appended by triggers): any change to a row the list shows changes it.
    list_version: tuple[int, int | None] = (0, None)

    def title(self, locale: str) -> str:
        """The title in `locale` ("ja" or "en"), Japanese when there is no English one (as PublicEvent.title)."""
        return self.title_en if locale == "en" and self.title_en else self.title_ja

    def space_name(self, locale: str) -> str:
        """The space's name in `locale`, Japanese when there is no English one (as Space.name)."""
        return self.space_name_en if locale == "en" and self.space_name_en else self.space_name_ja


_CHANGES = (select(func.count().label("changes"), func.max(AttendeeListChange.id).label("newest_change"))
            .where(AttendeeListChange.event_id == _EVENT_ID).subquery("changes"))
_EVENT_PAGE = (
    select(PublicEvent.id, PublicEvent.title_ja, PublicEvent.title_en, PublicEvent.status,
           PublicEvent.accepts_walk_ins, Booking.start_dt, Space.timezone, Space.name_ja, Space.name_en,
           EventRecord.anonymised_at, *_TALLY_COLUMNS, *_CHANGES.c)
    .join(Booking, Booking.id == PublicEvent.booking_id).join(Space, Space.id == Booking.space_id)
    .outerjoin(EventRecord, EventRecord.event_id == PublicEvent.id)
    .join(_PERSONS, true()).join(_CHANGES, true())
    .where(PublicEvent.id == _EVENT_ID))


def event_page(event_id: int) -> EventPage:
    """The event, its space, its counts, when its personal data went and its list version, in one
    statement (the attendee list and the door read them in seven: the event, its booking and
    space by lazy loads, the record, and the tally's three). Raises NotFound for an unknown event."""
    row = db.session.connection().execute(_EVENT_PAGE, {"event_id": event_id}).one_or_none()
    if row is None:
        raise NotFound()
    return EventPage(*row[:10], counts=_tally(row[10:15]), list_version=(int(row[15]), row[16]))


def _scan(session: Session, registration: Registration, outcome: Outcome) -> Scan:
    attendee_pass = session.get(AttendeePass, registration.id, populate_existing=True)
    return Scan(outcome, registration.id, registration.name, registration.party_size,
                attendee_pass.checked_in_at if attendee_pass else None, is_forgotten(registration.email))


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


def describe(event_id: int, claimed: Outcome, registration_id: int | None,
             now: datetime | None = None) -> Scan | None:
    """The door's banner after a redirect, as true now: the outcome `claimed` by the address checked against
    the registration's current state (booking.domain.checkin.standing_outcome), with the party's name and
    check-in time; None when nothing true is left to say. A registration of another event counts as none."""
    registration = db.session.get(Registration, registration_id) if registration_id else None
    if registration is None or registration.event_id != event_id:
        outcome = standing_outcome(claimed, None, None, is_open=False)
        return None if outcome is None else Scan(outcome)
    attendee_pass = db.session.get(AttendeePass, registration.id)
    checked_in_at = attendee_pass.checked_in_at if attendee_pass else None
    outcome = standing_outcome(claimed, registration.status, checked_in_at,
                               is_open=claimed == Outcome.NOT_TODAY and _is_door_open(registration, now))
    if outcome is None:
        return None
    return Scan(outcome, registration.id, registration.name, registration.party_size, checked_in_at,
                is_forgotten(registration.email))


def _is_door_open(registration: Registration, now: datetime | None) -> bool:
    booking = registration.event.booking
    return is_door_open(booking.start_dt, booking.end_dt, booking.space.timezone, now or utcnow())


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
    """Take a check-in back (a wrong tap); the code can be used again. The Scan says UNDONE; for a party
    without a seat (cancelled, waiting: a left-over check-in does not count) nothing is written and the Scan
    says where it stands; for a forgotten person's (checkin.is_forgotten) too, saying ALREADY: undone, it would
    hold seats that no personal link can cancel any more, so the count stays true only while it stays in."""

    def work(session: Session) -> Scan:
        registration = session.get(Registration, registration_id)
        if registration is None or registration.event_id != event_id:
            raise NotFound()
        if registration.status != "registered":
            return _scan(session, registration, checkin_outcome(registration.status, None))
        if is_forgotten(registration.email):  # its seats would stay held with no link left to cancel them
            return _scan(session, registration, Outcome.ALREADY)
        session.execute(update(AttendeePass).where(AttendeePass.registration_id == registration_id)
                        .values(checked_in_at=None, checked_in_by_id=None)
                        .execution_options(synchronize_session=False))
        return _scan(session, registration, Outcome.UNDONE)

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


class StaffEventRow(NamedTuple):
    """What the staff's list of events shows of one event."""

    id: int
    status: str
    title_ja: str
    title_en: str
    start_dt: datetime
    timezone: str
    space_ja: str
    space_en: str

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_ja

    def space_name(self, locale: str) -> str:
        return self.space_en if locale == "en" and self.space_en else self.space_ja


# Built once and run through Core: the list only displays each event's title, start and space, and
# building the ORM statement with its eager loads and loading three objects a row were two thirds of
# the page (profile lines 'services/attendance.py:381(events_for_staff)' and
# 'sqlalchemy/orm/loading.py:821(_instance_processor)').
_STAFF_EVENTS = (select(PublicEvent.id, PublicEvent.status, PublicEvent.title_ja, PublicEvent.title_en,
                        Booking.start_dt, Space.timezone, Space.name_ja, Space.name_en)
                 .join(Booking, Booking.id == PublicEvent.booking_id).join(Space, Space.id == Booking.space_id)
                 .order_by(Booking.start_dt.desc(), PublicEvent.id.desc()).limit(bindparam("limit")))


def events_for_staff(limit: int = 100) -> list[StaffEventRow]:
    """Public events, latest start first (the staff's way into lists and doors), with their start and space."""
    return [StaffEventRow(*row) for row in db.session.connection().execute(_STAFF_EVENTS, {"limit": limit})]
