"""Occurrences of a recurring series (SPEC §4), in local wall time.

A rule is the subset of RFC 5545 §3.3.10 the booking form offers: FREQ=WEEKLY
with BYDAY (one or more weekdays) and INTERVAL, or FREQ=MONTHLY with either
BYMONTHDAY (one date) or BYDAY with an ordinal (2TU, -1FR), ended by UNTIL (a
local date, inclusive) or COUNT. Weeks start on Monday (WKST=MO).

Each occurrence keeps the series' local start and end time, so 10:00 stays 10:00
across a clock change. Where RFC 5545 skips or moves, this module reports
instead: a date the rule names but the calendar lacks (the 31st of April, the
5th Tuesday of a month with four) and a wall time a clock change skips come back
as occurrences with `missing` set, never moved to another date or time. As in
RFC 5545, a date the calendar lacks does not count toward COUNT; a date whose
time falls in a DST gap does (the date exists, only the booking cannot).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from booking.domain.values import N_, MessageValue, YearMonth
from booking.domain.wallclock import exists

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# A series is at most this many candidate dates long; the space's horizon (a rule
# check per occurrence) usually stops it much earlier.
MAX_OCCURRENCES = 366


class Freq(StrEnum):
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class Missing(StrEnum):
    """Why an occurrence has no instants; every kind is shown as "no such date"."""

    NO_SUCH_DAY = "no_such_day"
    NO_FIFTH_WEEKDAY = "no_fifth_weekday"
    DST_GAP = "dst_gap"


MISSING_MESSAGES = {
    Missing.NO_SUCH_DAY: N_("No such date: %(month)s has no day %(day)s."),
    Missing.NO_FIFTH_WEEKDAY: N_("No such date: %(month)s has only four of that weekday."),
    Missing.DST_GAP: N_("No such date: the clocks skip %(time)s on %(day)s."),
}


class InvalidRule(ValueError):
    """A rule the form should not have let through; the message names what is wrong."""


@dataclass(frozen=True)
class RecurrenceRule:
    """What repeats: `freq`, every `interval` weeks or months, ended by `until` (local date) or `count`.

    Weekly: `weekdays` (0 = Monday). Monthly: `month_day` (1–31), or `weekday`
    with `ordinal` (1–5, or -1 for the last one).
    """

    freq: Freq
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    month_day: int | None = None
    weekday: int | None = None
    ordinal: int | None = None
    until: date | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.interval < 1:
            raise InvalidRule("interval must be at least 1")
        if (self.until is None) == (self.count is None):
            raise InvalidRule("give exactly one of until and count")
        if self.count is not None and not 1 <= self.count <= MAX_OCCURRENCES:
            raise InvalidRule(f"count must be 1–{MAX_OCCURRENCES}")
        if self.freq is Freq.WEEKLY and (not self.weekdays or not set(self.weekdays) <= set(range(7))):
            raise InvalidRule("a weekly rule needs weekdays 0–6")
        if self.freq is Freq.MONTHLY:
            by_date = self.month_day is not None and 1 <= self.month_day <= 31
            by_day = self.weekday in range(7) and self.ordinal in (1, 2, 3, 4, 5, -1)
            if by_date == by_day:
                raise InvalidRule("a monthly rule needs a month day or an ordinal weekday")

    def as_rrule(self) -> str:
        """The rule as an RFC 5545 RRULE value (UNTIL as a local DATE), for display and audit."""
        parts = [f"FREQ={self.freq.value}"]
        if self.interval > 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.freq is Freq.WEEKLY:
            parts.append("BYDAY=" + ",".join(WEEKDAY_CODES[d] for d in sorted(set(self.weekdays))))
        elif self.month_day is not None:
            parts.append(f"BYMONTHDAY={self.month_day}")
        else:
            assert self.weekday is not None
            parts.append(f"BYDAY={self.ordinal}{WEEKDAY_CODES[self.weekday]}")
        parts.append(f"UNTIL={self.until:%Y%m%d}" if self.until else f"COUNT={self.count}")
        return ";".join(parts)


@dataclass(frozen=True)
class Occurrence:
    """One date of a series: `day` (local), and its instants in UTC, or why there are none.

    `start_dt`/`end_dt` are None exactly when `missing` is set; `params` fill
    the message of MISSING_MESSAGES[missing].
    """

    day: date
    start_dt: datetime | None
    end_dt: datetime | None
    missing: Missing | None = None
    params: tuple[tuple[str, MessageValue], ...] = ()


def nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> date | None:
    """The `ordinal`-th (1–5, -1 = last) `weekday` of a month, or None when the month has none."""
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    index = ordinal - 1 if ordinal > 0 else ordinal
    return days[index] if -len(days) <= index < len(days) else None


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    total = year * 12 + month - 1 + months
    return total // 12, total % 12 + 1


def _weekly_dates(rule: RecurrenceRule, first: date) -> list[tuple[date, Missing | None]]:
    week_start = first - timedelta(days=first.weekday())
    result: list[tuple[date, Missing | None]] = []
    for week in range(0, MAX_OCCURRENCES * 7, rule.interval):
        for weekday in sorted(set(rule.weekdays)):
            day = week_start + timedelta(weeks=week, days=weekday)
            if day >= first:
                result.append((day, None))
        if len(result) >= MAX_OCCURRENCES or (rule.until and week_start + timedelta(weeks=week) > rule.until):
            break
    return result


def _monthly_dates(rule: RecurrenceRule, first: date) -> list[tuple[date, Missing | None]]:
    """Candidate dates; a month without the wanted date gives its last or first day and what it lacks."""
    result: list[tuple[date, Missing | None]] = []
    for step in range(MAX_OCCURRENCES):
        year, month = _add_months(first.year, first.month, step * rule.interval)
        if rule.month_day is not None:
            length = calendar.monthrange(year, month)[1]
            if rule.month_day > length:
                result.append((date(year, month, length), Missing.NO_SUCH_DAY))
                continue
            day = date(year, month, rule.month_day)
        else:
            assert rule.weekday is not None and rule.ordinal is not None
            found = nth_weekday(year, month, rule.weekday, rule.ordinal)
            if found is None:
                result.append((date(year, month, 1), Missing.NO_FIFTH_WEEKDAY))
                continue
            day = found
        if day >= first:
            result.append((day, None))
    return result


def occurrence_on(day: date, start: time, end: time, end_days: int, zone: ZoneInfo) -> Occurrence:
    """The occurrence on local `day` from `start` to `end` `end_days` days later, or DST_GAP missing."""
    end_day = day + timedelta(days=end_days)
    for wall_day, wall in ((day, start), (end_day, end)):
        if not exists(wall_day, wall, zone):
            return Occurrence(day, None, None, Missing.DST_GAP,
                              (("time", wall.strftime("%H:%M")), ("day", wall_day)))
    start_dt = datetime.combine(day, start, zone).astimezone(ZoneInfo("UTC"))
    end_dt = datetime.combine(end_day, end, zone).astimezone(ZoneInfo("UTC"))
    return Occurrence(day, start_dt, end_dt)


def occurrences(
    rule: RecurrenceRule, first: date, start: time, end: time, end_days: int, zone: ZoneInfo
) -> list[Occurrence]:
    """Every occurrence of `rule` from local date `first` on, oldest first.

    Each lasts from `start` on its day to `end` `end_days` local days later
    (0 for a booking within one day), both local wall times in `zone`. A
    repeated wall time (autumn) is read as its first occurrence. The list ends
    at `rule.until` (inclusive) or after `rule.count` dates that exist, and never
    holds more than MAX_OCCURRENCES entries. Raises InvalidRule when the end is
    not after the start in wall time.
    """
    if end_days < 0 or (end_days == 0 and end <= start):
        raise InvalidRule("the end must be after the start")
    candidates = _weekly_dates(rule, first) if rule.freq is Freq.WEEKLY else _monthly_dates(rule, first)
    result: list[Occurrence] = []
    counted = 0
    for day, lacking in candidates:
        if rule.until is not None and day > rule.until:
            break
        if rule.count is not None and counted >= rule.count:
            break
        if lacking is not None:
            if day >= first:
                result.append(Occurrence(day, None, None, lacking,
                                         (("month", YearMonth(day.year, day.month)), ("day", str(rule.month_day)))))
            continue
        counted += 1
        result.append(occurrence_on(day, start, end, end_days, zone))
        if len(result) >= MAX_OCCURRENCES:
            break
    return result
