"""The staff calendar: every space side by side for a day and for a week."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Closure
from booking.services.bookings import BookingInput, request_booking
from booking.services.calendar import day_calendar, week_calendar
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
    assert "10:00～12:00" in page
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
def test_a_malformed_date_shows_today_and_says_so(staff_client, query):
    """Issue 16: the calendar of today (or this week), with a message, never a 400 page."""
    response = staff_client.get(f"/staff/calendar?{query}")
    assert response.status_code == 200
    assert "通常の日付を表示しています。" in response.get_data(as_text=True)


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


@pytest.fixture
def busy_desks(floor, create_user, create_booking):
    """Three desk bookings over 12:00–13:00 Tokyo (one pending), and one over 12:00–14:00."""
    studio, desks = floor
    names = ["Aoki Desk", "Baba Desk", "Chiba Desk"]
    group = [create_booking(desks, create_user(name=name), at(3), at(4), title=f"Work {name}", units=(n + 3, n + 10),
                            status="pending" if n == 2 else "confirmed")
             for n, name in enumerate(names)]
    longer = create_booking(desks, create_user(name="Long Desk"), at(3), at(5), title="Long session", units=(20,))
    return desks, group, longer


def entries_of(page):
    return re.findall(r'<div class="cal-booking[^"]*">(.*?)</div>', page, re.S)


@pytest.mark.parametrize("view", ["day={day}", "week={day}&view=week"])
def test_a_pooled_space_shows_the_bookings_of_one_time_range_as_one_entry_with_its_desks(
    staff_client, busy_desks, view
):
    desks, group, longer = busy_desks

    page = staff_client.get(f"/staff/calendar?{view.format(day=LOCAL.isoformat())}").get_data(as_text=True)

    grouped = [e for e in entries_of(page) if f"space={desks.slug}" in e]
    assert len(grouped) == 1
    entry = grouped[0]
    assert "6 of 24 desks" in entry or "デスク24台中6台" in entry
    assert "12:00～13:00" in entry
    assert "3 bookings" in entry or "予約3件" in entry
    assert "2 confirmed" in entry or "確定2件" in entry
    assert "1 pending approval" in entry or "承認待ち1件" in entry
    assert f'day={LOCAL.isoformat()}' in entry and "#at-1200" in entry
    for booking in group:  # each booking of the group is one click further, in the day list
        assert f"/staff/bookings/{booking.id}" not in page and "Aoki Desk" not in page
    assert f"/staff/bookings/{longer.id}" in page and "Long Desk" in page  # alone in its range: shown as itself
    assert "Hackathon" in page  # alone in its range (10:00–11:00)


def test_the_day_list_of_a_space_shows_each_of_its_bookings_on_its_own(staff_client, busy_desks):
    desks, group, longer = busy_desks

    page = staff_client.get(f"/staff/calendar?day={LOCAL.isoformat()}&space={desks.slug}").get_data(as_text=True)

    for booking in [*group, longer]:
        assert f'href="/staff/bookings/{booking.id}"' in page
    for name in ("Aoki Desk", "Baba Desk", "Chiba Desk", "Long Desk", "Tanaka Ichiro"):
        assert name in page
    assert "TV &lt;recording&gt;" not in page  # the studio's booking: another space
    header = page.split("<thead>")[1].split("</thead>")[0]
    assert "デスク" in header and "スタジオ" not in header
    assert 'id="at-1200"' in page
    assert f'href="/staff/calendar?day={LOCAL.isoformat()}"' in page  # back to every space
    assert f"day={(LOCAL + timedelta(days=1)).isoformat()}&amp;space={desks.slug}" in page


def test_the_day_links_each_pooled_space_to_its_day_list(staff_client, busy_desks):
    desks, _group, _longer = busy_desks
    page = staff_client.get(f"/staff/calendar?day={LOCAL.isoformat()}").get_data(as_text=True)
    header = page.split("<thead>")[1].split("</thead>")[0]
    assert f'href="/staff/calendar?day={LOCAL.isoformat()}&amp;space={desks.slug}"' in header
    assert header.count("<a ") == 1  # the studio is one booking at a time: nothing to condense


def test_requests_of_an_exclusive_space_over_the_same_time_stay_apart(staff_client, floor, create_space,
                                                                      create_user):
    hall = create_space(name_en="Hall", requires_approval=True, pending_holds=False)
    first, second = (request_booking(create_user(name=name), BookingInput(hall.id, at(6), at(7), title)).booking
                     for name, title in (("Ueda", "First ask"), ("Endo", "Second ask")))
    for view in (f"day={LOCAL.isoformat()}", f"week={LOCAL.isoformat()}&view=week"):
        page = staff_client.get(f"/staff/calendar?{view}").get_data(as_text=True)
        assert f"/staff/bookings/{first.id}" in page and f"/staff/bookings/{second.id}" in page


def test_the_day_list_of_an_unknown_space_shows_every_space_and_says_so(staff_client, floor):
    response = staff_client.get(f"/staff/calendar?day={LOCAL.isoformat()}&space=nowhere")
    assert response.status_code == 200
    assert "アドレス名「nowhere」のスペースはないため" in response.get_data(as_text=True)


@pytest.mark.parametrize(("locale", "day_heading", "week_heading"), [
    ("ja", "{day}のカレンダー", "{day}の週のカレンダー"),
    ("en", "Calendar for {day}", "Calendar for the week of {day}"),
])
def test_the_day_and_the_week_headings_follow_one_pattern(staff_client, floor, locale, day_heading, week_heading):
    """Break-it report 16, item 8: 「…のカレンダー」 for the day, 「カレンダー：… の週」 for the week."""
    from booking.dates import format_day

    monday = LOCAL - timedelta(days=LOCAL.weekday())
    staff_client.submit("/language", {"locale": locale})
    day_page = staff_client.get(f"/staff/calendar?day={LOCAL.isoformat()}")
    week_page = staff_client.get(f"/staff/calendar?week={monday.isoformat()}&view=week")

    def heading(page):
        return re.sub(r"<[^>]+>", "", page.get_data(as_text=True).split("<h1>")[1].split("</h1>")[0]).strip()

    assert heading(day_page) == day_heading.format(day=format_day(LOCAL, locale))
    assert heading(week_page) == week_heading.format(day=format_day(monday, locale))


def test_the_day_has_a_row_for_every_start_on_the_finest_grid_its_spaces_share(app, create_space):
    create_space(name_en="Studio", slot_minutes=30)
    create_space(name_en="Hall", slot_minutes=45, min_minutes=45, max_minutes=450)

    day = day_calendar(LOCAL, DAY)

    assert day.slot == timedelta(minutes=15)  # 09:45 starts a hall slot, 09:30 a studio slot
    assert {time(9, 15), time(9, 30), time(9, 45)} <= set(day.times)


def test_requests_starting_together_are_listed_in_the_order_they_were_made(app, create_space, create_user):
    hall = create_space(name_en="Hall", requires_approval=True, pending_holds=False)
    longer, shorter = (request_booking(create_user(name=name), BookingInput(hall.id, at(6), end, name)).booking
                       for name, end in (("Longer ask", at(8)), ("Shorter ask", at(7))))

    day = day_calendar(LOCAL, DAY)

    assert [entry.id for entry in day.starting[(hall.id, time(15))]] == [longer.id, shorter.id]


def test_the_day_list_of_a_space_shows_that_space_alone(app, floor):
    _studio, desks = floor

    day = day_calendar(LOCAL, DAY, desks.slug)

    assert day.is_space_list and [space.id for space in day.spaces] == [desks.id]


def test_the_week_marks_a_closure_on_any_of_its_days(app, floor):
    studio, _desks = floor
    monday = LOCAL - timedelta(days=LOCAL.weekday())
    other = monday + timedelta(days=6 if LOCAL != monday + timedelta(days=6) else 5)
    start = datetime.combine(other, time(10), ZoneInfo("Asia/Tokyo"))
    db.session.add(Closure(space_id=studio.id, start_dt=start, end_dt=start + timedelta(hours=2), reason="Filming"))
    db.session.commit()

    assert week_calendar(LOCAL, DAY).closed == {(studio.id, other): ["Filming"]}


def test_the_day_starts_at_the_row_holding_a_booking_that_starts_between_two_rows(app, create_space, create_user,
                                                                                   create_booking):
    late = {d: ((time(14), time(20)),) for d in range(7)}
    create_space(name_en="Studio", slot_minutes=60, min_minutes=60, hours=late)
    chennai = create_space(name_en="Chennai", slot_minutes=60, min_minutes=60, hours=late, timezone="Asia/Kolkata")
    start = datetime.combine(LOCAL, time(8), ZoneInfo("Asia/Kolkata"))  # 11:30 in Tokyo
    create_booking(chennai, create_user(), start, start + timedelta(hours=1))

    assert day_calendar(LOCAL, DAY).times[0] == time(11)


def test_on_a_one_minute_grid_a_booking_from_the_day_before_starts_the_day_at_midnight(app, create_space,
                                                                                       create_user, create_booking):
    space = create_space(name_en="Hall", slot_minutes=1, min_minutes=1)
    create_booking(space, create_user(), at(14), at(16))  # 23:00–01:00 in Tokyo

    assert day_calendar(LOCAL + timedelta(days=1), DAY).times[0] == time(0)


def test_a_day_of_the_week_lists_its_bookings_by_start_whatever_order_they_were_made_in(app, create_space,
                                                                                         create_user, create_booking):
    studio = create_space(name_en="Studio")
    member = create_user()
    afternoon = create_booking(studio, member, at(6), at(7), title="Afternoon")
    morning = create_booking(studio, member, at(1), at(2), title="Morning")

    week = week_calendar(LOCAL, DAY)

    assert [entry.id for entry in week.cells[(studio.id, LOCAL)]] == [morning.id, afternoon.id]


def test_the_calendar_is_in_the_time_zone_of_the_floors_first_space(app, create_space):
    create_space(name_en="Berlin studio", timezone="Europe/Berlin")
    assert day_calendar(LOCAL, DAY).zone == ZoneInfo("Europe/Berlin")


def test_a_closure_marks_only_its_own_slots_of_its_own_space(app, floor):
    studio, desks = floor
    db.session.add(Closure(space_id=studio.id, start_dt=at(6), end_dt=at(7), reason="Inspection"))
    db.session.commit()

    day = day_calendar(LOCAL, DAY)

    assert day.closed == {(studio.id, time(15)): "Inspection", (studio.id, time(15, 30)): "Inspection"}


def test_the_day_list_of_a_space_shows_only_its_own_bookings_and_hours(app, floor, create_booking, create_user):
    studio, desks = floor
    early = datetime.combine(LOCAL, time(6), ZoneInfo("Asia/Tokyo"))
    create_booking(studio, create_user(), early, early + timedelta(hours=1), title="Before the desks open")

    day = day_calendar(LOCAL, DAY, desks.slug)

    assert day.busy == {(desks.id, time(10)), (desks.id, time(10, 30))}  # the studio's 10:00–12:00 is not
    assert day.times[0] == time(8)  # the desks open at 08:00; the studio's 06:00 is not theirs


def test_the_week_of_a_day_two_weeks_ahead_is_that_days_week(app, floor):
    later = LOCAL + timedelta(days=14)

    week = week_calendar(later, DAY)

    assert week.monday == later - timedelta(days=later.weekday()) and week.days[-1] == week.monday + timedelta(days=6)


TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), TOKYO)


def test_the_day_list_of_a_space_leaves_out_cancelled_bookings(app, floor):
    studio, _desks = floor  # the studio's 13:00–14:00 booking was called off

    day = day_calendar(LOCAL, DAY, studio.slug)

    assert [entry.title for entries in day.starting.values() for entry in entries] == ["TV <recording>"]


@pytest.mark.parametrize("space_list", [False, True])
def test_bookings_ending_as_the_day_starts_or_starting_as_it_ends_leave_its_rows_to_the_opening_hours(
        app, create_space, create_user, create_booking, space_list):
    studio = create_space(name_en="Studio")  # 09:00–21:00 every day
    member = create_user()
    create_booking(studio, member, tokyo(LOCAL - timedelta(days=1), 23), tokyo(LOCAL, 0))
    create_booking(studio, member, tokyo(LOCAL + timedelta(days=1), 0), tokyo(LOCAL + timedelta(days=1), 1))

    day = day_calendar(LOCAL, DAY, studio.slug if space_list else None)

    assert (day.times[0], day.times[-1]) == (time(9), time(20, 30))


def test_a_day_ends_at_the_row_before_closing_time(app, create_space):
    create_space(name_en="Studio", hours={d: ((time(9), time(18)),) for d in range(7)})

    day = day_calendar(LOCAL, DAY)

    assert (day.times[0], day.times[-1]) == (time(9), time(17, 30))


def test_a_day_no_space_opens_shows_the_usual_hours(app, create_space):
    create_space(name_en="Studio", hours={(LOCAL.weekday() + 1) % 7: ((time(7), time(23)),)})

    day = day_calendar(LOCAL, DAY)

    assert (day.times[0], day.times[-1]) == (time(9), time(17, 30))


def test_a_booking_into_the_next_day_runs_the_day_to_its_last_row(app, create_space, create_user, create_booking):
    studio = create_space(name_en="Studio")  # 09:00–21:00 every day
    create_booking(studio, create_user(), tokyo(LOCAL, 22), tokyo(LOCAL + timedelta(days=1), 1))

    day = day_calendar(LOCAL, DAY)

    assert (day.times[0], day.times[-1]) == (time(9), time(23, 30))


def test_on_a_one_minute_grid_a_night_space_starts_the_day_at_midnight(app, create_space):
    create_space(name_en="Bar", slot_minutes=1, min_minutes=1, hours={d: ((time(22), time(2)),) for d in range(7)})

    day = day_calendar(LOCAL, DAY)

    assert (day.times[0], day.times[-1]) == (time(0), time(23, 59))


def test_the_day_list_lists_bookings_from_the_day_before_by_start_whatever_order_they_were_made_in(
        app, create_space, create_user, create_booking):
    desks = create_space(name_en="Desks", kind="pooled", unit_count=2)
    member = create_user()
    later = create_booking(desks, member, tokyo(LOCAL - timedelta(days=1), 23), tokyo(LOCAL, 0, 30), units=(1,))
    earlier = create_booking(desks, member, tokyo(LOCAL - timedelta(days=1), 22), tokyo(LOCAL, 0, 30), units=(2,))

    day = day_calendar(LOCAL, DAY, desks.slug)

    assert [entry.id for entry in day.starting[(desks.id, time(0))]] == [earlier.id, later.id]


def test_a_booking_over_midnight_is_in_the_week_on_each_day_it_touches_and_no_other(
        app, create_space, create_user, create_booking):
    studio = create_space(name_en="Studio")
    member = create_user()
    monday = LOCAL - timedelta(days=LOCAL.weekday())
    into_monday = create_booking(studio, member, tokyo(monday - timedelta(days=1), 23), tokyo(monday, 0, 30))
    tuesday = monday + timedelta(days=1)
    early_tuesday = create_booking(studio, member, tokyo(tuesday, 0, 30), tokyo(tuesday, 1, 30))

    week = week_calendar(LOCAL, DAY)

    assert {day: [entry.id for entry in week.cells[(studio.id, day)]] for day in week.days} == {
        day: {monday: [into_monday.id], tuesday: [early_tuesday.id]}.get(day, []) for day in week.days}
