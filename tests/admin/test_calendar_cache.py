"""The staff calendar's rendered content is kept per distinct calendar, and never shown stale.

Each test renders a calendar (so it is kept), changes one thing the calendar shows through
the ORM as the services do, and reads the calendar again: the change must be on the page.
"""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, Closure, OpeningPeriod, Space, User
from booking.services import calendar
from tests.conftest import future_day

DAY = future_day(6)  # midnight UTC = 09:00 in Tokyo, on the same date
LOCAL = DAY.date()
VIEWS = {
    "day": f"/staff/calendar?day={LOCAL.isoformat()}",
    "week": f"/staff/calendar?week={LOCAL.isoformat()}&view=week",
    "day list": f"/staff/calendar?day={LOCAL.isoformat()}&space=desks",
}


def at(hour, minute=0):
    return DAY.replace(hour=hour, minute=minute)


@pytest.fixture
def floor(create_space, create_user, create_booking):
    studio = create_space(name_en="Studio", name_ja="スタジオ")
    desks = create_space(slug="desks", name_en="Desks", name_ja="デスク", kind="pooled", unit_count=24,
                         hours={d: ((time(8), time(22)),) for d in range(7)})
    suzuki = create_user(name="Suzuki Hanako")
    recording = create_booking(studio, suzuki, at(1), at(3), title="TV recording")
    hackathon = create_booking(desks, suzuki, at(1), at(2), title="Hackathon", units=(1, 2))
    return studio, desks, suzuki, recording, hackathon


def page(client, view):
    answer = client.get(VIEWS[view])
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def kept(app):
    return len(app.extensions.get("booking_staff_calendars") or [])


def test_the_same_calendar_is_rendered_once_and_then_served_as_kept(app, staff_client, floor, monkeypatch):
    first = page(staff_client, "day")
    rendered = []
    monkeypatch.setattr(calendar, "day_calendar_of", lambda scope: rendered.append(scope))

    again = page(staff_client, "day")

    assert rendered == [] and kept(app) == 1
    assert again.count("TV recording") == first.count("TV recording") == 1


def rename_booking(floor):
    floor[3].title = "Retitled recording"
    return "Retitled recording"


def cancel_booking(floor):
    floor[3].status = "cancelled"
    return None  # the title must be gone


def move_booking(floor):
    booking = floor[3]
    booking.start_dt, booking.end_dt = at(5), at(6)  # 14:00–15:00 Tokyo
    for hold in booking.holds:
        hold.occupied_start, hold.occupied_end = at(5), at(6)
    return "14:00～15:00"


def rename_member(floor):
    db.session.get(User, floor[2].id).name = "Suzuki Renamed"
    return "Suzuki Renamed"


def add_booking(floor):
    studio, suzuki = floor[0], floor[2]
    booking = Booking(space=studio, user=suzuki, start_dt=at(7), end_dt=at(8), title="Late addition",
                      status="pending", seats=1)
    db.session.add(booking)
    return "Late addition"


def add_closure(floor):
    db.session.add(Closure(space_id=floor[0].id, start_dt=at(4), end_dt=at(5), reason="Lights broken"))
    return "Lights broken"


def rename_space(floor):
    db.session.get(Space, floor[0].id).name_ja = "新スタジオ"
    return "新スタジオ"


def widen_hours(floor):
    space = db.session.get(Space, floor[1].id)
    weekday = LOCAL.weekday()
    for period in list(space.opening_hours):
        if period.weekday == weekday:
            space.opening_hours.remove(period)
    space.opening_hours.append(OpeningPeriod(weekday=weekday, open_time=time(6), close_time=time(22)))
    return ">06:00<"


CHANGES = [rename_booking, cancel_booking, move_booking, rename_member, add_booking, add_closure, rename_space,
           widen_hours]


# The week view has no time rows, so opening hours show only on the day view.
VIEW_CHANGES = [(view, change) for view in ("day", "week") for change in CHANGES
                if not (view == "week" and change is widen_hours)]


@pytest.mark.parametrize(("view", "change"), VIEW_CHANGES,
                         ids=[f"{view}-{change.__name__}" for view, change in VIEW_CHANGES])
def test_a_change_of_what_the_calendar_shows_is_on_the_next_page(app, staff_client, floor, view, change):
    before = page(staff_client, view)
    assert "TV recording" in before and kept(app) == 1

    shown = change(floor)
    db.session.commit()
    after = page(staff_client, view)

    if shown is None:
        assert "TV recording" not in after
    else:
        assert shown not in before and shown in after


def test_a_change_of_a_desk_booking_is_on_the_next_day_list(app, staff_client, floor):
    before = page(staff_client, "day list")
    assert "Hackathon" in before

    floor[4].title = "Hackathon, day two"
    db.session.commit()

    assert "Hackathon, day two" in page(staff_client, "day list")


def test_the_kept_calendar_of_one_language_is_not_shown_in_the_other(staff_client, floor):
    japanese = page(staff_client, "day")
    staff = db.session.scalars(select(User).where(User.name == "Staff Sato")).one()
    staff.locale = "en" if staff.locale == "ja" else "ja"
    db.session.commit()

    english = page(staff_client, "day")

    assert ("スタジオ" in japanese) != ("スタジオ" in english)
    assert ("Studio" in japanese) != ("Studio" in english)


@pytest.mark.parametrize("view", ["day", "week"])
def test_a_closure_removed_and_another_added_in_its_place_is_on_the_next_page(app, staff_client, floor, view):
    from booking.services.admin_spaces import delete_closure

    add_closure(floor)
    db.session.commit()
    closure_id = db.session.scalars(select(Closure.id).where(Closure.reason == "Lights broken")).one()
    assert "Lights broken" in page(staff_client, view)

    delete_closure(closure_id)  # the count of closures is back where it was before, so is its kept page's
    db.session.add(Closure(space_id=floor[0].id, start_dt=at(4), end_dt=at(5), reason="Camera repair"))
    db.session.commit()
    after = page(staff_client, view)

    assert "Camera repair" in after and "Lights broken" not in after
