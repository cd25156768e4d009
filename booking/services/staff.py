"""The staff workflow: the approval queue, approving and rejecting requests.

Approving and rejecting each run in the space's write transaction (the same
lock as requesting and cancelling), so a decision is taken on what the booking
and its neighbours are at that moment, never on what a page showed earlier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, bindparam, literal_column, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from booking.db import utcnow
from booking.domain.rules import check_request, free_units, occupied
from booking.domain.statuses import BookingStatus, can_transition, holds_units, request_deadline, status_at
from booking.domain.values import N_, OVERRIDABLE, Conflict, Hold, Request, Usage
from booking.extensions import db
from booking.models import Booking, BookingHold, Space, User
from booking.services import InputRefused, NotFound, ServiceError, Stale, audit
from booking.services.accounts import normalise_email
from booking.services.bookings import BookingInput, Outcome, request_booking
from booking.services.expiry import deadline_of
from booking.services.spaces import active_holds, closures_between, policy_of
from booking.services.transactions import is_guard_refusal, run_write

# Notice and horizon measure how far ahead the member asked; they were checked
# when the request came in, and a slow decision must not turn them into a refusal.
T = TypeVar("T")
REQUEST_TIME_RULES = frozenset({"notice", "horizon"})
NOTE_MAX = 2000

STALE_MESSAGES = {
    BookingStatus.CONFIRMED: N_("This request was already approved."),
    BookingStatus.REJECTED: N_("This request was already rejected."),
    BookingStatus.CANCELLED: N_("The member cancelled this request in the meantime."),
    BookingStatus.EXPIRED: N_("This request expired before anyone decided on it."),
}


class Refused(ServiceError):
    """Approving would break a rule; `conflicts` say which and what to change."""

    status_code = 409

    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__(N_("This request cannot be approved."))
        self.conflicts = conflicts


@dataclass(frozen=True)
class QueueEntry:
    """A pending request (or a confirmed booking's proposed change) and what it competes with.

    `deadline` is when it expires undecided (UTC), `asked_at` when the member asked.
    """

    booking: Booking
    competing: list[Booking] = field(default_factory=list)
    deadline: datetime | None = None
    asked_at: datetime | None = None

    @property
    def is_change(self) -> bool:
        return self.booking.status == BookingStatus.CONFIRMED

    def waited(self, now: datetime) -> timedelta:
        """How long the member has been waiting for a decision."""
        return max(timedelta(0), now - (self.asked_at or self.booking.created_at))

    def left(self, now: datetime) -> timedelta:
        """How long staff have left to decide (zero once the deadline passed)."""
        return max(timedelta(0), (self.deadline or now) - now)

    @property
    def pending_rivals(self) -> list[Booking]:
        return [b for b in self.competing if b.status == BookingStatus.PENDING]

    @property
    def confirmed_blockers(self) -> list[Booking]:
        return [b for b in self.competing if b.status == BookingStatus.CONFIRMED]


@dataclass(frozen=True)
class Approval:
    booking: Booking
    auto_rejected: list[Booking] = field(default_factory=list)


def get_booking(booking_id: int) -> Booking:
    """Any booking, for staff; an unknown id is not found."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound()
    return booking


def competing_bookings(session: Session, booking: Booking) -> list[Booking]:
    """Pending or confirmed bookings that want one of this booking's units at an overlapping time."""
    if not booking.holds:
        return []
    first = booking.holds[0]
    other = aliased(BookingHold)
    ids = (
        select(other.booking_id)
        .where(
            other.space_id == booking.space_id,
            other.booking_id != booking.id,
            other.unit_no.in_(booking.unit_numbers),
            other.occupied_start < first.occupied_end,
            other.occupied_end > first.occupied_start,
        )
        .scalar_subquery()
    )
    rows = session.scalars(
        select(Booking)
        .where(Booking.id.in_(ids), Booking.status.in_((BookingStatus.PENDING, BookingStatus.CONFIRMED)))
        .order_by(Booking.created_at, Booking.id)
    )
    return list(rows)


QUEUE_PAGE_SIZE = 10  # requests per page of the approval queue: each is a card with its decision forms


@dataclass(frozen=True)
class QueuePage:
    """One page of the approval queue: `entries` in queue order, whole series included.

    `total` counts requests as staff see them (a series with several pending dates is one),
    `number` is the page shown (1-based, within 1…`pages`), `first` the position of its
    first request in the whole queue (1-based; 0 when the queue is empty).
    """

    entries: list[QueueEntry]
    total: int
    number: int
    size: int
    # The deadlines of every request and change still waiting in the database, sorted, and how many had
    # passed at the page's `now` (those are left out): the page stays as it is until the next one passes.
    deadlines: tuple[datetime, ...] = ()
    passed: int = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, self.number * self.size)


def _waiting_condition() -> ColumnElement[bool]:
    """Pending requests, and confirmed bookings with a proposed change.

    Its first term is the predicate of the partial index ix_bookings_waiting (models.WAITING_BOOKINGS),
    with 'pending' written in the SQL, not bound: that is how both engines see the index applies.
    """
    return and_(
        or_(Booking.status == literal_column("'pending'"), Booking.proposed_start_dt.is_not(None)),
        or_(Booking.status == BookingStatus.PENDING,
            (Booking.status == BookingStatus.CONFIRMED) & Booking.proposed_start_dt.is_not(None)))


def approval_queue(now: datetime | None = None) -> list[QueueEntry]:
    """Every pending request and proposed change still open at `now`, most urgent (earliest deadline) first.

    Each request comes with what it competes with (as competing_bookings finds it); ties go
    to the one asked first. Those past their deadline are left out: they expired at it, even
    while the expiry job has not written that yet. Three queries whatever the length of the
    queue: the waiting bookings with their spaces and members, the pairs (request, competing
    booking), and the series of the requests that belong to one.
    """
    now = now or utcnow()
    return [entry for entry in _entries(db.session(), None) if entry.deadline is None or entry.deadline > now]


# Built once (the profile line 'sqlalchemy/sql/coercions.py:323(expect)': building the
# statement on every request cost about as much as running it).
_QUEUE_ORDER = (
    select(Booking.id, Booking.status, Booking.series_id, Booking.start_dt, Booking.created_at,
           Booking.proposed_start_dt, Booking.proposed_at, Space.request_deadline_hours)
    .join(Space, Space.id == Booking.space_id)
    .where(_waiting_condition())
)


def approval_queue_page(number: int, size: int = QUEUE_PAGE_SIZE, now: datetime | None = None) -> QueuePage:
    """Page `number` (1-based; clamped to the pages there are) of approval_queue(now), `size` requests a page.

    The order and the entries are approval_queue()'s; the pending requests of one series
    count as one request (as series.grouped_queue shows them) and never straddle two pages.
    Only the page's bookings are loaded with their members and rivals: the rest of the
    queue is read as one row of ids and times each, to sort and count it. Requests past their
    deadline at `now` are left out (expired, whether or not the job has written it yet).
    """
    now = now or utcnow()
    session = db.session()
    rows = session.execute(_QUEUE_ORDER).all()
    keyed = []
    deadlines = []
    for row in rows:
        is_change = row.status == BookingStatus.CONFIRMED
        # deadline_of and QueueEntry.asked_at, from the row's values
        if is_change and row.proposed_start_dt and row.proposed_at:
            deadline = request_deadline(row.proposed_start_dt, row.proposed_at, row.request_deadline_hours)
        else:
            deadline = request_deadline(row.start_dt, row.created_at, row.request_deadline_hours)
        deadlines.append(deadline)
        if deadline <= now:
            continue
        asked = (row.proposed_at if is_change else row.created_at) or row.created_at
        keyed.append(((deadline, asked, row.created_at, row.id), row.id, None if is_change else row.series_id))
    keyed.sort(key=lambda item: item[0])
    groups: dict[int, list[int]] = {}
    for _key, booking_id, series_id in keyed:
        if series_id is not None:
            groups.setdefault(series_id, []).append(booking_id)
    requests: list[list[int]] = []
    for _key, booking_id, series_id in keyed:
        group = groups.get(series_id or 0, [])
        if len(group) < 2:
            requests.append([booking_id])
        elif booking_id == group[0]:
            requests.append(group)
    pages = max(1, -(-len(requests) // size))
    number = min(max(1, number), pages)
    shown = [i for request in requests[(number - 1) * size:number * size] for i in request]
    return QueuePage(_entries(session, shown) if shown else [], len(requests), number, size,
                     tuple(sorted(deadlines)), len(rows) - len(keyed))


_WAITING_ENTRIES = (select(Booking)
                    .options(joinedload(Booking.space), joinedload(Booking.user), selectinload(Booking.series))
                    .where(_waiting_condition())
                    .order_by(Booking.created_at, Booking.id))
_WAITING_ENTRIES_AMONG = _WAITING_ENTRIES.where(Booking.id.in_(bindparam("ids", expanding=True)))


def _entries(session: Session, ids: list[int] | None) -> list[QueueEntry]:
    """The queue entries of the waiting bookings `ids` (all when None), in queue order."""
    if ids is None:
        waiting = list(session.scalars(_WAITING_ENTRIES))
    else:
        waiting = list(session.scalars(_WAITING_ENTRIES_AMONG, {"ids": ids}))
    rivals = _competing_by_request(session, ids)
    entries = []
    for b in waiting:
        is_change = b.status == BookingStatus.CONFIRMED
        entries.append(QueueEntry(b, [] if is_change else rivals.get(b.id, []), deadline_of(b),
                                  b.proposed_at if is_change else b.created_at))
    return sorted(entries, key=lambda e: (e.deadline or e.booking.start_dt, e.asked_at or e.booking.created_at))


_MINE, _OTHER = aliased(BookingHold), aliased(BookingHold)
_PAIRS = (select(_MINE.booking_id, _OTHER.booking_id)
          .select_from(_MINE)
          .join(_OTHER, (_OTHER.space_id == _MINE.space_id) & (_OTHER.unit_no == _MINE.unit_no)
                & (_OTHER.booking_id != _MINE.booking_id)
                & (_OTHER.occupied_start < _MINE.occupied_end) & (_OTHER.occupied_end > _MINE.occupied_start)))
_PAIRS_OF_PENDING = _PAIRS.where(
    _MINE.booking_id.in_(select(Booking.id).where(Booking.status == BookingStatus.PENDING)))
_PAIRS_AMONG = _PAIRS.where(_MINE.booking_id.in_(bindparam("ids", expanding=True)))
_RIVALS = (select(Booking)
           .options(joinedload(Booking.user))
           .where(Booking.id.in_(bindparam("ids", expanding=True)),
                  Booking.status.in_((BookingStatus.PENDING, BookingStatus.CONFIRMED))))


def _competing_by_request(session: Session, ids: list[int] | None = None) -> dict[int, list[Booking]]:
    """competing_bookings of every pending request (or of the requests among `ids`) at once:
    {request id: bookings, oldest first}.

    Two queries: the pairs of overlapping holds, starting from the requests' own holds, then
    the pending or confirmed bookings among the rivals. (Joined in one, the planner started
    from every pending or confirmed booking, by their status index, to find a page's ten.)
    The statements are built once (profile line 'sqlalchemy/sql/coercions.py:323(expect)').
    """
    pairs = (session.execute(_PAIRS_OF_PENDING) if ids is None
             else session.execute(_PAIRS_AMONG, {"ids": ids})).all()
    if not pairs:
        return {}
    rivals = {b.id: b for b in session.scalars(_RIVALS, {"ids": sorted({rival for _, rival in pairs})})}
    found: dict[int, list[Booking]] = {}
    for request_id, rival_id in pairs:
        rival = rivals.get(rival_id)
        listed = found.setdefault(request_id, [])
        if rival is not None and rival not in listed:  # a desk booking competes on each unit it shares
            listed.append(rival)
    for listed in found.values():
        listed.sort(key=lambda b: (b.created_at, b.id))
    return {request_id: listed for request_id, listed in found.items() if listed}


def _pending(session: Session, booking_id: int, now: datetime) -> Booking:
    """The pending request `booking_id`, still undecided at `now`; Stale once decided, cancelled or past its
    deadline (expired from that instant on, even before the expiry job writes it: domain.statuses.status_at)."""
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFound()
    status = status_at(booking.status, booking.start_dt, booking.created_at, booking.space.request_deadline_hours, now)
    if status != BookingStatus.PENDING:
        raise Stale(STALE_MESSAGES.get(BookingStatus(status), N_("This request was already decided.")))
    return booking


def _space_id(booking_id: int) -> int:
    space_id = db.session.scalar(select(Booking.space_id).where(Booking.id == booking_id))
    if space_id is None:
        raise NotFound()
    return space_id


def _transition(
    session: Session, booking: Booking, target: BookingStatus, staff: User, now: datetime, note: str = ""
) -> None:
    """Move the booking to `target`, set its holds and calendar sequence, and record it."""
    if not can_transition(booking.status, target):
        raise Stale(STALE_MESSAGES.get(BookingStatus(booking.status), N_("This request was already decided.")))
    previous = booking.status
    booking.status = target.value
    booking.updated_at = now
    booking.sequence += 1
    is_holding = holds_units(target, booking.space.pending_holds)
    for hold in booking.holds:
        hold.is_active = is_holding
    action = "approved" if target == BookingStatus.CONFIRMED else "rejected"
    audit.record(session, booking, action, staff, now, previous, note)


def _usage_without(session: Session, booking: Booking, now: datetime) -> Usage:
    rows = session.execute(
        select(Booking.start_dt, Booking.end_dt).where(
            Booking.space_id == booking.space_id,
            Booking.user_id == booking.user_id,
            Booking.id != booking.id,
            Booking.status.in_((BookingStatus.PENDING, BookingStatus.CONFIRMED)),
            Booking.end_dt > now - timedelta(days=7),
        )
    )
    return Usage(tuple((start, end) for start, end in rows))


def _taken_conflict(space: Space) -> Conflict:
    if space.is_pooled:
        return Conflict("capacity", N_("Too few desks are free at that time now; this request cannot be approved."))
    return Conflict("overlap", N_("Another booking holds that time now; this request cannot be approved."))


def _place_holds(booking: Booking, units: list[int], start_dt: datetime, end_dt: datetime) -> None:
    """Give the booking exactly `units` over [start_dt, end_dt), keeping the units it already had."""
    keep = [h for h in booking.holds if h.unit_no in units]
    moving = [h for h in booking.holds if h.unit_no not in units]
    kept = {h.unit_no for h in keep}
    for hold, unit in zip(moving, [u for u in units if u not in kept], strict=True):
        hold.unit_no = unit
    for hold in booking.holds:
        hold.occupied_start, hold.occupied_end = start_dt, end_dt


def _checked_units(session: Session, booking: Booking, now: datetime, locale: str) -> list[int]:
    """Re-check every rule for a pending booking; the units it may take, or Refused."""
    space = booking.space
    policy = policy_of(space)
    request = Request(booking.start_dt, booking.end_dt, booking.seats, booking.user_id)
    start_dt, end_dt = occupied(request, policy)
    holds: list[Hold] = [h for h in active_holds(session, space, start_dt, end_dt) if h.booking_id != booking.id]
    closures = closures_between(session, space, policy, booking.start_dt, booking.end_dt, locale)
    overrides = REQUEST_TIME_RULES | (OVERRIDABLE if booking.override_reason else frozenset())
    usage = _usage_without(session, booking, now)
    conflicts = check_request(request, policy, holds, closures, now, usage, overrides)
    if conflicts:
        raise Refused(conflicts)
    free = free_units(holds, policy, start_dt, end_dt)
    wanted = booking.unit_numbers
    if set(wanted) <= set(free):
        return wanted
    if len(free) < booking.seats:
        raise Refused([_taken_conflict(space)])
    return free[: booking.seats]


def _outcompeted(session: Session, approved: Booking, locale: str) -> list[Booking]:
    """Other pending requests of the space that no longer fit beside the approved booking."""
    if approved.space.pending_holds:
        return []  # their units are held already, so none can collide
    policy = policy_of(approved.space)
    losers = []
    for rival in competing_bookings(session, approved):
        if rival.status != BookingStatus.PENDING:
            continue
        request = Request(rival.start_dt, rival.end_dt, rival.seats, rival.user_id)
        start_dt, end_dt = occupied(request, policy)
        holds = active_holds(session, approved.space, start_dt, end_dt)
        if len(free_units(holds, policy, start_dt, end_dt)) < rival.seats:
            losers.append(rival)
    return losers


def _approve(session: Session, staff: User, booking_id: int, now: datetime, locale: str) -> Approval:
    booking = _pending(session, booking_id, now)  # so before its deadline, which is never after its start
    units = _checked_units(session, booking, now, locale)
    start_dt, end_dt = occupied(
        Request(booking.start_dt, booking.end_dt, booking.seats), policy_of(booking.space)
    )
    _place_holds(booking, units, start_dt, end_dt)
    _transition(session, booking, BookingStatus.CONFIRMED, staff, now)
    session.flush()  # the database guard has the last word here
    losers = _outcompeted(session, booking, locale)
    for rival in losers:
        _transition(session, rival, BookingStatus.REJECTED, staff, now, audit.AUTO_REJECT_NOTE)
    return Approval(booking, losers)


def approve(staff: User, booking_id: int, now: datetime | None = None, locale: str = "ja") -> Approval:
    """Confirm a pending request after re-checking every rule under the space's lock.

    Raises Stale when it was decided or cancelled meanwhile and Refused when a
    rule (a new closure, a booking that took the time) stands in the way. Where
    pending requests do not hold their units, the pending requests that no
    longer fit are rejected with an automatic note.
    """
    now = now or utcnow()
    space_id = _space_id(booking_id)
    return run_decision(space_id, lambda s: _approve(s, staff, booking_id, now, locale), _taken_conflict)


def run_decision(space_id: int, work: Callable[[Session], T], conflict_of: Callable[[Space], Conflict]) -> T:
    """run_write for a staff decision: a database guard refusal becomes Refused([conflict_of(space)]).

    Raises Refused for an overlap the database refused, and whatever `work` raises.
    """
    try:
        return run_write(space_id, work)
    except IntegrityError as error:
        db.session.rollback()
        if not is_guard_refusal(error):
            raise
        space = db.session.get(Space, space_id)
        assert space is not None
        raise Refused([conflict_of(space)]) from error


def reject(staff: User, booking_id: int, note: str, now: datetime | None = None) -> Booking:
    """Reject a pending request with a note the member will read."""
    now = now or utcnow()
    note = note.strip()
    if not note:
        raise ServiceError(N_("Write a note for the member: why the request is rejected."))
    if len(note) > NOTE_MAX:
        raise ServiceError(N_("The note is too long (at most %(max)s characters)."), max=NOTE_MAX)

    def work(session: Session) -> Booking:
        booking = _pending(session, booking_id, now)
        _transition(session, booking, BookingStatus.REJECTED, staff, now, note)
        return booking

    return run_write(_space_id(booking_id), work)


def find_member(email: str) -> User:
    """The enabled account with this e-mail, for booking on its behalf.

    Raises ServiceError when no account has the address, or when its account is deactivated.
    """
    user: User | None = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise InputRefused("member_email", N_("No account uses the e-mail address %(email)s."), email=email.strip())
    if not user.is_enabled:
        raise InputRefused("member_email", N_("The account %(email)s is deactivated: it cannot be booked for."),
                           email=email.strip())
    return user


def book_as_staff(
    staff: User,
    data: BookingInput,
    member_email: str = "",
    reason: str = "",
    overrides: frozenset[str] = frozenset(),
    locale: str = "ja",
) -> Outcome:
    """Book on behalf of the member with `member_email`, or, without one, block the time for staff.

    Either way the booking is confirmed at once and every rule applies except the
    `overrides` staff chose (with `reason`). Blocking needs a reason, which becomes
    the booking's purpose (maintenance, a TV recording).
    """
    reason = reason.strip()
    owner = find_member(member_email) if member_email.strip() else staff
    if owner is staff:
        if not reason:
            raise InputRefused("override_reason", N_("Say why the time is blocked."))
        data = replace(data, purpose=data.purpose or reason)
    return request_booking(owner, data, locale=locale, overrides=overrides, override_reason=reason,
                           booked_by=staff)
