"""Every figure of the report, from the database (SQL and history), against a minute-by-minute oracle.

Random spaces, hours (overnight too), closures, closed holidays and bookings around both Berlin clock
changes and in Tokyo, exclusive and pooled (tests/domain/test_usage.py draws them and counts the oracle).
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from sqlalchemy import delete

from booking.extensions import db
from booking.models import Booking, Closure, OpeningPeriod, Space, SpaceVersion
from booking.services import reports
from booking.services.reports import Filters, Period
from tests.domain.test_usage import DAYS, oracle, scenario


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=scenario())
def test_the_report_matches_a_minute_by_minute_count(case, app, create_user):
    policy, closures, bookings, _start, _end = case
    for model in (Booking, Closure, SpaceVersion, OpeningPeriod, Space):
        db.session.execute(delete(model))
    db.session.commit()
    member = create_user()
    space = Space(slug="s", name_ja="s", name_en="s", kind=policy.kind, unit_count=policy.unit_count,
                  timezone=policy.timezone, close_on_holidays=False)
    for weekday, periods in policy.opening.items():
        for opens, closes in periods:
            space.opening_hours.append(OpeningPeriod(weekday=weekday, open_time=opens, close_time=closes,
                                                     close_next_day=closes <= opens))
    db.session.add(space)
    db.session.add_all([Closure(space_id=None, start_dt=c.start_dt, end_dt=c.end_dt) for c in closures])
    db.session.add_all([Booking(space=space, user=member, start_dt=b.start_dt, end_dt=b.end_dt, seats=b.units,
                                title="x", status="confirmed") for b in bookings])
    db.session.commit()
    first = _start.astimezone(policy.zone).date()  # within a day of the first instant drawn
    period = Period(first - timedelta(days=1), first + timedelta(days=DAYS + 1))
    start_dt, end_dt = period.bounds(policy.timezone)
    open_minutes, booked, peak, open_cells, booked_cells = oracle(policy, closures, bookings, start_dt, end_dt)

    report = reports.build_report(db.session, Filters(period, (space.id,)))
    figures = report.spaces[0]
    assert round(figures.open_hours * 60) == open_minutes
    assert round(figures.booked_hours * 60) == booked
    assert figures.occupancy == (booked / open_minutes if open_minutes else None)
    assert figures.peak_units == (peak if policy.unit_count > 1 else None)
    assert {k: v[1] for k, v in report.heatmap.items() if v[1]} == {k: v for k, v in open_cells.items() if v}
    assert {k: v[0] for k, v in report.heatmap.items() if v[0]} == {k: v for k, v in booked_cells.items() if v}
