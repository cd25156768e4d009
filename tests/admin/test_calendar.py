"""The staff calendar: every space side by side for a day and for a week."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from booking.extensions import db
from booking.models import Closure
from booking.services.calendar import week_calendar
from tests.conftest import future_day

DAY = future_day(6)  # midnight UTC = 09:00 in Tokyo, on the same date
LOCAL = DAY.date()


def at(hour, minute=0):
    return DAY.replace(hour=hour, minute=minute)


@pytest.fixture
def floor(create_space, create_user, create_booking):
    studio = create_space(name_en="Studio", name_ja="スタジオ")
    desks = create_space(name_en="Desks", name_ja="デスク", kind="pooled", unit_count=24,
                         hours={d: ((time(8), time(22)),) for d in range(7)})
    suzuki, tanaka = create_user(name="Suzuki Hanako"), create_user(name="Tanaka Ichiro")
    create_booking(studio, suzuki, at(1), at(3), title="TV <recording>")
    create_booking(desks, tanaka, at(1), at(2), title="Hackathon", status="pending", units=(1, 2))
    create_booking(studio, tanaka, at(4), at(5), title="Called off", status="cancelled")
    return studio, desks


def test_the_day_shows_every_space_side_by_side_with_title_member_and_status(staff_client, floor):
    page = staff_client.get(f"/staff/calendar?day={LOCAL.isoformat()}").get_data(as_text=True)

    header = page.split("<thead>")[1].split("</thead>")[0]
    assert header.index("スタジオ") < header.index("デスク")
    assert "TV &lt;recording&gt;" in page and "Suzuki Hanako" in page
    assert "Hackathon" in page and "Tanaka Ichiro" in page
    assert 'class="cal-booking pending"' in page and 'class="cal-booking confirmed"' in page
    assert "Called off" not in page
    assert ">10:00<" in page and ">08:00<" in page  # 10:00 Tokyo = 01:00 UTC; desks open at 08:00


def test_the_day_links_to_the_previous_and_next_day_and_its_week(staff_client, floor):
    page = staff_client.get(f"/staff/calendar?day={LOCAL.isoformat()}").get_data(as_text=True)
    assert f"day={(LOCAL - timedelta(days=1)).isoformat()}" in page
    assert f"day={(LOCAL + timedelta(days=1)).isoformat()}" in page
    assert f"week={LOCAL.isoformat()}" in page


def test_the_week_shows_each_day_with_the_bookings_of_every_space(staff_client, floor):
    monday = LOCAL - timedelta(days=LOCAL.weekday())

    page = staff_client.get(f"/staff/calendar?week={LOCAL.isoformat()}&view=week").get_data(as_text=True)

    assert monday.isoformat() in page
    assert "TV &lt;recording&gt;" in page and "Hackathon" in page
    assert "10:00–12:00" in page
    assert f"week={(monday + timedelta(days=7)).isoformat()}" in page
    assert f"week={(monday - timedelta(days=7)).isoformat()}" in page
    assert page.count('scope="row"') == 7


def test_a_closure_is_marked_in_the_calendar(staff_client, floor):
    db.session.add(Closure(space_id=None, start_dt=at(6), end_dt=at(8), reason="Inspection"))
    db.session.commit()
    day = staff_client.get(f"/staff/calendar?day={LOCAL.isoformat()}").get_data(as_text=True)
    week = staff_client.get(f"/staff/calendar?view=week&day={LOCAL.isoformat()}").get_data(as_text=True)
    assert day.count("Inspection") >= 2  # in every space's column
    assert "Inspection" in week


def test_without_a_date_the_calendar_shows_today(staff_client, floor):
    assert staff_client.get("/staff/calendar").status_code == 200
    assert staff_client.get("/staff/calendar?view=week").status_code == 200


def test_a_calendar_without_spaces_says_so(staff_client):
    page = staff_client.get("/staff/calendar").get_data(as_text=True)
    assert "スペースはまだありません" in page or "There are no spaces yet." in page


@pytest.mark.parametrize("query", [
    "day=tomorrow", "day=2026-02-30", "day=9999-12-31", "week=0001-01-01&view=week", "day=20260101",
    "day=" + "1" * 500,
])
def test_a_malformed_date_is_a_bad_request(staff_client, query):
    assert staff_client.get(f"/staff/calendar?{query}").status_code == 400


def test_a_booking_over_midnight_shows_from_the_start_of_the_next_day(staff_client, create_space, create_user,
                                                                       create_booking):
    space = create_space(name_en="Hall", hours={d: ((time(0), time(23, 30)),) for d in range(7)},
                         max_minutes=600)
    create_booking(space, create_user(name="Night Owl"), at(14), at(16), title="Overnight")  # 23:00–01:00 Tokyo
    next_day = (LOCAL + timedelta(days=1)).isoformat()
    page = staff_client.get(f"/staff/calendar?day={next_day}").get_data(as_text=True)
    assert "Overnight" in page and ">00:00<" in page


def test_a_night_space_shows_its_late_evening_and_the_next_morning(staff_client, create_space):
    create_space(name_en="Bar", hours={d: ((time(22), time(2)),) for d in range(7)})
    page = staff_client.get(f"/staff/calendar?day={LOCAL.isoformat()}").get_data(as_text=True)
    rows = re.findall(r'<th scope="row"[^>]*>\s*(\d\d:\d\d)', page)
    assert rows[0] == "00:00" and rows[-1] == "23:30"


def test_the_week_marks_a_closure_on_its_own_day_and_space_only(app, floor):
    studio, desks = floor
    db.session.add(Closure(space_id=studio.id, start_dt=at(6), end_dt=at(8), reason="Inspection"))
    db.session.commit()

    week = week_calendar(LOCAL, DAY)

    assert week.closed == {(studio.id, LOCAL): ["Inspection"]}
