"""Requesting, cancelling and listing bookings."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.domain.grid import UNIT_CODES
from booking.domain.hints import hint_conflict
from booking.domain.rules import check_request, occupied, pick_units
from booking.domain.statuses import BookingStatus, can_transition, holds_units
from booking.domain.values import N_, OVERRIDABLE, ClosedRange, Conflict, Hold, Listed, Policy, Request, Usage
from booking.extensions import db
from booking.models import Booking, BookingHold, BookingSeries, Space, User, new_uid
from booking.services import NotFound, ServiceError, Stale, audit, expiry, new_booking, notifications
from booking.services.feed_events import Rendered, feed_locale, raise_feed_versions, render_booking
from booking.services.notifications import calendar_message
from booking.services.spaces import (
    active_holds,
    free_starts,
    holds_and_closures,
    holds_closures_and_waiting,
    policy_of,
)
from booking.services.transactions import is_guard_refusal, locked_space, run_write

log = logging.getLogger(__name__)

ALREADY = {
    "cancelled": N_("This booking was already cancelled."),
    "rejected": N_("This booking was already rejected."),
    "confirmed": N_("This booking was already confirmed."),
    "pending": N_("This booking is still waiting for approval."),
    "expired": N_("This request expired: staff did not decide on it in time."),
}


@dataclass(frozen=True)
class BookingInput:
    """A booking request as the form delivers it: instants in UTC."""

    space_id: int
    start_dt: datetime
    end_dt: datetime
    title: str
    seats: int = 1
    purpose: str = ""
    attendees: int = 0
    is_public: bool = False
    units: tuple[int, ...] = ()
    # The form's token (booking.fields.SubmitTokenField): a repeat returns the booking it made.
    submit_token: str | None = None


@dataclass
class Outcome:
    booking: Booking | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    # Where the same booking would fit instead (code `hint`), on a collision only.
    hint: Conflict | None = None
    # A change of time now waits for staff; the booking keeps its old time meanwhile.
    is_proposal: bool = False
    # The same form was sent before: `booking` is what that POST made, nothing new was.
    is_repeat: bool = False

    @property
    def ok(self) -> bool:
        return self.booking is not None

    @property
    def messages(self) -> list[Conflict]:
        """The conflicts, then the hint: everything the form shows on a refusal."""
        return [*self.conflicts, *([self.hint] if self.hint is not None else [])]


def _usage(session: Session, space: Space, user_id: int, now: datetime, request: Request) -> Usage:
    """What the quota rule needs of the member's bookings here, and nothing when the space has no quota.

    A count limit needs the active bookings not yet over; an hours limit those within
    7 days of the request (and ended less than 7 days ago). The cost follows the quota, not the member's history.
    """
    needed = []
    if space.quota_active_bookings is not None:
        needed.append(Booking.end_dt > now)
    if space.quota_hours_per_week is not None:
        week = timedelta(days=7)
        # Hours booked more than 7 days before now count in no quota (a past request included).
        since = max(now, request.start_dt) - week
        needed.append(and_(Booking.end_dt > since, Booking.start_dt < request.end_dt + week))
    if not needed:
        return Usage()
    rows = session.execute(
        select(Booking.start_dt, Booking.end_dt).where(
            Booking.space_id == space.id,
            Booking.user_id == user_id,
            Booking.status.in_(("pending", "confirmed")),
            or_(*needed),
        )
    )
    return Usage(tuple((start, end) for start, end in rows))


def _units_conflict(space: Space) -> Conflict:
    if space.is_pooled:
        return Conflict("capacity", N_("Those desks were just taken; please choose another time."))
    return Conflict("overlap", N_("That time was just taken by another booking."))


def checked_overrides(member: User, overrides: frozenset[str], reason: str) -> frozenset[str]:
    """The rules staff may override, refused for anybody else and without a reason.

    Only `notice`, `horizon`, `hours` and `quota` can be overridden; overlap,
    capacity, closures, the past, the grid and the duration always apply.
    """
    overrides = frozenset(overrides)
    if not overrides:
        return overrides
    if not member.is_staff:
        raise ServiceError(N_("Only staff can override booking rules."))
    if overrides - OVERRIDABLE:
        raise ServiceError(
            N_("These rules cannot be overridden: %(rules)s."), rules=Listed(sorted(overrides - OVERRIDABLE))
        )
    if not reason.strip():
        raise ServiceError(N_("Give a reason for overriding %(rules)s."), rules=Listed(sorted(overrides)))
    return overrides


def check_booking(
    session: Session, space: Space, member: User, data: BookingInput, now: datetime, locale: str,
    overrides: frozenset[str] = frozenset(), extra_holds: Sequence[Hold] = (),
    extra_usage: Sequence[tuple[datetime, datetime]] = (),
) -> tuple[list[Conflict], list[int] | None]:
    """Every rule of SPEC §5 for one booking: (conflicts, the units it would get, or None when refused).

    The one place a booking is judged: `_decide` books on its answer, and a series
    preview (booking.services.series) asks it for each occurrence, passing as
    `extra_holds` and `extra_usage` the earlier occurrences it would book.
    """
    return _check(session, space, member.id, data, now, locale, overrides, extra_holds, extra_usage)


def _check(
    session: Session, space: Space, member_id: int, data: BookingInput, now: datetime, locale: str,
    overrides: frozenset[str] = frozenset(), extra_holds: Sequence[Hold] = (),
    extra_usage: Sequence[tuple[datetime, datetime]] = (), *, expire_lapsed: bool = False,
    policy: Policy | None = None,
) -> tuple[list[Conflict], list[int] | None]:
    """check_booking for a member known by id (under the lock the member's row is expired: no reload).

    `expire_lapsed` (under the space's lock): requests past their deadline at `now` are expired
    first (expiry.expire_lapsed_in), found by the same statement as the holds and closures.
    `policy` is the space's when the caller has it already (`policy_of(space)` if None).
    """
    policy = policy or policy_of(space)
    request = Request(data.start_dt, data.end_dt, data.seats, member_id)
    occupied_start, occupied_end = occupied(request, policy)
    # One statement for both (inside the lock a round trip less on PostgreSQL).
    reads = (session, space, policy, occupied_start, occupied_end, data.start_dt, data.end_dt, locale)
    if not expire_lapsed:
        holds, closures = holds_and_closures(*reads)
    else:
        holds, closures, waiting = holds_closures_and_waiting(*reads, expiry.lapsing_horizon(space, now))
        if expiry.expire_lapsed_among(session, space, waiting, now):  # their holds stopped holding: read again
            holds, closures = holds_and_closures(*reads)
    holds = [*holds, *extra_holds]
    usage = _usage(session, space, member_id, now, request)
    usage = Usage((*usage.intervals, *extra_usage))
    return judge_booking(space, policy, request, holds, closures, usage, now, overrides, data.units)


def judge_booking(
    space: Space, policy: Policy, request: Request, holds: Sequence[Hold], closures: Sequence[ClosedRange],
    usage: Usage, now: datetime, overrides: frozenset[str], wanted_units: Sequence[int] = (),
) -> tuple[list[Conflict], list[int] | None]:
    """check_booking's verdict on facts already read: (conflicts, the units it would get, or None).

    A series (booking.services.series) reads the holds, closures and usage of all its
    dates at once and asks this for each date.
    """
    conflicts = check_request(request, policy, holds, closures, now, usage, overrides, suggest=False)
    units = pick_units(request, policy, holds, wanted_units) if not conflicts else None
    if conflicts or units is None:
        return conflicts or [_units_conflict(space)], None
    return [], units


def _status_of(space: Space, booked_by: User | None) -> BookingStatus:
    """Pending where the space requires approval, except what staff book (they approve requests)."""
    if space.requires_approval and booked_by is None:
        return BookingStatus.PENDING
    return BookingStatus.CONFIRMED


def _guessed_desks(space: Space, member: User, data: BookingInput) -> list[int]:
    """The desk numbers asked for or, for a pooled space asked for none, those `pick_units` would choose
    from the holds read now, without the lock (the lock checks them again); [] when none are free."""
    units = list(data.units)
    if space.is_pooled and not units:
        policy = policy_of(space)
        request = Request(data.start_dt, data.end_dt, data.seats, member.id)
        units = pick_units(request, policy, active_holds(db.session(), space, *occupied(request, policy)), ()) or []
    return units


def _render_ahead(
    member: User, data: BookingInput, uid: str, now: datetime, booked_by: User | None
) -> Rendered | None:
    """Render, before the space's lock, the feed events and the mail's calendar the booking will get.

    What is rendered here is kept per process (booking.ical.event_template,
    booking.itip.message_template) under everything it shows but its change times, so
    the renders inside the lock only write those in. The space and the desks are read
    without the lock: when the booking turns out otherwise (another status, other
    desks) the templates simply do not match and the lock's renders do the work.
    Returns the feed events rendered (None when they could not be): a caller that
    knows the booking came out as guessed may store them (feed_events.store).
    """
    space = db.session.get(Space, data.space_id)
    if space is None:
        return None
    try:
        units = _guessed_desks(space, member, data)
        status = _status_of(space, booked_by)
        ahead = Booking(
            uid=uid, space_id=space.id, user_id=member.id, start_dt=data.start_dt, end_dt=data.end_dt,
            seats=data.seats, title=data.title, purpose=data.purpose, attendees=data.attendees,
            is_public=data.is_public, status=status.value, sequence=0, created_at=now, updated_at=now,
        )
        ahead.holds.extend(BookingHold(unit_no=unit) for unit in units)
        rendered = render_booking(ahead, space, member, feed_locale())
        if status is BookingStatus.CONFIRMED:
            calendar_message(ahead, member.locale or "ja", space, member)
        return rendered
    except DBAPIError:
        raise  # the database is gone or refused: the request's error handling answers (retry or 503)
    except Exception:  # the renders inside the lock meet the same problem and deal with it
        log.debug("could not render booking %s ahead of its lock", uid, exc_info=True)
        return None


def _fields(data: BookingInput, uid: str) -> new_booking.Fields:
    return new_booking.Fields(uid, data.start_dt, data.end_dt, data.seats, data.title, data.purpose, data.attendees,
                              data.is_public, data.submit_token)


def _prepare_ahead(member: User, data: BookingInput, uid: str, now: datetime,
                   booked_by: User | None) -> new_booking.Prepared | None:
    """Build the booking's rows before the space's lock, from the space and its desks as read without it.

    A pooled space's desks are guessed from the holds read now; when the lock finds
    otherwise (other desks, another status, a renamed space) `_decide` builds them again.
    """
    space = db.session.get(Space, data.space_id)
    if space is None:
        return None
    try:
        units = _guessed_desks(space, member, data) if space.is_pooled else [1]
        status = _status_of(space, booked_by)
        return new_booking.prepare(space, member, _fields(data, uid), status.value, units, now,
                                   _staff_told(db.session(), member.id, status))
    except DBAPIError:
        raise  # as in _render_ahead
    except Exception:  # the lock builds them again and meets the same problem there
        log.debug("could not prepare booking %s ahead of its lock", uid, exc_info=True)
        return None


def _staff_told(session: Session, member_id: int, status: BookingStatus) -> list[User]:
    if status is not BookingStatus.PENDING or notifications.is_muted():
        return []
    return notifications.staff_to_tell(session, member_id)


@dataclass(frozen=True)
class _Written:
    booking_id: int
    prepared: new_booking.Prepared


def _decide(
    session: Session, member: User, member_values: new_booking.Member, data: BookingInput, now: datetime,
    locale: str, overrides: frozenset[str], override_reason: str, booked_by: User | None, actor_id: int,
    ahead: new_booking.Prepared | None, uid: str,
) -> Outcome | _Written:
    """Judge the booking on what the lock reads and, when it is free, write the rows prepared ahead.

    `member` (the ORM row, expired by the lock's commit) is read only when the rows must
    be built again here; `member_values` are what was read of it before the lock.
    """
    locked = locked_space(session)  # run_write(shared_space=True): the space as one plain row, no ORM load
    if locked is None:
        raise NotFound()
    space = locked.read.space
    earlier = submitted_booking(session, member_values.id, data.submit_token)
    if earlier is not None:
        return Outcome(booking=earlier, is_repeat=True)
    # Requests past their deadline hold nothing at `now` (expiry.expire_lapsed_in, in the rules' one read).
    # The policy built once per worker with the locked space's row (profile line 'spaces.py(policy_of)' under
    # '_check', inside the lock: 34 attribute reads and the opening hours regrouped on every POST).
    conflicts, units = _check(session, space, member_values.id, data, now, locale, overrides, expire_lapsed=True,
                              policy=locked.read.policy)
    if units is None:
        return Outcome(conflicts=conflicts)
    status = _status_of(space, booked_by)
    # The feed counter's UPDATE goes with the INSERTs (new_booking.write): on PostgreSQL in their one statement,
    # on SQLite on the connection before them (profile line 'feed_events.py(raise_feed_versions)' ->
    # 'sqlalchemy/orm/session.py(execute)').
    feed_updates: list[dict[str, Any]] = []
    clock = raise_feed_versions(session, {space.id}, feed_updates, {space.id: locked.feed_changed_at})
    changed_at = min(now, clock)  # no change time after the clock read under the lock (feed_events.refresh)
    if ahead is None or not new_booking.is_as_prepared(ahead, space, status.value, units, changed_at):
        ahead = new_booking.prepare(space, member, _fields(data, uid), status.value, units, changed_at,
                                    _staff_told(session, member_values.id, status))
    held = occupied(Request(data.start_dt, data.end_dt, data.seats, member_values.id), locked.read.policy)
    note = override_reason.strip() if overrides else ""
    booking_id = new_booking.write(
        session, ahead, space, member_values, actor_id, "overridden" if overrides else "requested", note, now,
        holds_units(status, space.pending_holds), held, clock, note, feed_updates)
    return _Written(booking_id, ahead)


def add_booking(
    session: Session, space: Space, member: User, data: BookingInput, units: Sequence[int], now: datetime,
    overrides: frozenset[str] = frozenset(), override_reason: str = "", booked_by: User | None = None,
    series: BookingSeries | None = None, *, flush: bool = True, uid: str | None = None,
) -> Booking:
    """Store a booking judged free on `units` (with its holds and audit entry) in the caller's transaction.

    `flush=False` leaves the insert to the caller's next flush (a series flushes its dates once).
    `uid` is the one its feed events were rendered with ahead of the lock (a new one if None).
    """
    policy = policy_of(space)
    occupied_start, occupied_end = occupied(Request(data.start_dt, data.end_dt, data.seats, member.id), policy)
    status = _status_of(space, booked_by)
    booking = Booking(
        uid=uid or new_uid(), space=space, user=member, start_dt=data.start_dt, end_dt=data.end_dt,
        seats=data.seats, title=data.title, purpose=data.purpose, attendees=data.attendees,
        is_public=data.is_public, status=status.value, created_at=now, updated_at=now,
        override_reason=override_reason.strip() if overrides else "", series=series,
        submit_token=data.submit_token,
    )
    is_holding = holds_units(status, space.pending_holds)
    for unit in units:
        booking.holds.append(
            BookingHold(space_id=space.id, unit_no=unit, occupied_start=occupied_start,
                        occupied_end=occupied_end, is_active=is_holding)
        )
    session.add(booking)
    audit.record(session, booking, "overridden" if overrides else "requested", booked_by or member, now, None,
                 booking.override_reason)
    if flush:
        session.flush()
    return booking


def request_booking(
    member: User,
    data: BookingInput,
    now: datetime | None = None,
    locale: str = "ja",
    *,
    overrides: frozenset[str] = frozenset(),
    override_reason: str = "",
    booked_by: User | None = None,
) -> Outcome:
    """Check every rule and, when all pass, store a pending or confirmed booking.

    The check and the insert share one write transaction that holds the space's
    lock; the database guard still has the last word, and its refusal comes back
    as the same `overlap`/`capacity` conflict. Staff may name `overrides` (see
    `checked_overrides`) with an `override_reason`, which is stored with the
    booking; anybody else naming one gets a ServiceError, nothing is written.
    `booked_by` is the staff member booking for `member` (or blocking time for
    themselves): the booking is confirmed at once and the overrides are theirs.
    """
    now = now or utcnow()
    if booked_by is None and not member.is_verified:
        raise ServiceError(N_("Please confirm your e-mail address before booking."))
    if booked_by is not None and not booked_by.is_staff:
        raise ServiceError(N_("Only staff can book for someone else."))
    overrides = checked_overrides(booked_by or member, overrides, override_reason)
    uid = new_uid()
    ahead = _prepare_ahead(member, data, uid, now, booked_by)
    member_values = new_booking.Member.of(member)
    actor_id = (booked_by or member).id
    try:
        decided = run_write(
            data.space_id,
            lambda s: _decide(s, member, member_values, data, now, locale, overrides, override_reason, booked_by,
                              actor_id, ahead, uid),
            shared_space=True,
        )
        if isinstance(decided, _Written):
            outcome = Outcome(booking=new_booking.stored(db.session(), decided.booking_id, decided.prepared,
                                                         data.space_id, member_values.id,
                                                         override_reason.strip() if overrides else ""))
        else:
            outcome = decided
    except IntegrityError as error:
        db.session.rollback()
        earlier = submitted_booking(db.session(), member_values.id, data.submit_token)
        if earlier is not None:  # the same form, sent again at once to another space's lock
            return Outcome(booking=earlier, is_repeat=True)
        if not is_guard_refusal(error):
            raise
        space = db.session.get(Space, data.space_id)
        assert space is not None
        outcome = Outcome(conflicts=[_units_conflict(space)])
    # member_values.id, not member.id: the lock's commit expired the row, and reading it again was a SELECT.
    return with_hints(outcome, data.space_id, Request(data.start_dt, data.end_dt, data.seats, member_values.id),
                      now, locale)


# Built once, of the table's columns, run on the connection; the booking is loaded only when there is one
# (profile line 'bookings.py(submitted_booking)' inside the lock of every POST of the booking form, which
# always sends its token: select(Booking) composed and an ORM query run to find nothing, nearly always).
_BOOKINGS = Booking.__table__
_SUBMITTED = select(_BOOKINGS.c.id).where(_BOOKINGS.c.user_id == bindparam("user_id"),
                                          _BOOKINGS.c.submit_token == bindparam("token"))


def submitted_booking(session: Session, member_id: int, token: str | None) -> Booking | None:
    """The member's booking made by the form with this token, if any (None for no token)."""
    if token is None:
        return None
    booking_id = session.connection().execute(_SUBMITTED, {"user_id": member_id, "token": token}).scalar()
    return None if booking_id is None else session.get(Booking, booking_id)


def with_hints(outcome: Outcome, space_id: int, request: Request, now: datetime, locale: str,
               without_booking: int | None = None) -> Outcome:
    """Set the `hint` (nearest free starts both ways, or the first free day) of a collision.

    Runs after the write transaction, outside the space's lock; only a refusal
    for `overlap` or `capacity` gets a hint.
    """
    if outcome.ok or not any(c.code in UNIT_CODES for c in outcome.conflicts):
        return outcome
    space = db.session.get(Space, space_id)
    if space is None or request.end_dt <= request.start_dt:
        return outcome
    outcome.hint = hint_conflict(free_starts(space, request, now, locale, without_booking), policy_of(space))
    return outcome


def get_own_booking(member: User, booking_id: int) -> Booking:
    """A booking of this member (staff may see any); anything else is not found."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or (booking.user_id != member.id and not member.is_staff):
        raise NotFound()
    return booking


def cancel_booking(member: User, booking_id: int, now: datetime | None = None, note: str = "") -> Booking:
    """Cancel a pending or confirmed booking before it starts, freeing its units.

    `member` is the booking's member, or staff cancelling anybody's booking;
    `note` (staff's message to the member) is recorded on the audit entry.
    """
    now = now or utcnow()
    space_id = get_own_booking(member, booking_id).space_id

    def work(session: Session) -> Booking:
        booking = get_own_booking(member, booking_id)
        status = booking.status_at(now)  # a request past its deadline has expired, written yet or not
        if not can_transition(status, BookingStatus.CANCELLED):
            raise Stale(ALREADY[status])
        if booking.start_dt <= now:
            raise ServiceError(N_("A booking that has started can no longer be cancelled."))
        return mark_cancelled(session, booking, member, now, note)

    return run_write(space_id, work)


def mark_cancelled(session: Session, booking: Booking, actor: User, now: datetime, note: str = "") -> Booking:
    """Cancel a booking inside the caller's transaction: status, units freed, SEQUENCE raised, audit (and so mail)."""
    previous = booking.status
    booking.status = BookingStatus.CANCELLED.value
    booking.cancelled_at = now
    booking.updated_at = now
    booking.proposed_start_dt = booking.proposed_end_dt = booking.proposed_seats = booking.proposed_at = None
    booking.sequence += 1
    for hold in booking.holds:
        hold.is_active = False
    audit.record(session, booking, "cancelled", actor, now, previous, note.strip())
    return booking


