"""Dates and times as people read them, per locale: the one formatting function of pages and mail.

Japanese: 2026年12月2日(水) 15:00; English: Wed 2 Dec 2026, 15:00. Exports, feeds and form
values keep ISO 8601 (they are read by programs); only what a person reads goes through here.
The locale is a plain argument, so services (mail) and views (pages) share it without Flask.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from booking.domain.wallclock import is_repeated_instant, utc_offset_label

DAY_PATTERNS = {"ja": "y年M月d日(E)", "en": "EEE d MMM y"}
SHORT_DAY_PATTERNS = {"ja": "M月d日(E)", "en": "EEE d MMM"}
WHEN_PATTERNS = {"ja": "y年M月d日(E) H:mm", "en": "EEE d MMM y, HH:mm"}


def _language(locale: str) -> str:
    return "ja" if str(locale).startswith("ja") else "en"


def format_day(day: date, locale: str, short: bool = False) -> str:
    """2026年12月2日(水) / Wed 2 Dec 2026; `short` leaves the year out (grid headers)."""
    language = _language(locale)
    patterns = SHORT_DAY_PATTERNS if short else DAY_PATTERNS
    return format_date(day, patterns[language], locale=language)


def _clock(instant: datetime, zone: ZoneInfo) -> str:
    text = instant.astimezone(zone).strftime("%H:%M")
    # A wall time the clocks show twice gets its UTC offset, so nobody has to guess which one.
    return f"{text} ({utc_offset_label(instant, zone)})" if is_repeated_instant(instant, zone) else text


@lru_cache(maxsize=8192)
def format_when(instant: datetime, zone: str, locale: str) -> str:
    """An instant as a local date and time of `zone`: 2026年12月2日(水) 15:00 / Wed 2 Dec 2026, 15:00.

    A pure function of its arguments, kept for the last 8,192 (Babel's formatting took a
    tenth of the My bookings page: babel/dates.py:795(format_datetime) in cProfile).
    """
    tz = ZoneInfo(zone)
    local = instant.astimezone(tz)
    language = _language(locale)
    text = format_datetime(local.replace(tzinfo=None), WHEN_PATTERNS[language], locale=language)
    return f"{text} ({utc_offset_label(instant, tz)})" if is_repeated_instant(instant, tz) else text


def format_span(start: datetime, end: datetime, zone: str, locale: str) -> str:
    """2026年12月2日(水) 15:00–17:00; the end's date too when it falls on a later local day."""
    tz = ZoneInfo(zone)
    if start.astimezone(tz).date() == end.astimezone(tz).date():
        return f"{format_when(start, zone, locale)}–{_clock(end, tz)}"
    return f"{format_when(start, zone, locale)} – {format_when(end, zone, locale)}"
