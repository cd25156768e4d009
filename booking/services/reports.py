"""Usage figures for staff (SPEC §2 "exports and usage figures"): per space, per organisation kind, decisions.

Counts, booked hours, peak desks and the booked side of the weekday × hour heatmap are
grouped in SQL (booking.services.report_sql); bookings are never loaded into Python.
Open time comes from the domain (booking.domain.usage) over the rules in force at each
instant (booking.domain.history: versions of opening hours, unit counts and holiday
rules, and closures as they stood), so changing today's hours leaves past figures alone.
A period is a run of local calendar days, first…last inclusive, read in each space's
own time zone; "booked" means confirmed bookings, their time clipped to the period.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, case, distinct, false, func, null, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import CTE

from booking.db import utcnow
from booking.domain.history import RulesVersion, closures_in_force, in_force
from booking.domain.usage import (
    Span,
    local_hours,
    minutes,
    minutes_by_hour,
    occupancy,
    open_time,
)
from booking.domain.values import ClosedRange, Policy, local_day_bounds
from booking.models import ORG_KINDS, Booking, BookingEvent, Space, User
from booking.services.report_events import EventFigures, event_figures
from booking.services.report_sql import (
    booked_and_peak,
    clipped_seconds,
    load_hours,
    seconds_between,
    without_jit,
)
from booking.services.space_history import closures_of, versions_of
from booking.services.spaces import HOLIDAY_LANGUAGES, national_holidays, policy_of

DECISIONS = ("approved", "rejected", "expired", "cancelled")
# Cancellations by notice given: under a day, under a week, a week or more before the start.
NOTICE_BUCKETS = ("day", "week", "longer")
HOME_ZONE = "Asia/Tokyo"  # the office's own calendar, for counts that belong to no space (new members)
# A booking that started before a period can reach into it by at most this much: the form's
# ceiling for a space's longest booking (forms_staff.SpaceForm.max_minutes), unless a
# version of the space allowed longer. Keeps every range query bounded by the start index.
LONGEST_BOOKING = timedelta(minutes=10080)


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
    events: EventFigures = field(default_factory=EventFigures)


@dataclass
class KindFigures:
    org_kind: str
    bookings: int = 0
    booked_hours: float = 0.0
    organisations: int = 0
    members: int = 0


class TrendMonth(NamedTuple):
    """One month of the trend: booked unit-hours and occupancy over the chosen spaces, and its events."""

    month: Period
    booked_hours: float
    occupancy: float | None
    events: EventFigures


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
    # Events held in the period over the chosen spaces (booking.services.report_events).
    events: EventFigures = field(default_factory=EventFigures)
    # The 12 months up to the period's last one, oldest first.
    trend: list[TrendMonth] = field(default_factory=list)
    # The page's rendering of these figures per locale, kept with a kept report (views.reports.figures_html).
    rendered: dict[str, str] = field(default_factory=dict)

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


@dataclass(frozen=True)
class SpaceRules:
    """A space with the versions of its rules, read once per report."""

    space: Space
    policy: Policy
    versions: list[RulesVersion]

    @property
    def longest(self) -> timedelta:
        longest = max([self.policy.max_minutes, *(v.policy.max_minutes for v in self.versions)])
        return max(LONGEST_BOOKING, timedelta(minutes=longest))


def rules_of(session: Session, space: Space) -> SpaceRules:
    policy = policy_of(space)
    return SpaceRules(space, policy, versions_of(session, space, policy))


def _booked_in(rules: SpaceRules, period: Period, org_kind: str) -> list[ColumnElement[bool]]:
    """Confirmed bookings of the space overlapping the period (the start index bounds both ends)."""
    start_dt, end_dt = period.bounds(rules.space.timezone)
    where = [Booking.space_id == rules.space.id, Booking.status == "confirmed",
             Booking.start_dt < end_dt, Booking.start_dt >= start_dt - rules.longest, Booking.end_dt > start_dt]
    if org_kind:
        where.append(User.org_kind == org_kind)
    return where


def _with_user(org_kind: str) -> list[tuple[object, ColumnElement[bool]]]:
    return [(User, User.id == Booking.user_id)] if org_kind else []


def _holidays(version: RulesVersion, start_dt: datetime, end_dt: datetime, locale: str) -> dict[date, str]:
    if not version.close_on_holidays:
        return {}
    zone = version.policy.zone
    first, last = start_dt.astimezone(zone).date() - timedelta(days=1), end_dt.astimezone(zone).date()
    language = HOLIDAY_LANGUAGES.get(locale, "ja")
    return {day: name for year in range(first.year, last.year + 1)
            for day, name in national_holidays(version.holiday_country, year, language).items()
            if first <= day <= last}


def open_parts(session: Session, rules: SpaceRules, start_dt: datetime, end_dt: datetime,
               locale: str) -> list[tuple[Policy, list[ClosedRange], datetime, datetime]]:
    """[start_dt, end_dt) cut by the versions in force: each part's policy and closures as they stood."""
    current, removed = closures_of(session, rules.space, start_dt, end_dt)
    closures = closures_in_force(current, removed)
    return [(version.policy, closures + version.closed_holidays(_holidays(version, a, z, locale)), a, z)
            for version, a, z in in_force(rules.versions, start_dt, end_dt)]


@lru_cache(maxsize=32)
def hour_pieces(zone: str, start_dt: datetime, end_dt: datetime) -> tuple[tuple[int, int, Span], ...]:
    """The local hours of a period in a zone (the same for every space there, and for every page view)."""
    return tuple(local_hours(Policy(timezone=zone), start_dt, end_dt))


def _space_figures(session: Session, rules: SpaceRules, filters: Filters, locale: str, report: Report,
                   kind_rows: list[tuple[str, int, float, int, int]],
                   booked_at: dict[int, dict[datetime, int]]) -> SpaceFigures:
    """The space's row of figures; its bookings and booked time are the sums of its rows per kind.

    Stores in booked_at[space id] F at each bound of the trend's months (booked unit-ms before it,
    report_sql.booked_and_peak), from the same query as the heatmap (see _trend)."""
    space = rules.space
    start_dt, end_dt = filters.period.bounds(space.timezone)
    months = trend_months(filters.period)
    # The running sums take in the trend's months too, so that each month is read from them (_trend).
    span = Period(min(filters.period.first, months[0].first), max(filters.period.last, months[-1].last))
    where, joins = _booked_in(rules, span, filters.org_kind), _with_user(filters.org_kind)
    count, seconds = sum(row[1] for row in kind_rows), sum(row[2] for row in kind_rows)
    pieces = hour_pieces(space.timezone, start_dt, end_dt)
    open_spans = [(span, policy.unit_count)
                  for policy, closures, a, z in open_parts(session, rules, start_dt, end_dt, locale)
                  for span in open_time(policy, closures, a, z)]
    opened = sum(units * minutes(b - a) for (a, b), units in open_spans)
    for key, open_minutes_ in minutes_by_hour(pieces, open_spans).items():
        old = report.heatmap.get(key, (0, 0))
        report.heatmap[key] = (old[0], old[1] + open_minutes_)
    load_hours(session, pieces)
    marks = [instant for month in months for instant in month.bounds(space.timezone)]
    by_hour, peak, booked_at[space.id] = booked_and_peak(session, where, start_dt, end_dt, joins, marks)
    for key, used in by_hour.items():
        old = report.heatmap.get(key, (0, 0))
        report.heatmap[key] = (old[0] + round(used / 60), old[1])
    booked_minutes = round(float(seconds) / 60)
    return SpaceFigures(
        space=space, bookings=int(count), booked_hours=booked_minutes / 60, open_hours=opened / 60,
        occupancy=occupancy(booked_minutes, opened), peak_units=peak if space.is_pooled else None,
    )


def _open_per_month(session: Session, rules: SpaceRules, months: list[Period], locale: str) -> list[int]:
    """Open unit-minutes of each month: the rules in force read once over all the months, then cut."""
    zone = rules.space.timezone
    bounds = [month.bounds(zone) for month in months]
    spans = [(span, policy.unit_count)
             for policy, closures, a, z in open_parts(session, rules, bounds[0][0], bounds[-1][1], locale)
             for span in open_time(policy, closures, a, z)]
    return [sum(units * minutes(min(b, end_dt) - max(a, start_dt)) for (a, b), units in spans
                if a < end_dt and start_dt < b) for start_dt, end_dt in bounds]


def trend_months(period: Period) -> list[Period]:
    """The 12 months up to the period's last one, oldest first."""
    last = period.last
    return [Period.month(last.year + (last.month - 1 - back) // 12, (last.month - 1 - back) % 12 + 1)
            for back in range(11, -1, -1)]


def _events(session: Session, report: Report, spaces: list[Space], now: datetime) -> list[EventFigures]:
    """Event figures of the period per space and in total (one grouped query, bucket 0 the period,
    1–12 the trend's months); returns the months' totals, oldest first."""
    periods = [report.filters.period, *trend_months(report.filters.period)]
    buckets = [(space.id, number, *period.bounds(space.timezone))
               for space in spaces for number, period in enumerate(periods)]
    found = event_figures(session, buckets, now, report.filters.org_kind)
    months = [EventFigures() for _ in periods[1:]]
    for row in report.spaces:
        row.events = found.get((row.space.id, 0), EventFigures())
        report.events.add(row.events)
        for number, month in enumerate(months, start=1):
            month.add(found.get((row.space.id, number), EventFigures()))
    return months


def _trend(session: Session, spaces: list[SpaceRules], filters: Filters, locale: str,
           events: list[EventFigures], booked_at: dict[int, dict[datetime, int]]) -> list[TrendMonth]:
    """Booked unit-hours and occupancy of each month over the chosen spaces (minutes rounded per space).

    Each month's booked time is read from the running sums of _space_figures (booked_at), which
    holds F at both bounds of every trend month of every space (its `marks`; booked_and_peak reads
    F at each mark)."""
    months = trend_months(filters.period)
    opened = [_open_per_month(session, rules, months, locale) for rules in spaces]

    def booked_seconds(rules: SpaceRules, month: Period) -> float:
        before = booked_at[rules.space.id]
        start_dt, end_dt = month.bounds(rules.space.timezone)
        return (before[end_dt] - before[start_dt]) / 1000

    trend = []
    for number, (month, month_events) in enumerate(zip(months, events, strict=True), start=1):
        booked = sum(round(booked_seconds(rules, month) / 60) for rules in spaces)
        open_ = sum(per_space[number - 1] for per_space in opened)
        trend.append(TrendMonth(month, booked / 60, occupancy(booked, open_), month_events))
    return trend


def _kind_rows(session: Session, rules: SpaceRules, filters: Filters) -> list[tuple[str, int, float, int, int]]:
    """Per organisation kind: bookings, booked unit-seconds, distinct organisations, members (SQL).

    The bookings are summed per member first (a hash over a few thousand members), then the
    members per kind: grouped by kind directly, the two distinct counts sorted every booking.
    """
    start_dt, end_dt = filters.period.bounds(rules.space.timezone)
    per_member = (select(Booking.user_id, func.count(Booking.id).label("n"),
                         func.sum(clipped_seconds(start_dt, end_dt)).label("seconds"))
                  .where(*_booked_in(rules, filters.period, "")).group_by(Booking.user_id).subquery("per_member"))
    query = (select(User.org_kind, func.sum(per_member.c.n), func.sum(per_member.c.seconds),
                    func.count(distinct(func.nullif(User.organisation, ""))), func.count(User.id))
             .select_from(per_member).join(User, User.id == per_member.c.user_id).group_by(User.org_kind))
    if filters.org_kind:
        query = query.where(User.org_kind == filters.org_kind)
    rows = session.execute(query)
    return [(kind, int(n), float(s or 0), int(orgs), int(members)) for kind, n, s, orgs, members in rows]


def _decided(spaces: list[Space], filters: Filters) -> CTE:
    """Decision events inside the period, each with its booking's request time (`created`, NULL unless
    the booking is of a chosen space, inside that space's own local days, and of the chosen kind).

    The booking is looked up by key for each event (a scalar subquery, materialised once): joined
    instead, PostgreSQL hashed the events and scanned every booking to find theirs.
    """
    by_bounds: dict[tuple[datetime, datetime], list[int]] = {}
    for space in spaces:
        by_bounds.setdefault(filters.period.bounds(space.timezone), []).append(space.id)
    in_period = [and_(Booking.space_id.in_(ids), BookingEvent.at >= a, BookingEvent.at < z)
                 for (a, z), ids in by_bounds.items()]
    of_booking: list[ColumnElement[bool]] = [Booking.id == BookingEvent.booking_id,
                                             or_(*in_period) if in_period else false()]
    if filters.org_kind:
        of_booking.append(Booking.user_id.in_(select(User.id).where(User.org_kind == filters.org_kind)))
    created = select(Booking.created_at).where(*of_booking).scalar_subquery()
    first = min((a for a, _z in by_bounds), default=None)
    last = max((z for _a, z in by_bounds), default=None)
    where: list[ColumnElement[bool]] = [BookingEvent.action.in_(DECISIONS)]
    if first is not None and last is not None:
        where += [BookingEvent.at >= first, BookingEvent.at < last]
    return (select(BookingEvent.action, BookingEvent.at, created.label("created")).where(*where)
            .cte("decided").prefix_with("MATERIALIZED"))


def _decisions(session: Session, spaces: list[Space], filters: Filters, report: Report) -> None:
    """Decisions by action, and the median lead time from request to approval or rejection, in SQL.

    One query: the counts per action, then the one or two middle lead times (seconds) of the
    approvals and rejections, ranked by a window; the median is their mean.
    """
    decided = _decided(spaces, filters)
    leads = (select(seconds_between(decided.c.created, decided.c.at).label("lead"))
             .where(decided.c.created.is_not(None), decided.c.action.in_(("approved", "rejected")))
             .subquery("leads"))
    ranked = select(leads.c.lead, func.row_number().over(order_by=leads.c.lead).label("n"),
                    func.count().over().label("c")).subquery("ranked")
    counts = select(decided.c.action, func.count(decided.c.created), null()).group_by(decided.c.action)
    middle = (select(null(), ranked.c.n, ranked.c.lead)
              .where(or_(ranked.c.n == (ranked.c.c + 1) // 2, ranked.c.n == (ranked.c.c + 2) // 2)))
    leads_found = []
    for action, n, lead in session.execute(union_all(counts, middle)):
        if action is not None:
            if n:
                report.decisions[action] = int(n)
        else:
            leads_found.append(float(lead))
    if leads_found:
        report.median_lead_minutes = statistics.fmean(leads_found) / 60


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


def build_report(session: Session, filters: Filters, locale: str = "ja", now: datetime | None = None) -> Report:
    """All figures for the filters; read-only.

    Organisations are counted by their name (distinct non-empty names per kind and space,
    summed over spaces); members by account. Events count once over by `now` (default:
    the clock). Raises nothing for an empty period.
    """
    now = now or utcnow()
    without_jit(session)
    report = Report(filters)
    spaces = chosen_spaces(session, filters)
    rules = [rules_of(session, space) for space in spaces]
    kinds = {kind: KindFigures(kind) for kind in ORG_KINDS}
    booked_at: dict[int, dict[datetime, int]] = {}
    for space_rules in rules:
        kind_rows = _kind_rows(session, space_rules, filters)
        report.spaces.append(_space_figures(session, space_rules, filters, locale, report, kind_rows, booked_at))
        for kind, n, seconds, orgs, members in kind_rows:
            row = kinds[kind]
            row.bookings += n
            row.booked_hours += round(seconds / 60) / 60
            row.organisations += orgs
            row.members += members
    report.kinds = [row for row in kinds.values() if not filters.org_kind or row.org_kind == filters.org_kind]
    _decisions(session, spaces, filters, report)
    _cancellations(session, spaces, filters, report)
    report.new_members = _new_members(session, filters)
    month_events = _events(session, report, spaces, now)
    report.trend = _trend(session, rules, filters, locale, month_events, booked_at)
    return report


def member_usage(session: Session, filters: Filters) -> dict[int, tuple[int, int]]:
    """Per member id: confirmed bookings and booked unit-minutes in the period, over the chosen spaces (SQL)."""
    usage: dict[int, tuple[int, int]] = {}
    for space in chosen_spaces(session, filters):
        rules = rules_of(session, space)
        start_dt, end_dt = filters.period.bounds(space.timezone)
        query = (select(Booking.user_id, func.count(Booking.id), func.sum(clipped_seconds(start_dt, end_dt)))
                 .join(User, User.id == Booking.user_id)
                 .where(*_booked_in(rules, filters.period, filters.org_kind)).group_by(Booking.user_id))
        for user_id, count, seconds in session.execute(query):
            old = usage.get(user_id, (0, 0))
            usage[user_id] = (old[0] + int(count), old[1] + round(float(seconds or 0) / 60))
    return usage


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


def figures(filters: Filters, locale: str = "ja", now: datetime | None = None,
            version: tuple[object, ...] | None = None) -> Report:
    """build_report on the request's session, kept per worker while its data is unchanged
    (booking.services.report_cache; for the staff page). `version`: `data_version(now)` when
    the caller has just read it (one query less)."""
    from booking.extensions import db
    from booking.services.report_cache import kept_report

    session: Session = db.session()
    return kept_report(session, filters, locale, now or utcnow(), version)


def data_version(now: datetime) -> tuple[object, ...]:
    """A value that changes with every row the figures read and with the number of events over by
    `now` (UTC), read in one query on the request's session (report_cache.data_version): a key
    for what is made of the figures, never stale."""
    from booking.extensions import db
    from booking.services import report_cache

    return report_cache.data_version(db.session(), now)


def space_choices(locale: str) -> list[tuple[int, str]]:
    """Every space's id and name, for the filter form (from listed_spaces, kept per worker)."""
    from booking.services.spaces import listed_spaces

    return [(space.id, space.name(locale)) for space in listed_spaces().spaces]
