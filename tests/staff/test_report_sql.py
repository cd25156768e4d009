"""The figures SQL computes (heatmap booked time, peak desks) agree with the domain's brute force, across DST."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import pytest

from booking.domain.usage import Booked, heatmap, peak_units
from booking.extensions import db
from booking.services import reports
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
