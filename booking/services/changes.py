"""Changing a booking in place: its time, desks, title and public flag.

A change is checked again, under the space's lock, against everything but the
booking itself (its own old holds never count as a conflict), and the old holds
are replaced by the new ones inside the same transaction, so the database guard
sees only the new ones. Until a change succeeds the booking keeps its old time
and units: a refused change loses nothing. The booking keeps its UID and gets a
higher SEQUENCE; the trail gets `edited` with the values before and after.

In a space that needs approval, a member's change of time (or of the number of
desks) to a confirmed booking becomes a proposal: stored on the booking, shown
to staff in the queue, approved (`approve_change`, re-checked again) or declined
(`decline_change`); the booking stays confirmed at its old time meanwhile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from booking.db import utcnow
from booking.domain import events as event_rules
from booking.domain.rules import check_request, free_units, occupied
from booking.domain.statuses import BookingStatus, holds_units, is_proposal_open
from booking.domain.values import N_, Conflict, Request
from booking.extensions import db
from booking.models import AgendaItem, Booking, BookingHold, PublicEvent, Space, User
from booking.services import NotFound, ServiceError, Stale, audit, expiry
from booking.services.bookings import ALREADY, Outcome, _units_conflict, get_own_booking, with_hints
from booking.services.spaces import active_holds, closures_between, policy_of
from booking.services.staff import NOTE_MAX, REQUEST_TIME_RULES, Refused, _usage_without, run_decision
from booking.services.transactions import is_guard_refusal, run_write

TITLE_MAX = 200


@dataclass(frozen=True)
class BookingChange:
    """What a booking should become: instants in UTC; `units` are chosen desks (empty: any free)."""

    start_dt: datetime
    end_dt: datetime
    title: str
    is_public: bool
    seats: int = 1
    units: tuple[int, ...] = ()
    purpose: str | None = None  # None: keep what the booking says
    attendees: int | None = None


def snapshot(booking: Booking) -> dict[str, Any]:
    """The values a change may touch, as JSON-ready data (instants as UTC ISO 8601)."""
    return {
        "start": booking.start_dt.isoformat(), "end": booking.end_dt.isoformat(),
        "seats": booking.seats, "units": booking.unit_numbers,
        "title": booking.title, "is_public": booking.is_public,
        "purpose": booking.purpose, "attendees": booking.attendees,
    }


def edit_note(before: dict[str, Any], after: dict[str, Any]) -> str:
    """The trail note of an edit or proposal: {"before": …, "after": …} with the fields that differ."""
    changed = sorted(k for k in after if before.get(k) != after[k])
    return json.dumps({"before": {k: before.get(k) for k in changed}, "after": {k: after[k] for k in changed}},
                      ensure_ascii=False, sort_keys=True)


def read_edit_note(note: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The before and after values of an `edited`/`proposed` note, or None for any other note."""
    try:
        data = json.loads(note)
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), dict) for k in ("before", "after")):
        return None
    return data["before"], data["after"]


def _moves(booking: Booking, change: BookingChange) -> bool:
    if (change.start_dt, change.end_dt, change.seats) != (booking.start_dt, booking.end_dt, booking.seats):
        return True
    return bool(change.units) and sorted(change.units) != booking.unit_numbers


def _checked_units(
    session: Session, booking: Booking, start_dt: datetime, end_dt: datetime, seats: int,
    wanted: tuple[int, ...], now: datetime, locale: str, overrides: frozenset[str] = frozenset(),
) -> tuple[list[int], list[Conflict]]:
    """Every rule for the booking at its new time, against everything but itself: units or conflicts."""
    space = booking.space
    policy = policy_of(space)
    request = Request(start_dt, end_dt, seats, booking.user_id)
    occupied_start, occupied_end = occupied(request, policy)
    holds = [h for h in active_holds(session, space, occupied_start, occupied_end) if h.booking_id != booking.id]
    closures = closures_between(session, space, policy, start_dt, end_dt, locale)
    usage = _usage_without(session, booking, now)
    conflicts = check_request(request, policy, holds, closures, now, usage, overrides, suggest=False)
    if conflicts:
        return [], conflicts
    free = free_units(holds, policy, occupied_start, occupied_end)
    if wanted:
        is_exact = len(set(wanted)) == len(wanted) == seats
        if is_exact and set(wanted) <= set(free):
            return sorted(wanted), []
        return [], [_units_conflict(space)]
    current = booking.unit_numbers
    if len(current) == seats and set(current) <= set(free):
        return current, []  # keep the desks the member has when they are still free
    if len(free) < seats:
        return [], [_units_conflict(space)]
    return free[:seats], []


def _move(session: Session, booking: Booking, start_dt: datetime, end_dt: datetime, units: list[int]) -> None:
    """Replace the booking's holds by holds of `units` at the new time, in the caller's transaction.

    The old holds are deleted at once (a plain DELETE), the new ones are inserted
    at the caller's next flush: neither the unique (booking, unit) constraint nor
    the overlap guard ever sees old and new together, and the booking row itself
    is written once (so the feeds raise its SEQUENCE once).
    """
    space = booking.space
    _move_agenda(session, booking, start_dt, end_dt)
    occupied_start, occupied_end = occupied(Request(start_dt, end_dt, len(units)), policy_of(space))
    old = list(booking.holds)
    session.execute(delete(BookingHold).where(BookingHold.booking_id == booking.id),
                    execution_options={"synchronize_session": False})
    for hold in old:
        session.expunge(hold)
    set_committed_value(booking, "holds", [])
    is_holding = holds_units(booking.status, space.pending_holds)
    for unit in units:
        booking.holds.append(BookingHold(space_id=space.id, unit_no=unit, occupied_start=occupied_start,
                                         occupied_end=occupied_end, is_active=is_holding))
    booking.start_dt, booking.end_dt, booking.seats = start_dt, end_dt, len(units)
    _clear_proposal(booking)
    _offers_follow(session, booking)


def _offers_follow(session: Session, booking: Booking) -> None:
    """An event moved earlier pulls in the deadlines of its open offers: never after its new start."""
    from booking.services.registrations import offers_follow_the_start

    with session.no_autoflush:  # the moved booking is written once, at the caller's flush (one SEQUENCE)
        event = session.scalar(select(PublicEvent).where(PublicEvent.booking_id == booking.id))
        if event is not None:
            offers_follow_the_start(session, event)


def _moved_agenda(session: Session, booking: Booking, start_dt: datetime,
                  end_dt: datetime) -> list[tuple[AgendaItem, datetime]]:
    """The agenda items of the booking's public event with their starts after the move (ServiceError when
    the moved agenda would not fit the booking)."""
    event = session.scalar(select(PublicEvent).where(PublicEvent.booking_id == booking.id))
    if event is None or not event.agenda_items:
        return []
    slots = [event_rules.AgendaSlot(item.start_dt, item.minutes) for item in event.agenda_items]
    moved = event_rules.shifted_agenda(booking.start_dt, start_dt, end_dt, slots)
    if moved is None:
        raise ServiceError(N_("The public event's agenda would no longer fit the booking: "
                              "shorten the agenda in the event form first."))
    return [(item, slot.start_dt) for item, slot in zip(event.agenda_items, moved, strict=True)]


def _move_agenda(session: Session, booking: Booking, start_dt: datetime, end_dt: datetime) -> None:
    """Shift the agenda of the booking's public event with it, or refuse a move it would not fit."""
    for item, new_start in _moved_agenda(session, booking, start_dt, end_dt):
        item.start_dt = new_start


def _clear_proposal(booking: Booking) -> None:
    booking.proposed_start_dt = booking.proposed_end_dt = None
    booking.proposed_seats = None
    booking.proposed_at = None


def _proposal(booking: Booking) -> dict[str, Any]:
    assert booking.proposed_start_dt is not None and booking.proposed_end_dt is not None
    return snapshot(booking) | {"start": booking.proposed_start_dt.isoformat(),
                                "end": booking.proposed_end_dt.isoformat(),
                                "seats": booking.proposed_seats or booking.seats}


def _changeable(actor: User, booking_id: int, now: datetime) -> Booking:
    booking = get_own_booking(actor, booking_id)
    if not booking.is_active_at(now):  # a request past its deadline has expired, written yet or not
        raise Stale(ALREADY[booking.status_at(now)])
    if booking.start_dt <= now:
        raise ServiceError(N_("A booking that has started can no longer be changed."))
    return booking


def _change(session: Session, actor: User, booking_id: int, change: BookingChange, now: datetime,
            locale: str) -> Outcome:
    booking = _changeable(actor, booking_id, now)
    before = snapshot(booking)
    is_proposal = False
    if _moves(booking, change):
        expiry.expire_lapsed_in(session, booking.space, now)  # requests past their deadline hold nothing now
        units, conflicts = _checked_units(session, booking, change.start_dt, change.end_dt, change.seats,
                                          change.units, now, locale)
        if conflicts:
            return Outcome(conflicts=conflicts)
        is_proposal = (booking.space.requires_approval and booking.status == BookingStatus.CONFIRMED
                       and not actor.is_staff)
        if is_proposal:
            _moved_agenda(session, booking, change.start_dt, change.end_dt)  # refused now, not at approval
            booking.proposed_start_dt, booking.proposed_end_dt = change.start_dt, change.end_dt
            booking.proposed_seats, booking.proposed_at = change.seats, now
        else:
            _move(session, booking, change.start_dt, change.end_dt, units)
    booking.title, booking.is_public = change.title, change.is_public
    if change.purpose is not None:
        booking.purpose = change.purpose
    if change.attendees is not None:
        booking.attendees = change.attendees
    after = snapshot(booking)
    if after != before:
        booking.sequence += 1
        booking.updated_at = now
        audit.record(session, booking, "edited", actor, now, booking.status, edit_note(before, after))
    if is_proposal:
        booking.updated_at = now
        audit.record(session, booking, "proposed", actor, now, booking.status, edit_note(after, _proposal(booking)))
    session.flush()
    return Outcome(booking=booking, is_proposal=is_proposal)


def change_booking(
    actor: User, booking_id: int, change: BookingChange, now: datetime | None = None, locale: str = "ja"
) -> Outcome:
    """Change a future pending or confirmed booking in place, or propose the change to staff.

    `actor` is the booking's member, or staff changing anybody's booking. A
    refusal comes back as `Outcome.conflicts` (with a `hint` on a collision) and
    leaves the booking exactly as it was. Raises NotFound for somebody else's
    booking, Stale when it is no longer active, ServiceError once it has started
    or for an empty or too long title. A member's change of time in a space that
    needs approval returns the booking unchanged in time with `is_proposal` set.
    """
    now = now or utcnow()
    title = change.title.strip()
    if not title or len(title) > TITLE_MAX:
        raise ServiceError(N_("Enter a title (at most %(max)s characters)."), max=TITLE_MAX)
    change = replace(change, title=title)
    space_id = get_own_booking(actor, booking_id).space_id
    try:
        outcome = run_write(space_id, lambda s: _change(s, actor, booking_id, change, now, locale))
    except IntegrityError as error:
        db.session.rollback()
        if not is_guard_refusal(error):
            raise
        space = db.session.get(Space, space_id)
        assert space is not None
        outcome = Outcome(conflicts=[_units_conflict(space)])
    request = Request(change.start_dt, change.end_dt, change.seats, actor.id)
    return with_hints(outcome, space_id, request, now, locale, without_booking=booking_id)


def _with_proposal(session: Session, booking_id: int, now: datetime) -> Booking:
    """The confirmed booking `booking_id` with a proposed change still open at `now`; Stale once decided,
    withdrawn or past its deadline (dropped from that instant on, even before the expiry job clears it)."""
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFound()
    if not booking.has_proposal or booking.status != BookingStatus.CONFIRMED:
        raise Stale(N_("This change was already decided or withdrawn."))
    if not is_proposal_open(booking.proposed_start_dt, booking.proposed_at, booking.space.request_deadline_hours, now):
        raise Stale(N_("This change expired before anyone decided on it."))
    return booking


def _approve_change(session: Session, staff: User, booking_id: int, now: datetime, locale: str) -> Booking:
    booking = _with_proposal(session, booking_id, now)
    start_dt, end_dt = booking.proposed_start_dt, booking.proposed_end_dt
    assert start_dt is not None and end_dt is not None  # open: before its deadline, never after its start
    seats = booking.proposed_seats or booking.seats
    units, conflicts = _checked_units(session, booking, start_dt, end_dt, seats, (), now, locale,
                                      REQUEST_TIME_RULES)
    if conflicts:
        raise Refused(conflicts)
    before = snapshot(booking)
    _move(session, booking, start_dt, end_dt, units)
    booking.sequence += 1
    booking.updated_at = now
    audit.record(session, booking, "edited", staff, now, booking.status, edit_note(before, snapshot(booking)))
    session.flush()  # the database guard has the last word here
    return booking


def approve_change(staff: User, booking_id: int, now: datetime | None = None, locale: str = "ja") -> Booking:
    """Move a confirmed booking to its proposed time after re-checking every rule under the lock.

    Raises Stale when the proposal was decided or withdrawn meanwhile, Refused when
    a rule (another booking, a closure) now stands in the way; the booking then
    keeps its old time and the proposal stays for staff to decline.
    """
    now = now or utcnow()
    if not staff.is_staff:
        raise ServiceError(N_("Only staff can decide on changes."))
    space_id = get_own_booking(staff, booking_id).space_id
    return run_decision(space_id, lambda s: _approve_change(s, staff, booking_id, now, locale), _units_conflict)


def decline_change(staff: User, booking_id: int, note: str = "", now: datetime | None = None) -> Booking:
    """Drop a proposed change with an optional note; the booking stays as it was (nothing is lost)."""
    now = now or utcnow()
    note = note.strip()
    if not staff.is_staff:
        raise ServiceError(N_("Only staff can decide on changes."))
    if len(note) > NOTE_MAX:
        raise ServiceError(N_("The note is too long (at most %(max)s characters)."), max=NOTE_MAX)

    def work(session: Session) -> Booking:
        booking = _with_proposal(session, booking_id, now)
        _clear_proposal(booking)
        booking.updated_at = now
        audit.record(session, booking, "declined", staff, now, booking.status, note)
        return booking

    return run_write(get_own_booking(staff, booking_id).space_id, work)
