r"""RFC 5545 content lines written directly, for the calendar objects this product renders per booking.

Profile of a booking POST (benchmarks/booking_profile.py, issue 21): building and
serializing `icalendar` components took 28 % of its CPU ('icalendar/cal/component.py(to_ical)'
with 'parser/string.py(_foldline)', and 'ical.py(event_component)' adding properties one
object at a time) for four objects of a fixed shape: three VEVENTs and one iTIP message.
This module writes those lines as text: the same property order as `icalendar` 7
(its canonical order, then alphabetical), parameter quoting with RFC 6868 escapes
(sorted parameters), and folding at 75 octets without splitting a UTF-8 character or an
escape. For ordinary text these are the bytes `icalendar` writes (tests/feeds/test_ical_text.py
compares the two on generated values and parses the result back).

Where `icalendar` is wrong, this module is not (FORMAT_VERSION 5 on):
- TEXT (RFC 5545 §3.3.11): every backslash is escaped first, then ; , and line breaks.
  `icalendar` reads a literal `\N` in the value as a line break before escaping, so a title
  `C:\New folder` or `\N` came out as two lines in every calendar app.
- Parameter values (RFC 5545 §3.2, §3.1): they have no backslash escapes at all, yet
  icalendar and ical.js both read backslash escapes in them (a CN `C:\New` was read as two
  lines, `a\,b` lost its backslash, and icalendar read `trail\` as `trail:mailto`). So a
  backslash in a parameter value is written as U+FF3C (＼, what Japanese fonts show for it
  anyway), control characters other than TAB are dropped (line breaks become RFC 6868 ^n),
  DQUOTE is RFC 6868's ^', and a value with , ; : is quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from icalendar.timezone import tzid_from_tzinfo

FOLD_AT = 75  # octets per line, the line break excluded (RFC 5545 §3.1)
_RFC_6868 = re.compile(r'\^|\r\n|\r|\n|"')
_RFC_6868_ESCAPES = {"^": "^^", "\n": "^n", "\r": "^n", "\r\n": "^n", '"': "^'"}
_QUOTABLE = re.compile("[,;:\u2019]")
# RFC 5545 CONTROL (TAB is white space, allowed). CR and LF are handled before: \n or ^n.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
_NOT_IN_URI = re.compile("[\x00-\x20\x7f]")
BACKSLASH_IN_PARAMETER = "\uff3c"  # FULLWIDTH REVERSE SOLIDUS: no parser reads it as an escape
# Properties written first, in this order; the others follow alphabetically (as icalendar orders them).
EVENT_ORDER = ("SUMMARY", "DTSTART", "DTEND", "DURATION", "DTSTAMP", "UID", "RECURRENCE-ID", "SEQUENCE")
CALENDAR_ORDER = ("VERSION", "PRODID", "CALSCALE", "METHOD", "DESCRIPTION", "X-WR-CALDESC", "NAME", "X-WR-CALNAME")


def text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 §3.3.11): the backslash first, then semicolon, comma, and every
    line break as \\n; other control characters but TAB dropped.

    Every character of `value` is kept as itself: a literal `\\N` or `\\n` is written `\\\\N`,
    `\\\\n` (unlike `icalendar`, which reads `\\N` as a line break).
    """
    escaped = (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )
    return _CONTROL.sub("", escaped)


def parameter(value: str, always_quote: bool = False) -> str:
    """A parameter value: RFC 6868 escapes (^^, ^n, ^'), in double quotes when it holds , ; : or ’.

    A parameter value has no backslash escapes (RFC 5545 §3.2) but parsers read them anyway,
    so a backslash is written as ＼ (U+FF3C); control characters other than TAB, CR and LF
    (which become ^n) are dropped, so the value is always a valid paramtext or quoted-string.
    """
    escaped = _RFC_6868.sub(lambda match: _RFC_6868_ESCAPES[match.group(0)], value)
    escaped = _CONTROL.sub("", escaped.replace("\\", BACKSLASH_IN_PARAMETER))
    return f'"{escaped}"' if always_quote or _QUOTABLE.search(escaped) else escaped


def uri(value: str) -> str:
    """A URI value (RFC 5545 §3.3.13): written as it is, without TEXT escapes; control characters
    and spaces, which no URI holds (RFC 3986), percent-encoded."""
    return _NOT_IN_URI.sub(lambda match: "".join(f"%{octet:02X}" for octet in match.group(0).encode()), value)


def common_name(name: str) -> str:
    """The CN parameter of a calendar address, quoted also when it holds a space or an apostrophe."""
    return parameter(name, always_quote=" " in name or "'" in name)


def fold(line: str) -> str:
    """One content line folded (RFC 5545 §3.1): CRLF and a space before the octet that would be the 75th.

    A line ending in a backslash or caret carries that character to the next line
    (an escape is never split), as icalendar does.
    """
    if line.isascii():
        return _fold_ascii(line)
    if len(line.encode("utf-8")) < FOLD_AT:
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


def _fold_ascii(line: str) -> str:
    """`fold` of an ASCII line, by slices: one octet a character, so each part is 74 characters, or 73 when
    the 74th is a backslash or caret, which begins the next part instead (profile line
    'ical_text.py(fold)' under the booking POST's feed events and calendar: a loop over every character)."""
    if len(line) < FOLD_AT:
        return line
    parts = []
    start = 0
    while len(line) - start >= FOLD_AT:
        end = start + FOLD_AT - 1
        if line[end - 1] in "\\^":
            end -= 1
        parts.append(line[start:end])
        start = end
    parts.append(line[start:])
    return "\r\n ".join(parts)


def component(name: str, properties: Iterable[tuple[str, str]], first: tuple[str, ...] = ()) -> str:
    """BEGIN, the properties (name with its parameters, value already written) and END, CRLF-terminated.

    Properties named in `first` come first in that order, the others alphabetically;
    properties of one name keep their order.
    """
    return f"BEGIN:{name}\r\n{content_lines(properties, first)}END:{name}\r\n"


def content_lines(properties: Iterable[tuple[str, str]], first: tuple[str, ...] = ()) -> str:
    """The properties as folded content lines, each CRLF-terminated, in `component`'s order."""
    return "".join(line for _place, line in sorted(ordered_lines(properties, first), key=_first))


def ordered_lines(properties: Iterable[tuple[str, str]], first: tuple[str, ...] = (),
                  start: int = 0) -> list[tuple[tuple[int, str, int], str]]:
    """(place, folded CRLF-terminated line) of each property: sorting by place gives `component`'s order.

    `start` numbers these properties after that many others, so lines of two calls merge in order
    (properties of one name keep the order of their calls, then of their positions).
    """
    rank = _ranks(first)
    last = len(rank)
    lines = []
    # Each property's name found once (profile line 'ical_text.py(<lambda>)': the sort key split it three
    # times); its position keeps properties of one name, and of equal rank, in their order.
    for index, (key, value) in enumerate(properties, start):
        name = key.partition(";")[0]
        place = rank.get(name)
        lines.append(((last, name, index) if place is None else (place, "", index), f"{fold(f'{key}:{value}')}\r\n"))
    return lines


def component_of_lines(name: str, *parts: list[tuple[tuple[int, str, int], str]]) -> str:
    """`component` of the lines `ordered_lines` gave for its properties, in one or more parts."""
    merged = sorted((line for part in parts for line in part), key=_first)
    return f"BEGIN:{name}\r\n{''.join(line for _place, line in merged)}END:{name}\r\n"


def _first(item: tuple[Any, ...]) -> Any:
    return item[0]


@lru_cache(maxsize=16)
def _ranks(first: tuple[str, ...]) -> dict[str, int]:
    return {key: index for index, key in enumerate(first)}


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
