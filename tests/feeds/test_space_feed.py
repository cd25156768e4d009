"""The public feed of one space, as a calendar app subscribed to it sees it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from booking.extensions import db
from booking.services import feeds
from booking.services.bookings import cancel_booking
from tests.feeds.conftest import parse, reserved_label, utc

URL = "/spaces/studio/calendar.ics"


def test_subscribing_to_a_space_shows_its_active_bookings(fetch, space, member, book, create_space):
    first = book(space, member, day=3, title="Recording")
    second = book(space, member, day=4, status="pending", title="Kick-off")
    other_space = create_space(slug="hall")
    book(other_space, member, day=3, title="Elsewhere")

    feed = fetch(URL)

    assert sorted(str(e["UID"]) for e in feed.events) == sorted([first.uid, second.uid])
    assert {str(e["LOCATION"]) for e in feed.events} == {"tsulunós スタジオ"}


def test_the_calendar_names_itself_and_says_how_often_to_refresh(fetch, space):
    feed = fetch(URL)

    calendar = feed.calendar
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"])
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["NAME"]) == "tsulunós スタジオ"
    assert str(calendar["X-WR-CALNAME"]) == "tsulunós スタジオ"
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Tokyo"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in feed.text
    assert "X-PUBLISHED-TTL:PT1H\r\n" in feed.text
    assert "METHOD" not in calendar
    assert feed.vcalendar.x_wr_calname.value == "tsulunós スタジオ"


def test_private_bookings_show_only_a_neutral_reserved(fetch, space, member, book):
    book(space, member, title="Secret strategy meeting", purpose="Layoffs planning", attendees=4)
    book(space, member, day=8, title="Open recording", is_public=True, purpose="Weekly TV show")

    feed = fetch(URL)

    with_reserved = [s for s in feed.summaries() if s != "Open recording"]
    assert len(with_reserved) == 1
    assert with_reserved[0] == reserved_label()
    for secret in ("Secret strategy", "Layoffs", "Weekly TV show", "山田", "hanako@example.jp", "Yamada Lab"):
        assert secret not in feed.text
    assert all("DESCRIPTION" not in e and "ORGANIZER" not in e and "ATTENDEE" not in e for e in feed.events)


def test_times_are_local_with_tzid_and_a_full_vtimezone(fetch, space, member, book):
    booking = book(space, member, hour=1)  # 01:00 UTC is 10:00 in Tokyo

    feed = fetch(URL)

    local_start = (booking.start_dt + timedelta(hours=9)).strftime("%Y%m%dT%H%M%S")
    assert f"DTSTART;TZID=Asia/Tokyo:{local_start}\r\n" in feed.text
    zones = list(feed.calendar.walk("VTIMEZONE"))
    assert [str(z["TZID"]) for z in zones] == ["Asia/Tokyo"]
    assert zones[0].walk("STANDARD")
    event = feed.event(booking.uid)
    assert utc(event["DTSTART"]) == booking.start_dt
    assert utc(event["DTEND"]) == booking.end_dt
    vevent = feed.vevents[0]
    assert vevent.dtstart.value.utcoffset() == timedelta(hours=9)
    assert utc(vevent.dtstart.value) == booking.start_dt


def test_pending_is_tentative_and_confirmed_is_confirmed(fetch, space, member, book):
    pending = book(space, member, day=3, status="pending")
    confirmed = book(space, member, day=4)

    feed = fetch(URL)

    assert str(feed.event(pending.uid)["STATUS"]) == "TENTATIVE"
    assert str(feed.event(confirmed.uid)["STATUS"]) == "CONFIRMED"


def test_pending_requests_that_do_not_hold_the_slot_stay_out_of_the_public_feed(
        fetch, create_space, member, book):
    space = create_space(slug="studio", pending_holds=False)
    book(space, member, status="pending")

    assert fetch(URL).events == []


def test_event_stamps_are_the_bookings_last_change_so_the_body_is_stable(client, space, member, book):
    booking = book(space, member)

    first, second = client.get(URL), client.get(URL)

    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]
    event = parse(first.data).event(booking.uid)
    assert utc(event["DTSTAMP"]) == booking.updated_at.replace(microsecond=0)
    assert utc(event["LAST-MODIFIED"]) == booking.updated_at.replace(microsecond=0)
    assert int(event["SEQUENCE"]) == 0


def test_a_cancelled_booking_stays_as_cancelled_with_a_raised_sequence_for_14_days(space, member, book):
    booking = book(space, member, day=40)
    cancel_booking(member, booking.id)
    db.session.expire_all()

    soon = parse(feeds.space_feed("studio").build())
    # Whole days after the cancellation, not UTC midnights: the window counts the space's
    # local days, and Tokyo's day starts at 15:00 UTC.
    cancelled = datetime.now(UTC)
    after_13_days = parse(feeds.space_feed("studio", now=cancelled + timedelta(days=13)).build())
    after_15_days = parse(feeds.space_feed("studio", now=cancelled + timedelta(days=15)).build())

    event = soon.event(booking.uid)
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    assert [str(e["UID"]) for e in after_13_days.events] == [booking.uid]
    assert after_15_days.events == []


def test_the_window_reaches_14_days_back_and_365_ahead(space, member, book):
    old = book(space, member, day=-13)
    too_old = book(space, member, day=-16)
    far = book(space, member, day=364)
    too_far = book(space, member, day=368)

    uids = {str(e["UID"]) for e in parse(feeds.space_feed("studio").build()).events}

    assert old.uid in uids and far.uid in uids
    assert too_old.uid not in uids and too_far.uid not in uids


def test_the_window_is_configurable(app, space, member, book):
    app.config.update(FEED_DAYS_BACK=7, FEED_DAYS_AHEAD=30)
    near = book(space, member, day=20)
    book(space, member, day=40)
    book(space, member, day=-10)

    uids = [str(e["UID"]) for e in parse(feeds.space_feed("studio").build()).events]

    assert uids == [near.uid]


def test_an_unknown_space_has_no_feed(client):
    response = client.get("/spaces/nowhere/calendar.ics")

    assert response.status_code == 404
    assert response.content_type.startswith("text/html")


def test_the_feed_is_served_inline_and_uncompressed(client, space, member, book):
    book(space, member)

    response = client.get(URL, headers={"Accept-Encoding": "gzip, br"})

    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Content-Disposition" not in response.headers
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert response.headers["ETag"]


def test_a_space_whose_pending_requests_hold_no_slot_still_shows_its_confirmed_bookings(
        fetch, create_space, member, book):
    space = create_space(slug="studio", pending_holds=False)
    confirmed = book(space, member, day=7)
    book(space, member, day=8, status="pending")

    assert [str(e["UID"]) for e in fetch(URL).events] == [confirmed.uid]


def test_a_space_feed_in_english_is_named_by_the_spaces_english_name(app, fetch, space):
    app.config["FEED_LOCALE"] = "en"

    assert str(fetch(URL).calendar["X-WR-CALNAME"]) == "tsulunós studio"
