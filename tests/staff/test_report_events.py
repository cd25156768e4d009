"""Event figures of the usage page and exports: events held, registrations, attendance, walk-ins, no-shows."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import PublicEvent, Registration
from booking.models_attendance import AttendeePass, EventRecord, WalkIn
from booking.services import exports, reports
from booking.services.reports import Filters, Period
from tests.events.factories import make_event
from tests.staff.test_reports import login, read_csv

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 7, 15, tzinfo=UTC)


def tokyo(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TOKYO)


def register(found: PublicEvent, party_size: int = 1, status: str = "registered", checked_in: bool = False,
             org_kind: str = "company") -> Registration:
    at = found.booking.start_dt - timedelta(days=3)
    registration = Registration(
        event_id=found.id, email=f"{secrets.token_hex(4)}@example.jp", name="参加者", party_size=party_size,
        status=status, org_kind=org_kind, token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
        consented_at=at, queued_at=at, created_at=at, updated_at=at)
    db.session.add(registration)
    db.session.commit()
    if checked_in:
        db.session.get(AttendeePass, registration.id).checked_in_at = found.booking.start_dt
        db.session.commit()
    return registration


@pytest.fixture
def events(create_space, create_user):
    """A hall with events in June 2026 (held, withdrawn, anonymised), one in May and one still to come."""
    hall = create_space(hours={d: ((time(9), time(21)),) for d in range(7)}, max_people=80)
    npo = create_user(org_kind="npo")
    company = create_user(org_kind="company")
    held = make_event(hall, npo, tokyo(6, 5, 18), tokyo(6, 5, 20))
    register(held, party_size=3, checked_in=True)       # 3 registered, 3 in
    register(held, party_size=2)                         # 2 registered, no-show
    register(held, status="cancelled", checked_in=False)  # not counted
    register(held, status="waiting")                      # not counted
    db.session.add_all([WalkIn(event_id=held.id, at=tokyo(6, 5, 18)) for _ in range(4)])
    # Anonymised: its frozen counts stand, whatever its rows say now.
    forgotten = make_event(hall, company, tokyo(6, 12, 10), tokyo(6, 12, 12))
    register(forgotten, party_size=1, checked_in=True)
    db.session.add(EventRecord(event_id=forgotten.id, registered=10, companions=2, waiting=0, checked_in=7,
                               walk_ins=1, anonymised_at=tokyo(7, 1, 0)))
    make_event(hall, npo, tokyo(6, 20, 10), tokyo(6, 20, 12), status="withdrawn")
    may = make_event(hall, npo, tokyo(5, 31, 22), tokyo(6, 1, 0))  # starts in May (Tokyo), ends in June
    register(may, party_size=1, checked_in=True)
    later = make_event(hall, npo, tokyo(7, 20, 10), tokyo(7, 20, 12))  # after NOW: not held yet
    register(later, party_size=5)
    db.session.commit()
    return hall


def test_events_held_count_registrations_attendance_walk_ins_and_no_shows(events):
    report = reports.build_report(db.session, Filters(Period.month(2026, 6)), now=NOW)
    figures = report.events
    assert (figures.held, figures.registered, figures.checked_in, figures.walk_ins) == (2, 5 + 10, 3 + 7, 4 + 1)
    assert (figures.attendance, figures.no_shows) == (15, 5)
    assert report.spaces[0].events == figures


def test_the_trend_counts_each_event_in_the_month_it_starts_and_only_once_over(events):
    report = reports.build_report(db.session, Filters(Period.month(2026, 7)), now=NOW)
    by_month = {f"{row.month.first:%Y-%m}": row.events for row in report.trend}
    assert (by_month["2026-05"].held, by_month["2026-05"].attendance) == (1, 1)
    assert by_month["2026-06"].held == 2
    assert by_month["2026-07"].held == 0  # the 20 July event is still to come
    later = reports.build_report(db.session, Filters(Period.month(2026, 7)), now=NOW + timedelta(days=30))
    assert (later.events.held, later.events.registered, later.events.no_shows) == (1, 5, 5)


def test_the_kind_filter_counts_events_booked_by_members_of_that_kind(events):
    report = reports.build_report(db.session, Filters(Period.month(2026, 6), org_kind="company"), now=NOW)
    assert (report.events.held, report.events.registered) == (1, 10)


def test_the_figures_export_has_the_events_of_each_space(events):
    report = reports.build_report(db.session, Filters(Period.month(2026, 6)), now=NOW)
    row = exports.figures_table(report, "ja")[0]
    assert row[6:] == [2, 15, 10, 5, 15, 5]


def test_staff_see_the_event_table_and_chart_in_both_languages(client, create_user, events):
    staff = login(client, create_user, "staff")
    page = client.get("/staff/reports?period=month&year=2026&month=6").get_data(as_text=True)
    assert 'id="event-figures"' in page and 'id="event-chart-desc"' in page
    assert "開催したイベント" in page and "当日参加" in page and "欠席" in page
    staff.locale = "en"
    db.session.commit()
    page = client.get("/staff/reports?period=month&year=2026&month=6").get_data(as_text=True)
    assert "Events held" in page and "Walk-ins" in page and "No-shows" in page
    rows = read_csv(client.get("/staff/reports/figures.csv?period=month&year=2026&month=6").data)
    assert rows[0][6:] == ["Events held", "Registered persons", "Checked in", "Walk-ins", "Attendance",
                           "No-shows"]


def test_members_get_403_on_the_page_and_the_figures_with_events(client, create_user, events):
    login(client, create_user, "member")
    for url in ("/staff/reports?period=month&year=2026&month=6", "/staff/reports/figures.csv",
                "/staff/reports/figures.xlsx"):
        assert client.get(url).status_code == 403


def test_the_figures_export_counts_the_events_held_by_the_time_given(events, create_user):
    header = [f"column {n}" for n in range(12)]
    data = exports.export(create_user(role="staff"), "figures", "csv", Filters(Period.month(2026, 7)), "ja", header,
                          NOW, sheet_title="figures")
    assert read_csv(data)[1][6] == "0"  # the 20 July event is still to come on 15 July


def test_an_export_is_logged_at_the_time_given_and_an_unknown_kind_is_refused(events, create_user):
    from sqlalchemy import select

    from booking.models import ExportLog

    staff = create_user(role="staff")
    exports.export(staff, "figures", "csv", Filters(Period.month(2026, 6)), "ja", ["x"] * 12, NOW, sheet_title="f")
    assert db.session.scalar(select(ExportLog.at)) == NOW
    with pytest.raises(ValueError):
        exports.export(staff, "secrets", "csv", Filters(Period.month(2026, 6)), "ja", [], NOW, sheet_title="f")
