"""Usage figures for staff (SPEC §2 "exports and usage figures"): per space, per organisation kind, decisions.

Counts and booked hours are grouped in SQL (GROUP BY space, organisation kind, action);
open time, peak desks and the weekday × hour heatmap come from the domain
(booking.domain.usage) over the space's opening hours, closures and closed holidays.
A period is a run of local calendar days, first…last inclusive, read in each space's
own time zone; "booked" means confirmed bookings, their time clipped to the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Float, and_, case, distinct, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from booking.db import UTCDateTime
from booking.domain.usage import Booked, heatmap, median_minutes, occupancy, open_unit_minutes, peak_units
from booking.domain.values import local_day_bounds
from booking.models import ORG_KINDS, Booking, BookingEvent, Space, User
from booking.services.spaces import closures_between, policy_of

DECISIONS = ("approved", "rejected", "expired", "cancelled")
# Cancellations by notice given: under a day, under a week, a week or more before the start.
NOTICE_BUCKETS = ("day", "week", "longer")
HOME_ZONE = "Asia/Tokyo"  # the office's own calendar, for counts that belong to no space (new members)


class seconds_between(FunctionElement[float]):  # noqa: N801 (an SQL function name)
    """SQL: seconds from the first instant to the second (both UTC columns or literals)."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: object, **kw: object) -> str:
    a, b = list(element.clauses)
    return f"((julianday({compiler.process(b, **kw)}) - julianday({compiler.process(a, **kw)})) * 86400.0)"  # type: ignore[attr-defined]


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: seconds_between, compiler: object, **kw: object) -> str:
    a, b = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(b, **kw)} - {compiler.process(a, **kw)}))"  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Period:
    """Local calendar days first…last (inclusive)."""

    first: date
    last: date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(date(year, month, 1), following - timedelta(days=1))

    @classmethod
    def fiscal_year(cls, year: int) -> Period:
        """The Japanese fiscal year `year`: 1 April `year` to 31 March `year + 1`."""
        return cls(date(year, 4, 1), date(year + 1, 3, 31))

    def bounds(self, zone_name: str) -> tuple[datetime, datetime]:
        """[start_dt, end_dt) in UTC: local midnight of `first` to local midnight after `last`."""
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(zone_name)
        return local_day_bounds(self.first, zone)[0], local_day_bounds(self.last, zone)[1]


@dataclass(frozen=True)
class Filters:
    period: Period
    space_ids: tuple[int, ...] = ()
    org_kind: str = ""


@dataclass
class SpaceFigures:
    space: Space
    bookings: int = 0
    booked_hours: float = 0.0
    open_hours: float = 0.0
    occupancy: float | None = None
    peak_units: int | None = None


@dataclass
class KindFigures:
    org_kind: str
    bookings: int = 0
    booked_hours: float = 0.0
    organisations: int = 0
    members: int = 0


@dataclass
class Report:
    filters: Filters
    spaces: list[SpaceFigures] = field(default_factory=list)
    kinds: list[KindFigures] = field(default_factory=list)
    decisions: dict[str, int] = field(default_factory=dict)
    median_lead_minutes: float | None = None
    new_members: int = 0
    cancellations: dict[str, int] = field(default_factory=dict)
    # (weekday 0=Monday, hour) -> (booked unit-minutes, open unit-minutes), over all chosen spaces
    heatmap: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    # The 12 months up to the period's last one: (month, booked unit-hours, occupancy), oldest first.
    trend: list[tuple[Period, float, float | None]] = field(default_factory=list)

    @property
    def decision_total(self) -> int:
        return sum(self.decisions.values())

    def share(self, action: str) -> float | None:
        return self.decisions.get(action, 0) / self.decision_total if self.decision_total else None


def chosen_spaces(session: Session, filters: Filters) -> list[Space]:
    query = select(Space).order_by(Space.id)
    if filters.space_ids:
        query = query.where(Space.id.in_(filters.space_ids))
    return list(session.scalars(query))


def _clipped_seconds(start_dt: datetime, end_dt: datetime) -> ColumnElement[float]:
    lo, hi = literal(start_dt, UTCDateTime), literal(end_dt, UTCDateTime)
    a = case((Booking.start_dt < lo, lo), else_=Booking.start_dt)
    b = case((Booking.end_dt > hi, hi), else_=Booking.end_dt)
    return seconds_between(a, b) * Booking.seats


def _booked_in(space: Space, filters: Filters) -> list[ColumnElement[bool]]:
    start_dt, end_dt = filters.period.bounds(space.timezone)
    where = [Booking.space_id == space.id, Booking.status == "confirmed",
             Booking.start_dt < end_dt, Booking.end_dt > start_dt]
    if filters.org_kind:
        where.append(User.org_kind == filters.org_kind)
    return where


def _space_figures(session: Session, space: Space, filters: Filters, locale: str,
                   report: Report) -> SpaceFigures:
    start_dt, end_dt = filters.period.bounds(space.timezone)
    where = _booked_in(space, filters)
    count, seconds = session.execute(
        select(func.count(Booking.id), func.coalesce(func.sum(_clipped_seconds(start_dt, end_dt)), 0.0))
        .join(User, User.id == Booking.user_id).where(*where)
    ).one()
    policy = policy_of(space)
    closures = closures_between(session, space, policy, start_dt, end_dt, locale)
    open_minutes = open_unit_minutes(policy, closures, start_dt, end_dt)
    booked = [Booked(a, b, n) for a, b, n in session.execute(
        select(Booking.start_dt, Booking.end_dt, Booking.seats).join(User, User.id == Booking.user_id).where(*where))]
    for key, (used, opened) in heatmap(policy, closures, booked, start_dt, end_dt).items():
        old = report.heatmap.get(key, (0, 0))
        report.heatmap[key] = (old[0] + used, old[1] + opened)
    booked_minutes = round(float(seconds) / 60)
    return SpaceFigures(
        space=space, bookings=int(count), booked_hours=booked_minutes / 60, open_hours=open_minutes / 60,
        occupancy=occupancy(booked_minutes, open_minutes),
        peak_units=peak_units(booked, start_dt, end_dt) if space.is_pooled else None,
    )


def _month_usage(session: Session, spaces: list[Space], filters: Filters, locale: str,
                 month: Period) -> tuple[float, float | None]:
    """Booked unit-hours (SQL) and occupancy of one month over the chosen spaces."""
    booked = opened = 0
    scoped = Filters(month, filters.space_ids, filters.org_kind)
    for space in spaces:
        start_dt, end_dt = month.bounds(space.timezone)
        seconds = session.scalar(select(func.coalesce(func.sum(_clipped_seconds(start_dt, end_dt)), 0.0))
                                 .join(User, User.id == Booking.user_id).where(*_booked_in(space, scoped)))
        booked += round(float(seconds or 0) / 60)
        policy = policy_of(space)
        opened += open_unit_minutes(policy, closures_between(session, space, policy, start_dt, end_dt, locale),
                                    start_dt, end_dt)
    return booked / 60, occupancy(booked, opened)


def _trend(session: Session, spaces: list[Space], filters: Filters, locale: str) -> list[tuple[Period, float,
                                                                                              float | None]]:
    last = filters.period.last
    months = [Period.month(last.year + (last.month - 1 - back) // 12, (last.month - 1 - back) % 12 + 1)
              for back in range(11, -1, -1)]
    return [(month, *_month_usage(session, spaces, filters, locale, month)) for month in months]


def _kind_rows(session: Session, space: Space, filters: Filters) -> list[tuple[str, int, float, int, int]]:
    start_dt, end_dt = filters.period.bounds(space.timezone)
    rows = session.execute(
        select(User.org_kind, func.count(Booking.id), func.sum(_clipped_seconds(start_dt, end_dt)),
               func.count(distinct(func.nullif(User.organisation, ""))), func.count(distinct(User.id)))
        .join(User, User.id == Booking.user_id).where(*_booked_in(space, filters)).group_by(User.org_kind)
    )
    return [(kind, int(n), float(s or 0), int(orgs), int(members)) for kind, n, s, orgs, members in rows]


def _decisions(session: Session, spaces: list[Space], filters: Filters, report: Report) -> None:
    lead_times: list[timedelta] = []
    for space in spaces:
        start_dt, end_dt = filters.period.bounds(space.timezone)
        where = [Booking.space_id == space.id, BookingEvent.at >= start_dt, BookingEvent.at < end_dt,
                 BookingEvent.action.in_(DECISIONS)]
        if filters.org_kind:
            where.append(User.org_kind == filters.org_kind)
        joined = (select(BookingEvent.action, func.count(BookingEvent.id))
                  .join(Booking, Booking.id == BookingEvent.booking_id).join(User, User.id == Booking.user_id))
        for action, n in session.execute(joined.where(*where).group_by(BookingEvent.action)):
            report.decisions[action] = report.decisions.get(action, 0) + int(n)
        decided = (select(Booking.created_at, BookingEvent.at).join(Booking, Booking.id == BookingEvent.booking_id)
                   .join(User, User.id == Booking.user_id)
                   .where(*where, BookingEvent.action.in_(("approved", "rejected"))))
        lead_times += [decided_at - requested_at for requested_at, decided_at in session.execute(decided)]
    report.median_lead_minutes = median_minutes(lead_times)


def _cancellations(session: Session, spaces: list[Space], filters: Filters, report: Report) -> None:
    """Bookings cancelled in the period, grouped in SQL by the notice they gave (NOTICE_BUCKETS)."""
    for space in spaces:
        start_dt, end_dt = filters.period.bounds(space.timezone)
        notice = seconds_between(Booking.cancelled_at, Booking.start_dt)
        bucket = case((notice < 86400, "day"), (notice < 7 * 86400, "week"), else_="longer")
        where = [Booking.space_id == space.id, Booking.status == "cancelled",
                 Booking.cancelled_at >= start_dt, Booking.cancelled_at < end_dt]
        if filters.org_kind:
            where.append(User.org_kind == filters.org_kind)
        rows = session.execute(select(bucket, func.count(Booking.id)).join(User, User.id == Booking.user_id)
                               .where(*where).group_by(bucket))
        for name, n in rows:
            report.cancellations[name] = report.cancellations.get(name, 0) + int(n)


def _new_members(session: Session, filters: Filters) -> int:
    """Member accounts created in the period (local days in HOME_ZONE), of the kind if one is chosen."""
    start_dt, end_dt = filters.period.bounds(HOME_ZONE)
    where = [User.role == "member", User.created_at >= start_dt, User.created_at < end_dt]
    if filters.org_kind:
        where.append(User.org_kind == filters.org_kind)
    return int(session.scalar(select(func.count(User.id)).where(*where)) or 0)


def build_report(session: Session, filters: Filters, locale: str = "ja") -> Report:
    """All figures for the filters; read-only.

    Organisations are counted by their name (distinct non-empty names per kind and space,
    summed over spaces); members by account. Raises nothing for an empty period.
    """
    report = Report(filters)
    spaces = chosen_spaces(session, filters)
    kinds = {kind: KindFigures(kind) for kind in ORG_KINDS}
    for space in spaces:
        report.spaces.append(_space_figures(session, space, filters, locale, report))
        for kind, n, seconds, orgs, members in _kind_rows(session, space, filters):
            row = kinds[kind]
            row.bookings += n
            row.booked_hours += round(seconds / 60) / 60
            row.organisations += orgs
            row.members += members
    report.kinds = [row for row in kinds.values() if not filters.org_kind or row.org_kind == filters.org_kind]
    _decisions(session, spaces, filters, report)
    _cancellations(session, spaces, filters, report)
    report.new_members = _new_members(session, filters)
    report.trend = _trend(session, spaces, filters, locale)
    return report


def booking_rows(session: Session, filters: Filters) -> list[tuple[Booking, Space, User]]:
    """Bookings of the chosen spaces that overlap the period (any status), earliest first."""
    rows: list[tuple[Booking, Space, User]] = []
    for space in chosen_spaces(session, filters):
        start_dt, end_dt = filters.period.bounds(space.timezone)
        where = [Booking.space_id == space.id, Booking.start_dt < end_dt, Booking.end_dt > start_dt]
        if filters.org_kind:
            where.append(User.org_kind == filters.org_kind)
        query = (select(Booking, User).join(User, User.id == Booking.user_id).where(and_(*where))
                 .order_by(Booking.start_dt, Booking.id))
        rows += [(booking, space, user) for booking, user in session.execute(query)]
    return sorted(rows, key=lambda row: (row[0].start_dt, row[0].id))


def figures(filters: Filters, locale: str = "ja") -> Report:
    """build_report on the request's session (for the staff page)."""
    from booking.extensions import db

    session: Session = db.session()
    return build_report(session, filters, locale)


def space_choices(locale: str) -> list[tuple[int, str]]:
    from booking.extensions import db

    session: Session = db.session()
    return [(space.id, space.name(locale)) for space in chosen_spaces(session, Filters(Period.month(2000, 1)))]
