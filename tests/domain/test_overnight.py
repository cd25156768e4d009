"""Opening periods up to 24:00 and across midnight, and stays over several days, in Berlin and New York."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.domain.grid import FREE, build_week, grid_times
from booking.domain.rules import check_request, opening_periods
from booking.domain.values import Policy, Request

FRIDAY = date(2027, 6, 4)
NY_FALL_BACK = date(2027, 11, 7)  # a Sunday: 02:00 EDT falls back to 01:00 EST
BERLIN_SPRING = date(2027, 3, 28)  # a Sunday: 02:00 CET jumps to 03:00 CEST
EARLIER = datetime(2027, 1, 1, tzinfo=UTC)
T = time

NIGHTS = {d: ((T(22), T(2)),) for d in range(7)}  # 22:00 to 02:00 next morning
TO_MIDNIGHT = {d: ((T(9), T(0)),) for d in range(7)}  # 09:00-24:00
LATE_AND_EARLY = {d: ((T(0), T(3)), (T(9), T(0))) for d in range(7)}  # 00:00-03:00 and 09:00-24:00
ALWAYS = {d: ((T(0), T(0)),) for d in range(7)}  # around the clock
DAYTIME = {d: ((T(9), T(18)),) for d in range(7)}


def at(zone: str, day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, fold=fold), ZoneInfo(zone))


def codes(zone: str, opening, start: datetime, end: datetime, max_minutes: int = 3 * 1440) -> set[str]:
    policy = Policy(timezone=zone, opening=opening, max_minutes=max_minutes, max_days_ahead=3650)
    return {c.code for c in check_request(Request(start, end), policy, [], [], EARLIER, suggest=False)}


ZONES = ("Europe/Berlin", "America/New_York")
D1 = FRIDAY + timedelta(days=1)
D2 = FRIDAY + timedelta(days=2)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    ("opening", "start", "end", "max_minutes", "expected"),
    [
        (NIGHTS, (FRIDAY, 23), (D1, 1), 480, set()),  # overnight inside one period
        (NIGHTS, (FRIDAY, 22), (D1, 2), 480, set()),  # the whole night
        (NIGHTS, (D1, 1), (D1, 3), 480, {"hours"}),  # past the morning close
        (TO_MIDNIGHT, (FRIDAY, 22), (D1, 0), 480, set()),  # up to 24:00
        (TO_MIDNIGHT, (FRIDAY, 23), (D1, 1), 480, {"hours"}),  # nobody opens after midnight
        (LATE_AND_EARLY, (FRIDAY, 23), (D1, 2), 480, set()),  # periods that join across midnight
        (LATE_AND_EARLY, (FRIDAY, 23), (D1, 4), 480, {"hours"}),  # …but not past the early close
        (ALWAYS, (FRIDAY, 10), (D2, 10), 2880, set()),  # a two-day event in the hall
        (ALWAYS, (FRIDAY, 10), (D2, 11), 2880, {"duration"}),  # longer than the maximum
        (DAYTIME, (FRIDAY, 10), (D1, 10), 2880, {"hours"}),  # a space that closes at night: a series instead
    ],
)
def test_overnight_and_multi_day_stays(zone, opening, start, end, max_minutes, expected):
    assert codes(zone, opening, at(zone, *start), at(zone, *end), max_minutes) == expected


def test_a_night_the_clocks_fall_back_is_an_hour_longer_and_its_period_holds_it():
    zone = "America/New_York"
    saturday = NY_FALL_BACK - timedelta(days=1)
    policy = Policy(timezone=zone, opening=NIGHTS)
    ((opens, closes),) = opening_periods(saturday, policy)
    assert closes - opens == timedelta(hours=5)
    # 01:00 (second, EST) to 02:00 is inside the night; 23:00 to the second 01:30 lasts three real hours.
    assert codes(zone, NIGHTS, at(zone, NY_FALL_BACK, 1, fold=1), at(zone, NY_FALL_BACK, 2)) == set()
    start, end = at(zone, saturday, 23), at(zone, NY_FALL_BACK, 1, 30, fold=1)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=3, minutes=30)
    assert codes(zone, NIGHTS, start, end, max_minutes=180) == {"duration"}


def test_a_night_the_clocks_jump_forward_is_an_hour_shorter():
    zone = "Europe/Berlin"
    to_four = {d: ((T(22), T(4)),) for d in range(7)}
    saturday = BERLIN_SPRING - timedelta(days=1)
    ((opens, closes),) = opening_periods(saturday, Policy(timezone=zone, opening=to_four))
    assert closes - opens == timedelta(hours=5)
    assert codes(zone, to_four, at(zone, saturday, 22), at(zone, BERLIN_SPRING, 4), max_minutes=300) == set()
    assert codes(zone, to_four, at(zone, saturday, 22), at(zone, BERLIN_SPRING, 5), max_minutes=360) == {"hours"}


@pytest.mark.parametrize("zone", ZONES)
def test_the_week_grid_of_a_night_space_shows_the_small_hours_as_free(zone):
    policy = Policy(timezone=zone, opening={4: ((T(22), T(2)),)}, max_days_ahead=3650)
    assert grid_times(policy)[0] == T(0) and grid_times(policy)[-1] == T(23, 30)
    monday = FRIDAY - timedelta(days=4)
    grid = build_week(policy, monday, [], [], [], EARLIER)
    assert grid.cell(FRIDAY, T(23, 30)).state == FREE
    assert grid.cell(D1, T(1, 30)).state == FREE  # Friday's period, shown on Saturday morning
    assert grid.cell(D1, T(2)).state != FREE
    assert grid.cell(FRIDAY, T(1)).state != FREE  # Thursday has no night
