"""Dates and times as people read them, per locale: the one formatting function of pages and mail.

Japanese: 2026年12月2日(水) 15:00; English: Wed 2 Dec 2026, 15:00. Exports, feeds and form
values keep ISO 8601 (they are read by programs); only what a person reads goes through here.
The locale is a plain argument, so services (mail) and views (pages) share it without Flask.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date

from booking.domain.values import Listed, Minutes, Range, YearMonth, duration_text
from booking.domain.wallclock import is_repeated_instant, utc_offset_label

DAY_PATTERNS = {"ja": "y年M月d日(E)", "en": "EEE d MMM y"}
SHORT_DAY_PATTERNS = {"ja": "M月d日(E)", "en": "EEE d MMM"}
WHEN_PATTERNS = {"ja": "y年M月d日(E) HH:mm", "en": "EEE d MMM y, HH:mm"}
MONTH_PATTERNS = {"ja": "y年M月", "en": "MMM y"}
# WHEN_PATTERNS as the day (DAY_PATTERNS, formatted once per day and language) and the clock
# after it. The hour has two digits in both languages, as in the grid, the forms and the end of a span.
CLOCK_AFTER_DAY = {"ja": " {hour:02d}:{minute:02d}", "en": ", {hour:02d}:{minute:02d}"}


def _language(locale: str) -> str:
    return "ja" if str(locale).startswith("ja") else "en"


def format_day(day: date, locale: str, short: bool = False) -> str:
    """2026年12月2日(水) / Wed 2 Dec 2026; `short` leaves the year out (grid headers)."""
    return _formatted_day(day, _language(locale), short)


@lru_cache(maxsize=4096)
def _formatted_day(day: date, language: str, short: bool) -> str:
    # Babel parses the pattern and looks the locale's names up on every call: a page listing
    # hundreds of bookings spent most of its date formatting there (staff queue profile).
    patterns = SHORT_DAY_PATTERNS if short else DAY_PATTERNS
    return format_date(day, patterns[language], locale=language)


def with_aside(text: str, aside: str, locale: str) -> str:
    """A value and an aside about it: 15:00（Asia/Tokyo） in Japanese, 15:00 (Asia/Tokyo) in English.

    The one place a name, a time zone or an offset is put in brackets after a value for people
    (glossary.toml [punctuation]: Japanese text writes （）); tests/test_glossary.py fails on an
    ASCII bracket built around a value anywhere else. An empty aside leaves the value alone.
    """
    if not aside:
        return text
    return f"{text}（{aside}）" if _language(locale) == "ja" else f"{text} ({aside})"


def _clock(instant: datetime, zone: ZoneInfo, language: str) -> str:
    text = instant.astimezone(zone).strftime("%H:%M")
    # A wall time the clocks show twice gets its UTC offset, so nobody has to guess which one.
    return with_aside(text, utc_offset_label(instant, zone), language) if is_repeated_instant(instant, zone) else text


@lru_cache(maxsize=8192)
def format_when(instant: datetime, zone: str, locale: str) -> str:
    """An instant as a local date and time of `zone`: 2026年12月2日(水) 15:00 / Wed 2 Dec 2026, 15:00.

    A pure function of its arguments, kept for the last 8,192 (Babel's formatting took a
    tenth of the My bookings page: babel/dates.py:795(format_datetime) in cProfile).
    """
    tz = ZoneInfo(zone)
    local = instant.astimezone(tz)
    language = _language(locale)
    text = _formatted_day(local.date(), language, False) + CLOCK_AFTER_DAY[language].format(
        hour=local.hour, minute=local.minute)
    return with_aside(text, utc_offset_label(instant, tz), language) if is_repeated_instant(instant, tz) else text


def format_span_in_zone(start: datetime, end: datetime, zone: str, locale: str) -> str:
    """format_span with its time zone as an aside: 2026年12月2日(水) 15:00–17:00（Asia/Tokyo）, as mail writes it."""
    return with_aside(format_span(start, end, zone, locale), zone, locale)


RANGE_MARKS = {"ja": "～", "en": "–"}


def format_range(first: object, last: object, locale: str) -> str:
    """A range for people, the one way every page, refusal, mail and feed writes one: 10:00～11:00 in
    Japanese (「～」, glossary.toml), 10:00–11:00 in English (spaced when its ends hold spaces)."""
    first_text, last_text = str(first), str(last)
    mark = RANGE_MARKS[_language(locale)]
    return f"{first_text} {mark} {last_text}" if mark == "–" and " " in first_text + last_text else (
        f"{first_text}{mark}{last_text}")


def format_span(start: datetime, end: datetime, zone: str, locale: str) -> str:
    """2026年12月2日(水) 15:00～17:00 / Wed 2 Dec 2026, 15:00–17:00; the end's date too when it falls on a
    later local day."""
    tz = ZoneInfo(zone)
    if start.astimezone(tz).date() == end.astimezone(tz).date():
        return format_when(start, zone, locale) + RANGE_MARKS[_language(locale)] + _clock(end, tz, _language(locale))
    return format_range(format_when(start, zone, locale), format_when(end, zone, locale), locale)


def format_month(month: YearMonth, locale: str) -> str:
    """2026年2月 / Feb 2026."""
    language = _language(locale)
    return format_date(date(month.year, month.month, 1), MONTH_PATTERNS[language], locale=language)


def localise(params: Mapping[str, object], locale: str) -> dict[str, object]:
    """A message's values with every date written for people, the rest unchanged.

    A `date` becomes format_day, an aware `datetime` (on the space's clock, as the rules give
    it) format_when in its own zone, a YearMonth format_month. Messages of booking.domain and
    the services carry dates typed, so that no ISO date reaches a page or a mail.
    """
    return {key: _localised(value, locale) for key, value in params.items()}


def format_duration(minutes: int, locale: str) -> str:
    """A length of time, the one way every page, form, refusal and mail writes it (both languages):
    30分 / 1時間 / 1時間30分 / 1日2時間 (30 min / 1 h / 1 h 30 min / 1 day 2 h)."""
    if _language(locale) != "ja":
        return duration_text(minutes)
    days, rest = divmod(int(minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}日"] if days else []
    parts += [f"{hours}時間"] if hours else []
    parts += [f"{mins}分"] if mins or not parts else []
    return "".join(parts)


# How a list that people read is joined: 「、」 in Japanese, ", " in English.
LIST_SEPARATORS = {"ja": "、", "en": ", "}


def join_list(items: Iterable[object], locale: str) -> str:
    """A list for people, the one way every page, refusal, mail and feed joins one (1、2、3 / 1, 2, 3);
    tests/test_glossary.py fails on a list joined with a fixed separator elsewhere."""
    return LIST_SEPARATORS[_language(locale)].join(str(item) for item in items)


def _localised(value: object, locale: str) -> object:
    if isinstance(value, Range):
        return format_range(_localised(value[0], locale), _localised(value[1], locale), locale)
    if isinstance(value, Listed):
        return join_list((_localised(item, locale) for item in value), locale)
    if isinstance(value, Minutes):
        return format_duration(value, locale)
    if isinstance(value, datetime):
        zone = value.tzinfo
        # The rules give local instants (ZoneInfo); anything else is shown in UTC, never guessed.
        return format_when(value, zone.key if isinstance(zone, ZoneInfo) else "UTC", locale)
    if isinstance(value, date):
        return format_day(value, locale)
    if isinstance(value, YearMonth):
        return format_month(value, locale)
    return value
