"""Recurring series (SPEC §4): preview every occurrence, book the chosen ones, cancel some or all.

Each occurrence is an ordinary Booking (its own UID, status, units, audit trail,
feed event) linked to a BookingSeries. Preview and booking judge an occurrence
with the same function as a single booking (`bookings.judge_booking`), on facts
read once for all dates (series_facts); both count the earlier occurrences they
would book as taken (their units and their quota).
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.domain.recurrence import MISSING_MESSAGES, Missing, Occurrence, RecurrenceRule, occurrence_on, occurrences
from booking.domain.rules import occupied
from booking.domain.statuses import BookingStatus, can_transition, status_at
from booking.domain.values import N_, Conflict, Hold, Request
from booking.extensions import db
from booking.models import Booking, BookingEvent, BookingHold, BookingSeries, Space, User, new_uid
from booking.services import NotFound, ServiceError, Stale, audit, expiry
from booking.services import staff as staff_service
from booking.services.bookings import (
    BookingInput,
    _render_ahead,
    add_booking,
    checked_overrides,
    judge_booking,
    mark_cancelled,
)
from booking.services.feed_events import Rendered, store
from booking.services.series_facts import read_facts
from booking.services.spaces import policy_of
from booking.services.transactions import is_guard_refusal, run_write

# Staff and members see this code on an occurrence the calendar lacks.
NO_SUCH_DATE = "no_such_date"
# A date that does not exist cannot be moved to another time.
CALENDAR_LACKS = (Missing.NO_SUCH_DAY, Missing.NO_FIFTH_WEEKDAY)


@dataclass(frozen=True)
class SeriesInput:
    """A series as the form delivers it: local date of the first day, local wall times, the rule.

    `end_days` is how many local days after its start day an occurrence ends (0 = same day).
    `moved` gives single dates other local wall times: (day, start, end); an end
    not after the start means the next day.
    """

    space_id: int
    title: str
    first_day: date
    start_time: time
    end_time: time
    rule: RecurrenceRule
    end_days: int = 0
    seats: int = 1
    purpose: str = ""
    attendees: int = 0
    is_public: bool = False
    moved: tuple[tuple[date, time, time], ...] = ()
    # The form's token (booking.fields.SubmitTokenField): a repeat returns the series it made.
    submit_token: str | None = None


@dataclass
class OccurrenceOutcome:
    """One occurrence and its fate: free (no conflicts), refused (conflicts), or booked."""

    occurrence: Occurrence
    conflicts: list[Conflict] = field(default_factory=list)
    booking: Booking | None = None

    @property
    def day(self) -> date:
        return self.occurrence.day

    @property
    def is_free(self) -> bool:
        return not self.conflicts


@dataclass
class SeriesOutcome:
    """What happened to each occurrence, in date order; `series` is None when nothing was booked."""

    items: list[OccurrenceOutcome]
    series: BookingSeries | None = None
    # The same form was sent before: `series` is what that POST made, nothing new was.
    is_repeat: bool = False

    @property
    def booked(self) -> list[Booking]:
        return [i.booking for i in self.items if i.booking is not None]


class Scope(StrEnum):
    """Which occurrences a cancellation reaches."""

    ONE = "one"
    FOLLOWING = "following"
    ALL = "all"


def _space(session: Session, space_id: int) -> Space:
    space = session.get(Space, space_id)
    if space is None:
        raise NotFound()
    return space


def occurrences_of(data: SeriesInput, space: Space) -> list[Occurrence]:
    """The occurrences of `data` in the space's time zone (see recurrence.occurrences), moved dates moved."""
    zone = policy_of(space).zone
    found = occurrences(data.rule, data.first_day, data.start_time, data.end_time, data.end_days, zone)
    moved = {day: (start, end) for day, start, end in data.moved}
    result = []
    for occurrence in found:
        times = moved.get(occurrence.day)
        if times is None or occurrence.missing in CALENDAR_LACKS:
            result.append(occurrence)
        else:
            start, end = times
            result.append(occurrence_on(occurrence.day, start, end, 1 if end <= start else 0, zone))
    return result


def movable_days(data: SeriesInput, space: Space) -> list[date]:
    """The dates of the series that exist in the calendar: those that may get other times."""
    plain = replace(data, moved=())
    return [o.day for o in occurrences_of(plain, space) if o.missing not in CALENDAR_LACKS]


def _input(data: SeriesInput, occurrence: Occurrence) -> BookingInput:
    assert occurrence.start_dt is not None and occurrence.end_dt is not None
    return BookingInput(data.space_id, occurrence.start_dt, occurrence.end_dt, data.title, data.seats,
                        data.purpose, data.attendees, data.is_public)


def _missing(occurrence: Occurrence) -> list[Conflict]:
    assert occurrence.missing is not None
    return [Conflict(NO_SUCH_DATE, MISSING_MESSAGES[occurrence.missing], dict(occurrence.params))]


def preview_series(
    member: User, data: SeriesInput, now: datetime | None = None, locale: str = "ja",
    overrides: frozenset[str] = frozenset(), override_reason: str = "",
) -> list[OccurrenceOutcome]:
    """Every occurrence with its outcome under every rule of SPEC §5, nothing written.

    An occurrence that would be booked counts for the later ones: its units are
    taken (a booking longer than the repeat interval meets its own next
    occurrence) and it counts against the member's quota. Raises ServiceError for
    overrides the member may not use (see bookings.checked_overrides).
    """
    now = now or utcnow()
    overrides = checked_overrides(member, overrides, override_reason)
    session: Session = db.session()
    space = _space(session, data.space_id)
    return [OccurrenceOutcome(occurrence, conflicts)
            for occurrence, _single, conflicts, _units in _judged(session, space, member, data,
                                                                  occurrences_of(data, space), now, locale,
                                                                  overrides)]


def _judged(
    session: Session, space: Space, member: User, data: SeriesInput, chosen: list[Occurrence], now: datetime,
    locale: str, overrides: frozenset[str],
) -> Iterator[tuple[Occurrence, BookingInput | None, list[Conflict], list[int] | None]]:
    """Each chosen occurrence judged in date order: (occurrence, its booking input, conflicts, units or None).

    The facts of all dates are read at once (series_facts); each earlier date judged
    free counts for the later ones (its units taken, its hours in the quota).
    """
    policy = policy_of(space)
    singles = {o.day: _input(data, o) for o in chosen if o.missing is None}
    requests = [Request(s.start_dt, s.end_dt, s.seats, member.id) for s in singles.values()]
    spans = [occupied(r, policy) for r in requests]
    facts = read_facts(session, space, policy, member.id, requests, spans, now, locale)
    taken: list[Hold] = []
    usage: list[tuple[datetime, datetime]] = []
    for occurrence in chosen:
        single = singles.get(occurrence.day) if occurrence.missing is None else None
        if single is None:
            yield occurrence, None, _missing(occurrence), None
            continue
        request = Request(single.start_dt, single.end_dt, single.seats, member.id)
        start_dt, end_dt = occupied(request, policy)
        holds = [*facts.holds_between(start_dt, end_dt), *taken]
        closures = facts.closures_between(single.start_dt, single.end_dt)
        own = facts.usage_of(now, request, usage)
        conflicts, units = judge_booking(space, policy, request, holds, closures, own, now, overrides,
                                         single.units)
        if units is not None:
            taken.extend(Hold(0, member.id, unit, start_dt, end_dt) for unit in units)
            usage.append((single.start_dt, single.end_dt))
        yield occurrence, single, conflicts, units


@dataclass(frozen=True)
class _Ahead:
    """What was prepared for one date before the lock: its UID, the desks guessed, its feed events."""

    uid: str
    units: tuple[int, ...]
    rendered: Rendered | None


@contextmanager
def _collection_deferred() -> Iterator[None]:
    """No cyclic garbage collection inside: it runs after, once the space's lock is released.

    Booking a year of dates makes some thousand objects, enough for ten young-generation
    collections and now and then a full one (tens to hundreds of milliseconds in a big
    process) while every other writer of the space waits. Nothing is skipped, only
    deferred; a collector disabled by somebody else stays disabled.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _render_series_ahead(
    member: User, data: SeriesInput, days: Collection[date], now: datetime, locale: str, overrides: frozenset[str],
) -> dict[date, _Ahead]:
    """Each chosen date's UID, feed events and mail calendar, prepared before the space's lock (by local date).

    As a single booking does (bookings._render_ahead): the mail's renders under the
    lock only write the change times into per-process templates, and a date booked
    as guessed here stores these feed events as they are (_book). A pooled space's
    desks are those a judgement without the lock gives.
    """
    session: Session = db.session()
    space = session.get(Space, data.space_id)
    if space is None:
        return {}
    chosen = [o for o in occurrences_of(data, space) if o.day in days and o.missing is None]
    units: dict[date, tuple[int, ...]] = {}
    if space.is_pooled:
        units = {o.day: tuple(u) for o, _single, _conflicts, u in _judged(session, space, member, data, chosen, now,
                                                                          locale, overrides) if u is not None}
    ahead = {}
    for occurrence in chosen:
        uid = new_uid()
        rendered = None
        if not space.is_pooled or occurrence.day in units:  # one refused without the lock most likely is in it
            single = replace(_input(data, occurrence), units=units.get(occurrence.day, ()))
            rendered = _render_ahead(member, single, uid, now, None)
        ahead[occurrence.day] = _Ahead(uid, units.get(occurrence.day, ()), rendered)
    return ahead


def _book(
    session: Session, member: User, data: SeriesInput, days: Collection[date], now: datetime, locale: str,
    overrides: frozenset[str], override_reason: str, ahead: dict[date, _Ahead],
) -> SeriesOutcome:
    space = _space(session, data.space_id)
    earlier = submitted_series(session, member.id, data.submit_token)
    if earlier is not None:
        return SeriesOutcome([], earlier, is_repeat=True)
    expiry.expire_lapsed_in(session, space, now)  # requests past their deadline hold nothing at `now`
    series = BookingSeries(space=space, user=member, title=data.title, rrule=data.rule.as_rrule(), created_at=now,
                           submit_token=data.submit_token)
    chosen = [o for o in occurrences_of(data, space) if o.day in days]
    items = []
    for occurrence, single, conflicts, units in _judged(session, space, member, data, chosen, now, locale,
                                                         overrides):
        booking = None
        if single is not None and units is not None:
            prepared = ahead.get(occurrence.day)
            booking = add_booking(session, space, member, single, units, now, overrides, override_reason,
                                  series=series, flush=False, uid=prepared.uid if prepared else None)
            if prepared and prepared.rendered and (not space.is_pooled or prepared.units == tuple(units)):
                # Rendered from these values; the stamp still checks status and names (feed_events.refresh).
                store(booking, prepared.rendered)
        items.append(OccurrenceOutcome(occurrence, conflicts, booking))
    _numbered_on_sqlite(session, [i.booking for i in items if i.booking is not None])
    session.flush()  # one flush for every date: the feed events and the guard's checks in one go
    # The series joins the session with its first booking, so without one nothing is written.
    return SeriesOutcome(items, series if any(i.booking is not None for i in items) else None)


def _numbered_on_sqlite(session: Session, bookings: list[Booking]) -> None:
    """On SQLite, number the new bookings, their holds and trail entries (in date order) before the flush.

    SQLite does not return the ids of a multi-row INSERT in a guaranteed order, so
    SQLAlchemy sends one INSERT per row it must learn the id of: 156 statements for a
    year of dates. SQLite's write lock is the whole database's (BEGIN IMMEDIATE), so
    nobody else inserts meanwhile, and these tables have no AUTOINCREMENT: the ids
    SQLite would pick are max(id) + 1 on, and with them given the flush sends one
    executemany per table. PostgreSQL already batches (insertmanyvalues) and keeps its sequences.
    """
    if len(bookings) < 2 or session.get_bind().dialect.name != "sqlite":
        return
    order = {id(booking): n for n, booking in enumerate(bookings)}
    entries = sorted((obj for obj in session.new if isinstance(obj, BookingEvent) and id(obj.booking) in order),
                     key=lambda entry: order[id(entry.booking)])
    holds = [hold for booking in bookings for hold in booking.holds]
    others = [obj for obj in session.new if isinstance(obj, Booking | BookingHold | BookingEvent)]
    if len(others) != len(bookings) + len(holds) + len(entries):
        return  # rows not of these dates would take ids on their own: leave the numbering to SQLite
    rows: tuple[tuple[Any, Sequence[Booking | BookingHold | BookingEvent]], ...] = (
        (Booking.id, bookings), (BookingHold.id, holds), (BookingEvent.id, entries))
    with session.no_autoflush:
        for column, new in rows:
            top = session.scalar(select(func.max(column))) or 0
            for number, row in enumerate(new, top + 1):
                row.id = number


def book_series(
    member: User, data: SeriesInput, days: Collection[date], now: datetime | None = None, locale: str = "ja",
    *, overrides: frozenset[str] = frozenset(), override_reason: str = "",
) -> SeriesOutcome:
    """Book the occurrences on the local dates `days`, each as an ordinary booking, in one transaction.

    Runs under the space's lock: each chosen occurrence is checked and booked in
    date order, so one taken since the preview is reported with its conflict and
    the others are still booked. Dates not in the series are ignored. Raises
    ServiceError for an unverified member or forbidden overrides.
    """
    now = now or utcnow()
    if not member.is_verified:
        raise ServiceError(N_("Please confirm your e-mail address before booking."))
    if not days:
        raise ServiceError(N_("Choose at least one date to book."))
    overrides = checked_overrides(member, overrides, override_reason)
    days = frozenset(days)
    ahead = _render_series_ahead(member, data, days, now, locale, overrides)

    def work(session: Session) -> SeriesOutcome:
        return _book(session, member, data, days, now, locale, overrides, override_reason, ahead)

    with _collection_deferred():
        try:
            return run_write(data.space_id, work)
        except IntegrityError as error:
            # The lock makes this rare; a second run sees what the guard (or the token's index) saw.
            db.session.rollback()
            if not is_guard_refusal(error) and submitted_series(db.session(), member.id, data.submit_token) is None:
                raise
            return run_write(data.space_id, work)


def submitted_series(session: Session, member_id: int, token: str | None) -> BookingSeries | None:
    """The member's series made by the form with this token, if any (None for no token)."""
    if token is None:
        return None
    return session.scalar(select(BookingSeries).where(BookingSeries.user_id == member_id,
                                                      BookingSeries.submit_token == token))


def get_series(member: User, series_id: int) -> BookingSeries:
    """A series of this member (staff may see any); anything else is not found."""
    series = db.session.get(BookingSeries, series_id)
    if series is None or (series.user_id != member.id and not member.is_staff):
        raise NotFound()
    return series


def _cancellable(session: Session, booking_id: int, series_id: int | None, start_dt: datetime, scope: Scope,
                 now: datetime) -> list[Booking]:
    if scope is Scope.ONE:
        chosen = [b for b in [session.get(Booking, booking_id)] if b is not None]
    else:
        query = select(Booking).where(Booking.series_id == series_id).order_by(Booking.start_dt)
        if scope is Scope.FOLLOWING:
            query = query.where(Booking.start_dt >= start_dt)
        chosen = list(session.scalars(query))
    return [b for b in chosen if can_transition(b.status, BookingStatus.CANCELLED) and b.start_dt > now]


def occurrences_to_cancel(member: User, booking_id: int, scope: Scope, now: datetime | None = None) -> list[Booking]:
    """The dates `cancel_occurrences` would cancel now (for its confirmation page), oldest first."""
    first = db.session.get(Booking, booking_id)
    if first is None or (first.user_id != member.id and not member.is_staff):
        raise NotFound()
    if first.series_id is None and scope is not Scope.ONE:
        raise NotFound()
    return _cancellable(db.session(), booking_id, first.series_id, first.start_dt, scope, now or utcnow())


def cancel_occurrences(
    member: User, booking_id: int, scope: Scope, now: datetime | None = None, note: str = "",
) -> list[Booking]:
    """Cancel one occurrence, it and all following ones, or every occurrence of its series.

    Only occurrences that have not started and can still be cancelled are
    cancelled (the rest are left as they are); returns those cancelled, oldest
    first. Raises NotFound for somebody else's booking, Stale when nothing is
    left to cancel.
    """
    now = now or utcnow()
    first = db.session.get(Booking, booking_id)
    if first is None or (first.user_id != member.id and not member.is_staff):
        raise NotFound()
    space_id, series_id, start_dt = first.space_id, first.series_id, first.start_dt
    if series_id is None and scope is not Scope.ONE:
        raise NotFound()

    def work(session: Session) -> list[Booking]:
        cancellable = _cancellable(session, booking_id, series_id, start_dt, scope, now)
        if not cancellable:
            raise Stale(N_("Nothing left to cancel: these dates have started or were already cancelled."))
        # Several dates go in one mail at once, so they are cancelled for good (booking.domain.undo).
        marked = note or (audit.SERIES_CANCEL_NOTE if len(cancellable) > 1 else "")
        return [mark_cancelled(session, b, member, now, marked) for b in cancellable]

    return run_write(space_id, work)


@dataclass
class SeriesRequest:
    """The pending requests of one series, shown and decided as one request (date order)."""

    series: BookingSeries
    entries: list[staff_service.QueueEntry]

    @property
    def booking(self) -> Booking:
        return self.entries[0].booking


def grouped_queue(entries: list[staff_service.QueueEntry]) -> list[staff_service.QueueEntry | SeriesRequest]:
    """The approval queue with each series' pending requests as one SeriesRequest.

    A series takes the place of its most urgent request; changes of time and a
    series with a single pending request stay single entries.
    """
    groups: dict[int, list[staff_service.QueueEntry]] = {}
    for entry in entries:
        if entry.booking.series_id is not None and not entry.is_change:
            groups.setdefault(entry.booking.series_id, []).append(entry)
    result: list[staff_service.QueueEntry | SeriesRequest] = []
    for entry in entries:
        group = groups.get(entry.booking.series_id or 0, [])
        if len(group) < 2 or entry.is_change:
            result.append(entry)
        elif entry is group[0]:
            series = entry.booking.series
            assert series is not None
            result.append(SeriesRequest(series, sorted(group, key=lambda e: e.booking.start_dt)))
    return result


@dataclass
class Decision:
    """What staff's decision did to one occurrence: `result` is approved, rejected, refused or stale."""

    booking_id: int
    result: str
    conflicts: list[Conflict] = field(default_factory=list)


def pending_occurrences(staff: User, series_id: int, now: datetime | None = None) -> list[Booking]:
    """The occurrences of a series still waiting for staff at `now`, oldest first (staff only): those past
    their deadline are expired already (domain.statuses.status_at), whether or not the job has run."""
    if not staff.is_staff:
        raise NotFound()
    now = now or utcnow()
    series = get_series(staff, series_id)
    hours = series.space.request_deadline_hours
    return [b for b in series.bookings
            if status_at(b.status, b.start_dt, b.created_at, hours, now) == BookingStatus.PENDING]


def decide_series(
    staff: User, series_id: int, approve_ids: Collection[int], note: str, now: datetime | None = None,
    locale: str = "ja",
) -> list[Decision]:
    """Decide a series as one request: approve the occurrences `approve_ids`, reject the other pending ones.

    Each approval re-checks its occurrence under the space's lock (staff.approve);
    one that now breaks a rule is `refused` with its conflicts and stays pending,
    one decided meanwhile is `stale`. The rejected ones carry `note`, which is
    required when any are rejected (staff.reject raises ServiceError without it).
    """
    now = now or utcnow()
    pending = pending_occurrences(staff, series_id, now)
    rejected = [b.id for b in pending if b.id not in approve_ids]
    note = note.strip()
    if rejected and not note:
        raise ServiceError(N_("Write a note for the member: why the request is rejected."))
    if len(note) > staff_service.NOTE_MAX:
        raise ServiceError(N_("The note is too long (at most %(max)s characters)."), max=staff_service.NOTE_MAX)
    if not pending:
        return []
    approved = [b.id for b in pending if b.id in approve_ids]
    # One transaction, so the member gets one mail for the whole decision (series_mail.py).
    return run_write(pending[0].space_id,
                     lambda session: _decide_all(session, staff, approved, rejected, note, now, locale))


def _decide_all(
    session: Session, staff: User, approved: list[int], rejected: list[int], note: str, now: datetime, locale: str,
) -> list[Decision]:
    decisions = []
    for booking_id in approved:
        try:
            with session.begin_nested():  # a refused approval leaves the others in place
                staff_service._approve(session, staff, booking_id, now, locale)
            decisions.append(Decision(booking_id, "approved"))
        except staff_service.Refused as refused:
            decisions.append(Decision(booking_id, "refused", refused.conflicts))
        except Stale:
            decisions.append(Decision(booking_id, "stale"))
        except IntegrityError as error:
            if not is_guard_refusal(error):
                raise
            booking = session.get(Booking, booking_id)
            assert booking is not None
            decisions.append(Decision(booking_id, "refused", [staff_service._taken_conflict(booking.space)]))
    for booking_id in rejected:
        try:
            booking = staff_service._pending(session, booking_id, now)
            staff_service._transition(session, booking, BookingStatus.REJECTED, staff, now, note)
            decisions.append(Decision(booking_id, "rejected"))
        except Stale:
            decisions.append(Decision(booking_id, "stale"))
    return decisions
