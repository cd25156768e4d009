"""The spaces page's availability at its edges: holds begun the day before and ending the day after,
closures at midnight, closed holidays, the 14-day search's last day; and its two caches (by the
spaces' change counters, and by the rows read), each with a stale-data test."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.domain.hints import SEARCH_DAYS
from booking.extensions import db
from booking.models import Closure
from booking.services import spaces

TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = date(2030, 6, 3)
NOW = datetime(2030, 6, 2, 15, 0, tzinfo=UTC)  # Monday 2030-06-03 00:00 in Tokyo
ALL_DAY = {day: ((time(0), time(0)),) for day in range(7)}  # open round the clock: 48 starts a day


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), TOKYO)


@pytest.fixture(autouse=True)
def empty_caches():
    for cache in (spaces.glance_facts_cache, spaces.days_facts_cache, spaces.listing_cache):
        cache.clear()


@pytest.fixture
def rooms(create_space):
    """A room and an untouched room like it, to compare with."""
    return create_space(hours=ALL_DAY), create_space(hours=ALL_DAY)


def closed(space, start: datetime, end: datetime) -> None:
    db.session.add(Closure(space_id=space.id, start_dt=start, end_dt=end, reason="点検"))
    db.session.commit()


def calls_of(monkeypatch, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(spaces, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(spaces, name, counted)
    return calls


def test_a_booking_begun_the_evening_before_takes_todays_first_starts(rooms, create_user, create_booking):
    room, untouched = rooms
    create_booking(room, create_user(), at(MONDAY - timedelta(days=1), 22), at(MONDAY, 2))

    found = spaces.availabilities([room, untouched], NOW, "ja")

    assert found[untouched.id].free_today - found[room.id].free_today == 4  # 00:00 … 01:30
    assert spaces.availabilities([room], NOW, "ja")[room.id] == found[room.id]


def test_a_booking_late_tomorrow_takes_tomorrows_last_starts(rooms, create_user, create_booking):
    room, untouched = rooms
    create_booking(room, create_user(), at(MONDAY + timedelta(days=1), 20), at(MONDAY + timedelta(days=1), 21))

    found = spaces.availabilities([room, untouched], NOW, "ja")

    assert found[untouched.id].free_tomorrow - found[room.id].free_tomorrow == 2
    assert found[room.id].free_today == found[untouched.id].free_today


def test_a_closure_in_the_first_hour_of_today_takes_its_starts(rooms):
    room, untouched = rooms
    closed(room, at(MONDAY, 0), at(MONDAY, 1))

    found = spaces.availabilities([room, untouched], NOW, "ja")

    assert found[untouched.id].free_today - found[room.id].free_today == 2
    assert found[room.id].today == MONDAY


def test_a_space_closed_on_holidays_has_no_start_on_a_holiday_and_all_the_next_day(create_space):
    marine_day = date(2030, 7, 15)  # a national holiday in Japan
    room = create_space(hours=ALL_DAY, close_on_holidays=True)

    found = spaces.availabilities([room], datetime.combine(marine_day, time(0), TOKYO), "ja")[room.id]

    assert (found.today, found.free_today, found.free_tomorrow) == (marine_day, 0, 48)


def test_the_search_finds_a_start_on_its_last_day_and_none_beyond(rooms):
    last_day, beyond = rooms
    closed(last_day, at(MONDAY, 0), at(MONDAY + timedelta(days=SEARCH_DAYS), 0))
    closed(beyond, at(MONDAY, 0), at(MONDAY + timedelta(days=SEARCH_DAYS + 1), 0))

    found = spaces.availabilities([last_day, beyond], NOW, "ja")

    assert found[last_day.id].next_start == at(MONDAY + timedelta(days=SEARCH_DAYS), 0)
    assert found[beyond.id].next_start is None


def test_a_second_glance_reads_no_holds_and_a_booking_is_on_the_next(rooms, create_user, monkeypatch):
    from booking.services.bookings import BookingInput, request_booking

    room, searched = rooms
    closed(searched, at(MONDAY, 0), at(MONDAY + timedelta(days=3), 0))  # no start today or tomorrow: a search
    reads = calls_of(monkeypatch, "_days_facts_read")

    first = spaces.spaces_at_a_glance(NOW, "ja")
    read_once = len(reads)
    again = spaces.spaces_at_a_glance(NOW, "ja")

    assert again.availability == first.availability and len(reads) == read_once == 2
    assert first.availability[searched.id].next_start == at(MONDAY + timedelta(days=3), 0)
    request_booking(create_user(), BookingInput(space_id=room.id, start_dt=at(MONDAY, 10), end_dt=at(MONDAY, 11),
                                                title="Team meeting"), now=NOW)
    after = spaces.spaces_at_a_glance(NOW, "ja")
    assert after.availability[room.id].free_today == first.availability[room.id].free_today - 2
    assert after.availability[searched.id] == first.availability[searched.id]


def test_the_same_rows_read_again_are_not_judged_again_and_new_rows_are(rooms, create_user, create_booking,
                                                                        monkeypatch):
    room, _untouched = rooms
    judged = calls_of(monkeypatch, "_facts_of")

    first = spaces.availabilities([room], NOW, "ja")[room.id]
    again = spaces.availabilities([room], NOW, "ja")[room.id]
    assert again == first and len(judged) == 1

    create_booking(room, create_user(), at(MONDAY, 10), at(MONDAY, 11))
    after = spaces.availabilities([room], NOW, "ja")[room.id]
    assert len(judged) == 2 and after.free_today == first.free_today - 2


def test_a_closure_after_midnight_takes_the_overnight_starts_of_the_day_before(create_space):
    night = {day: ((time(22), time(2)),) for day in range(7)}  # 22:00 – 02:00 the next morning
    room, untouched = create_space(hours=night, min_minutes=60), create_space(hours=night, min_minutes=60)
    wednesday = MONDAY + timedelta(days=2)
    closed(room, at(wednesday, 0), at(wednesday, 1))

    found = spaces.availabilities([room, untouched], NOW, "ja")

    # Tuesday's opening runs into Wednesday: 23:30, 00:00 and 00:30 (an hour each) meet the closure.
    assert (found[untouched.id].free_tomorrow, found[room.id].free_tomorrow) == (7, 4)
    assert found[room.id].free_today == found[untouched.id].free_today == 7
