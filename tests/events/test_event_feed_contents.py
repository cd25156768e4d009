"""What the public events feed and one event's .ics say: the deployment's language, the space's local times,
events unchanged for long, the default zone, import versus subscription, and validators that follow every change."""

from __future__ import annotations

from datetime import timedelta

import icalendar

from booking.db import utcnow
from booking.extensions import db
from booking.models import AgendaItem, PublicEvent
from booking.services.event_feeds import events_feed


def test_the_feed_and_the_event_file_speak_the_deployments_language(app, client, kick_off):
    app.config["FEED_LOCALE"] = "en"

    feed = icalendar.Calendar.from_ical(client.get("/events.ics").data)
    one = icalendar.Calendar.from_ical(client.get(f"/events/{kick_off.id}.ics").data)

    assert [str(e["SUMMARY"]) for e in feed.walk("VEVENT")] == ["Satellite offices kick-off"]
    assert str(one["X-WR-CALNAME"]) == "Satellite offices kick-off"
    assert [str(e["SUMMARY"]) for e in one.walk("VEVENT")] == ["Satellite offices kick-off"]


def test_the_agenda_in_the_feed_reads_in_the_spaces_local_time(client, kick_off):
    event = db.session.get(PublicEvent, kick_off.id)
    db.session.add(AgendaItem(event=event, start_dt=event.booking.start_dt, minutes=15, title_ja="開会"))
    db.session.commit()

    [found] = icalendar.Calendar.from_ical(client.get("/events.ics").data).walk("VEVENT")

    assert "17:00 開会" in str(found["DESCRIPTION"])  # 08:00 UTC, in Tokyo


def test_a_published_event_unchanged_for_months_stays_in_the_feed(client, kick_off):
    event = db.session.get(PublicEvent, kick_off.id)
    long_ago = utcnow() - timedelta(days=90)
    event.updated_at = event.booking.updated_at = event.created_at = long_ago
    db.session.commit()

    feed = icalendar.Calendar.from_ical(client.get("/events.ics").data)

    assert [str(e["UID"]) for e in feed.walk("VEVENT")] == [kick_off.uid]


def test_the_feed_is_a_subscription_in_tokyo_time_and_the_event_file_an_import(client, kick_off):
    feed = icalendar.Calendar.from_ical(client.get("/events.ics").data)
    one = icalendar.Calendar.from_ical(client.get(f"/events/{kick_off.id}.ics").data)

    assert str(feed["X-WR-TIMEZONE"]) == "Asia/Tokyo" and "REFRESH-INTERVAL" in feed
    assert str(one["METHOD"]) == "PUBLISH"
    assert "REFRESH-INTERVAL" not in one and "X-PUBLISHED-TTL" not in one


def test_an_edit_of_the_event_alone_gives_the_feed_a_new_etag_and_last_modified(app, kick_off):
    event = db.session.get(PublicEvent, kick_off.id)
    event.updated_at = event.booking.updated_at = event.booking.space.feed_changed_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    before = events_feed()

    event.description_ja = "説明を追加"  # a description: registrants are not told, SEQUENCE stays
    event.updated_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    after = events_feed()

    assert after.etag != before.etag
    assert after.last_modified == event.updated_at.replace(microsecond=0)


def test_a_sequence_raised_within_the_same_clock_reading_gives_the_feed_a_new_etag(app, kick_off):
    before = events_feed()

    event = db.session.get(PublicEvent, kick_off.id)
    event.sequence += 1
    db.session.commit()

    assert events_feed().etag != before.etag


def test_an_event_that_ended_long_ago_leaves_the_feed(client, kick_off, hall, create_user):
    from tests.events.factories import make_event

    start = utcnow().replace(microsecond=0) - timedelta(days=3 * 365)
    old = make_event(hall, create_user(), start, start + timedelta(hours=2))

    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(client.get("/events.ics").data).walk("VEVENT")]

    assert uids == [kick_off.uid] and old.uid not in uids


def test_the_agenda_in_an_english_feed_reads_in_english_with_its_speakers_in_brackets(app, client, kick_off):
    app.config["FEED_LOCALE"] = "en"
    event = db.session.get(PublicEvent, kick_off.id)
    db.session.add(AgendaItem(event=event, start_dt=event.booking.start_dt, minutes=15, title_ja="開会",
                              title_en="Opening", speakers="the mayors"))
    db.session.commit()

    [found] = icalendar.Calendar.from_ical(client.get("/events.ics").data).walk("VEVENT")

    assert "17:00 Opening (the mayors)" in str(found["DESCRIPTION"])


def test_the_feeds_answer_carries_the_last_modified_of_its_latest_change(client, kick_off):
    from email.utils import parsedate_to_datetime

    from booking.services.event_feeds import DEFAULT_ZONE
    from booking.services.feeds import Window

    event = db.session.get(PublicEvent, kick_off.id)
    now = utcnow()
    # Today (Tokyo), so the change is later than the window's day start whatever the hour the test runs at:
    # an hour ago falls on the day before between 15:00 and 16:00 UTC, and the day start is sent instead.
    day_start = Window.around(now, DEFAULT_ZONE).day_start
    changed_at = day_start + (now - day_start) / 2
    event.updated_at = event.booking.updated_at = event.booking.space.feed_changed_at = changed_at
    db.session.commit()

    response = client.get("/events.ics")

    assert parsedate_to_datetime(response.headers["Last-Modified"]) == changed_at.replace(microsecond=0)


def test_renaming_the_events_space_gives_the_feed_a_new_etag_and_last_modified(client, kick_off):
    """The events' LOCATION is their space's name (and TZID its time zone), though no row of an event or
    its booking changes with it: a subscriber polling with If-None-Match or If-Modified-Since must get
    the new name. Before 2026-12-02 the old ETag was answered 304 and the old LOCATION kept."""
    event = db.session.get(PublicEvent, kick_off.id)
    event.updated_at = event.booking.updated_at = event.booking.space.feed_changed_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    first = client.get("/events.ics")
    assert first.status_code == 200
    before = events_feed()

    space = event.booking.space
    space.name_ja, space.name_en = "イベントホール(改装後)", "Event hall (renovated)"
    db.session.commit()  # raises the space's feed change time (booking.services.feed_events)
    after = events_feed(space.feed_changed_at + timedelta(seconds=2))

    assert after.etag != before.etag
    assert after.last_modified == space.feed_changed_at.replace(microsecond=0) > before.last_modified
    again = client.get("/events.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    (vevent,) = icalendar.Calendar.from_ical(again.data).walk("VEVENT")
    assert str(vevent["LOCATION"]) == "イベントホール(改装後)"
