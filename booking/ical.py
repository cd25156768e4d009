"""Pure renderer from booking values to iCalendar (RFC 5545 / RFC 7986) bytes.

A feed is a header (calendar properties and one VTIMEZONE per zone used), the
serialized VEVENTs, and a footer. Events are rendered one at a time so callers can
keep each event's text and assemble a feed by concatenation. Every text value goes
through the `icalendar` library, which escapes commas, semicolons, backslashes and
newlines and folds lines at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vDuration

from booking.domain.bounds import one_line
from booking.domain.wallclock import is_repeated_instant

PRODID = "-//Co-creation floor//Floor booking//EN"
FOOTER = "END:VCALENDAR\r\n"
ICAL_STATUS = {
    "pending": "TENTATIVE",
    "confirmed": "CONFIRMED",
    "cancelled": "CANCELLED",
    "rejected": "CANCELLED",
    "expired": "CANCELLED",
}
# Control characters other than TAB and LF are not allowed in TEXT values.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Line breaks as LF (escaped later as \\n); other control characters dropped."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass(frozen=True)
class EventValues:
    """What one calendar event shows; instants are aware, shown in `timezone`."""

    uid: str
    start_dt: datetime
    end_dt: datetime
    timezone: str
    status: str
    sequence: int
    created_at: datetime
    changed_at: datetime
    summary: str
    location: str
    description: str = ""


def render_event(values: EventValues) -> str:
    """One VEVENT, CRLF-terminated.

    DTSTAMP and LAST-MODIFIED are the booking's last change, not the time of the
    request, so the same booking always renders to the same bytes.
    """
    zone = ZoneInfo(values.timezone)
    event = Event()
    event.add("uid", values.uid)
    event.add("dtstamp", values.changed_at.astimezone(UTC))
    event.add("created", values.created_at.astimezone(UTC))
    event.add("last-modified", values.changed_at.astimezone(UTC))
    event.add("sequence", values.sequence)
    # RFC 5545 §3.3.5 reads a repeated local time with a TZID as its first occurrence, so an
    # event that starts or ends in the hour an autumn clock change repeats is written in UTC.
    written = UTC if any(is_repeated_instant(i, zone) for i in (values.start_dt, values.end_dt)) else zone
    event.add("dtstart", values.start_dt.astimezone(written))
    event.add("dtend", values.end_dt.astimezone(written))
    event.add("status", ICAL_STATUS[values.status])
    event.add("transp", "TRANSPARENT" if ICAL_STATUS[values.status] == "CANCELLED" else "OPAQUE")
    event.add("summary", clean_text(values.summary))
    event.add("location", clean_text(values.location))
    if values.description:
        event.add("description", clean_text(values.description))
    return event.to_ical().decode("utf-8")


@lru_cache(maxsize=64)
def timezone_block(zone: str) -> str:
    """A full VTIMEZONE for an IANA zone, built once per process."""
    return Timezone.from_tzid(zone).to_ical().decode("utf-8")


def calendar_header(
    name: str,
    zones: Iterable[str],
    default_zone: str,
    refresh: timedelta | None = timedelta(hours=1),
    method: str | None = None,
) -> str:
    """BEGIN:VCALENDAR, the calendar's properties and its VTIMEZONEs.

    Subscription feeds carry no METHOD and say how often to poll (`refresh`); a
    single event to import says PUBLISH and nothing about polling.
    """
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    # A calendar's name is one line; icalendar does not escape a line break in X-WR-CALNAME.
    title = one_line(clean_text(name))
    calendar.add("name", title)
    calendar.add("x-wr-calname", title)
    calendar.add("x-wr-timezone", default_zone)
    if refresh is not None:
        calendar.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
    text = calendar.to_ical().decode("utf-8")
    assert text.endswith(FOOTER)
    blocks = "".join(timezone_block(zone) for zone in sorted(set(zones) | {default_zone}))
    return text[: -len(FOOTER)] + blocks


def assemble(header: str, events: Iterable[str]) -> bytes:
    """The calendar's bytes: UTF-8 without a BOM, CRLF line ends."""
    return (header + "".join(events) + FOOTER).encode("utf-8")
