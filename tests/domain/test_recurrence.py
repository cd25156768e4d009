"""Occurrences of weekly and monthly series: dates, counts, missing dates and wall times across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from booking.domain.recurrence import (
    Freq,
    InvalidRule,
    Missing,
    RecurrenceRule,
    nth_weekday,
    occurrences,
)
from booking.domain.values import YearMonth

TOKYO, BERLIN = ZoneInfo("Asia/Tokyo"), ZoneInfo("Europe/Berlin")
MO, TU, WE, TH, FR = range(5)


def days(rule: RecurrenceRule, first: date, zone: ZoneInfo = TOKYO) -> list[tuple[date, str | None]]:
    return [(o.day, o.missing and o.missing.value) for o in occurrences(rule, first, time(10), time(12), 0, zone)]


def weekly(*weekdays: int, interval: int = 1, until: date | None = None, count: int | None = None) -> RecurrenceRule:
    return RecurrenceRule(Freq.WEEKLY, interval, weekdays=weekdays, until=until, count=count)


@pytest.mark.parametrize(
    ("rule", "first", "expected"),
    [
        # every Tuesday, 4 times, from a Tuesday
        (weekly(TU, count=4), date(2027, 1, 5),
         [date(2027, 1, 5), date(2027, 1, 12), date(2027, 1, 19), date(2027, 1, 26)]),
        # Monday and Thursday, starting on a Wednesday: the first week's Monday is before the start
        (weekly(MO, TH, count=3), date(2027, 1, 6), [date(2027, 1, 7), date(2027, 1, 11), date(2027, 1, 14)]),
        # every 2 weeks on Friday until a date (inclusive)
        (weekly(FR, interval=2, until=date(2027, 2, 12)), date(2027, 1, 1),
         [date(2027, 1, 1), date(2027, 1, 15), date(2027, 1, 29), date(2027, 2, 12)]),
        # every 3 weeks counted from the week of the start, not from the first weekday hit
        (weekly(MO, FR, interval=3, count=4), date(2027, 1, 6),
         [date(2027, 1, 8), date(2027, 1, 25), date(2027, 1, 29), date(2027, 2, 15)]),
        # until before the first occurrence: nothing
        (weekly(MO, until=date(2027, 1, 5)), date(2027, 1, 6), []),
    ],
)
def test_weekly_rules_give_the_chosen_weekdays(rule: RecurrenceRule, first: date, expected: list[date]) -> None:
    assert days(rule, first) == [(d, None) for d in expected]


@pytest.mark.parametrize(
    ("rule", "first", "expected"),
    [
        # 第2火曜 (NETSUGEN's meet-up), 3 times
        (RecurrenceRule(Freq.MONTHLY, weekday=TU, ordinal=2, count=3), date(2027, 1, 1),
         [(date(2027, 1, 12), None), (date(2027, 2, 9), None), (date(2027, 3, 9), None)]),
        # last Friday
        (RecurrenceRule(Freq.MONTHLY, weekday=FR, ordinal=-1, count=3), date(2027, 1, 1),
         [(date(2027, 1, 29), None), (date(2027, 2, 26), None), (date(2027, 3, 26), None)]),
        # 5th Tuesday: months with four are "no such date" and do not count toward COUNT
        (RecurrenceRule(Freq.MONTHLY, weekday=TU, ordinal=5, count=2), date(2027, 1, 1),
         [(date(2027, 1, 1), "no_fifth_weekday"), (date(2027, 2, 1), "no_fifth_weekday"),
          (date(2027, 3, 30), None), (date(2027, 4, 1), "no_fifth_weekday"),
          (date(2027, 5, 1), "no_fifth_weekday"), (date(2027, 6, 29), None)]),
        # the 31st: short months are reported, never moved to the 30th or the 1st
        (RecurrenceRule(Freq.MONTHLY, month_day=31, until=date(2027, 5, 31)), date(2027, 1, 31),
         [(date(2027, 1, 31), None), (date(2027, 2, 28), "no_such_day"), (date(2027, 3, 31), None),
          (date(2027, 4, 30), "no_such_day"), (date(2027, 5, 31), None)]),
        # Feb 29 of a leap year, then every 12 months: 2029–2031 have none
        (RecurrenceRule(Freq.MONTHLY, interval=12, month_day=29, count=2), date(2028, 2, 29),
         [(date(2028, 2, 29), None), (date(2029, 2, 28), "no_such_day"), (date(2030, 2, 28), "no_such_day"),
          (date(2031, 2, 28), "no_such_day"), (date(2032, 2, 29), None)]),
        # every 2 months on the 15th, starting after the 15th: the first month is skipped
        (RecurrenceRule(Freq.MONTHLY, interval=2, month_day=15, count=2), date(2027, 1, 20),
         [(date(2027, 3, 15), None), (date(2027, 5, 15), None)]),
    ],
)
def test_monthly_rules_report_dates_the_calendar_lacks(
    rule: RecurrenceRule, first: date, expected: list[tuple[date, str | None]]
) -> None:
    assert days(rule, first) == expected


def test_missing_day_names_the_month_and_the_day() -> None:
    rule = RecurrenceRule(Freq.MONTHLY, month_day=30, count=2)
    february = occurrences(rule, date(2027, 1, 30), time(10), time(11), 0, TOKYO)[1]
    assert (february.start_dt, february.missing, dict(february.params)) == (
        None, Missing.NO_SUCH_DAY, {"month": YearMonth(2027, 2), "day": "30"})


def test_local_time_is_kept_across_both_clock_changes() -> None:
    rule = weekly(sunday := 6, count=3)
    spring = occurrences(rule, date(2027, 3, 21), time(10), time(12), 0, BERLIN)
    assert [o.start_dt for o in spring] == [
        datetime(2027, 3, 21, 9, tzinfo=UTC),  # CET
        datetime(2027, 3, 28, 8, tzinfo=UTC),  # CEST from that morning
        datetime(2027, 4, 4, 8, tzinfo=UTC),
    ]
    autumn = occurrences(weekly(sunday, count=2), date(2027, 10, 24), time(10), time(12), 0, BERLIN)
    assert [o.start_dt.astimezone(BERLIN).time() for o in autumn if o.start_dt] == [time(10), time(10)]
    assert [o.end_dt - o.start_dt for o in autumn if o.start_dt and o.end_dt] == [
        datetime(1, 1, 1, 12) - datetime(1, 1, 1, 10)] * 2


def test_a_wall_time_in_the_spring_gap_is_no_such_date_and_still_counts() -> None:
    rule = weekly(6, count=3)
    result = occurrences(rule, date(2027, 3, 21), time(2, 30), time(4), 0, BERLIN)
    assert [(o.day, o.missing) for o in result] == [
        (date(2027, 3, 21), None), (date(2027, 3, 28), Missing.DST_GAP), (date(2027, 4, 4), None)]
    assert dict(result[1].params) == {"time": "02:30", "day": date(2027, 3, 28)}


def test_an_end_in_the_gap_of_the_next_day_is_no_such_date() -> None:
    result = occurrences(weekly(5, count=2), date(2027, 3, 20), time(20), time(2, 30), 1, BERLIN)
    assert [o.missing for o in result] == [None, Missing.DST_GAP]
    assert dict(result[1].params)["day"] == date(2027, 3, 28)


def test_a_booking_longer_than_the_interval_gives_overlapping_occurrences() -> None:
    # 8 days every week: each occurrence overlaps the next (mrbs#670); the service must see it
    result = occurrences(weekly(MO, count=3), date(2027, 1, 4), time(9), time(17), 8, TOKYO)
    pairs = list(zip(result, result[1:], strict=False))
    assert all(b.start_dt and a.end_dt and b.start_dt < a.end_dt for a, b in pairs)


@pytest.mark.parametrize(
    ("year", "month", "weekday", "ordinal", "expected"),
    [
        (2027, 2, MO, 4, date(2027, 2, 22)),
        (2027, 2, MO, 5, None),
        (2027, 3, MO, 5, date(2027, 3, 29)),
        (2028, 2, TU, -1, date(2028, 2, 29)),
        (2027, 6, WE, 1, date(2027, 6, 2)),
    ],
)
def test_nth_weekday(year: int, month: int, weekday: int, ordinal: int, expected: date | None) -> None:
    assert nth_weekday(year, month, weekday, ordinal) == expected


@pytest.mark.parametrize(
    "make",
    [
        lambda: weekly(count=3),
        lambda: weekly(MO),
        lambda: weekly(MO, count=2, until=date(2027, 1, 1)),
        lambda: weekly(MO, interval=0, count=2),
        lambda: weekly(7, count=2),
        lambda: RecurrenceRule(Freq.MONTHLY, count=2),
        lambda: RecurrenceRule(Freq.MONTHLY, month_day=32, count=2),
        lambda: RecurrenceRule(Freq.MONTHLY, weekday=TU, ordinal=6, count=2),
        lambda: RecurrenceRule(Freq.MONTHLY, month_day=3, weekday=TU, ordinal=2, count=2),
        lambda: weekly(MO, count=10_000),
    ],
)
def test_invalid_rules_are_refused(make: object) -> None:
    with pytest.raises(InvalidRule):
        make()  # type: ignore[operator]


def test_end_before_start_is_refused() -> None:
    with pytest.raises(InvalidRule):
        occurrences(weekly(MO, count=1), date(2027, 1, 4), time(12), time(10), 0, TOKYO)


def test_open_ended_series_stop_at_the_cap() -> None:
    result = occurrences(weekly(MO, TU, until=date(2040, 1, 1)), date(2027, 1, 4), time(10), time(11), 0, TOKYO)
    assert len(result) == 366


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (weekly(TU, FR, interval=2, count=6), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,FR;COUNT=6"),
        (RecurrenceRule(Freq.MONTHLY, weekday=TU, ordinal=2, until=date(2027, 12, 31)),
         "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20271231"),
        (RecurrenceRule(Freq.MONTHLY, month_day=31, count=3), "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3"),
    ],
)
def test_rule_as_rrule(rule: RecurrenceRule, text: str) -> None:
    assert rule.as_rrule() == text


MONTHLY_NEEDS = "a monthly rule needs a month day or an ordinal weekday"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (lambda: weekly(0, interval=0, count=2), "interval must be at least 1"),
        (lambda: weekly(0), "give exactly one of until and count"),
        (lambda: weekly(0, count=2, until=date(2027, 1, 1)), "give exactly one of until and count"),
        (lambda: weekly(0, count=0), "count must be 1–366"),
        (lambda: weekly(0, count=367), "count must be 1–366"),
        (lambda: weekly(count=2), "a weekly rule needs weekdays 0–6"),
        (lambda: weekly(0, 7, count=2), "a weekly rule needs weekdays 0–6"),
        (lambda: RecurrenceRule(Freq.MONTHLY, month_day=0, count=2), MONTHLY_NEEDS),
        (lambda: RecurrenceRule(Freq.MONTHLY, month_day=32, count=2), MONTHLY_NEEDS),
    ],
)
def test_a_rule_that_cannot_be_followed_is_refused_saying_why(rule, message):
    with pytest.raises(InvalidRule) as refused:
        rule()
    assert str(refused.value) == message


def test_the_bounds_of_a_rule_are_allowed():
    assert weekly(0, count=1).count == 1 and weekly(0, count=366).count == 366
    assert weekly(0, 1, 2, 3, 4, 5, 6, count=2).weekdays == (0, 1, 2, 3, 4, 5, 6)
    assert RecurrenceRule(Freq.MONTHLY, month_day=1, count=2).month_day == 1
    assert RecurrenceRule(Freq.MONTHLY, month_day=31, count=2).month_day == 31


@pytest.mark.parametrize("ordinal", [1, 2, 3, 4, 5, -1])
def test_a_monthly_rule_takes_the_first_to_fifth_or_last_weekday(ordinal):
    assert RecurrenceRule(Freq.MONTHLY, weekday=6, ordinal=ordinal, count=2).ordinal == ordinal


@pytest.mark.parametrize(("weekday", "ordinal"), [(7, 1), (0, 0), (0, 6), (0, -2)])
def test_a_monthly_rule_refuses_other_weekdays_and_ordinals(weekday, ordinal):
    with pytest.raises(InvalidRule, match=MONTHLY_NEEDS):
        RecurrenceRule(Freq.MONTHLY, weekday=weekday, ordinal=ordinal, count=2)


@pytest.mark.parametrize(("start", "end"), [(time(10), time(10)), (time(10), time(9))])
def test_occurrences_need_an_end_after_the_start(start, end):
    with pytest.raises(InvalidRule) as refused:
        occurrences(weekly(0, count=2), date(2027, 1, 4), start, end, 0, ZoneInfo("Asia/Tokyo"))
    assert str(refused.value) == "the end must be after the start"
