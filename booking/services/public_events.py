"""Turning a booking into a public event, and finding the events visitors may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select, type_coerce
from sqlalchemy.orm import Session, contains_eager, selectinload
from sqlalchemy.types import NullType

from booking.db import utcnow
from booking.domain import events as rules
from booking.domain.values import N_
from booking.extensions import db
from booking.models import AgendaItem, Booking, PublicEvent, Space, User
from booking.services import NotFound, ServiceError, event_review_mail
from booking.services.spaces import longest_hold
from booking.services.transactions import run_write

NOT_CONFIRMED = N_("Only an event on a confirmed booking can be published: approve the booking first.")
PUBLISHED_BY_STAFF = N_("This event is published, so staff make any further change to it. "
                        "Please tell staff what should change.")
SHOWN = rules.SHOWN_STATUSES  # a withdrawn event stays visible, as cancelled


@dataclass(frozen=True)
class AgendaInput:
    start_dt: datetime
    minutes: int
    title_ja: str
    title_en: str = ""
    speakers: str = ""


@dataclass(frozen=True)
class EventInput:
    """What the event form gives; instants are aware (UTC)."""

    title_ja: str
    capacity: int
    registration_opens_at: datetime
    registration_closes_at: datetime
    title_en: str = ""
    description_ja: str = ""
    description_en: str = ""
    organiser: str = ""
    fee_ja: str = "無料"
    fee_en: str = "Free"
    accepts_walk_ins: bool = True
    agenda: tuple[AgendaInput, ...] = field(default_factory=tuple)


@dataclass
class Saved:
    event: PublicEvent | None = None
    problems: list[rules.EventProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.event is not None


def may_host(user: User, booking: Booking) -> bool:
    """Staff may make any booking public; a member only their own, where the space allows it."""
    return user.is_staff or (booking.user_id == user.id and booking.space.members_may_host_events)


def editable_booking(user: User, booking_id: int) -> Booking:
    """The booking `user` may put an event on; NotFound otherwise."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not may_host(user, booking):
        raise NotFound()
    return booking


def event_of(booking_id: int) -> PublicEvent | None:
    return db.session.scalar(select(PublicEvent).where(PublicEvent.booking_id == booking_id))


def save_event(user: User, booking_id: int, data: EventInput, now: datetime | None = None, key: str = "") -> Saved:
    """Create or update the public event of a booking, checked under the space's lock.

    The agenda must fit inside the booking, the capacity within the space's
    maximum number of people and not below the seats already given, and
    registration must close after it opens and by the end of the event. A member's
    event waits for staff (`pending`, also after a rejection; event_review decides) and
    each enabled staff member gets a mail about it; staff's is published at once. A larger
    capacity seats the waiting list at once (`key` signs the links in their mail).
    """
    now = now or utcnow()
    space_id = editable_booking(user, booking_id).space_id
    return run_write(space_id, lambda s: _save(s, user, booking_id, data, now, key))


def _stored_period(event: PublicEvent | None) -> tuple[datetime, datetime] | None:
    return (event.registration_opens_at, event.registration_closes_at) if event is not None else None


def _save(session: Session, user: User, booking_id: int, data: EventInput, now: datetime, key: str) -> Saved:
    booking = editable_booking(user, booking_id)
    if booking.status not in ("confirmed", "pending"):
        raise ServiceError(N_("Only a pending or confirmed booking can carry a public event."))
    event = event_of(booking_id)
    taken = event.seats_taken if event is not None else 0
    slots = [rules.AgendaSlot(item.start_dt, item.minutes) for item in data.agenda]
    opens, closes = rules.kept_period(data.registration_opens_at, data.registration_closes_at,
                                      _stored_period(event), booking.start_dt)
    problems = [*rules.capacity_problems(data.capacity, booking.space.max_people, taken),
                *rules.window_problems(opens, closes, booking.end_dt, _stored_period(event)),
                *rules.agenda_problems(booking.start_dt, booking.end_dt, slots)]
    if user.is_staff and booking.status != "confirmed":  # staff's event is published at once: not on a pending one
        problems.insert(0, rules.EventProblem("booking_pending", NOT_CONFIRMED))
    if not user.is_staff and event is not None and event.status == "published":
        problems.insert(0, rules.EventProblem("published", PUBLISHED_BY_STAFF))
    if problems:
        return Saved(problems=problems)
    # A member's new event, or a rejected one changed, goes (back) to staff: they get a mail.
    proposed = not user.is_staff and (event is None or event.status == "rejected")
    if event is None:
        event = PublicEvent(booking=booking, created_by_id=user.id, created_at=now, sequence=0,
                            status="published" if user.is_staff else "pending")
        session.add(event)
    else:
        event.sequence += 1
        if event.status == "rejected":  # the member changed a rejected proposal: staff look again
            event.status = "pending"
    for name in ("title_ja", "title_en", "description_ja", "description_en", "organiser", "capacity",
                 "fee_ja", "fee_en", "accepts_walk_ins"):
        setattr(event, name, getattr(data, name))
    event.registration_opens_at, event.registration_closes_at = opens, closes
    event.updated_at = now
    event.agenda_items = [AgendaItem(start_dt=a.start_dt, minutes=a.minutes, title_ja=a.title_ja,
                                     title_en=a.title_en, speakers=a.speakers) for a in data.agenda]
    booking.is_public = True
    session.flush()
    if proposed:
        event_review_mail.notify_staff(session, event, user)
    if event.status == "published" and booking.status == "confirmed":
        from booking.services.registrations import promote_waiting

        promote_waiting(session, event, key, now)
    return Saved(event=event)


# The spaces come in the same query (the list names each event's space: one query per space when loaded on
# first use), and the bookings by their ids from the events shown: joined only by status, SQLite read every
# booking of every space ('SCAN bookings USING INDEX ix_bookings_usage', 3,394 rows for 2 events) and probed
# each for an event, so the list grew with the booking history.
_SHOWN_BOOKINGS = select(PublicEvent.booking_id).where(PublicEvent.status.in_(SHOWN))
_LISTED = (
    select(PublicEvent).join(Booking).join(Space, Space.id == Booking.space_id)
    .options(contains_eager(PublicEvent.booking).contains_eager(Booking.space))
    .where(Booking.id.in_(_SHOWN_BOOKINGS), PublicEvent.status.in_(SHOWN), Booking.status != "pending")
    .order_by(Booking.start_dt, PublicEvent.id)
)


def listed(now: datetime | None = None, space_id: int | None = None) -> tuple[list[PublicEvent], list[PublicEvent]]:
    """Events visitors may see (as `public_event`): upcoming, soonest first, and past, latest first.

    Upcoming holds the cancelled ones too (withdrawn by staff, or their booking no longer on;
    `PublicEvent.is_cancelled`) until their end has passed, so a visitor who saw an event
    learns it is off; past holds only the events that took place.
    """
    now = now or utcnow()
    query = _LISTED
    if space_id is not None:
        query = query.where(Booking.space_id == space_id)
    rows = list(db.session.scalars(query))
    upcoming = [e for e in rows if e.booking.end_dt > now]
    past = [e for e in reversed(rows) if e.booking.end_dt <= now and not e.is_cancelled]
    return upcoming, past


# Built once, with bound values (profile lines 'sqlalchemy/sql/coercions.py:323(expect)' and the lazy
# load of each event's booking under `listed`, on every GET of a week grid). The lower bound on the
# booking's start keeps the bookings an index range of what has not ended: without it SQLite read
# every booking of the space ('SEARCH bookings USING COVERING INDEX ix_bookings_usage (space_id=?)';
# the desk week's page took 0.5 s with 1,000,000 bookings of history, 14 ms with 10,000).
_UPCOMING_IN_SPACE = (
    select(PublicEvent).join(PublicEvent.booking).options(contains_eager(PublicEvent.booking))
    .where(PublicEvent.status.in_(SHOWN), Booking.status != "pending",
           Booking.space_id == bindparam("space_id"), Booking.start_dt >= bindparam("low"),
           Booking.end_dt > bindparam("now"))
    .order_by(Booking.start_dt, PublicEvent.id)
)


def upcoming_in(space: Space, now: datetime) -> list[PublicEvent]:
    """`listed(now, space.id)[0]`: the space's events visitors may see (called-off ones too, marked
    as such) not ended at `now` (UTC), soonest first, their bookings loaded; the past ones are not
    read (a booking is no longer than its holds, `services.spaces.longest_hold`)."""
    return list(db.session.scalars(_UPCOMING_IN_SPACE, {"space_id": space.id, "now": now,
                                                         "low": now - longest_hold(space)}))


# The event with its booking and space in one query, its agenda in a second (four queries when each was
# loaded on first use).
_PUBLIC_EVENT = (
    select(PublicEvent).join(PublicEvent.booking).join(Space, Space.id == Booking.space_id)
    .options(contains_eager(PublicEvent.booking).contains_eager(Booking.space),
             selectinload(PublicEvent.agenda_items))
    .where(PublicEvent.id == bindparam("event_id"))
)


# Every column the event page shows (the event, its booking's status and times, its space's names, slug and
# zone, the agenda), as the driver returns them: the key of the kept page (booking.views.events.detail).
_EVENTS, _AGENDA = PublicEvent.__table__, AgendaItem.__table__
_PAGE_FACTS = (
    select(Booking.end_dt, Booking.start_dt, PublicEvent.registration_opens_at, PublicEvent.registration_closes_at,
           *(type_coerce(column, NullType) for column in (
        *_EVENTS.c, Booking.status, Booking.start_dt, Booking.end_dt, Space.slug, Space.name_ja, Space.name_en,
        Space.timezone, *_AGENDA.c)))
    .select_from(_EVENTS.join(Booking, Booking.id == _EVENTS.c.booking_id).join(Space, Space.id == Booking.space_id)
                 .outerjoin(_AGENDA, _AGENDA.c.event_id == _EVENTS.c.id))
    .where(_EVENTS.c.id == bindparam("event_id"))
    .order_by(_AGENDA.c.start_dt, _AGENDA.c.id)
)
_TYPED = 4  # the booking's end and start and the registration window, typed, before the raw rows
_EVENT_STATUS, _BOOKING_STATUS = _TYPED + list(_EVENTS.c.keys()).index("status"), _TYPED + len(_EVENTS.c)


class PageFacts(NamedTuple):
    """What an event's page shows, as read: `rows` (equal for equal pages), the booking's end (UTC),
    whether this request's later reads (`public_event`) see the same snapshot of the database, and the
    booking's start and the registration window (UTC) that, with the clock, say whether it is open."""

    rows: tuple[tuple[object, ...], ...]
    end_dt: datetime
    is_snapshot: bool
    start_dt: datetime
    registration_opens_at: datetime
    registration_closes_at: datetime


def page_facts(event_id: int) -> PageFacts:
    """The raw rows of everything `public_event`'s page shows, one query; NotFound as `public_event`.

    Read instead of the event itself when its rendered page is kept (profile line
    'sqlalchemy/orm/strategies.py:3226(_load_for_path)' with the ORM's loading of the event, its
    booking, space and agenda: a third of the event page). When the session has not read yet, its
    transaction starts here as one snapshot (PostgreSQL: REPEATABLE READ; SQLite's read transaction
    is one), so a `public_event` read after it shows exactly these rows.
    """
    session = db.session()
    is_snapshot = not session.in_transaction()
    if is_snapshot and session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    rows = tuple(tuple(row) for row in session.connection().execute(_PAGE_FACTS, {"event_id": event_id}))
    if not rows or rows[0][_EVENT_STATUS] not in SHOWN or rows[0][_BOOKING_STATUS] == "pending":
        raise NotFound()
    first = rows[0]
    return PageFacts(tuple(row[_TYPED:] for row in rows), first[0], is_snapshot, first[1], first[2], first[3])


def public_event(event_id: int) -> PublicEvent:
    """An event visitors may see: published on a confirmed booking, or cancelled (withdrawn by staff,
    or its booking ended: shown as cancelled). Never one whose booking still waits for approval."""
    event: PublicEvent | None = db.session.scalar(_PUBLIC_EVENT, {"event_id": event_id})
    if event is None or event.status not in SHOWN or event.booking.status == "pending":
        raise NotFound()
    return event
