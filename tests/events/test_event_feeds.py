"""The public events feed and one event's .ics: read by icalendar, vobject and ical.js alike; 304 when unchanged."""

from __future__ import annotations

import base64
from datetime import UTC, timedelta

import icalendar

from booking.extensions import db
from booking.models import OutboxMessage, PublicEvent
from booking.services import registrations as service
from tests.conftest import future_day
from tests.events.factories import make_event
from tests.feeds.test_parsers_agree import instants, read_with_ical_js, tzids_defined, tzids_used


def test_the_events_feed_and_event_file_read_the_same_in_every_parser(client, kick_off, hall, create_user):
    meetup = make_event(hall, create_user(),
                        future_day(40) + timedelta(hours=9), future_day(40) + timedelta(hours=11),
                        title_ja="ミートアップ")
    feed = client.get("/events.ics")
    one = client.get(f"/events/{kick_off.id}.ics")
    assert feed.status_code == 200 and one.status_code == 200
    assert feed.headers["Content-Type"].startswith("text/calendar")
    raws = [feed.data, one.data]
    assert not any(raw.startswith(b"\xef\xbb\xbf") for raw in raws)
    read = read_with_ical_js(raws)
    expected = {e.uid: (e.booking.start_dt.astimezone(UTC), e.booking.end_dt.astimezone(UTC))
                for e in (db.session.get(PublicEvent, kick_off.id), db.session.get(PublicEvent, meetup.id))}
    for parser, found in instants(feed.data, read[0]).items():
        assert found == expected, parser
    for parser, found in instants(one.data, read[1]).items():
        assert found == {kick_off.uid: expected[kick_off.uid]}, parser
    assert tzids_used(feed.data) <= tzids_defined(feed.data)
    calendar = icalendar.Calendar.from_ical(feed.data)
    assert "METHOD" not in calendar
    assert all("URL" in event for event in calendar.walk("VEVENT"))


def test_an_unchanged_events_feed_answers_304_and_a_change_gives_a_new_etag(client, kick_off):
    first = client.get("/events.ics")
    again = client.get("/events.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    event = db.session.get(PublicEvent, kick_off.id)
    event.title_ja = "新しいタイトル"
    event.sequence += 1
    event.updated_at = event.updated_at + timedelta(seconds=5)
    db.session.commit()
    changed = client.get("/events.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "新しいタイトル".encode() in changed.data


def test_the_confirmation_calendar_reads_the_same_in_every_parser(app, kick_off):
    service.register(kick_off.id, service.RegistrationInput(name="A", email="a@example.jp", consent=True),
                     "test-secret")
    db.session.rollback()
    [message] = db.session.query(OutboxMessage).all()
    raw = base64.b64decode(message.attachments[0]["data"])
    [read] = read_with_ical_js([raw])
    event = db.session.get(PublicEvent, kick_off.id)
    for parser, found in instants(raw, read).items():
        assert found == {event.uid: (event.booking.start_dt, event.booking.end_dt)}, parser
