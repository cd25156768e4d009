"""The staff page's figures kept per worker (booking.services.report_cache): never stale, whatever changes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from booking.extensions import db
from booking.models import Closure, PublicEvent
from booking.services import reports
from booking.services.report_cache import report_cache
from booking.services.reports import Filters, Period
from tests.conftest import PASSWORD, without_csrf_tokens

TOKYO = ZoneInfo("Asia/Tokyo")
JUNE = Filters(Period.month(2026, 6))
NOW = datetime(2026, 7, 15, tzinfo=TOKYO)


def tokyo(day: int, hour: int) -> datetime:
    return datetime(2026, 6, day, hour, tzinfo=TOKYO)


def kinds(report: reports.Report) -> dict[str, float]:
    return {row.org_kind: row.booked_hours for row in report.kinds if row.booked_hours}


def test_figures_are_kept_while_their_data_is_unchanged_and_follow_each_change(create_space, create_user,
                                                                                create_booking):
    report_cache.clear()
    studio = create_space()
    desks = create_space(kind="pooled", unit_count=4)
    member = create_user(org_kind="research", organisation="大学")
    create_booking(studio, member, tokyo(1, 10), tokyo(1, 12))
    first = reports.figures(JUNE, now=NOW)
    assert reports.figures(JUNE, now=NOW) is first
    assert kinds(first) == {"research": 2}

    create_booking(desks, member, tokyo(2, 10), tokyo(2, 11), units=(1, 2))
    assert kinds(reports.figures(JUNE, now=NOW)) == {"research": 4}

    member.org_kind = "public"
    db.session.commit()
    assert kinds(reports.figures(JUNE, now=NOW)) == {"public": 4}

    open_before = {row.space.id: row.open_hours for row in reports.figures(JUNE, now=NOW).spaces}
    db.session.add(Closure(space_id=desks.id, start_dt=tokyo(20, 0), end_dt=tokyo(21, 0), reason="点検"))
    db.session.commit()
    open_after = {row.space.id: row.open_hours for row in reports.figures(JUNE, now=NOW).spaces}
    assert open_after[studio.id] == open_before[studio.id]
    assert open_after[desks.id] == open_before[desks.id] - 4 * 12  # four desks, open 09:00-21:00


def test_an_event_counts_once_it_is_over_and_not_before_even_when_figures_were_kept(create_space, create_user,
                                                                                      create_booking):
    report_cache.clear()
    studio = create_space()
    booking = create_booking(studio, create_user(), tokyo(2, 9), tokyo(2, 18))
    db.session.add(PublicEvent(booking=booking, title_ja="共創ワークショップ", capacity=30, status="published",
                               registration_opens_at=tokyo(1, 9), registration_closes_at=tokyo(2, 9)))
    db.session.commit()
    assert reports.figures(JUNE, now=tokyo(2, 12)).events.held == 0
    assert reports.figures(JUNE, now=tokyo(2, 18)).events.held == 1
    assert reports.figures(JUNE, now=tokyo(2, 12)).events.held == 0


def test_the_page_shows_kept_figures_until_a_booking_changes_them(client, create_space, create_user,
                                                                   create_booking):
    report_cache.clear()
    staff = create_user(role="staff")
    client.login(staff.email, PASSWORD)
    studio = create_space(name_en="Studio", name_ja="スタジオ")
    create_booking(studio, create_user(), tokyo(1, 10), tokyo(1, 12))
    url = "/staff/reports?period=month&year=2026&month=6"
    first = client.get(url).get_data(as_text=True)
    assert without_csrf_tokens(client.get(url).get_data(as_text=True)) == without_csrf_tokens(first)
    assert "<td>2.0</td>" in first and "<td>5.0</td>" not in first
    create_booking(studio, create_user(), tokyo(3, 10), tokyo(3, 13))
    assert "<td>5.0</td>" in client.get(url).get_data(as_text=True)


def test_a_kept_page_follows_a_renamed_space_and_the_day_it_is(client, create_space, create_user, create_booking,
                                                               monkeypatch):
    report_cache.clear()
    client.login(create_user(role="staff").email, PASSWORD)
    studio = create_space(name_en="Studio", name_ja="スタジオ")
    create_booking(studio, create_user(), tokyo(1, 10), tokyo(1, 12))
    monkeypatch.setattr("booking.views.reports.utcnow", lambda: NOW)
    first = client.get("/staff/reports").get_data(as_text=True)
    assert "スタジオ" in first and 'name="month" type="number" value="7"' in first

    studio.name_ja = "収録スタジオ"  # a column no booking, trail entry or count follows
    db.session.commit()
    renamed = client.get("/staff/reports").get_data(as_text=True)
    assert "収録スタジオ" in renamed and without_csrf_tokens(renamed) != without_csrf_tokens(first)

    monkeypatch.setattr("booking.views.reports.utcnow", lambda: datetime(2026, 8, 1, 9, tzinfo=TOKYO))
    assert 'name="month" type="number" value="8"' in client.get("/staff/reports").get_data(as_text=True)


def test_a_kept_page_shows_each_viewer_their_own_header_and_the_same_figures(app, client, create_space, create_user,
                                                                            create_booking):
    report_cache.clear()
    first_staff, second_staff = create_user(role="staff", name="職員 一"), create_user(role="admin", name="職員 二")
    create_booking(create_space(), create_user(), tokyo(1, 10), tokyo(1, 12))
    url = "/staff/reports?period=month&year=2026&month=6"
    client.login(first_staff.email, PASSWORD)
    seen_first = client.get(url).get_data(as_text=True)
    other = app.test_client()
    other.login(second_staff.email, PASSWORD)
    seen_second = other.get(url).get_data(as_text=True)
    assert "職員 一" in seen_first and "職員 一" not in seen_second and "職員 二" in seen_second
    content = slice(seen_first.index("<h1>"), None)
    assert seen_second[seen_second.index("<h1>"):] == seen_first[content]
