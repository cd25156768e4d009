"""Usage figures and exports: figures from SQL agree with the domain, exports round-trip, access."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking.domain.usage import Booked, booked_unit_minutes
from booking.extensions import db
from booking.models import BookingEvent, Closure, ExportLog
from booking.services import exports, reports
from booking.services.reports import Filters, Period
from tests.conftest import PASSWORD
from tests.summary_html import summary_targets

TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN = ZoneInfo("Europe/Berlin")
JUNE = Period.month(2026, 6)


def tokyo(day: int, hour: int, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TOKYO)


@pytest.fixture
def floor(create_space, create_user, create_booking):
    """A studio (09–18 daily) and a pool of 4 desks, bookings in June 2026 by two kinds of organisation."""
    nine_to_six = {d: ((time(9), time(18)),) for d in range(7)}
    studio = create_space(hours=nine_to_six, requires_approval=True)
    desks = create_space(kind="pooled", unit_count=4, hours=nine_to_six)
    company = create_user(org_kind="company", organisation="株式会社テスト")
    npo = create_user(org_kind="npo", organisation="NPO みらい")
    create_booking(studio, company, tokyo(1, 10), tokyo(1, 12), title="=HYPERLINK(\"http://x\")")
    create_booking(studio, npo, tokyo(2, 9), tokyo(2, 18), title="共創ワークショップ")
    create_booking(studio, npo, tokyo(3, 9), tokyo(3, 10), status="cancelled")
    # Straddles the end of the month: only the June part counts.
    create_booking(studio, company, tokyo(30, 17), datetime(2026, 7, 1, 1, tzinfo=TOKYO))
    create_booking(desks, company, tokyo(1, 9), tokyo(1, 13), units=(1, 2))
    create_booking(desks, npo, tokyo(1, 11), tokyo(1, 15), units=(3,))
    db.session.add(Closure(space_id=studio.id, start_dt=tokyo(10, 0), end_dt=tokyo(11, 0), reason="点検"))
    db.session.commit()
    return studio, desks


def test_figures_per_space_follow_hours_closures_and_clip_to_the_period(floor):
    studio, desks = floor
    report = reports.build_report(db.session, Filters(JUNE))
    by_space = {row.space.id: row for row in report.spaces}
    assert by_space[studio.id].bookings == 3
    assert by_space[studio.id].booked_hours == 2 + 9 + 7  # 30 June 17:00 to midnight
    assert by_space[studio.id].open_hours == 29 * 9
    assert by_space[studio.id].occupancy == pytest.approx(18 / (29 * 9))
    assert by_space[studio.id].peak_units is None
    assert by_space[desks.id].booked_hours == 8 + 4
    assert by_space[desks.id].open_hours == 4 * 30 * 9
    assert by_space[desks.id].peak_units == 3


def test_sql_booked_hours_agree_with_the_domain(floor):
    studio, _desks = floor
    start_dt, end_dt = JUNE.bounds(studio.timezone)
    confirmed = [Booked(b.start_dt, b.end_dt, b.seats) for b in studio_bookings(studio) if b.status == "confirmed"]
    report = reports.build_report(db.session, Filters(JUNE, (studio.id,)))
    assert report.spaces[0].booked_hours * 60 == booked_unit_minutes(confirmed, start_dt, end_dt)


def studio_bookings(space):
    from booking.models import Booking
    return list(db.session.scalars(select(Booking).where(Booking.space_id == space.id)))


def test_figures_by_organisation_kind_and_the_kind_filter(floor):
    report = reports.build_report(db.session, Filters(JUNE))
    kinds = {row.org_kind: row for row in report.kinds}
    assert (kinds["company"].bookings, kinds["company"].booked_hours) == (3, 2 + 7 + 8)
    assert (kinds["npo"].bookings, kinds["npo"].booked_hours, kinds["npo"].members) == (2, 9 + 4, 2)
    only_npo = reports.build_report(db.session, Filters(JUNE, org_kind="npo"))
    assert [row.org_kind for row in only_npo.kinds] == ["npo"]
    assert sum(row.bookings for row in only_npo.spaces) == 2


def test_decision_shares_and_median_lead_time(floor, create_booking, create_user):
    studio, _desks = floor
    member = create_user()
    lead_hours = (1, 3, 8)
    decisions = zip(("approved", "approved", "rejected"), lead_hours, strict=True)
    _decided_on_the_5th(create_booking, studio, member, decisions, status="confirmed")
    report = reports.build_report(db.session, Filters(JUNE, (studio.id,)))
    assert report.decisions == {"approved": 2, "rejected": 1}
    assert report.share("approved") == pytest.approx(2 / 3)
    assert report.median_lead_minutes == 3 * 60



def test_the_kind_filter_counts_only_the_decisions_on_that_kinds_bookings(floor, create_booking, create_user):
    studio, _desks = floor
    for n, (kind, action) in enumerate((("company", "approved"), ("npo", "rejected"))):
        booking = create_booking(studio, create_user(org_kind=kind), tokyo(20 + n, 10), tokyo(20 + n, 11))
        db.session.add(BookingEvent(booking=booking, action=action, from_status="pending", to_status="confirmed",
                                    at=tokyo(5, 9)))
    db.session.commit()

    report = reports.build_report(db.session, Filters(JUNE, (studio.id,), org_kind="npo"))

    assert report.decisions == {"rejected": 1}

def test_the_heatmap_counts_local_hours(floor):
    _studio, desks = floor
    report = reports.build_report(db.session, Filters(JUNE, (desks.id,)))
    monday = date(2026, 6, 1).weekday()
    assert report.heatmap[(monday, 11)] == (3 * 60, 4 * 60 * 5)  # five Mondays in June 2026
    assert (monday, 8) not in report.heatmap


def test_a_fiscal_year_runs_april_to_march():
    assert Period.fiscal_year(2026) == Period(date(2026, 4, 1), date(2027, 3, 31))
    assert Period.month(2026, 12) == Period(date(2026, 12, 1), date(2026, 12, 31))


def test_open_hours_across_the_berlin_clock_change(create_space):
    space = create_space(timezone="Europe/Berlin", hours={d: ((time(0), time(0)),) for d in range(7)})
    report = reports.build_report(db.session, Filters(Period.month(2026, 3), (space.id,)))
    assert report.spaces[0].open_hours == 31 * 24 - 1


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_has_a_bom_keeps_japanese_and_neutralises_formulas():
    data = exports.to_csv(["名前", "=cmd"], [["共創", datetime(2026, 6, 1, 9)], ["+1", "-2"], ["@x", 3]])
    assert read_csv(data) == [["名前", "'=cmd"], ["共創", "2026-06-01 09:00"], ["'+1", "'-2"], ["'@x", "3"]]



def test_csv_neutralises_a_character_whose_nfkc_form_starts_with_a_formula_sign():
    assert exports.neutralise("\u2a75SUM(A1)") == "'\u2a75SUM(A1)"  # ⩵ is "==" in NFKC


def test_csv_writes_a_missing_value_as_an_empty_cell():
    assert read_csv(exports.to_csv(["確認日時"], [[None]])) == [["確認日時"], [""]]

def test_xlsx_keeps_text_as_text_and_times_as_datetimes():
    data = exports.to_xlsx("bookings", ["名前", "開始"], [["=SUM(A1:A2)", datetime(2026, 6, 1, 9, 30)]])
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].data_type == "s"
    assert exports.read_xlsx(data) == [["名前", "開始"], ["=SUM(A1:A2)", datetime(2026, 6, 1, 9, 30)]]



def test_xlsx_shows_times_as_date_hour_and_minute():
    data = exports.to_xlsx("bookings", ["開始"], [[datetime(2026, 6, 1, 9, 30)]])
    from openpyxl import load_workbook
    assert load_workbook(io.BytesIO(data)).active["A2"].number_format == "yyyy-mm-dd hh:mm"


def test_a_members_booked_hours_are_rounded_to_two_decimals(app, create_space, create_user, create_booking):
    space = create_space(slot_minutes=10, min_minutes=10)
    member = create_user()
    start = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 10:00 Tokyo
    create_booking(space, member, start, start + timedelta(minutes=20))

    rows = exports.member_table(db.session(), Filters(Period.month(2026, 6)))

    assert [row[8:] for row in rows] == [[1, 0.33]]


def test_the_member_table_says_when_each_address_was_verified_and_whether_the_account_is_enabled(app, create_user):
    verified_at = datetime(2026, 5, 31, 16, 30, tzinfo=UTC)  # 01:30 on 1 June in Tokyo
    create_user(email_verified_at=verified_at)
    create_user(email_verified_at=None, is_enabled=False)

    rows = exports.member_table(db.session(), Filters(Period.month(2026, 6)))

    assert [row[6:8] for row in rows] == [[datetime(2026, 6, 1, 1, 30), 1], [None, 0]]


def test_an_organisation_kind_without_a_label_is_shown_as_its_code(app, create_user):
    create_user(org_kind="npo")
    create_user(org_kind="company")

    rows = exports.member_table(db.session(), Filters(Period.month(2026, 6)), kind_label={"npo": "NPO法人"})

    assert [row[4] for row in rows] == ["NPO法人", "company"]

def login(client, create_user, role):
    user = create_user(role=role)
    client.login(user.email, PASSWORD)
    return user


def test_members_get_403_on_the_page_and_the_exports(client, create_user, floor):
    login(client, create_user, "member")
    for url in ("/staff/reports", "/staff/reports/bookings.csv", "/staff/reports/figures.xlsx"):
        assert client.get(url).status_code == 403
    assert db.session.scalar(select(ExportLog.id)) is None


def test_visitors_are_sent_to_sign_in(client, floor):
    response = client.get("/staff/reports")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_staff_see_tables_and_a_chart_with_a_text_alternative(client, create_user, floor):
    login(client, create_user, "staff")
    page = client.get("/staff/reports?period=month&year=2026&month=6").get_data(as_text=True)
    assert '<svg role="img"' in page and "<desc" in page and "<caption>" in page
    assert "スペース" in page and "2026年6月30日(火)" in page


def test_a_wrong_filter_is_a_message_next_to_the_field(client, create_user, floor):
    login(client, create_user, "staff")
    response = client.get("/staff/reports?period=range&first=2026-06-10&last=2026-06-01")
    assert response.status_code == 200
    assert 'class="error"' in response.get_data(as_text=True)


def test_the_bookings_csv_round_trips_and_is_logged(client, create_user, floor):
    staff = login(client, create_user, "staff")
    response = client.get("/staff/reports/bookings.csv?period=month&year=2026&month=6")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response.data)
    assert len(rows) == 1 + 6
    titles = [row[6] for row in rows[1:]]
    assert "共創ワークショップ" in titles and "'=HYPERLINK(\"http://x\")" in titles
    assert rows[0][0] == "予約番号"
    entry = db.session.scalar(select(ExportLog))
    assert (entry.user_id, entry.kind, entry.file_format, entry.row_count) == (staff.id, "bookings", "csv", 6)
    assert json.loads(entry.filters)["first"] == "2026-06-01"


def test_the_bookings_xlsx_has_local_times_and_string_titles(client, create_user, floor):
    login(client, create_user, "staff")
    response = client.get("/staff/reports/bookings.xlsx?period=month&year=2026&month=6")
    rows = exports.read_xlsx(response.data)
    first = rows[1]
    assert first[2] == datetime(2026, 6, 1, 9, 0)  # the desks at 09:00 Tokyo, the earliest booking
    assert "=HYPERLINK(\"http://x\")" in [row[6] for row in rows[1:]]
    assert db.session.scalar(select(ExportLog.file_format)) == "xlsx"


def test_the_figures_export_matches_the_page(client, create_user, floor):
    studio, _desks = floor
    login(client, create_user, "staff")
    rows = read_csv(client.get("/staff/reports/figures.csv?period=month&year=2026&month=6").data)
    assert rows[1][:4] == [studio.name_ja, "3", "18.0", "261.0"]


def test_exports_are_english_for_an_english_viewer(client, create_user, floor):
    user = create_user(role="staff", locale="en")
    client.login(user.email, PASSWORD)
    rows = read_csv(client.get("/staff/reports/figures.csv?period=month&year=2026&month=6").data)
    assert rows[0][0] == "Space"


def test_times_are_in_the_space_zone(create_space, create_user, create_booking):
    space = create_space(timezone="Europe/Berlin")
    member = create_user()
    create_booking(space, member, datetime(2026, 6, 1, 8, tzinfo=UTC), datetime(2026, 6, 1, 9, tzinfo=UTC))
    rows = reports.booking_rows(db.session, Filters(JUNE))
    header, body = exports.booking_table(rows, "ja", ["x"] * 12)
    assert body[0][2] == datetime(2026, 6, 1, 10, 0) and body[0][4] == "Europe/Berlin"


def test_cancellations_are_grouped_by_the_notice_given(create_space, create_user, create_booking):
    space = create_space()
    member = create_user()
    for n, notice in enumerate((timedelta(hours=2), timedelta(days=3), timedelta(days=3, hours=5),
                                timedelta(days=20))):
        booking = create_booking(space, member, tokyo(25, 10 + n), tokyo(25, 11 + n), status="cancelled")
        booking.cancelled_at = booking.start_dt - notice
    db.session.commit()
    report = reports.build_report(db.session, Filters(JUNE))
    # The one cancelled 20 days ahead was cancelled on 5 June: still in the period.
    assert report.cancellations == {"day": 1, "week": 2, "longer": 1}
    assert reports.build_report(db.session, Filters(Period.month(2026, 5))).cancellations == {}


def test_new_members_count_accounts_created_in_the_period(create_user):
    create_user(created_at=tokyo(1, 0), org_kind="research")
    create_user(created_at=tokyo(30, 23), org_kind="company")
    create_user(created_at=datetime(2026, 7, 1, 0, tzinfo=TOKYO))
    create_user(created_at=tokyo(15, 12), role="staff")
    assert reports.build_report(db.session, Filters(JUNE)).new_members == 2
    assert reports.build_report(db.session, Filters(JUNE, org_kind="research")).new_members == 1


def test_the_trend_shows_the_twelve_months_up_to_the_period(floor):
    studio, desks = floor
    report = reports.build_report(db.session, Filters(Period.month(2026, 7)))
    assert [f"{month.first:%Y-%m}" for month, *_rest in report.trend][::11] == ["2025-08", "2026-07"]
    june = {f"{month.first:%Y-%m}": (hours, value) for month, hours, value, _events in report.trend}["2026-06"]
    assert june[0] == 18 + 12
    assert june[1] == pytest.approx(30 * 60 / (29 * 9 * 60 + 4 * 30 * 9 * 60))
    assert report.trend[-1][1] == 1  # 1 July 00:00–01:00 of the booking across midnight


@pytest.mark.parametrize("org_kind", ["", "npo"])
def test_a_fiscal_years_trend_months_equal_the_figures_of_each_month(floor, org_kind):
    year = reports.build_report(db.session, Filters(Period.fiscal_year(2026), org_kind=org_kind))
    for month in year.trend:
        alone = reports.build_report(db.session, Filters(month.month, org_kind=org_kind))
        assert month.booked_hours == sum(row.booked_hours for row in alone.spaces)
        assert month.occupancy == alone.trend[-1].occupancy
    june = {f"{row.month.first:%Y-%m}": row.booked_hours for row in year.trend}
    assert june["2026-06"] == ((18 + 12) if not org_kind else (9 + 4))
    assert june["2026-07"] == (1 if not org_kind else 0)


def test_the_members_csv_has_a_bom_neutralises_formulas_counts_use_and_is_logged(client, create_user, floor):
    studio, _desks = floor
    hostile = create_user(name="=cmd|' /C calc'!A0", organisation="@SUM(1)", org_kind="company")
    staff = login(client, create_user, "staff")
    response = client.get("/staff/reports/members.csv?period=month&year=2026&month=6")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    rows = read_csv(response.data)
    assert rows[0][:3] == ["利用者番号", "氏名", "メールアドレス"]
    by_org = {row[3]: row for row in rows[1:]}
    assert set(by_org) == {"株式会社テスト", "NPO みらい", "'@SUM(1)"}  # members only: no staff account
    assert by_org["株式会社テスト"][8:] == ["3", "17.0"]  # 2 h studio, 7 h of the night to 1 July, 2 desks × 4 h
    assert by_org["NPO みらい"][8:] == ["2", "13.0"]
    assert by_org["'@SUM(1)"][1] == "'=cmd|' /C calc'!A0" and by_org["'@SUM(1)"][8:] == ["0", "0.0"]
    entry = db.session.scalar(select(ExportLog))
    assert (entry.user_id, entry.kind, entry.file_format, entry.row_count) == (staff.id, "members", "csv", 3)
    assert hostile.email in {row[2] for row in rows[1:]}


def test_the_members_xlsx_keeps_names_as_text_and_follows_the_kind_filter(client, create_user, floor):
    create_user(name="=HYPERLINK(\"http://x\")", org_kind="research", organisation="大学")
    user = create_user(role="staff", locale="en")
    client.login(user.email, PASSWORD)
    response = client.get("/staff/reports/members.xlsx?period=month&year=2026&month=6&org_kind=research")
    rows = exports.read_xlsx(response.data)
    assert rows[0][0] == "Member no." and len(rows) == 2
    assert rows[1][1] == "=HYPERLINK(\"http://x\")" and isinstance(rows[1][5], datetime)
    assert db.session.scalar(select(ExportLog.kind)) == "members"


def test_members_cannot_export_members(client, create_user, floor):
    login(client, create_user, "member")
    assert client.get("/staff/reports/members.csv").status_code == 403
    assert client.get("/staff/reports/members.xlsx").status_code == 403
    assert db.session.scalar(select(ExportLog.id)) is None


def test_the_figures_table_rounds_occupancy_to_four_places_and_hours_to_two(floor):
    studio, desks = floor
    report = reports.build_report(db.session, Filters(JUNE))

    rows = {row[0]: row for row in exports.figures_table(report, "en")}

    studio_row = rows[studio.name("en")]
    assert studio_row[1:6] == [3, 18, 261, round(18 / 261, 4), None]
    assert rows[desks.name("en")][1:6] == [2, 12, 1080, round(12 / 1080, 4), 3]


BAD_FILTERS = {
    "period=month&year=2026&month=13": "month",
    "period=month&year=2026&month=0": "month",
    "period=month&year=1&month=1": "year",
    "period=month&year=9999&month=12": "year",
    "period=month&year=abc&month=1": "year",
    "period=month&year=2026&month=1.5": "month",
    "period=fiscal&year=1": "year",
    "period=fiscal&year=99999999999999999999999": "year",
    "period=range&first=0001-01-01&last=2026-01-31": "first",
    "period=range&first=2026-01-01&last=9999-12-31": "last",
    "period=range&first=2026-02-30&last=2026-03-01": "first",
    "period=range&first=2026-01-01": "last",
    "period=range&first=2026-01-01&last=": "last",
    "period=range&last=2026-01-31": "first",
    "period=range&first=2026-01-10&last=2026-01-01": "last",
    "period=decade": "period",
    "period=month&spaces=abc": "spaces",
    "period=month&spaces=99999999999999999999": "spaces",
    "period=month&org_kind=nobody": "org_kind",
}


@pytest.mark.parametrize("query", BAD_FILTERS)
def test_every_wrong_filter_is_the_page_with_a_message_at_its_field_and_no_figures(client, create_user, floor,
                                                                                     query):
    """Break-it report 16, item 4: a 400 while other pages with a form to correct answer 200; its
    summary stands below the heading, inside the content, not above the staff menu."""
    login(client, create_user, "staff")
    response = client.get(f"/staff/reports?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    main = page.split('<main id="main"')[1]
    assert main.index('class="staff-menu"') < main.index("<h1>") < main.index('id="error-summary"')
    assert "<svg" not in main and "<table" not in main and "bookings.csv" not in main
    field = BAD_FILTERS[query]
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page) or re.search(
        rf'aria-invalid="true"[^>]*id="{field}"', page), page
    assert 'class="error"' in page
    # Break-it round 2: the summary was drawn with no items; it lists the message, a link to its field.
    assert field in summary_targets(page), page
    for name in ("bookings.csv", "members.xlsx", "figures.csv"):
        # A download cannot show a message: it leads to the report page, where each stands at its field.
        response = client.get(f"/staff/reports/{name}?{query}")
        assert response.status_code == 302 and response.headers["Location"].startswith("/staff/reports?")
    assert db.session.scalar(select(ExportLog.id)) is None


def test_a_range_without_an_end_says_so_in_both_languages(client, create_user, floor):
    login(client, create_user, "staff")
    page = client.get("/staff/reports?period=range&first=2026-01-01").get_data(as_text=True)
    assert "終了日" in page and "宛先" not in page
    user = create_user(role="staff", locale="en")
    client.get("/logout")
    client.login(user.email, PASSWORD)
    page = client.get("/staff/reports?period=range&first=2026-01-01").get_data(as_text=True)
    assert "Give both the first and the last day." in page


def test_every_export_names_its_charset_once(client, create_user, floor):
    login(client, create_user, "staff")
    for kind in ("bookings", "members", "figures"):
        response = client.get(f"/staff/reports/{kind}.csv?period=month&year=2026&month=6")
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize("text", [
    "＝HYPERLINK(\"http://x\")", "＋1", "－2", "＠SUM(A1)", " =1+1", "\t=1", "\r=1", "\n=1", "　＝1", " \t-3",
    "\u00a0=1", "﹦1", "﹢1", "﹣1", "﹫x",
])
def test_full_width_and_padded_formula_starts_are_neutralised(text):
    assert exports.neutralise(text) == "'" + text
    rows = read_csv(exports.to_csv(["h"], [[text]]))
    assert rows[1][0] == "'" + text


def test_plain_text_is_left_alone():
    for text in ("共創", "a-b", "1", "", "  text"):
        assert exports.neutralise(text) == text


def test_japanese_exports_write_status_and_organisation_kind_as_japanese_words(client, create_user, floor):
    login(client, create_user, "staff")

    bookings = read_csv(client.get("/staff/reports/bookings.csv?period=month&year=2026&month=6").data)
    members = read_csv(client.get("/staff/reports/members.csv?period=month&year=2026&month=6").data)

    assert {row[7] for row in bookings[1:]} == {"確定", "取り消し済み"}
    assert {row[10] for row in bookings[1:]} == {"企業", "NPO"}
    assert {row[4] for row in members[1:]} == {"企業", "NPO"}
    raw = {"confirmed", "cancelled", "pending", "company", "npo"}
    assert not raw & {cell for row in bookings[1:] + members[1:] for cell in row}


def test_english_xlsx_exports_write_status_and_organisation_kind_as_english_words(client, create_user, floor):
    client.login(create_user(role="staff", locale="en").email, PASSWORD)

    bookings = exports.read_xlsx(client.get("/staff/reports/bookings.xlsx?period=month&year=2026&month=6").data)
    members = exports.read_xlsx(client.get("/staff/reports/members.xlsx?period=month&year=2026&month=6").data)

    assert {row[7] for row in bookings[1:]} == {"Confirmed", "Cancelled"}
    assert {row[10] for row in bookings[1:]} == {"Company", "NPO"}
    assert {row[4] for row in members[1:]} == {"Company", "NPO"}


def test_the_member_table_gives_booked_hours_to_two_decimals(create_space, create_user, create_booking):
    space = create_space(slot_minutes=10, min_minutes=10)
    member = create_user()
    create_booking(space, member, tokyo(3, 10), tokyo(3, 10) + timedelta(minutes=20), status="confirmed")
    [row] = exports.member_table(db.session, Filters(JUNE))
    assert (row[0], row[-2], row[-1]) == (member.id, 1, 0.33)


def test_the_bookings_export_names_the_space_in_the_exports_language(create_space, create_user, create_booking):
    space = create_space(name_ja="スタジオ", name_en="Studio")
    create_booking(space, create_user(), datetime(2026, 6, 1, 8, tzinfo=UTC), datetime(2026, 6, 1, 9, tzinfo=UTC))
    rows = reports.booking_rows(db.session, Filters(JUNE))

    names = [exports.booking_table(rows, locale, ["x"] * 12)[1][0][1] for locale in ("ja", "en")]

    assert names == ["スタジオ", "Studio"]


def test_a_space_never_open_in_the_period_has_no_occupancy_in_the_figures_table(create_space):
    space = create_space(hours={})
    report = reports.build_report(db.session, Filters(JUNE))

    [row] = [row for row in exports.figures_table(report, "en") if row[0] == space.name("en")]

    assert row[3:5] == [0, None]


def test_the_export_log_records_the_period_the_spaces_and_the_kind_of_organisation(create_user, create_space):
    staff, studio = create_user(role="staff"), create_space()
    at = datetime(2026, 7, 1, tzinfo=UTC)

    exports.log_export(db.session, staff, "bookings", "csv", Filters(JUNE, (studio.id,), "npo"), 0, at)
    db.session.commit()

    assert db.session.scalar(select(ExportLog.filters)) == json.dumps(
        {"first": "2026-06-01", "last": "2026-06-30", "org_kind": "npo", "spaces": [studio.id]})


def test_an_unknown_export_is_refused_naming_it(create_user):
    with pytest.raises(ValueError, match=r"^unknown export guests\.pdf$"):
        exports.export(create_user(role="staff"), "guests", "pdf", Filters(JUNE), "en", [],
                       datetime(2026, 7, 1, tzinfo=UTC), sheet_title="x")


def test_an_xlsx_sheet_title_is_cut_to_the_31_characters_spreadsheets_allow():
    import openpyxl

    data = exports.to_xlsx("x" * 40, ["a"], [["b"]])

    assert openpyxl.load_workbook(io.BytesIO(data)).active.title == "x" * 31


def test_the_figures_table_rounds_booked_and_open_hours_to_two_places(create_space, create_user, create_booking):
    tokyo_zone = ZoneInfo("Asia/Tokyo")
    room = create_space(slot_minutes=16, min_minutes=16, max_minutes=64, hours={0: ((time(8, 32), time(8, 48)),)})
    monday = datetime(2026, 6, 1, 8, 32, tzinfo=tokyo_zone)
    create_booking(room, create_user(), monday, monday + timedelta(minutes=16))
    report = reports.build_report(db.session, Filters(JUNE))

    [row] = [row for row in exports.figures_table(report, "en") if row[0] == room.name("en")]

    assert row[2:4] == [round(16 / 60, 2), round(5 * 16 / 60, 2)]  # five Mondays in June 2026


def test_organisations_are_counted_in_each_space_and_summed_over_the_spaces(floor):
    report = reports.build_report(db.session, Filters(JUNE))

    kinds = {row.org_kind: row for row in report.kinds}
    assert (kinds["company"].organisations, kinds["npo"].organisations) == (2, 2)  # one in the studio, one at the desks


def test_a_decision_at_the_first_instant_of_the_period_counts(floor, create_booking, create_user):
    studio, _desks = floor
    booking = create_booking(studio, create_user(), tokyo(20, 10), tokyo(20, 11))
    booking.created_at = tokyo(1, 0) - timedelta(hours=2)
    db.session.add(BookingEvent(booking=booking, action="approved", from_status="pending", to_status="confirmed",
                                at=tokyo(1, 0)))
    db.session.commit()

    report = reports.build_report(db.session, Filters(JUNE, (studio.id,)))

    assert report.decisions == {"approved": 1} and report.median_lead_minutes == pytest.approx(120)


def test_new_members_of_a_kind_leave_out_the_other_kinds(create_user):
    create_user(created_at=tokyo(3, 12), org_kind="research")
    create_user(created_at=tokyo(4, 12), org_kind="research")
    create_user(created_at=tokyo(5, 12), org_kind="company")

    assert reports.build_report(db.session, Filters(JUNE, org_kind="research")).new_members == 2


def test_a_space_closed_on_holidays_is_closed_on_a_holiday_that_starts_the_period(create_space):
    space = create_space(hours={d: ((time(9), time(18)),) for d in range(7)}, close_on_holidays=True,
                         holiday_country="JP")

    report = reports.build_report(db.session, Filters(Period.month(2026, 1), (space.id,)))

    # January 2026 has 31 days; New Year's Day (the 1st) and Coming of Age Day (the 12th) are closed.
    assert report.spaces[0].open_hours == (31 - 2) * 9


def test_the_median_lead_time_counts_approvals_and_rejections_only(floor, create_booking, create_user):
    studio, _desks = floor
    member = create_user()
    _decided_on_the_5th(create_booking, studio, member, (("approved", 1), ("expired", 5)))

    report = reports.build_report(db.session, Filters(JUNE, (studio.id,)))

    assert report.decisions == {"approved": 1, "expired": 1}
    assert report.median_lead_minutes == pytest.approx(60)


def test_xlsx_drops_control_characters_a_sheet_cannot_hold():
    data = exports.to_xlsx("bookings", ["名前"], [["Bell\x07 and\x1b escape"]])

    assert exports.read_xlsx(data) == [["名前"], ["Bell and escape"]]


@pytest.mark.parametrize("kind", ["bookings", "figures"])
def test_an_english_export_names_the_space_in_english(create_space, create_user, create_booking, kind):
    space = create_space(name_ja="スタジオ", name_en="Studio")
    create_booking(space, create_user(), tokyo(1, 10), tokyo(1, 11))
    staff = create_user(role="staff")

    data = exports.export(staff, kind, "csv", Filters(JUNE), "en", ["x"] * 12, datetime(2026, 7, 1, tzinfo=UTC),
                          sheet_title="x")

    names = {row[1] if kind == "bookings" else row[0] for row in read_csv(data)[1:]}
    assert "Studio" in names and "スタジオ" not in names


def _decided_on_the_5th(create_booking, studio, member, decisions, **booking_fields):
    """One booking a day from 20 June, each requested on 5 June 09:00 and decided (action) that many hours later."""
    for n, (action, hours) in enumerate(decisions):
        booking = create_booking(studio, member, tokyo(20 + n, 10), tokyo(20 + n, 11), **booking_fields)
        booking.created_at = tokyo(5, 9)
        db.session.add(BookingEvent(booking=booking, action=action, from_status="pending", to_status="confirmed",
                                    at=tokyo(5, 9) + timedelta(hours=hours)))
    db.session.commit()
