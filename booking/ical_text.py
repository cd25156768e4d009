"""RFC 5545 content lines written directly, for the calendar objects this product renders per booking.

Profile of a booking POST (benchmarks/booking_profile.py, issue 21): building and
serializing `icalendar` components took 28 % of its CPU ('icalendar/cal/component.py(to_ical)'
with 'parser/string.py(_foldline)', and 'ical.py(event_component)' adding properties one
object at a time) for four objects of a fixed shape: three VEVENTs and one iTIP message.
This module writes those lines as text. It writes, byte for byte, what `icalendar` 7
writes for the same properties (tests/feeds/test_ical_text.py compares the two on
generated values and parses the result back), so stored events, feeds and their
validators do not change: the same property order (icalendar's canonical order, then
alphabetical), TEXT escaping (RFC 5545 §3.3.11), parameter quoting with RFC 6868
escapes (sorted parameters), and folding at 75 octets without splitting a UTF-8
character or an escape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar.timezone import tzid_from_tzinfo

FOLD_AT = 75  # octets per line, the line break excluded (RFC 5545 §3.1)
_RFC_6868 = re.compile(r'\^|\r\n|\r|\n|"')
_RFC_6868_ESCAPES = {"^": "^^", "\n": "^n", "\r": "^n", "\r\n": "^n", '"': "^'"}
_QUOTABLE = re.compile("[,;:\u2019]")
# Properties written first, in this order; the others follow alphabetically (as icalendar orders them).
EVENT_ORDER = ("SUMMARY", "DTSTART", "DTEND", "DURATION", "DTSTAMP", "UID", "RECURRENCE-ID", "SEQUENCE")
CALENDAR_ORDER = ("VERSION", "PRODID", "CALSCALE", "METHOD", "DESCRIPTION", "X-WR-CALDESC", "NAME", "X-WR-CALNAME")


def text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 §3.3.11): backslash, semicolon, comma; every line break as \\n.

    As icalendar does, a literal `\\N` in the value is first read as a line break.
    """
    return (
        value.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def parameter(value: str, always_quote: bool = False) -> str:
    """A parameter value: RFC 6868 escapes (^^, ^n, ^'), in double quotes when it holds , ; : or ’."""
    escaped = _RFC_6868.sub(lambda match: _RFC_6868_ESCAPES[match.group(0)], value)
    return f'"{escaped}"' if always_quote or _QUOTABLE.search(escaped) else escaped


def common_name(name: str) -> str:
    """The CN parameter of a calendar address, quoted also when it holds a space or an apostrophe."""
    return parameter(name, always_quote=" " in name or "'" in name)


def fold(line: str) -> str:
    """One content line folded (RFC 5545 §3.1): CRLF and a space before the octet that would be the 75th.

    A line ending in a backslash or caret carries that character to the next line
    (an escape is never split), as icalendar does.
    """
    if len(line) < FOLD_AT and (line.isascii() or len(line.encode("utf-8")) < FOLD_AT):
        return line
    parts: list[str] = []
    current: list[str] = []
    count = 0
    for char in line:
        size = 1 if char < "\x80" else len(char.encode("utf-8"))
        if current and count + size >= FOLD_AT:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                parts.append("".join(current))
                current, count = [carried], 1
            else:
                parts.append("".join(current))
                current, count = [], 0
        current.append(char)
        count += size
    if current:
        parts.append("".join(current))
    return "\r\n ".join(parts)


def component(name: str, properties: Iterable[tuple[str, str]], first: tuple[str, ...] = ()) -> str:
    """BEGIN, the properties (name with its parameters, value already written) and END, CRLF-terminated.

    Properties named in `first` come first in that order, the others alphabetically;
    properties of one name keep their order.
    """
    return f"BEGIN:{name}\r\n{content_lines(properties, first)}END:{name}\r\n"


def content_lines(properties: Iterable[tuple[str, str]], first: tuple[str, ...] = ()) -> str:
    """The properties as folded content lines, each CRLF-terminated, in `component`'s order."""
    rank = {key: index for index, key in enumerate(first)}
    ordered = sorted(
        properties,
        key=lambda item: (rank.get(_name(item[0]), len(rank)), "" if _name(item[0]) in rank else _name(item[0])),
    )
    return "".join(f"{fold(f'{key}:{value}')}\r\n" for key, value in ordered)


def _name(key: str) -> str:
    return key.partition(";")[0]


def utc_stamp(instant: datetime) -> str:
    """An instant as a UTC DATE-TIME value (whole seconds): 20261211T030000Z."""
    moment = instant.astimezone(UTC)
    return f"{moment.year:04}{moment.month:02}{moment.day:02}T{moment.hour:02}{moment.minute:02}{moment.second:02}Z"


def local_time(name: str, instant: datetime) -> tuple[str, str]:
    """(property parameters, value) of an instant written in the IANA zone `name`: (";TZID=…", local time),
    or ("", UTC time) for a zone icalendar counts as UTC (Etc/UTC, GMT, …)."""
    tzid = _tzid(name)
    if tzid == "UTC":
        return "", utc_stamp(instant)
    moment = instant.astimezone(ZoneInfo(name))
    local = f"{moment.year:04}{moment.month:02}{moment.day:02}T{moment.hour:02}{moment.minute:02}{moment.second:02}"
    return f";TZID={parameter(tzid or moment.tzname() or name)}", local


@lru_cache(maxsize=256)
def _tzid(name: str) -> str | None:
    return tzid_from_tzinfo(ZoneInfo(name))
