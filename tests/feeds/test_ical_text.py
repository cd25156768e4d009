r"""The VEVENTs, iTIP messages and calendar headers written as text (booking/ical_text.py) are, for
ordinary text, the bytes `icalendar` writes for the same properties, and parse back to the values
they were written from.

Ordinary: no `\N` in TEXT values (icalendar writes it as a line break) and no backslash in
parameter values (which have no escapes, and icalendar writes it as it is); text with those is
written correctly instead (tests/feeds/test_text_escapes.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event, vCalAddress, vDuration, vText

from booking import ical, ical_text, itip
from booking.domain.bounds import one_line
from booking.domain.wallclock import is_repeated_instant

ZONES = [
    "Asia/Tokyo",
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Etc/UTC",
    "GMT",
    "UTC",
    "Not/A_Zone",
    "America/Argentina/Buenos_Aires",
]
# Text with everything that is escaped, quoted or folded: separators, escapes, carets, quotes, line
# breaks, control characters, multi-octet characters and runs long enough to fold.
ALPHABET = st.sampled_from(list("ab ,;:\\^\"'’\n\r\tN\x01Zé日本語😀-") + ["\\N", "\r\n", "x" * 70, "予約" * 20])
TEXT = st.lists(ALPHABET, max_size=40).map("".join)
# Text icalendar writes right: a `\N` it would turn into a line break, written `\n` instead; the
# control characters the writers drop are dropped first, so none of them can join a backslash to an N.
ORDINARY_TEXT = TEXT.map(lambda text: ical.clean_text(text).replace("\\N", "\\n"))
# Parameter values (names) icalendar writes right: without a backslash.
ORDINARY_NAME = TEXT.map(lambda text: text.replace("\\", "/"))
INSTANT = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)).map(
    lambda t: t.replace(microsecond=0)
)


@st.composite
def event_values(draw: st.DrawFn) -> ical.EventValues:
    start = draw(INSTANT)
    return ical.EventValues(
        uid=draw(st.sampled_from(["b1@floor", "x,y;z\\@floor", "long-" + "u" * 90])),
        start_dt=start,
        end_dt=start + timedelta(minutes=draw(st.integers(15, 60 * 48))),
        timezone=draw(st.sampled_from(ZONES)),
        status=draw(st.sampled_from(sorted(ical.ICAL_STATUS))),
        sequence=draw(st.integers(0, 10_000)),
        created_at=draw(INSTANT),
        changed_at=draw(INSTANT),
        summary=draw(ORDINARY_TEXT),
        location=draw(ORDINARY_TEXT),
        description=draw(ORDINARY_TEXT),
    )


def _icalendar_event(values: ical.EventValues) -> Event:
    """ical.event_text as it was written with an icalendar Event (the reference, for ordinary text)."""
    zone = ical.zone_of(values.timezone)
    event = Event()
    event.add("uid", values.uid)
    event.add("dtstamp", values.changed_at.astimezone(UTC))
    event.add("created", values.created_at.astimezone(UTC))
    event.add("last-modified", values.changed_at.astimezone(UTC))
    event.add("sequence", values.sequence)
    instants = (values.start_dt, values.end_dt)
    repeated = isinstance(zone, ZoneInfo) and any(is_repeated_instant(i, zone) for i in instants)
    written = UTC if repeated else zone
    event.add("dtstart", values.start_dt.astimezone(written))
    event.add("dtend", values.end_dt.astimezone(written))
    event.add("status", ical.ICAL_STATUS[values.status])
    event.add("transp", "TRANSPARENT" if ical.ICAL_STATUS[values.status] == "CANCELLED" else "OPAQUE")
    event.add("summary", ical.clean_text(values.summary))
    event.add("location", ical.clean_text(values.location))
    if values.description:
        event.add("description", ical.clean_text(values.description))
    return event


def _icalendar_message(values: ical.EventValues, organizer: itip.Party, attendee: itip.Party) -> str:
    """itip.message_template as it was written with icalendar's components (the reference)."""
    method = itip.method_for(values.status)
    if method == itip.CANCEL:
        values = replace(values, status="cancelled")
    event = _icalendar_event(values)
    for name, party, role in (("organizer", organizer, None), ("attendee", attendee, "REQ-PARTICIPANT")):
        address = vCalAddress(f"mailto:{party.email}")
        shown = ical.clean_text(" ".join(party.name.split()))
        if shown:  # a name of blanks only gets no CN (icalendar would write an empty one)
            address.params["CN"] = vText(shown)
        if role is not None:
            address.params.update(ROLE=role, PARTSTAT="ACCEPTED", RSVP="FALSE")
        event.add(name, address)
    years = (values.start_dt.year, values.end_dt.year)
    header = _icalendar_header(values.summary, values.timezone, None, method, years)
    return ical.assemble(header, [event.to_ical().decode("utf-8")]).decode("utf-8")


def _icalendar_header(
    name: str, zone: str, refresh: timedelta | None, method: str | None, years: tuple[int, int]
) -> str:
    """ical.calendar_header as it was written with an icalendar Calendar (the reference)."""
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", ical.PRODID)
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    title = one_line(ical.clean_text(name))
    calendar.add("name", vText(title))
    calendar.add("x-wr-calname", vText(title))
    if ical.is_zone(zone):
        calendar.add("x-wr-timezone", zone)
    if refresh is not None:
        calendar.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
    text = calendar.to_ical().decode("utf-8")[: -len(ical.FOOTER)]
    return text + "".join(ical.timezone_block(z, *years) for z in sorted({zone}) if ical.is_zone(z))


@settings(max_examples=300, deadline=None)
@given(event_values())
def test_an_event_is_written_as_icalendar_writes_it(values):
    written = ical.event_text(values)

    assert written == _icalendar_event(values).to_ical().decode("utf-8")
    parsed = Event.from_ical(written)
    assert str(parsed["summary"]) == ical.clean_text(values.summary)
    assert parsed.decoded("dtstart").astimezone(UTC) == values.start_dt
    assert all(len(line.encode()) <= 75 for line in written.split("\r\n"))


@settings(max_examples=150, deadline=None)
@given(event_values(), ORDINARY_NAME, ORDINARY_NAME, st.sampled_from(["m@example.jp", "o'neil+x@example.jp"]))
def test_an_itip_message_is_written_as_icalendar_writes_it(values, organizer_name, member_name, email):
    organizer, attendee = itip.Party("floor@example.jp", organizer_name), itip.Party(email, member_name)

    method, data = itip.message(values, organizer, attendee)

    expected = _icalendar_message(ical.without_change_times(values), organizer, attendee)
    assert data.decode("utf-8") == ical.with_change_times(expected, values)
    parsed = Calendar.from_ical(data)
    event = parsed.walk("VEVENT")[0]
    assert str(parsed["method"]) == method
    assert str(event["attendee"]) == f"mailto:{email}"


@settings(max_examples=150, deadline=None)
@given(
    ORDINARY_TEXT,
    st.sampled_from(ZONES),
    st.sampled_from([None, timedelta(hours=1), timedelta(minutes=90)]),
    st.sampled_from([None, "PUBLISH", "REQUEST"]),
)
def test_a_calendar_header_is_written_as_icalendar_writes_it(name, zone, refresh, method):
    header = ical.calendar_header(name, [zone], zone, refresh=refresh, method=method, years=(2026, 2027))

    assert header == _icalendar_header(name, zone, refresh, method, (2026, 2027))


def test_a_long_line_is_folded_before_its_75th_octet_without_splitting_a_character_or_an_escape():
    line = "SUMMARY:" + "予" * 30 + "a" * 50 + "\\," * 20

    folded = ical_text.fold(line)

    assert folded.replace("\r\n ", "") == line
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert not any(part.endswith("\\") and not part.endswith("\\\\") for part in folded.split("\r\n"))


@given(event_values(), st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=3))
def test_events_differing_in_summary_and_description_are_written_as_each_alone(values, variants):
    """ical.event_texts renders their shared lines once (a booking's public, member and staff events)."""
    many = (values, *(replace(values, summary=summary, description=description) for summary, description in variants))

    assert ical.event_texts(many) == tuple(ical.event_text(one) for one in many)


@given(event_values(), event_values())
def test_events_differing_in_more_are_written_as_each_alone_too(first, second):
    assert ical.event_texts((first, second)) == (ical.event_text(first), ical.event_text(second))
