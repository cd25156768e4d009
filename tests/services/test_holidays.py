"""National holidays close a space (real Japanese holidays), unless it opts out or opens that day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from booking.domain.grid import CLOSED, FREE
from booking.extensions import db
from booking.models import HolidayOpening
from booking.services.bookings import BookingInput, request_booking
from booking.services.spaces import week_view
from tests.services.conftest import written

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 1, tzinfo=UTC)
LABOUR_THANKSGIVING = date(2026, 11, 23)  # 勤労感謝の日, a Monday
NEW_YEAR = date(2027, 1, 1)  # 元日


def ask(member, space, day, start=time(10), end=time(11), locale="ja", **keywords):
    data = BookingInput(space_id=space.id, title="Meet-up",
                        start_dt=datetime.combine(day, start, TOKYO), end_dt=datetime.combine(day, end, TOKYO))
    return request_booking(member, data, now=NOW, locale=locale, **keywords)


def codes(outcome):
    return [c.code for c in outcome.conflicts]


@pytest.fixture
def hall(create_space):
    return create_space(slug="hall", close_on_holidays=True, holiday_country="JP")


@pytest.mark.parametrize(
    ("day", "name"), [(LABOUR_THANKSGIVING, "勤労感謝の日"), (NEW_YEAR, "元日")]
)
def test_a_national_holiday_is_a_closed_day_named_in_the_message(hall, create_user, day, name):
    outcome = ask(create_user(), hall, day)
    assert codes(outcome) == ["closed"]
    assert outcome.conflicts[0].render() == f"The space is closed on {day.isoformat()} ({name})."
    assert written() == (0, 0)


def test_the_holiday_is_named_in_the_language_of_the_request(hall, create_user):
    outcome = ask(create_user(), hall, LABOUR_THANKSGIVING, locale="en")
    assert outcome.conflicts[0].params["reason"] == "Labor Thanksgiving Day"


@pytest.mark.parametrize("day", [date(2026, 11, 22), date(2026, 11, 24), date(2026, 12, 31)])
def test_the_days_around_a_holiday_stay_open(hall, create_user, day):
    assert ask(create_user(), hall, day).ok


def test_the_whole_local_day_is_closed_from_opening_to_closing(hall, create_user):
    member = create_user()
    assert codes(ask(member, hall, LABOUR_THANKSGIVING, time(9), time(9, 30))) == ["closed"]
    assert codes(ask(member, hall, LABOUR_THANKSGIVING, time(20, 30), time(21))) == ["closed"]


def test_a_space_that_does_not_close_on_holidays_can_be_booked_then(create_space, create_user):
    studio = create_space(close_on_holidays=False)
    assert ask(create_user(), studio, LABOUR_THANKSGIVING).ok
    assert ask(create_user(), studio, NEW_YEAR).ok


def test_a_holiday_opening_opens_that_one_day_of_that_one_space(hall, create_space, create_user):
    other_hall = create_space(close_on_holidays=True)
    db.session.add(HolidayOpening(space_id=hall.id, day_date=LABOUR_THANKSGIVING))
    db.session.commit()
    assert ask(create_user(), hall, LABOUR_THANKSGIVING).ok
    assert codes(ask(create_user(), other_hall, LABOUR_THANKSGIVING)) == ["closed"]
    assert codes(ask(create_user(), hall, NEW_YEAR)) == ["closed"]


def test_staff_cannot_override_a_holiday_closure(hall, create_user):
    everything = frozenset({"notice", "horizon", "hours", "quota"})
    outcome = ask(create_user(role="staff"), hall, LABOUR_THANKSGIVING,
                  overrides=everything, override_reason="Big event")
    assert codes(outcome) == ["closed"]
    assert written() == (0, 0)


def test_the_week_grid_shows_the_holiday_closed_and_the_next_day_free(hall):
    grid = week_view(hall, LABOUR_THANKSGIVING, None, NOW, "ja")
    assert {grid.cell(LABOUR_THANKSGIVING, at).state for at in grid.times} == {CLOSED}
    assert grid.cell(date(2026, 11, 24), time(10)).state == FREE


def test_a_booking_moved_to_the_early_morning_of_a_holiday_is_refused_as_closed(create_space, create_user):
    from booking.services.changes import BookingChange, change_booking

    early = create_space(close_on_holidays=True, holiday_country="JP",
                         hours={d: ((time(5), time(22)),) for d in range(7)})
    member = create_user()
    booking = ask(member, early, date(2026, 11, 22)).booking
    six = datetime.combine(LABOUR_THANKSGIVING, time(6), TOKYO)  # 21:00 UTC the day before

    outcome = change_booking(member, booking.id, BookingChange(six, six.replace(hour=7), "Meet-up", False), now=NOW)

    assert codes(outcome) == ["closed"]
