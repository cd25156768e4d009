"""Wall times around clock changes in Berlin and New York: gaps are refused, repeated hours happen twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.domain.wallclock import (
    NonexistentTime,
    exists,
    first_valid,
    is_repeated,
    is_repeated_instant,
    utc_offset_label,
    wall_instant,
)

BERLIN, NEW_YORK, TOKYO = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
BERLIN_SPRING, BERLIN_AUTUMN = date(2027, 3, 28), date(2027, 10, 31)  # 02:00→03:00, 03:00→02:00
NY_SPRING, NY_AUTUMN = date(2027, 3, 14), date(2027, 11, 7)  # 02:00→03:00, 02:00→01:00


@pytest.mark.parametrize(
    ("zone", "day", "at", "first"),
    [
        (NEW_YORK, NY_SPRING, time(2), time(3)),
        (NEW_YORK, NY_SPRING, time(2, 30), time(3)),
        (NEW_YORK, NY_SPRING, time(2, 59), time(3)),
        (BERLIN, BERLIN_SPRING, time(2), time(3)),
        (BERLIN, BERLIN_SPRING, time(2, 45), time(3)),
    ],
)
def test_a_time_the_clocks_skip_is_refused_naming_the_first_valid_time(zone, day, at, first):
    assert not exists(day, at, zone)
    with pytest.raises(NonexistentTime) as refused:
        wall_instant(day, at, zone)
    assert refused.value.first_valid.time() == first
    assert first_valid(day, at, zone).replace(tzinfo=None) == datetime.combine(day, first)


@pytest.mark.parametrize(
    ("zone", "day", "at", "first_utc", "second_utc"),
    [
        (NEW_YORK, NY_AUTUMN, time(1), datetime(2027, 11, 7, 5, tzinfo=UTC), datetime(2027, 11, 7, 6, tzinfo=UTC)),
        (NEW_YORK, NY_AUTUMN, time(1, 30), datetime(2027, 11, 7, 5, 30, tzinfo=UTC),
         datetime(2027, 11, 7, 6, 30, tzinfo=UTC)),
        (BERLIN, BERLIN_AUTUMN, time(2), datetime(2027, 10, 31, 0, tzinfo=UTC), datetime(2027, 10, 31, 1, tzinfo=UTC)),
        (BERLIN, BERLIN_AUTUMN, time(2, 30), datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
         datetime(2027, 10, 31, 1, 30, tzinfo=UTC)),
    ],
)
def test_a_repeated_time_has_two_instants_an_hour_apart(zone, day, at, first_utc, second_utc):
    assert is_repeated(day, at, zone)
    assert wall_instant(day, at, zone, fold=0) == first_utc
    assert wall_instant(day, at, zone, fold=1) == second_utc
    assert is_repeated_instant(first_utc, zone) and is_repeated_instant(second_utc, zone)
    assert utc_offset_label(first_utc, zone) != utc_offset_label(second_utc, zone)


@pytest.mark.parametrize(
    ("zone", "day", "at"),
    [
        (NEW_YORK, NY_AUTUMN, time(0, 30)),
        (NEW_YORK, NY_AUTUMN, time(2)),
        (NEW_YORK, NY_SPRING, time(3)),
        (BERLIN, BERLIN_AUTUMN, time(3)),
        (BERLIN, BERLIN_SPRING, time(1, 30)),
        (TOKYO, NY_AUTUMN, time(1)),
    ],
)
def test_ordinary_times_exist_once_and_fold_changes_nothing(zone, day, at):
    assert exists(day, at, zone) and not is_repeated(day, at, zone)
    assert wall_instant(day, at, zone, fold=0) == wall_instant(day, at, zone, fold=1)
    assert not is_repeated_instant(wall_instant(day, at, zone), zone)


def test_offset_labels_read_as_utc_plus_or_minus_hours_and_minutes():
    assert utc_offset_label(datetime(2027, 11, 7, 5, tzinfo=UTC), NEW_YORK) == "UTC-04:00"
    assert utc_offset_label(datetime(2027, 11, 7, 6, tzinfo=UTC), NEW_YORK) == "UTC-05:00"
    assert utc_offset_label(datetime(2027, 1, 1, tzinfo=UTC), TOKYO) == "UTC+09:00"
    assert utc_offset_label(datetime(2027, 1, 1, tzinfo=UTC), ZoneInfo("America/St_Johns")) == "UTC-03:30"


def test_the_repeated_hour_lasts_two_real_hours_on_the_wall_clock():
    first_one = wall_instant(NY_AUTUMN, time(1), NEW_YORK, 0)
    two = wall_instant(NY_AUTUMN, time(2), NEW_YORK)
    assert two - first_one == timedelta(hours=2)


def test_a_zone_at_utc_reads_utc_plus_zero():
    assert utc_offset_label(datetime(2027, 1, 1, tzinfo=UTC), ZoneInfo("Europe/London")) == "UTC+00:00"


def test_a_skipped_time_is_refused_with_a_message_naming_the_first_valid_time():
    berlin = ZoneInfo("Europe/Berlin")
    with pytest.raises(NonexistentTime) as refused:
        wall_instant(date(2026, 3, 29), time(2, 30), berlin)
    assert str(refused.value) == "2026-03-29 02:30 does not exist; the first valid time is 03:00"
    assert refused.value.wall == datetime(2026, 3, 29, 2, 30, tzinfo=berlin)
    assert refused.value.first_valid == datetime(2026, 3, 29, 3, 0, tzinfo=berlin)


def test_a_skipped_time_is_not_a_repeated_one():
    assert not is_repeated(date(2026, 3, 29), time(2, 30), ZoneInfo("Europe/Berlin"))


def test_a_repeated_time_is_its_own_first_valid_time_and_reads_as_its_first_occurrence_by_default():
    berlin = ZoneInfo("Europe/Berlin")
    first = first_valid(date(2026, 10, 25), time(2, 30, fold=1), berlin)
    assert first.tzinfo is berlin and first.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    instant = wall_instant(date(2026, 10, 25), time(2, 30), berlin)
    assert instant == datetime(2026, 10, 25, 0, 30, tzinfo=UTC) and instant.tzinfo is UTC
