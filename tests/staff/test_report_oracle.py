"""Every figure of the report, from the database (SQL and history), against a minute-by-minute oracle.

Random spaces, hours (overnight too), closures, closed holidays and bookings around both Berlin clock
changes and in Tokyo, exclusive and pooled (tests/domain/test_usage.py draws them and counts the oracle).
Each booking may carry a random event (published or withdrawn; registrations of any status, checked in
or not; walk-ins; its counts frozen in event_records or not), counted by brute force over the rows as
drawn. The trend's months are checked against the domain's counts of each whole month (themselves
checked minute by minute in tests/domain/test_usage.py): a month walked minute by minute is too slow.
"""

from __future__ import annotations

from datetime import timedelta
from hashlib import sha256

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from booking.domain.usage import booked_unit_minutes, open_unit_minutes
from booking.extensions import db
from booking.models import Booking, Closure, OpeningPeriod, PublicEvent, Registration, Space, SpaceVersion
from booking.models_attendance import AttendeePass, EventRecord, WalkIn
from booking.services import reports
from booking.services.report_events import EventFigures
from booking.services.reports import Filters, Period
from tests.domain.test_usage import DAYS, MINUTE, oracle, scenario

# Per booking: None, or (status, registrations as (party size, status, checked in), walk-ins,
# frozen counts (registered, checked in, walk-ins) or None).
EVENTS = st.lists(st.none() | st.tuples(
    st.sampled_from(("published", "published", "withdrawn")),
    st.lists(st.tuples(st.integers(1, 3), st.sampled_from(("registered", "registered", "waiting", "cancelled")),
                       st.booleans()), max_size=3),
    st.integers(0, 3),
    st.none() | st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(0, 9)),
), min_size=6, max_size=6)


def add_event(booking: Booking, drawn: tuple, number: int) -> None:
    status, parties, walk_ins, frozen = drawn
    found = PublicEvent(booking=booking, title_ja="e", capacity=30, status=status,
                        registration_opens_at=booking.start_dt - MINUTE * 9000,
                        registration_closes_at=booking.start_dt)
    db.session.add(found)
    db.session.flush()
    for n, (size, state, came) in enumerate(parties):
        registration = Registration(event_id=found.id, email=f"p{number}-{n}@example.jp", name="p", party_size=size,
                                    status=state, token_hash=sha256(f"{number}-{n}".encode()).hexdigest(),
                                    consented_at=booking.start_dt)
        db.session.add(registration)
        db.session.flush()
        if came:
            db.session.get(AttendeePass, registration.id).checked_in_at = booking.start_dt
    db.session.add_all([WalkIn(event_id=found.id, at=booking.start_dt) for _ in range(walk_ins)])
    if frozen is not None:
        db.session.add(EventRecord(event_id=found.id, registered=frozen[0], companions=0, waiting=0,
                                   checked_in=frozen[1], walk_ins=frozen[2], anonymised_at=booking.end_dt))


def events_oracle(bookings, drawn_events, start_dt, end_dt, now) -> EventFigures:
    """The events held whose booking starts in [start_dt, end_dt), counted over the rows as drawn."""
    figures = EventFigures()
    for booked, drawn in zip(bookings, drawn_events, strict=False):
        if drawn is None or drawn[0] != "published" or not (start_dt <= booked.start_dt < end_dt):
            continue
        if booked.end_dt > now:
            continue
        status, parties, walk_ins, frozen = drawn
        registered = [(size, came) for size, state, came in parties if state == "registered"]
        counts = frozen or (sum(size for size, _ in registered), sum(size for size, came in registered if came),
                            walk_ins)
        figures.add(EventFigures(1, *counts))
    return figures


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=scenario(), drawn_events=EVENTS, now_minutes=st.integers(0, (DAYS + 1) * 24 * 60))
def test_the_report_matches_a_minute_by_minute_count(case, drawn_events, now_minutes, app, create_user):
    policy, closures, bookings, _start, _end = case
    for model in (WalkIn, EventRecord, AttendeePass, Registration, PublicEvent, Booking, Closure, SpaceVersion,
                  OpeningPeriod, Space):
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
    rows = [Booking(space=space, user=member, start_dt=b.start_dt, end_dt=b.end_dt, seats=b.units, title="x",
                    status="confirmed") for b in bookings]
    db.session.add_all(rows)
    db.session.flush()
    for number, (row, drawn) in enumerate(zip(rows, drawn_events, strict=False)):
        if drawn is not None:
            add_event(row, drawn, number)
    db.session.commit()
    first = _start.astimezone(policy.zone).date()  # within a day of the first instant drawn
    period = Period(first - timedelta(days=1), first + timedelta(days=DAYS + 1))
    start_dt, end_dt = period.bounds(policy.timezone)
    open_minutes, booked, peak, open_cells, booked_cells = oracle(policy, closures, bookings, start_dt, end_dt)

    now = _start + MINUTE * now_minutes
    report = reports.build_report(db.session, Filters(period, (space.id,)), now=now)
    figures = report.spaces[0]
    assert round(figures.open_hours * 60) == open_minutes
    assert round(figures.booked_hours * 60) == booked
    assert figures.occupancy == (booked / open_minutes if open_minutes else None)
    assert figures.peak_units == (peak if policy.unit_count > 1 else None)
    assert {k: v[1] for k, v in report.heatmap.items() if v[1]} == {k: v for k, v in open_cells.items() if v}
    assert {k: v[0] for k, v in report.heatmap.items() if v[0]} == {k: v for k, v in booked_cells.items() if v}
    assert report.events == events_oracle(bookings, drawn_events, start_dt, end_dt, now)
    for month in report.trend:
        month_start, month_end = month.month.bounds(policy.timezone)
        booked_month = booked_unit_minutes(bookings, month_start, month_end)
        open_month = open_unit_minutes(policy, closures, month_start, month_end)
        assert round(month.booked_hours * 60) == booked_month
        assert month.occupancy == (booked_month / open_month if open_month else None)
        assert month.events == events_oracle(bookings, drawn_events, month_start, month_end, now)
