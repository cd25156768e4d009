"""Policy changes with their victims: the future bookings a change would break, resolved before it saves.

Every policy change of a space (opening hours, holiday openings, buffers, desk
count, duration limits, notice, time zone) goes through `save_change`: in one
write transaction holding the space's lock it loads the future bookings, makes
the change, asks `booking.domain.victims` which bookings it breaks, and saves
only when staff have said what happens to each of exactly those bookings:

- `keep`   (calendar and time rules only): recorded as a staff override on the
  booking's audit trail, with staff's reason;
- `move`   (desks gone or buffers clashing, when other units are free for the
  whole time): the booking gets the units `find_victims` picked;
- `cancel`: cancelled with staff's message, one message for all, as closures do
  (the mail goes out after the commit, from the audit trail).

Otherwise nothing is written and `VictimsToResolve` carries the victims, so the
page can list them. A closure goes its own way (it hits bookings, it does not
change the policy): see `admin_spaces.bookings_hit`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.domain.values import N_, Hold
from booking.domain.victims import Side, Standing, Victim, find_victims
from booking.extensions import db
from booking.models import Booking, BookingHold, Space, User
from booking.services import NotFound, ServiceError, audit
from booking.services.bookings import mark_cancelled
from booking.services.spaces import closures_between, policy_of
from booking.services.transactions import run_write

Change = Callable[[Session, Space], object]
CHOICES = ("keep", "move", "cancel")
TEXT_MAX = 2000


class VictimsToResolve(ServiceError):
    """The change breaks these bookings and staff have not said (for each of them) what happens."""

    status_code = 409

    def __init__(self, victims: list[Victim], message: str = "", *,
                 field_errors: Mapping[str, Sequence[object]] | None = None, **params: object) -> None:
        super().__init__(message or N_("This change breaks the bookings below. Choose what happens to each "
                                       "and save again; nothing was saved yet."), **params)
        self.victims = victims
        self.field_errors = dict(field_errors or {})
        if self.field_errors:
            self.status_code = 422


@dataclass(frozen=True)
class Resolution:
    """What staff chose for each victim they were shown: booking id → keep / move / cancel.

    `reason` is recorded with kept bookings; `message` goes to the members whose bookings are cancelled.
    `field_errors` holds the form's errors for those two texts (field name → messages, already
    in the user's language, from the bounded fields of booking/fields.py): any error refuses the change.
    """

    choices: Mapping[int, str] = field(default_factory=dict)
    reason: str = ""
    message: str = ""
    field_errors: Mapping[str, Sequence[object]] = field(default_factory=dict)


NO_VICTIMS = Resolution()


@dataclass(frozen=True)
class Saved:
    kept: list[int]
    moved: list[int]
    cancelled: list[int]


def _standing(session: Session, space: Space, now: datetime) -> tuple[list[Booking], list[Hold]]:
    """Future pending and confirmed bookings, and the active holds of bookings already under way."""
    rows = session.scalars(select(Booking).where(
        Booking.space_id == space.id, Booking.status.in_(("pending", "confirmed")), Booking.end_dt > now,
    ).order_by(Booking.id))
    future, fixed = [], []
    for booking in rows:
        if booking.start_dt > now:
            future.append(booking)
        else:
            fixed += [Hold(booking.id, booking.user_id, h.unit_no, h.occupied_start, h.occupied_end)
                      for h in booking.holds if h.is_active]
    return future, fixed


def _as_standing(booking: Booking) -> Standing:
    return Standing(booking.id, booking.user_id, booking.start_dt, booking.end_dt, booking.seats,
                    tuple(h.unit_no for h in booking.holds), any(h.is_active for h in booking.holds))


def _side(session: Session, space: Space, now: datetime, last_end: datetime, locale: str) -> Side:
    policy = policy_of(space)
    return Side(policy, closures_between(session, space, policy, now, last_end + timedelta(days=1), locale))


def _victims(session: Session, space: Space, change: Change, now: datetime, locale: str
             ) -> tuple[list[Victim], list[Booking], Side]:
    future, fixed = _standing(session, space, now)
    last_end = max((b.end_dt for b in future), default=now)
    before = _side(session, space, now, last_end, locale)
    change(session, space)
    session.flush()
    after = _side(session, space, now, last_end, locale)
    victims = find_victims([_as_standing(b) for b in future], fixed, before, after, now)
    return victims, future, after


class _DryRun(Exception):
    def __init__(self, victims: list[Victim]) -> None:
        super().__init__()
        self.victims = victims


def dry_run(space_id: int, change: Change, now: datetime | None = None, locale: str = "ja") -> list[Victim]:
    """The victims a change would have, without saving it (the change is made and rolled back)."""
    now = now or utcnow()

    def work(session: Session) -> None:
        raise _DryRun(_victims(session, _space(session, space_id), change, now, locale)[0])

    try:
        run_write(space_id, work)
    except _DryRun as run:
        return run.victims
    raise AssertionError("unreachable")


def _space(session: Session, space_id: int) -> Space:
    space = session.get(Space, space_id)
    if space is None:
        raise NotFound()
    return space


def _check(victims: Sequence[Victim], resolution: Resolution) -> None:
    """Refuse unless every victim, and nothing else, has an allowed choice with its text."""
    choices = resolution.choices
    if not victims:
        return  # whatever staff saw before has gone meanwhile: nothing is left to resolve
    if resolution.field_errors:
        raise VictimsToResolve(list(victims), N_("Correct the fields marked below; nothing was saved yet."),
                               field_errors=resolution.field_errors)
    if set(choices) != {v.booking_id for v in victims}:
        if not choices:
            raise VictimsToResolve(list(victims))
        raise VictimsToResolve(list(victims), N_("The bookings this change breaks changed meanwhile; "
                                                 "please choose again."))
    for victim in victims:
        allowed = ("move", "cancel") if victim.can_move else ("cancel",) if victim.must_move else ("keep", "cancel")
        if choices[victim.booking_id] not in allowed:
            raise VictimsToResolve(list(victims), N_("Booking %(id)s cannot be kept as it is: "
                                                     "nobody overrides overlap or capacity."), id=victim.booking_id)
    picked = set(choices.values())
    if "keep" in picked and not resolution.reason.strip():
        raise VictimsToResolve(list(victims), N_("Say why the kept bookings may break the new policy."))
    if "cancel" in picked and not resolution.message.strip():
        raise VictimsToResolve(list(victims), N_("Write a message to the members whose bookings are cancelled."))
    if max(len(resolution.reason), len(resolution.message)) > TEXT_MAX:
        raise VictimsToResolve(list(victims), N_("The text is too long (at most %(max)s characters)."), max=TEXT_MAX)


def _reshape_holds(session: Session, bookings: Sequence[Booking], space: Space,
                   moves: Mapping[int, tuple[int, ...]]) -> None:
    """Give the remaining bookings the new buffers, and the moved ones their new units.

    The database checks every hold row as it is written, so the rows change in
    steps whose every state is free of overlaps: moved bookings let go of their
    units, then every interval shrinks to what the old and new buffers share,
    then grows to the new one, and last the moved bookings take their new units.
    """
    setup, teardown = timedelta(minutes=space.setup_minutes), timedelta(minutes=space.teardown_minutes)
    for booking in bookings:
        if booking.id in moves:
            booking.holds.clear()
    session.flush()
    staying = [(b, h) for b in bookings for h in b.holds]
    for booking, hold in staying:
        hold.occupied_start = max(hold.occupied_start, booking.start_dt - setup)
        hold.occupied_end = min(hold.occupied_end, booking.end_dt + teardown)
    session.flush()
    for booking, hold in staying:
        hold.occupied_start, hold.occupied_end = booking.start_dt - setup, booking.end_dt + teardown
    # A kept booking may be longer than the new limit: its new buffers may take it past the bound.
    for booking in bookings:
        space.cover_hold_minutes((booking.end_dt - booking.start_dt + setup + teardown) // timedelta(minutes=1))
    session.flush()
    for booking in bookings:
        for unit in moves.get(booking.id, ()):
            booking.holds.append(BookingHold(space_id=space.id, unit_no=unit, occupied_start=booking.start_dt - setup,
                                             occupied_end=booking.end_dt + teardown, is_active=True))
    session.flush()


def save_change(staff: User, space_id: int, change: Change, resolution: Resolution = NO_VICTIMS,
                now: datetime | None = None, locale: str = "ja") -> Saved:
    """Make a policy change and resolve its victims as staff chose, in one transaction.

    Raises VictimsToResolve (nothing written) when the victims are not exactly
    those in `resolution`, or a choice is not allowed or lacks its text; the
    change's own InvalidInput/NotFound pass through.
    """
    now = now or utcnow()

    def work(session: Session) -> Saved:
        space = _space(session, space_id)
        victims, future, _after = _victims(session, space, change, now, locale)
        _check(victims, resolution)
        by_id = {b.id: b for b in future}
        saved = Saved([], [], [])
        moves = {}
        for victim in victims:
            booking, choice = by_id[victim.booking_id], resolution.choices[victim.booking_id]
            if choice == "cancel":
                mark_cancelled(session, booking, staff, now, resolution.message)
                saved.cancelled.append(booking.id)
            elif choice == "move":
                moves[booking.id] = victim.moved_to
                audit.record(session, booking, "edited", staff, now, booking.status, audit.MOVED_NOTE)
                saved.moved.append(booking.id)
            else:
                booking.override_reason = resolution.reason.strip()
                audit.record(session, booking, "overridden", staff, now, booking.status, booking.override_reason)
                saved.kept.append(booking.id)
        remaining = [b for b in future if b.id not in saved.cancelled]
        _reshape_holds(session, remaining, space, moves)
        return saved

    return run_write(space_id, work)


def victim_rows(victims: Sequence[Victim]) -> list[tuple[Victim, Booking]]:
    """Each victim with its booking, for a page that lists them."""
    ids = [v.booking_id for v in victims]
    found = {b.id: b for b in db.session.scalars(select(Booking).where(Booking.id.in_(ids)))}
    return [(v, found[v.booking_id]) for v in victims if v.booking_id in found]
