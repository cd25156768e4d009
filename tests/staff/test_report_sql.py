"""The figures SQL computes (heatmap booked time, peak desks) agree with the domain's brute force, across DST."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event

from booking.domain.usage import Booked, heatmap, peak_units
from booking.extensions import db
from booking.models import Booking
from booking.services import report_sql, reports
from booking.services.reports import Filters, Period
from booking.services.spaces import policy_of

ROUND_THE_CLOCK = {d: ((time(0), time(0)),) for d in range(7)}


@pytest.mark.parametrize("month", [3, 10])  # the Berlin clocks go forward on 29 March, back on 25 October 2026
def test_heatmap_and_peak_from_sql_match_the_domain_across_a_clock_change(month, create_space, create_user,
                                                                          create_booking):
    desks = create_space(kind="pooled", unit_count=100, timezone="Europe/Berlin", hours=ROUND_THE_CLOCK)
    company, npo = create_user(org_kind="company"), create_user(org_kind="npo")
    change = datetime(2026, month, 29 if month == 3 else 25, 1, tzinfo=UTC)  # the instant of the change
    rng = random.Random(month)
    booked: list[tuple[Booked, str]] = []
    for n in range(40):
        start = change + timedelta(minutes=30 * rng.randint(-60, 60))
        end = start + timedelta(minutes=30 * rng.randint(1, 12))
        who = company if n % 3 else npo
        booking = create_booking(desks, who, start, end, units=(n + 1,) if n % 4 else (n + 1, n + 50),
                                 status="confirmed" if n % 5 else "cancelled")
        if booking.status == "confirmed":
            booked.append((Booked(start, end, booking.seats), who.org_kind))
    # One straddling the start of the month: only its part inside counts.
    first = datetime(2026, month, 1, tzinfo=UTC) - timedelta(hours=1)
    create_booking(desks, company, first - timedelta(hours=3), first + timedelta(hours=2), units=(99,))
    booked.append((Booked(first - timedelta(hours=3), first + timedelta(hours=2), 1), "company"))
    period = Period.month(2026, month)
    start_dt, end_dt = period.bounds("Europe/Berlin")
    for kind in ("", "npo"):
        chosen = [b for b, org in booked if not kind or org == kind]
        report = reports.build_report(db.session, Filters(period, (desks.id,), kind))
        oracle = heatmap(policy_of(desks), [], chosen, start_dt, end_dt)
        assert {k: used for k, (used, _open) in report.heatmap.items() if used} == {
            k: used for k, (used, _open) in oracle.items() if used}
        assert {k: opened for k, (_used, opened) in report.heatmap.items()} == {
            k: opened for k, (_used, opened) in oracle.items() if opened}
        assert report.spaces[0].peak_units == peak_units(chosen, start_dt, end_dt)


def test_back_to_back_bookings_do_not_add_up_in_the_peak(create_space, create_user, create_booking):
    desks = create_space(kind="pooled", unit_count=4, hours=ROUND_THE_CLOCK)
    member = create_user()
    noon = datetime(2026, 6, 10, 3, tzinfo=UTC)
    create_booking(desks, member, noon - timedelta(hours=2), noon, units=(1, 2))
    create_booking(desks, member, noon, noon + timedelta(hours=2), units=(1, 2, 3))
    create_booking(desks, member, noon + timedelta(hours=1), noon + timedelta(hours=3), units=(4,))
    report = reports.build_report(db.session, Filters(Period.month(2026, 6)))
    assert report.spaces[0].peak_units == 4


def test_spaces_in_different_zones_each_count_their_own_local_hours(create_space, create_user, create_booking):
    tokyo = create_space(timezone="Asia/Tokyo", hours=ROUND_THE_CLOCK)
    berlin = create_space(timezone="Europe/Berlin", hours=ROUND_THE_CLOCK)
    again = create_space(timezone="Asia/Tokyo", hours=ROUND_THE_CLOCK)
    member = create_user()
    start = datetime(2026, 6, 10, 1, tzinfo=UTC)  # a Wednesday: 10:00 in Tokyo, 03:00 in Berlin
    for space in (tokyo, berlin, again):
        create_booking(space, member, start, start + timedelta(hours=1))
    report = reports.build_report(db.session, Filters(Period.month(2026, 6)))
    assert {key: used for key, (used, _open) in report.heatmap.items() if used} == {(2, 10): 120, (2, 3): 60}


def test_a_berlin_and_a_casablanca_space_together_count_the_casablanca_booking_in_its_own_local_hour(
        create_space, create_user, create_booking):
    """Over 2026 the two zones' local hours begin and end at the same instants and are as many
    (UTC+1 at both ends; each clock goes forward once and back once), yet differ in between: in July
    Berlin is UTC+2, Casablanca UTC+1. Each space reads its own zone's hours."""
    berlin = create_space(timezone="Europe/Berlin", hours=ROUND_THE_CLOCK)
    casablanca = create_space(timezone="Africa/Casablanca", hours=ROUND_THE_CLOCK)
    member = create_user()
    start = datetime(2026, 7, 15, 10, tzinfo=UTC)  # a Wednesday: 11:00 in Casablanca
    create_booking(casablanca, member, start, start + timedelta(hours=1))
    year = Period(date(2026, 1, 1), date(2026, 12, 31))
    report = reports.build_report(db.session, Filters(year, (berlin.id, casablanca.id)))
    assert {key: used for key, (used, _open) in report.heatmap.items() if used} == {(2, 11): 60}


def test_spaces_in_one_zone_share_one_load_of_the_local_hours(create_space):
    """load_hours' promise: the pieces of a period are written once per transaction for every space
    of one zone, not once per space (a year is 8,760 rows)."""
    create_space(hours=ROUND_THE_CLOCK)
    create_space(hours=ROUND_THE_CLOCK)
    statements: list[str] = []

    def noted(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        statements.append(statement.lower())

    event.listen(db.engine, "before_cursor_execute", noted)
    try:
        report = reports.build_report(db.session, Filters(Period.month(2026, 6)))
    finally:
        event.remove(db.engine, "before_cursor_execute", noted)
    assert len(report.spaces) == 2
    assert len([s for s in statements if s.startswith("insert into report_pieces")]) == 1


JUNE_10 = datetime(2026, 6, 10, tzinfo=UTC)  # a Wednesday (weekday 2)


def _figures_of_june_10(space, where) -> tuple[dict[tuple[int, int], float], int]:
    """booked_and_peak over the UTC day of 10 June 2026, for the bookings `where` lets in (no marks)."""
    end = JUNE_10 + timedelta(days=1)
    report_sql.load_hours(db.session, reports.hour_pieces("UTC", JUNE_10, end))
    cells, peak, before = report_sql.booked_and_peak(db.session, [Booking.space_id == space.id, *where],
                                                     JUNE_10, end)
    assert before == {}
    return cells, peak


def test_a_first_booking_starting_inside_an_hour_counts_its_part_of_that_hour(create_space, create_user,
                                                                                create_booking):
    """Nothing booked before it and no marks: the hour's start reads F = 0, not no value at all."""
    desks = create_space(kind="pooled", unit_count=4, timezone="UTC", hours=ROUND_THE_CLOCK)
    create_booking(desks, create_user(), JUNE_10 + timedelta(hours=10, minutes=30), JUNE_10 + timedelta(hours=12))
    assert _figures_of_june_10(desks, []) == ({(2, 10): 1800.0, (2, 11): 3600.0}, 1)


def test_bookings_outside_the_period_add_nothing_to_its_peak(create_space, create_user, create_booking):
    """`where` lets in bookings before the period and one starting as it ends: the peak is the
    most units held at an instant of [start, end), here the two desks held from its very first instant."""
    desks = create_space(kind="pooled", unit_count=10, timezone="UTC", hours=ROUND_THE_CLOCK)
    member = create_user()
    create_booking(desks, member, JUNE_10 - timedelta(hours=4), JUNE_10 - timedelta(hours=2), units=(1, 2, 3, 4, 5))
    create_booking(desks, member, JUNE_10, JUNE_10 + timedelta(minutes=30), units=(1, 2))
    end = JUNE_10 + timedelta(days=1)
    create_booking(desks, member, end, end + timedelta(hours=1), units=(1, 2, 3, 4, 5, 6))
    assert _figures_of_june_10(desks, []) == ({(2, 0): 3600.0}, 2)
