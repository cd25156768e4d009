"""Overnight opening periods and stays over several days, through the services and the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Space
from booking.services import admin_spaces, spaces
from booking.services.admin_spaces import InvalidInput
from booking.services.bookings import BookingInput, request_booking

NOW = datetime(2030, 6, 3, 0, 0, tzinfo=UTC)  # Monday 2030-06-03, 09:00 in Tokyo
TOKYO = ZoneInfo("Asia/Tokyo")
FRIDAY = date(2030, 6, 7)
SATURDAY = FRIDAY + timedelta(days=1)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TOKYO)


def ask(member, space, start, end):
    return request_booking(member, BookingInput(space_id=space.id, start_dt=start, end_dt=end, title="Night"), now=NOW)


@pytest.fixture
def staff(create_user):
    return create_user(role="staff")


def test_the_hours_editor_stores_periods_to_midnight_and_overnight(create_space, staff):
    space = create_space(hours={})
    texts = {n: "" for n in range(7)} | {0: "09:00-24:00", 4: "22:00-02:00", 5: "02:00-24:00"}

    admin_spaces.set_opening_hours(staff, space.id, texts, now=NOW)

    db.session.expire_all()
    stored = db.session.get(Space, space.id)
    assert admin_spaces.hours_texts(stored) == {f"day_{n}": texts[n] for n in range(7)}
    assert sorted((p.weekday, p.close_next_day) for p in stored.opening_hours) == [(0, True), (4, True), (5, True)]


def test_a_day_that_opens_before_the_previous_night_ends_is_refused(create_space, staff):
    space = create_space(hours={})
    texts = {n: "" for n in range(7)} | {4: "22:00-04:00", 5: "03:00-12:00"}
    with pytest.raises(InvalidInput) as refused:
        admin_spaces.set_opening_hours(staff, space.id, texts, now=NOW)
    assert set(refused.value.errors) == {"day_5"}


def test_a_booking_across_midnight_is_confirmed_inside_an_overnight_period(create_space, create_user):
    bar = create_space(hours={4: ((time(22), time(2)),)})
    member = create_user()
    assert ask(member, bar, local(FRIDAY, 23), local(SATURDAY, 1, 30)).ok
    refused = ask(member, bar, local(SATURDAY, 1, 30), local(SATURDAY, 2, 30))
    assert [c.code for c in refused.conflicts] == ["hours"]


def test_a_two_day_event_in_a_hall_open_around_the_clock(create_space, create_user, create_booking):
    hall = create_space(hours={d: ((time(0), time(0)),) for d in range(7)}, max_minutes=2 * 1440,
                        quota_hours_per_week=40)
    member = create_user()
    event = ask(member, hall, local(FRIDAY, 10), local(FRIDAY + timedelta(days=2), 10))
    assert [c.code for c in event.conflicts] == ["quota"]  # 48 hours is more than the member's 40

    hall.quota_hours_per_week = None
    db.session.commit()
    event = ask(member, hall, local(FRIDAY, 10), local(FRIDAY + timedelta(days=2), 10))
    assert event.ok
    other = ask(create_user(), hall, local(SATURDAY, 15), local(SATURDAY, 16))
    assert [c.code for c in other.conflicts] == ["overlap"]
    monday = FRIDAY - timedelta(days=4)
    grid = spaces.week_view(hall, monday, member.id, NOW, "en")
    assert {grid.cell(SATURDAY, time(h)).state for h in range(24)} == {"mine"}


def test_the_week_pages_read_of_a_space_has_the_same_hours_and_policy_as_its_orm_row(create_space, staff):
    split = create_space(hours={0: ((time(9), time(12)), (time(13, 30), time(18))), 2: ((time(8), time(20)),)})
    overnight = create_space(hours={})
    admin_spaces.set_opening_hours(staff, overnight.id, {n: "" for n in range(7)}
                                   | {0: "09:00-24:00", 4: "22:00-02:00", 5: "02:00-24:00"}, now=NOW)
    closed = create_space(hours={})
    db.session.expire_all()
    for space in (split, overnight, closed):
        orm = spaces.get_space(space.slug)
        read = spaces.read_space(space.slug)
        hours = [(p.id, p.weekday, p.open_time, p.close_time, p.close_next_day) for p in orm.opening_hours]
        assert [(p.id, p.weekday, p.open_time, p.close_time, p.close_next_day)
                for p in read.space.opening_hours] == sorted(hours, key=lambda p: (p[1], p[0]))
        assert read.policy == spaces.policy_of(orm)
    assert spaces.read_space(closed.slug).space.opening_hours == []
