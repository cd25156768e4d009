r"""Pure renderer from booking values to iCalendar (RFC 5545 / RFC 7986) bytes.

A feed is a header (calendar properties and one VTIMEZONE per zone used), the
serialized VEVENTs, and a footer. Events are rendered one at a time so callers can
keep each event's text and assemble a feed by concatenation. The VEVENTs and the
calendar's own properties are written by booking/ical_text.py, for ordinary text byte for
byte as the `icalendar` library writes them (escaping backslashes first, then commas,
semicolons and newlines, folding lines at 75 octets without splitting a UTF-8 character),
and unlike it keeping a literal `\N` in a title as written; the VTIMEZONEs (no user text)
are built with `icalendar`, once per zone and years. Every VEVENT of every feed and mail
goes through `event_text`.

Time zones: every TZID an event uses gets a VTIMEZONE with one observance per
transition (no multi-valued RDATE, which ical.js and vobject read only the first
value of), covering the years the calendar needs. A zone name that is not a known
IANA zone never fails a feed: its events are written in UTC instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vDuration

from booking import ical_text
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


@lru_cache(maxsize=256)
def is_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone this machine knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        return False
    return True


def zone_of(name: str) -> tzinfo:
    """The zone of that name, or UTC for a name that is not one (never raises)."""
    return ZoneInfo(name) if is_zone(name) else UTC


def render_event(values: EventValues) -> str:
    """One VEVENT, CRLF-terminated.

    DTSTAMP and LAST-MODIFIED are the booking's last change, not the time of the
    request, so the same booking always renders to the same bytes. Everything but the
    change times comes from a template kept per process (`event_template`): a service
    renders it before taking a space's lock, and the render inside the lock only writes
    the three time lines in.
    """
    return with_change_times(event_template(without_change_times(values)), values)


# The change times every template is rendered with. Each gives one line, found again by its
# CRLF before and after: a CRLF followed by a property name cannot come from a value (line
# breaks in text are escaped, folding adds a space).
TEMPLATE_TIME = _TEMPLATE_TIME = datetime(1970, 1, 1, tzinfo=UTC)
_TIME_PROPERTIES = ("DTSTAMP", "CREATED", "LAST-MODIFIED")


def without_change_times(values: EventValues) -> EventValues:
    """`values` with the template's change times: the key of its template."""
    return replace(values, created_at=_TEMPLATE_TIME, changed_at=_TEMPLATE_TIME)


@lru_cache(maxsize=1024)
def event_template(values: EventValues) -> str:
    """The VEVENT of `values` as rendered with the template's change times (see `with_change_times`)."""
    return event_text(values)


def _utc_stamp(instant: datetime) -> str:
    """An instant as RFC 5545 UTC DATE-TIME text, whole seconds (as icalendar writes it)."""
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def with_change_times(template: str, values: EventValues) -> str:
    """A template (a VEVENT or a whole calendar) with the change times of `values` written in."""
    return with_times(template, values.created_at, values.changed_at)


def with_times(template: str, created_at: datetime, changed_at: datetime) -> str:
    """A template with these change times written in (DTSTAMP and LAST-MODIFIED: `changed_at`)."""
    changed, created = _utc_stamp(changed_at), _utc_stamp(created_at)
    for name, stamp in zip(_TIME_PROPERTIES, (changed, created, changed), strict=True):
        template = template.replace(f"\r\n{name}:19700101T000000Z\r\n", f"\r\n{name}:{stamp}\r\n", 1)
    return template


def event_text(values: EventValues, extra: Iterable[tuple[str, str]] = ()) -> str:
    """The VEVENT of `values` as text, CRLF-terminated (times in the event's zone, or UTC), with the
    `extra` properties (name with parameters, value as written) in their places (booking/ical_text.py).

    For ordinary text, the bytes `icalendar`'s Event.to_ical() writes for the same values
    (tests/feeds/test_ical_text.py), without building the component.
    """
    properties = [*_shared_properties(values), *_own_properties(values), *extra]
    return ical_text.component("VEVENT", properties, ical_text.EVENT_ORDER)


def event_texts(many: tuple[EventValues, ...]) -> tuple[str, ...]:
    """`event_text` of each of `many`, values that differ at most in their summary and description (one
    booking as its audiences see it): the lines they share are rendered once. Any other difference: each
    is rendered alone.

    Profile line 'feed_events.py(render_one)' of a booking POST: the public, member and staff VEVENTs
    rendered one after the other, their UID, times, status and location lines three times over.
    """
    first = many[0]
    if any(replace(values, summary=first.summary, description=first.description) != first for values in many):
        return tuple(event_text(values) for values in many)
    shared = ical_text.ordered_lines(_shared_properties(first), ical_text.EVENT_ORDER)
    return tuple(
        ical_text.component_of_lines("VEVENT", shared, ical_text.ordered_lines(
            _own_properties(values), ical_text.EVENT_ORDER, start=len(shared)))
        for values in many
    )


def _shared_properties(values: EventValues) -> list[tuple[str, str]]:
    """The properties of `values` but its summary and description, in `event_text`'s order."""
    cancelled = ICAL_STATUS[values.status] == "CANCELLED"
    zone = values.timezone if is_zone(values.timezone) else None
    if zone is not None and any(is_repeated_instant(i, ZoneInfo(zone)) for i in (values.start_dt, values.end_dt)):
        # RFC 5545 §3.3.5 reads a repeated local time with a TZID as its first occurrence, so an
        # event that starts or ends in the hour an autumn clock change repeats is written in UTC.
        zone = None
    start = ("", ical_text.utc_stamp(values.start_dt)) if zone is None else ical_text.local_time(zone, values.start_dt)
    end = ("", ical_text.utc_stamp(values.end_dt)) if zone is None else ical_text.local_time(zone, values.end_dt)
    changed = ical_text.utc_stamp(values.changed_at)
    return [
        ("UID", ical_text.text(values.uid)), ("DTSTAMP", changed),
        ("CREATED", ical_text.utc_stamp(values.created_at)), ("LAST-MODIFIED", changed),
        ("SEQUENCE", str(int(values.sequence))), (f"DTSTART{start[0]}", start[1]), (f"DTEND{end[0]}", end[1]),
        ("STATUS", ICAL_STATUS[values.status]), ("TRANSP", "TRANSPARENT" if cancelled else "OPAQUE"),
        ("LOCATION", ical_text.text(clean_text(values.location))),
    ]


def _own_properties(values: EventValues) -> list[tuple[str, str]]:
    """The summary and (when there is one) the description of `values`."""
    own = [("SUMMARY", ical_text.text(clean_text(values.summary)))]
    if values.description:
        own.append(("DESCRIPTION", ical_text.text(clean_text(values.description))))
    return own


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta(0)


def transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The UTC instants in [start, end) at which the zone's UTC offset changes (to the second)."""
    found = []
    day = start
    while day < end:
        following = min(day + timedelta(days=1), end)
        if _offset(zone, day) != _offset(zone, following):
            low, high = day, following  # offset(low) differs from offset(high)
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == _offset(zone, low):
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
        day = following
    return found


def _observance(zone: ZoneInfo, at: datetime, before: timedelta) -> TimezoneStandard | TimezoneDaylight:
    local = at.astimezone(zone)
    is_daylight = bool(local.dst())
    observance = TimezoneDaylight() if is_daylight else TimezoneStandard()
    # RFC 5545 §3.6.5: DTSTART is the local time in the offset in force before the onset.
    observance.add("dtstart", (at + before).replace(tzinfo=None))
    observance.add("tzoffsetfrom", before)
    observance.add("tzoffsetto", local.utcoffset() or timedelta(0))
    observance.add("tzname", local.tzname() or "")
    return observance


@lru_cache(maxsize=256)
def timezone_block(zone: str, first_year: int, last_year: int) -> str:
    """A VTIMEZONE for an IANA zone, valid from 1 January of `first_year` to the end of `last_year`.

    One STANDARD or DAYLIGHT per transition, each with a single DTSTART, so every
    parser (icalendar, vobject, ical.js, libical) reads every transition.
    """
    tz = ZoneInfo(zone)
    start = datetime(first_year, 1, 1, tzinfo=UTC) - timedelta(days=1)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC) + timedelta(days=1)
    block = Timezone()
    block.add("tzid", zone)
    initial = _offset(tz, start)
    block.add_component(_observance(tz, start, initial))
    previous = initial
    for at in transitions(tz, start, end):
        block.add_component(_observance(tz, at, previous))
        previous = _offset(tz, at)
    return str(block.to_ical().decode("utf-8"))


def calendar_header(
    name: str,
    zones: Iterable[str],
    default_zone: str,
    refresh: timedelta | None = timedelta(hours=1),
    method: str | None = None,
    years: tuple[int, int] | None = None,
) -> str:
    """BEGIN:VCALENDAR, the calendar's properties and a VTIMEZONE for every known zone in `zones`.

    Subscription feeds carry no METHOD and say how often to poll (`refresh`); a
    single event to import says PUBLISH and nothing about polling. `years` are the
    first and last year the events fall in (default: this year and the next).
    """
    # A calendar's name is one line: a line break in it is folded to a space.
    title = ical_text.text(one_line(clean_text(name)))
    properties = [("VERSION", "2.0"), ("PRODID", ical_text.text(PRODID)), ("CALSCALE", "GREGORIAN"),
                  ("NAME", title), ("X-WR-CALNAME", title)]
    if method:
        properties.append(("METHOD", ical_text.text(method)))
    if is_zone(default_zone):
        properties.append(("X-WR-TIMEZONE", ical_text.text(default_zone)))
    if refresh is not None:
        duration = _duration(refresh)
        properties += [("REFRESH-INTERVAL;VALUE=DURATION", duration), ("X-PUBLISHED-TTL", duration)]
    text = "BEGIN:VCALENDAR\r\n" + ical_text.content_lines(properties, ical_text.CALENDAR_ORDER)
    this_year = datetime.now(UTC).year
    first, last = years or (this_year, this_year + 1)
    known = sorted(zone for zone in set(zones) | {default_zone} if is_zone(zone))
    return text + "".join(timezone_block(zone, first, last) for zone in known)


@lru_cache(maxsize=16)
def _duration(length: timedelta) -> str:
    return str(vDuration(length).to_ical().decode("ascii"))  # type: ignore[no-untyped-call]


def assemble(header: str, events: Iterable[str]) -> bytes:
    """The calendar's bytes: UTF-8 without a BOM, CRLF line ends."""
    return (header + "".join(events) + FOOTER).encode("utf-8")
