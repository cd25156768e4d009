"""Staff manage spaces: their policy, weekly opening hours, holiday openings and closures.

Every write runs through `run_write` with the space's lock, so a policy change or a
new closure is serialised with the booking requests of that space. A closure for
every space locks every space row (PostgreSQL; SQLite serialises all writers anyway).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as holiday_calendars
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.domain.statuses import ACTIVE_STATUSES
from booking.domain.values import N_, Minutes
from booking.extensions import db
from booking.models import Booking, Closure, HolidayOpening, OpeningPeriod, Space, User
from booking.services import NotFound, ServiceError, Stale
from booking.services.bookings import cancel_booking
from booking.services.feeds import rebuild_events
from booking.services.policy_changes import NO_VICTIMS, Resolution, save_change
from booking.services.space_history import keep_baseline, record_removal, record_version
from booking.services.spaces import national_holidays
from booking.services.transactions import run_write

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
PERIOD_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
ALL_SPACES_ZONE = "Asia/Tokyo"
MESSAGE_MAX = 2000
Periods = tuple[tuple[time, time], ...]


class InvalidInput(ServiceError):
    """Input that breaks a rule of the policy; `errors` maps a form field to (message, params)."""

    status_code = 422

    def __init__(self, errors: dict[str, tuple[str, dict[str, object]]]) -> None:
        super().__init__(N_("Please check the marked fields."))
        self.errors = errors


@dataclass(frozen=True)
class SpaceInput:
    """Every policy field of a space, as the form delivers it."""

    slug: str
    name_ja: str
    name_en: str
    kind: str
    unit_count: int
    timezone: str
    slot_minutes: int
    min_minutes: int
    max_minutes: int
    description_ja: str = ""
    description_en: str = ""
    setup_minutes: int = 0
    teardown_minutes: int = 0
    min_notice_minutes: int = 0
    max_days_ahead: int = 90
    requires_approval: bool = False
    quota_active_bookings: int | None = None
    quota_hours_per_week: int | None = None
    pending_holds: bool = True
    request_deadline_hours: int = 24
    close_on_holidays: bool = True
    holiday_country: str = "JP"
    max_people: int | None = None
    members_may_host_events: bool = False


def is_time_zone(name: str) -> bool:
    if name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def is_holiday_country(code: str) -> bool:
    return code in holiday_calendars.list_supported_countries()


def policy_errors(data: SpaceInput) -> dict[str, tuple[str, dict[str, object]]]:
    """What is inconsistent in a policy, by field (empty when it is sound)."""
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    if not SLUG_RE.match(data.slug):
        errors["slug"] = (N_("Use lower-case letters, digits and hyphens (e.g. event-hall)."), {})
    if data.kind == "exclusive" and data.unit_count != 1:
        errors["unit_count"] = (N_("A whole-room space has exactly one unit."), {})
    if not is_time_zone(data.timezone):
        errors["timezone"] = (N_("Unknown time zone %(zone)s (e.g. Asia/Tokyo)."), {"zone": data.timezone})
    if data.slot_minutes <= 0 or 1440 % data.slot_minutes:
        errors["slot_minutes"] = (N_("The slot length must divide a day evenly (e.g. 15, 30 or 60)."), {})
    else:
        for name in ("min_minutes", "max_minutes"):
            if getattr(data, name) % data.slot_minutes:
                errors[name] = (N_("Use a multiple of the slot length (%(slot)s)."),
                                {"slot": Minutes(data.slot_minutes)})
    if "max_minutes" not in errors and data.max_minutes < data.min_minutes:
        errors["max_minutes"] = (N_("The longest booking cannot be shorter than the shortest."), {})
    if data.close_on_holidays and not is_holiday_country(data.holiday_country):
        errors["holiday_country"] = (N_("No holiday calendar is known for %(country)s."),
                                     {"country": data.holiday_country})
    return errors


def list_spaces() -> list[Space]:
    return list(db.session.scalars(select(Space).order_by(Space.id)))


def get_space(space_id: int) -> Space:
    space = db.session.get(Space, space_id)
    if space is None:
        raise NotFound()
    return space


def _refuse_taken_slug(session: Session, slug: str, space_id: int | None) -> None:
    other = session.scalar(select(Space.id).where(Space.slug == slug))
    if other is not None and other != space_id:
        raise InvalidInput({"slug": (N_("Another space already uses %(slug)s."), {"slug": slug})})


def create_space(data: SpaceInput) -> Space:
    """Store a new space with its policy (no opening hours yet: closed until they are set)."""
    if errors := policy_errors(data):
        raise InvalidInput(errors)

    def work(session: Session) -> Space:
        _refuse_taken_slug(session, data.slug, None)
        space = Space(**asdict(data))
        session.add(space)
        session.flush()
        record_version(session, space, utcnow())
        return space

    return run_write(None, work)


def _grid_errors(space: Space, slot_minutes: int) -> dict[str, tuple[str, dict[str, object]]]:
    for period in space.opening_hours:
        for at in (period.open_time, period.close_time):
            if (at.hour * 60 + at.minute) % slot_minutes:
                return {"slot_minutes": (
                    N_("The opening hours (%(time)s) are not on the %(slot)s grid; change them first."),
                    {"time": at.strftime("%H:%M"), "slot": Minutes(slot_minutes)})}
    return {}


def update_space(staff: User, space_id: int, data: SpaceInput, resolution: Resolution = NO_VICTIMS,
                 now: datetime | None = None) -> Space:
    """Change a space's policy, resolving the future bookings it breaks (see `policy_changes`).

    Refused when the opening hours would fall off a new slot grid; raises
    VictimsToResolve when bookings break and `resolution` does not say what
    happens to each (fewer desks or longer buffers: move or cancel; the other
    rules: keep as an override or cancel).
    """
    if errors := policy_errors(data):
        raise InvalidInput(errors)

    def change(session: Session, space: Space) -> None:
        _refuse_taken_slug(session, data.slug, space_id)
        if errors := _grid_errors(space, data.slot_minutes):
            raise InvalidInput(errors)
        keep_baseline(session, space)
        for name, value in asdict(data).items():
            setattr(space, name, value)
        record_version(session, space, utcnow())

    save_change(staff, space_id, change, resolution, now)
    rebuild_events(space_id, now)  # the events show the space's name and time zone
    return get_space(space_id)


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def _close_minutes(open_time: time, close_time: time) -> int:
    """Minutes after the opening day's midnight at which a period closes (past 1440: the next day)."""
    return _minutes(close_time) + (1440 if close_time <= open_time else 0)


def parse_periods(text: str, slot_minutes: int) -> Periods:
    """Parse "09:00-12:00, 13:00-18:00" into periods, strictly.

    A close at or before the open is on the next day: "09:00-24:00" runs to
    midnight, "22:00-02:00" overnight (stored with `close_next_day`). Raises
    ServiceError naming what is wrong: a malformed period, an impossible time,
    a period of no length, a time off the slot grid, or two periods that
    overlap. An empty text is a closed day.
    """
    periods = []
    for part in (p.strip() for p in text.replace("、", ",").split(",")):
        if not part:
            continue
        match = PERIOD_RE.match(part.replace("–", "-").replace("〜", "-").replace("～", "-"))
        if not match:
            raise ServiceError(N_("Write periods like 09:00-12:00, 13:00-18:00 (not “%(part)s”)."), part=part)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ServiceError(N_("%(part)s is not a time of day (00:00 to 24:00)."), part=part)
        open_time, close_time = time(h1, m1), time(h2 % 24, m2)
        if close_time == open_time and h2 != 24:
            raise ServiceError(N_("In %(part)s the closing time must differ from the opening time "
                                  "(write 00:00-24:00 for a whole day)."), part=part)
        if (h1 * 60 + m1) % slot_minutes or (h2 * 60 + m2) % slot_minutes:
            raise ServiceError(N_("%(part)s is not on the %(slot)s grid."), part=part, slot=Minutes(slot_minutes))
        periods.append((open_time, close_time))
    periods.sort()
    for (first_open, first_close), (second_open, _b) in zip(periods, periods[1:], strict=False):
        if _minutes(second_open) < _close_minutes(first_open, first_close):
            raise ServiceError(N_("Two periods of the same day overlap; write them as one."))
    return tuple(periods)


def overnight_errors(week: dict[int, Periods]) -> dict[str, tuple[str, dict[str, object]]]:
    """Days whose first period opens before the previous day's overnight period closes."""
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    for weekday, periods in week.items():
        overnight = [(a, b) for a, b in periods if b <= a]
        following = week.get((weekday + 1) % 7, ())
        if overnight and following and _minutes(following[0][0]) < _minutes(overnight[-1][1]):
            errors[f"day_{(weekday + 1) % 7}"] = (
                N_("This day opens at %(open)s, before the previous day's period ends at %(close)s."),
                {"open": following[0][0].strftime("%H:%M"), "close": overnight[-1][1].strftime("%H:%M")})
    return errors


def format_periods(space: Space, weekday: int) -> str:
    def close(period: OpeningPeriod) -> str:
        return "24:00" if period.close_next_day and period.close_time == time(0) else f"{period.close_time:%H:%M}"

    return ", ".join(
        f"{p.open_time:%H:%M}-{close(p)}"
        for p in sorted(space.opening_hours, key=lambda p: p.open_time)
        if p.weekday == weekday
    )


def hours_texts(space: Space) -> dict[str, str]:
    """The opening hours as the editor shows them: day_0 … day_6 → "09:00-12:00, 13:00-18:00"."""
    return {f"day_{n}": format_periods(space, n) for n in range(7)}


def set_opening_hours(staff: User, space_id: int, texts: dict[int, str],
                      resolution: Resolution = NO_VICTIMS, now: datetime | None = None) -> Space:
    """Replace the weekly opening hours: weekday (0 = Monday) → "09:00-12:00, 13:00-18:00".

    Bookings outside the new hours are victims (see `policy_changes.save_change`).
    """
    space = get_space(space_id)
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    week: dict[int, Periods] = {}
    for weekday in range(7):
        try:
            week[weekday] = parse_periods(texts.get(weekday, ""), space.slot_minutes)
        except ServiceError as error:
            errors[f"day_{weekday}"] = (error.message, error.params)
    if errors := errors or overnight_errors(week):
        raise InvalidInput(errors)

    def change(session: Session, locked: Space) -> None:
        if locked.slot_minutes != space.slot_minutes:
            raise Stale(N_("The slot length changed meanwhile; please check the hours again."))
        keep_baseline(session, locked)
        locked.opening_hours.clear()
        session.flush()
        for weekday, periods in week.items():
            for open_time, close_time in periods:
                locked.opening_hours.append(OpeningPeriod(
                    weekday=weekday, open_time=open_time, close_time=close_time,
                    close_next_day=close_time <= open_time))
        record_version(session, locked, utcnow())

    save_change(staff, space_id, change, resolution, now)
    return get_space(space_id)


def holiday_name(space: Space, day: date) -> str | None:
    return national_holidays(space.holiday_country, day.year, "en_US").get(day)


def holiday_openings(space: Space) -> list[HolidayOpening]:
    return list(db.session.scalars(
        select(HolidayOpening).where(HolidayOpening.space_id == space.id).order_by(HolidayOpening.day_date)))


def add_holiday_opening(space_id: int, day: date) -> HolidayOpening:
    """Open the space on a national holiday it would otherwise be closed on."""
    space = get_space(space_id)
    if holiday_name(space, day) is None:
        raise InvalidInput({"day": (N_("%(day)s is not a national holiday (%(country)s)."),
                                    {"day": day, "country": space.holiday_country})})

    def work(session: Session) -> HolidayOpening:
        taken = session.scalar(select(HolidayOpening).where(
            HolidayOpening.space_id == space_id, HolidayOpening.day_date == day))
        if taken is not None:
            raise InvalidInput({"day": (N_("The space already opens on %(day)s."), {"day": day})})
        locked = session.get(Space, space_id)
        assert locked is not None
        keep_baseline(session, locked)
        opening = HolidayOpening(space_id=space_id, day_date=day)
        session.add(opening)
        session.flush()
        record_version(session, locked, utcnow())
        return opening

    return run_write(space_id, work)


def remove_holiday_opening(staff: User, space_id: int, opening_id: int,
                           resolution: Resolution = NO_VICTIMS, now: datetime | None = None) -> None:
    """Close the space again on that holiday; an unknown id is not found.

    Bookings on that day are victims (see `policy_changes.save_change`).
    """
    def change(session: Session, space: Space) -> None:
        keep_baseline(session, space)
        removed = session.execute(delete(HolidayOpening).where(
            HolidayOpening.id == opening_id, HolidayOpening.space_id == space_id))
        if not removed.rowcount:  # type: ignore[attr-defined]
            raise NotFound()
        record_version(session, space, utcnow())

    get_space(space_id)
    save_change(staff, space_id, change, resolution, now)


@dataclass(frozen=True)
class ClosureInput:
    """A closure as staff typed it: local wall times of the space (or of Tokyo, for all)."""

    space_id: int | None
    start_local: datetime
    end_local: datetime
    reason: str
    # The form's token (booking.fields.SubmitTokenField): a repeat returns the closure it made.
    submit_token: str | None = None


def closure_zone(space: Space | None) -> ZoneInfo:
    return ZoneInfo(space.timezone if space is not None else ALL_SPACES_ZONE)


def upcoming_closures(now: datetime | None = None) -> list[Closure]:
    now = now or utcnow()
    return list(db.session.scalars(select(Closure).where(Closure.end_dt > now).order_by(Closure.start_dt)))


def get_closure(closure_id: int) -> Closure:
    closure = db.session.get(Closure, closure_id)
    if closure is None:
        raise NotFound()
    return closure


def _lock_every_space(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Space.id).order_by(Space.id).with_for_update())


def add_closure(data: ClosureInput) -> Closure:
    """Close one space, or every space, from start to end (local wall times, end after start)."""
    space = get_space(data.space_id) if data.space_id is not None else None
    zone = closure_zone(space)
    start_dt, end_dt = data.start_local.replace(tzinfo=zone), data.end_local.replace(tzinfo=zone)
    if end_dt <= start_dt:
        raise InvalidInput({"end_day": (N_("The end must be after the start."), {})})

    def work(session: Session) -> Closure:
        if data.space_id is None:
            _lock_every_space(session)
        earlier = _submitted_closure(session, data.submit_token)
        if earlier is not None:
            return earlier
        closure = Closure(space_id=data.space_id, start_dt=start_dt, end_dt=end_dt, reason=data.reason.strip(),
                          submit_token=data.submit_token)
        session.add(closure)
        session.flush()
        return closure

    try:
        return run_write(data.space_id, work)
    except IntegrityError:
        # The same form sent again at once for another space (or for all): its token's index refused it.
        db.session.rollback()
        earlier = _submitted_closure(db.session(), data.submit_token)
        if earlier is None:
            raise
        return earlier


def _submitted_closure(session: Session, token: str | None) -> Closure | None:
    if token is None:
        return None
    return session.scalar(select(Closure).where(Closure.submit_token == token))


def delete_closure(closure_id: int) -> None:
    """Remove a closure: its time becomes bookable again."""
    space_id = get_closure(closure_id).space_id

    def work(session: Session) -> None:
        closure = session.get(Closure, closure_id)
        if closure is None:
            raise NotFound()
        record_removal(session, closure, utcnow())
        session.delete(closure)

    run_write(space_id, work)


def bookings_hit(closure: Closure, now: datetime | None = None) -> list[Booking]:
    """Pending and confirmed bookings, not yet started, that overlap the closure."""
    now = now or utcnow()
    query = select(Booking).where(
        Booking.status.in_([s.value for s in ACTIVE_STATUSES]),
        Booking.start_dt < closure.end_dt,
        Booking.end_dt > closure.start_dt,
        Booking.start_dt > now,
    )
    if closure.space_id is not None:
        query = query.where(Booking.space_id == closure.space_id)
    return list(db.session.scalars(query.order_by(Booking.start_dt, Booking.id)))


@dataclass(frozen=True)
class CancelReport:
    cancelled: list[Booking]
    skipped: list[int]


def cancel_hit_bookings(staff: User, closure_id: int, booking_ids: list[int], message: str) -> CancelReport:
    """Cancel the chosen bookings the closure hits, each with `message` as the note to its member.

    Every id must be a booking the closure hits now (else Stale, nothing written).
    Each cancellation is its own transaction through `cancel_booking`; one that
    changed meanwhile (started, cancelled) is skipped and reported.
    """
    message = message.strip()
    if not message:
        raise InvalidInput({"message": (N_("Write a message to the members."), {})})
    if len(message) > MESSAGE_MAX:
        raise InvalidInput({"message": (N_("The message is too long (at most %(max)s characters)."),
                                        {"max": MESSAGE_MAX})})
    hit = {b.id for b in bookings_hit(get_closure(closure_id))}
    if not booking_ids or not set(booking_ids) <= hit:
        raise Stale(N_("The bookings this closure hits changed; please choose again."))
    cancelled, skipped = [], []
    for booking_id in sorted(set(booking_ids)):
        try:
            cancelled.append(cancel_booking(staff, booking_id, note=message))
        except ServiceError:
            skipped.append(booking_id)
    return CancelReport(cancelled, skipped)
