r"""Text a member or staff typed comes back from every calendar object exactly as typed.

RFC 5545 §3.3.11: in a TEXT value the backslash is escaped first (`\\`), then `;`, `,` and
line breaks (`\n`). The writer once read a literal `\N` as a line break, as `icalendar` does,
so a title `C:\New folder` or `\N` came out as two lines. Parameter values (the CN of
ORGANIZER and ATTENDEE) have no escapes at all, so a backslash there is written as ＼
(U+FF3C). Each feed kind, the downloads and the mail attachments are read back by
`icalendar` and by ical.js (Thunderbird's parser).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar.parser.property import unescape_backslash
from sqlalchemy import select

from booking import ical, ical_text, itip
from booking.domain.bounds import one_line
from booking.extensions import db
from booking.models import OutboxMessage, PublicEvent, Registration
from booking.services import feed_tokens
from booking.services import registrations as registration_service
from booking.services.event_mail import calendar_message as event_calendar_message
from booking.services.notifications import calendar_message
from tests.conftest import future_day
from tests.events.factories import make_event
from tests.feeds.test_parsers_agree import read_with_ical_js

TEXTS = ["C:\\New folder", "\\N", "a;b,c", "line1\nline2", "trailing\\", "会議室の予約（東京）：第2回"]
NAME = "C:\\New 山田, \"Taro\"; \\N"
SPACE_NAME = "ホール\\N; A,B\\"
ORGANIZER_NAME = "Floor\\Desk: 受付"


def shown_parameter(value: str) -> str:
    """What a parameter value written from `value` reads back as: one line, backslashes as ＼."""
    return ical.clean_text(" ".join(value.split())).replace("\\", ical_text.BACKSLASH_IN_PARAMETER)


@pytest.mark.parametrize("value,written", [
    ("C:\\New folder", "C:\\\\New folder"),
    ("\\N", "\\\\N"),
    ("\\n", "\\\\n"),
    ("a;b,c", "a\\;b\\,c"),
    ("line1\nline2", "line1\\nline2"),
    ("line1\r\nline2\rline3", "line1\\nline2\\nline3"),
    ("trailing\\", "trailing\\\\"),
    ("\\;\\,", "\\\\\\;\\\\\\,"),
    ("会議\t室\x01\x7f", "会議\t室"),
])
def test_text_escapes_the_backslash_before_separators_and_line_breaks(value, written):
    assert ical_text.text(value) == written


@pytest.mark.parametrize("value,written", [
    ("C:\\New", '"C:＼New"'),
    ("trailing\\", "trailing＼"),
    ('say "hi"; ok', '"say ^\'hi^\'; ok"'),
    ("a^b\nc\x01", "a^^b^nc"),
    ("会議室", "会議室"),
])
def test_a_parameter_value_has_no_backslash_dquote_or_control_character(value, written):
    assert ical_text.parameter(value) == written


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False, "CALENDAR_ORGANIZER_NAME": ORGANIZER_NAME}


@pytest.fixture
def typed(create_space, create_user, create_booking) -> dict[str, Any]:
    """A space, a member and staff, and one public booking per text (title and purpose that text)."""
    space = create_space(slug="typed", name_ja=SPACE_NAME, name_en=SPACE_NAME)
    member = create_user(name=NAME, organisation="C:\\Org;,", locale="en")
    staff = create_user(role="staff")
    bookings = []
    for n, value in enumerate(TEXTS):
        start = future_day(3 + n) + timedelta(hours=1)
        bookings.append(create_booking(space, member, start, start + timedelta(hours=1), title=value,
                                       purpose=value, is_public=True))
    return {"space": space, "member": member, "staff": staff, "bookings": bookings}


def _events(raw: bytes, by_ical_js: dict[str, Any]) -> list[dict[str, Any]]:
    """Each event as both parsers read it: {"summary": (icalendar's, ical.js's), ...}, in UID order."""
    parsed = sorted(icalendar.Calendar.from_ical(raw).walk("VEVENT"), key=lambda e: str(e["UID"]))
    read = sorted(by_ical_js["events"], key=lambda e: e["uid"])
    assert len(parsed) == len(read)
    events = []
    for mine, theirs in zip(parsed, read, strict=True):
        event = {name: (str(mine[name.upper()]) if name.upper() in mine else None, theirs[name])
                 for name in ("summary", "location", "description", "url")}
        event["uid"] = (str(mine["UID"]), theirs["uid"])
        if "ORGANIZER" in mine:
            event["organizer_cn"] = (str(mine["ORGANIZER"].params.get("CN")), theirs["organizer_cn"])
            event["attendee_cn"] = (str(mine["ATTENDEE"].params.get("CN")), theirs["attendee_cns"][0])
        events.append(event)
    return events


def calendar_name(raw: bytes, name: str = "X-WR-CALNAME") -> str:
    """The calendar's name as icalendar reads it: icalendar 7 keeps NAME and X-WR-CALNAME as
    unknown values, still escaped, so its TEXT unescaping (RFC 5545 §3.3.11) is applied here."""
    return unescape_backslash(str(icalendar.Calendar.from_ical(raw)[name]))


def _calname(raw: bytes, by_ical_js: dict[str, Any]) -> tuple[str, str]:
    return calendar_name(raw), by_ical_js["calname"]


def both(value: str) -> tuple[str, str]:
    return value, value


def test_every_booking_feed_reads_back_the_texts_as_typed(client, typed):
    member_token = feed_tokens.renew_token(typed["member"], "member")
    staff_token = feed_tokens.renew_token(typed["staff"], "staff")
    urls = {"space": "/spaces/typed/calendar.ics", "member": f"/feeds/{member_token}/bookings.ics",
            "staff": f"/feeds/{staff_token}/staff.ics", "staff-space": f"/feeds/{staff_token}/staff/typed.ics"}
    raws = {}
    for kind, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, url
        raws[kind] = response.data
    readings = dict(zip(raws, read_with_ical_js(list(raws.values())), strict=True))
    by_uid = {b.uid: b.title for b in typed["bookings"]}
    for kind, raw in raws.items():
        events = _events(raw, readings[kind])
        assert len(events) == len(TEXTS), kind
        for event in events:
            title = by_uid[event["uid"][0]]
            assert event["location"] == both(SPACE_NAME), kind
            if kind.startswith("staff"):
                assert event["summary"] == both(f"{title} — {NAME}"), kind
                assert all(NAME in found and "C:\\Org;," in found for found in event["description"]), kind
            else:
                assert event["summary"] == both(title), kind
            if kind != "space":
                assert all(title in found for found in event["description"]), kind
    by_icalendar, by_ical_js = _calname(raws["staff-space"], readings["staff-space"])
    assert SPACE_NAME in by_icalendar and by_icalendar == by_ical_js


def test_the_booking_download_and_its_mail_read_back_the_texts_as_typed(client, typed):
    client.login(typed["member"].email)
    raws, titles = [], []
    for booking in typed["bookings"]:
        response = client.get(f"/bookings/{booking.id}/calendar.ics")
        assert response.status_code == 200
        raws.append(response.data)
        for status in ("confirmed", "cancelled"):
            booking.status = status
            raws.append(calendar_message(booking, "en")[1])
        titles += [booking.title] * 3
    for raw, read, title in zip(raws, read_with_ical_js(raws), titles, strict=True):
        [event] = _events(raw, read)
        assert event["summary"] == both(title)
        assert event["location"] == both(SPACE_NAME)
        assert all(title in found for found in event["description"])
        assert _calname(raw, read) == both(one_line(title))
        if "organizer_cn" in event:
            assert event["organizer_cn"] == both(shown_parameter(ORGANIZER_NAME))
            assert event["attendee_cn"] == both(shown_parameter(NAME))


@pytest.fixture
def typed_events(create_space, create_user) -> list[PublicEvent]:
    """One published event per text: title and description that text, in a hall named with backslashes."""
    hall = create_space(slug="hall", name_ja=SPACE_NAME, name_en=SPACE_NAME, max_people=80)
    host = create_user(role="staff")
    events = []
    for n, value in enumerate(TEXTS):
        start = future_day(10 + n) + timedelta(hours=8)
        events.append(make_event(hall, host, start, start + timedelta(hours=1), title_ja=value, title_en=value,
                                 description_ja=value, description_en=value, capacity=3))
    return events


def test_the_events_feed_the_event_files_and_their_mail_read_back_the_texts_as_typed(client, typed_events):
    raws = [client.get("/events.ics").data] + [client.get(f"/events/{e.id}.ics").data for e in typed_events]
    for event in typed_events:
        registration_service.register(event.id, registration_service.RegistrationInput(
            name=NAME, email=f"r{event.id}@example.jp", consent=True, locale="en"), "test-secret")
        db.session.rollback()
    messages = db.session.query(OutboxMessage).order_by(OutboxMessage.id).all()
    mails = [base64.b64decode(m.attachments[0]["data"]) for m in messages if m.attachments]
    assert len(mails) == len(TEXTS)
    readings = read_with_ical_js(raws + mails)
    titles = {e.uid: e.title_ja for e in typed_events}
    found_uids = set()
    for raw, read in zip(raws + mails, readings, strict=True):
        for event in _events(raw, read):
            title = titles[event["uid"][0]]
            found_uids.add(event["uid"][0])
            assert event["summary"] == both(title)
            assert event["location"] == both(SPACE_NAME)
            assert event["description"] == both(title)
            if "organizer_cn" in event:
                assert event["attendee_cn"] == both(shown_parameter(NAME))
            else:
                assert event["url"][0] == event["url"][1] and event["url"][0].startswith("http")
    assert found_uids == set(titles)


def test_an_event_mail_for_a_cancelled_registration_reads_back_as_typed(app, typed_events):
    event = typed_events[0]
    registration_service.register(event.id, registration_service.RegistrationInput(
        name=NAME, email="c@example.jp", consent=True), "test-secret")
    db.session.rollback()
    registration = db.session.scalars(select(Registration).where(Registration.event_id == event.id)).one()
    _method, raw = event_calendar_message(db.session.get(PublicEvent, event.id), registration, cancelled=True)
    [read] = read_with_ical_js([raw])
    [found] = _events(raw, read)
    assert found["summary"] == both(TEXTS[0]) and found["attendee_cn"] == both(shown_parameter(NAME))


# Arbitrary text (every code point Hypothesis draws, surrogates aside) through every writer.
ANY_TEXT = st.text(max_size=60)
BASE = datetime(2027, 3, 1, 1, tzinfo=UTC)


def _values(summary: str, location: str, description: str) -> ical.EventValues:
    return ical.EventValues(uid="u@floor", start_dt=BASE, end_dt=BASE + timedelta(hours=1), timezone="Asia/Tokyo",
                            status="confirmed", sequence=1, created_at=BASE, changed_at=BASE, summary=summary,
                            location=location, description=description)


def _written(summary: str, location: str, description: str, organizer: str, attendee: str) -> bytes:
    return itip.message(_values(summary, location, description), itip.Party("o@example.jp", organizer),
                        itip.Party("a@example.jp", attendee))[1]


def _expected(summary: str, location: str, description: str, organizer: str, attendee: str) -> dict[str, Any]:
    return {"summary": ical.clean_text(summary), "location": ical.clean_text(location),
            "description": ical.clean_text(description) if description else None,
            "calname": one_line(ical.clean_text(summary)),
            "organizer_cn": shown_parameter(organizer) or None, "attendee_cn": shown_parameter(attendee) or None}


def _read_by_icalendar(raw: bytes) -> dict[str, Any]:
    calendar = icalendar.Calendar.from_ical(raw)
    [event] = calendar.walk("VEVENT")

    def cn(name: str) -> str | None:
        found = event[name].params.get("CN")
        return None if found is None else str(found)

    return {"summary": str(event["SUMMARY"]), "location": str(event["LOCATION"]),
            "description": str(event["DESCRIPTION"]) if "DESCRIPTION" in event else None,
            "calname": calendar_name(raw), "organizer_cn": cn("ORGANIZER"), "attendee_cn": cn("ATTENDEE")}


def _read_by_ical_js(read: dict[str, Any]) -> dict[str, Any]:
    [event] = read["events"]
    return {"summary": event["summary"], "location": event["location"], "description": event["description"],
            "calname": read["calname"], "organizer_cn": event["organizer_cn"], "attendee_cn": event["attendee_cns"][0]}


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT, ANY_TEXT, ANY_TEXT, ANY_TEXT, ANY_TEXT)
def test_arbitrary_text_reads_back_from_every_writer_in_icalendar(summary, location, description, organizer,
                                                                   attendee):
    texts = (summary, location, description, organizer, attendee)
    raw = _written(*texts)

    assert _read_by_icalendar(raw) == _expected(*texts)
    assert all(len(line.encode()) <= 75 for line in raw.decode().split("\r\n"))
    header = ical.calendar_header(summary, ["Asia/Tokyo"], "Asia/Tokyo", years=(2027, 2027))
    assert calendar_name((header + ical.FOOTER).encode(), "NAME") == one_line(ical.clean_text(summary))


@settings(max_examples=8, deadline=None)
@given(st.lists(st.tuples(ANY_TEXT, ANY_TEXT, ANY_TEXT, ANY_TEXT, ANY_TEXT), min_size=25, max_size=25))
def test_arbitrary_text_reads_back_from_every_writer_in_ical_js(cases):
    raws = [_written(*texts) for texts in cases]

    for texts, read in zip(cases, read_with_ical_js(raws), strict=True):
        assert _read_by_ical_js(read) == _expected(*texts)
