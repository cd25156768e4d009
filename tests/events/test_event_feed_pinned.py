"""What a calendar app reads in the public events feed and in one event's .ics, pinned value by value:
the agenda and description in DESCRIPTION, the language of LOCATION, the time zone of DTSTART,
STATUS, the calendar's name and refresh interval, the VTIMEZONE's years, the window of events
listed (its bounds to the second, in Tokyo days) and the validators that follow every change."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar

from booking.db import utcnow
from booking.extensions import db
from booking.models import AgendaItem, PublicEvent
from booking.services.event_feeds import events_feed
from booking.services.feeds import Window
from tests.conftest import future_day
from tests.events.factories import make_event
from tests.feeds.test_parsers_agree import instants, read_with_ical_js

TOKYO = ZoneInfo("Asia/Tokyo")
# A clock reading passed to events_feed, so that the window does not depend on when the test runs:
# 12:00 UTC is 21:00 in Tokyo, the same calendar day in both zones.
NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def _vevents(raw: bytes) -> list[icalendar.cal.Component]:
    return icalendar.Calendar.from_ical(raw).walk("VEVENT")


def _feed(client) -> list[icalendar.cal.Component]:
    response = client.get("/events.ics")
    assert response.status_code == 200
    return _vevents(response.data)


def _uids_at(now: datetime) -> list[str]:
    """The UIDs of the feed as events_feed builds it at `now`, in the order written."""
    return [str(e["UID"]) for e in _vevents(events_feed(now).body().data)]


def _windowed(app) -> Window:
    """The window at NOW with the settings spelled out (14 days back, 365 ahead, cancelled kept 14 days)."""
    app.config.update(FEED_DAYS_BACK=14, FEED_DAYS_AHEAD=365, FEED_CANCELLED_DAYS=14)
    return Window.around(NOW, "Asia/Tokyo")


def _age(event: PublicEvent, *, event_at: datetime, booking_at: datetime) -> None:
    """Set the last change times of the event's row and of its booking's row; its space's feed change
    time (also a validator of the feed) goes back to the earlier of the two."""
    event = db.session.get(PublicEvent, event.id)
    event.updated_at, event.booking.updated_at = event_at, booking_at
    event.booking.space.feed_changed_at = min(event_at, booking_at)
    db.session.commit()


# --- DESCRIPTION: the description, then one line per agenda item ---------------------------------------


def test_an_agenda_without_a_description_is_the_whole_description_with_nothing_before_it(client, kick_off):
    """No blank first line when the event has no description of its own, and an item without speakers gets
    no brackets at all."""
    event = db.session.get(PublicEvent, kick_off.id)
    db.session.add(AgendaItem(event=event, start_dt=event.booking.start_dt, minutes=15, title_ja="開会"))
    db.session.commit()

    [found] = _feed(client)

    assert str(found["DESCRIPTION"]) == "17:00 開会"


def test_a_japanese_agenda_puts_the_speakers_in_full_width_brackets(app, client, kick_off):
    app.config["FEED_LOCALE"] = "ja"
    event = db.session.get(PublicEvent, kick_off.id)
    db.session.add(AgendaItem(event=event, start_dt=event.booking.start_dt, minutes=15, title_ja="開会",
                              title_en="Opening", speakers="各市町長"))
    db.session.commit()

    [found] = _feed(client)

    assert str(found["DESCRIPTION"]) == "17:00 開会（各市町長）"


def test_the_description_and_each_agenda_item_are_lines_of_their_own(app, client, kick_off):
    """RFC 5545 §3.3.11: a line break in TEXT is written \\n and read back as a line break, so the
    calendar app shows the description, then the agenda one item a line."""
    app.config["FEED_LOCALE"] = "en"
    event = db.session.get(PublicEvent, kick_off.id)
    event.description_ja, event.description_en = "四市町の合同キックオフ", "A joint kick-off"
    start = event.booking.start_dt
    db.session.add_all([
        AgendaItem(event=event, start_dt=start, minutes=15, title_ja="開会", title_en="Opening"),
        AgendaItem(event=event, start_dt=start + timedelta(minutes=15), minutes=30, title_ja="講演",
                   title_en="Talk", speakers="Ms. A"),
    ])
    db.session.commit()

    [found] = _feed(client)

    assert str(found["DESCRIPTION"]).split("\n") == ["A joint kick-off", "17:00 Opening", "17:15 Talk (Ms. A)"]


def test_an_english_description_is_shown_even_when_there_is_no_japanese_one(app, client, kick_off):
    app.config["FEED_LOCALE"] = "en"
    event = db.session.get(PublicEvent, kick_off.id)
    event.description_ja, event.description_en = "", "Four municipalities open their offices"
    db.session.commit()

    [in_feed] = _feed(client)
    [in_file] = _vevents(client.get(f"/events/{kick_off.id}.ics").data)

    assert str(in_feed["DESCRIPTION"]) == "Four municipalities open their offices"
    assert str(in_file["DESCRIPTION"]) == "Four municipalities open their offices"


# --- the event's other values ------------------------------------------------------------------------


def test_an_english_feed_names_the_space_in_english(app, client, kick_off, hall):
    app.config["FEED_LOCALE"] = "en"

    [found] = _feed(client)

    assert str(found["LOCATION"]) == hall.name_en


def test_the_event_starts_and_ends_at_the_spaces_local_time_with_its_tzid(client, kick_off):
    """RFC 5545 §3.3.5: a local time with a TZID, which the feed's VTIMEZONE defines; 17:00 in Tokyo
    is what the space's page says, not 08:00 UTC."""
    raw = client.get("/events.ics").data
    [found] = _vevents(raw)

    assert found["DTSTART"].params["TZID"] == found["DTEND"].params["TZID"] == "Asia/Tokyo"
    assert found.decoded("DTSTART").replace(tzinfo=None).time() == time(17, 0)
    assert found.decoded("DTEND").replace(tzinfo=None).time() == time(18, 45)
    assert b"\r\nDTSTART;TZID=Asia/Tokyo:" in raw and b"\r\nDTEND;TZID=Asia/Tokyo:" in raw


def test_a_published_event_on_a_confirmed_booking_is_confirmed_and_busy(client, kick_off):
    [found] = _feed(client)

    assert str(found["STATUS"]) == "CONFIRMED" and str(found["TRANSP"]) == "OPAQUE"


def test_the_events_page_address_is_written_as_an_upper_case_url_property(client, kick_off):
    """Property names are case-insensitive (RFC 5545 §3.1), but the feed writes every one in upper case,
    as icalendar and the calendar apps themselves do: the page's address on a line of its own."""
    raw = client.get("/events.ics").data

    assert f"\r\nURL:http://localhost/events/{kick_off.id}\r\n".encode() in raw


# --- the calendar: name, refresh, caching ------------------------------------------------------------


def test_the_feed_is_named_public_events_in_the_deployments_language(app, client, kick_off):
    app.config["FEED_LOCALE"] = "ja"
    japanese = icalendar.Calendar.from_ical(client.get("/events.ics").data)
    app.config["FEED_LOCALE"] = "en"
    english = icalendar.Calendar.from_ical(client.get("/events.ics").data)

    assert str(japanese["X-WR-CALNAME"]) == str(japanese["NAME"]) == "公開イベント"
    assert str(english["X-WR-CALNAME"]) == str(english["NAME"]) == "Public events"


def test_the_feed_asks_to_be_polled_as_often_as_the_setting_says(app, client, kick_off):
    """RFC 7986 §5.7 REFRESH-INTERVAL, and X-PUBLISHED-TTL for the apps that read only that."""
    app.config["FEED_REFRESH_MINUTES"] = 30

    feed = icalendar.Calendar.from_ical(client.get("/events.ics").data)

    assert feed.decoded("REFRESH-INTERVAL") == timedelta(minutes=30)
    assert str(feed["X-PUBLISHED-TTL"]) == "PT30M"


def test_the_events_feed_may_be_kept_by_shared_caches(client, kick_off):
    """Everybody gets the same public feed: a proxy may keep it (revalidating every time)."""
    response = client.get("/events.ics")

    assert response.headers["Cache-Control"] == "no-cache, public"


def test_a_feed_without_any_event_in_its_window_is_an_empty_calendar(client, hall):
    response = client.get("/events.ics")
    feed = icalendar.Calendar.from_ical(response.data)

    assert response.status_code == 200
    assert feed.walk("VEVENT") == []
    assert [str(z["TZID"]) for z in feed.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    again = client.get("/events.ics", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_feed_lists_its_events_in_order_of_their_start(client, hall, create_user):
    host = create_user()
    later = make_event(hall, host, future_day(30) + timedelta(hours=1), future_day(30) + timedelta(hours=2))
    earlier = make_event(hall, host, future_day(20) + timedelta(hours=1), future_day(20) + timedelta(hours=2))
    middle = make_event(hall, host, future_day(25) + timedelta(hours=1), future_day(25) + timedelta(hours=2))

    assert [str(e["UID"]) for e in _feed(client)] == [earlier.uid, middle.uid, later.uid]


# --- the VTIMEZONE covers the years of the events ------------------------------------------------------


def test_an_event_years_ahead_in_a_summer_time_zone_reads_at_its_instant_in_every_parser(
        app, client, create_space, create_user):
    """RFC 5545 §3.6.5: a parser finds a local time's offset in the VTIMEZONE (Outlook, ical.js and vobject
    do), so the feed's and the event file's VTIMEZONEs must reach summer time in the year of the event,
    not only this year and the next."""
    app.config["FEED_DAYS_AHEAD"] = 1100
    berlin = create_space(slug="berlin", timezone="Europe/Berlin")
    start = datetime(utcnow().year + 2, 7, 15, 8, 0, tzinfo=UTC)  # 10:00 summer time in Berlin
    event = make_event(berlin, create_user(), start, start + timedelta(hours=2))

    raws = [client.get("/events.ics").data, client.get(f"/events/{event.id}.ics").data]

    for raw, read in zip(raws, read_with_ical_js(raws), strict=True):
        for parser, found in instants(raw, read).items():
            assert found == {event.uid: (start, start + timedelta(hours=2))}, parser


def test_the_event_file_says_the_spaces_time_zone(client, create_space, create_user):
    berlin = create_space(slug="berlin", timezone="Europe/Berlin")
    start = future_day(12) + timedelta(hours=9)
    event = make_event(berlin, create_user(), start, start + timedelta(hours=1))

    one = icalendar.Calendar.from_ical(client.get(f"/events/{event.id}.ics").data)

    assert str(one["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert [str(z["TZID"]) for z in one.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_the_feeds_vtimezone_covers_the_window_at_the_clock_reading_it_is_built_for(
        app, create_space, create_user):
    """A feed built for a day two years back covers that day's window, summer time included."""
    app.config.update(FEED_DAYS_BACK=14, FEED_DAYS_AHEAD=365)
    berlin = create_space(slug="berlin", timezone="Europe/Berlin")
    year = utcnow().year - 2
    now = datetime(year, 3, 1, 12, 0, tzinfo=UTC)
    start = datetime(year, 7, 15, 8, 0, tzinfo=UTC)  # 10:00 summer time in Berlin
    event = make_event(berlin, create_user(), start, start + timedelta(hours=2))

    raw = events_feed(now).body().data
    [read] = read_with_ical_js([raw])

    for parser, found in instants(raw, read).items():
        assert found == {event.uid: (start, start + timedelta(hours=2))}, parser


# --- the window: which events are listed ---------------------------------------------------------------


def test_the_window_opens_at_midnight_in_tokyo_two_weeks_back(app, hall, create_user):
    """At 21:00 on 10 June in Tokyo (12:00 UTC) the window opens at 00:00 on 27 May in Tokyo, which is
    15:00 UTC on 26 May: an event ending then is over before it, one starting then is listed."""
    _windowed(app)
    opening = datetime(2026, 5, 27, tzinfo=TOKYO)
    host = create_user()
    before = make_event(hall, host, opening - timedelta(hours=2), opening)
    inside = make_event(hall, host, opening, opening + timedelta(hours=1))

    assert _uids_at(NOW) == [inside.uid] and before.uid not in _uids_at(NOW)


def test_the_window_closes_at_midnight_in_tokyo_a_year_and_a_day_ahead(app, hall, create_user):
    """The window ends at the end of the 365th day after today (Tokyo days): an event starting at that
    midnight is outside, one ending then is listed."""
    window = _windowed(app)
    closing = datetime(2027, 6, 11, tzinfo=TOKYO)
    assert window.end_dt == closing
    host = create_user()
    inside = make_event(hall, host, closing - timedelta(hours=1), closing)
    after = make_event(hall, host, closing, closing + timedelta(hours=1))
    far = make_event(hall, host, closing + timedelta(days=30), closing + timedelta(days=30, hours=1))

    uids = _uids_at(NOW)

    assert uids == [inside.uid] and after.uid not in uids and far.uid not in uids


def test_an_event_withdrawn_long_ago_is_no_longer_listed_even_before_it_takes_place(app, hall, create_user):
    """A cancellation stays in the feed for FEED_CANCELLED_DAYS only (Apple Calendar keeps showing it struck
    through): then it leaves, whether staff withdrew the event or its booking was cancelled."""
    window = _windowed(app)
    host = create_user()
    start = NOW + timedelta(days=20)
    withdrawn = make_event(hall, host, start, start + timedelta(hours=1), status="withdrawn")
    booking_off = make_event(hall, host, start + timedelta(days=1), start + timedelta(days=1, hours=1))
    db.session.get(PublicEvent, booking_off.id).booking.status = "cancelled"
    db.session.commit()
    live = make_event(hall, host, start + timedelta(days=2), start + timedelta(days=2, hours=1))
    long_ago = window.gone_since - timedelta(days=30)
    for event in (withdrawn, booking_off, live):
        _age(event, event_at=long_ago, booking_at=long_ago)

    assert _uids_at(NOW) == [live.uid]


def test_an_event_withdrawn_recently_is_listed_as_cancelled_whichever_row_changed(app, hall, create_user):
    """Staff withdrawing the event changes the event's row only; a cancelled booking changes the booking's
    row only. Either recent change keeps the event in the feed, as STATUS:CANCELLED (RFC 5545 §3.8.1.11)."""
    window = _windowed(app)
    host = create_user()
    start = NOW + timedelta(days=20)
    withdrawn = make_event(hall, host, start, start + timedelta(hours=1), status="withdrawn")
    booking_off = make_event(hall, host, start + timedelta(days=1), start + timedelta(days=1, hours=1))
    db.session.get(PublicEvent, booking_off.id).booking.status = "cancelled"
    db.session.commit()
    long_ago, yesterday = window.gone_since - timedelta(days=30), NOW - timedelta(days=1)
    _age(withdrawn, event_at=yesterday, booking_at=long_ago)
    _age(booking_off, event_at=long_ago, booking_at=yesterday)

    found = _vevents(events_feed(NOW).body().data)

    assert [str(e["UID"]) for e in found] == [withdrawn.uid, booking_off.uid]
    assert [str(e["STATUS"]) for e in found] == ["CANCELLED", "CANCELLED"]


def test_a_cancellation_exactly_at_the_limit_is_still_listed_and_a_second_earlier_is_not(
        app, hall, create_user):
    """The limit is midnight in Tokyo FEED_CANCELLED_DAYS before today, inclusive, for either row's change."""
    window = _windowed(app)
    assert window.gone_since == datetime(2026, 5, 27, tzinfo=TOKYO)
    host = create_user()
    start = NOW + timedelta(days=20)
    long_ago, limit = window.gone_since - timedelta(days=30), window.gone_since
    by_event = make_event(hall, host, start, start + timedelta(hours=1), status="withdrawn")
    by_booking = make_event(hall, host, start + timedelta(days=1), start + timedelta(days=1, hours=1))
    too_old = make_event(hall, host, start + timedelta(days=2), start + timedelta(days=2, hours=1),
                         status="withdrawn")
    db.session.get(PublicEvent, by_booking.id).booking.status = "cancelled"
    db.session.commit()
    _age(by_event, event_at=limit, booking_at=long_ago)
    _age(by_booking, event_at=long_ago, booking_at=limit)
    _age(too_old, event_at=limit - timedelta(seconds=1), booking_at=limit - timedelta(seconds=1))

    assert _uids_at(NOW) == [by_event.uid, by_booking.uid]


# --- validators: ETag and Last-Modified ----------------------------------------------------------------
# Built at NOW (21:00 in Tokyo) with change times a few hours before it: all after the window's day starts
# (Tokyo midnight), so Last-Modified is the change time itself at whatever hour the tests run.


def _at_now(hall, host, days: int) -> PublicEvent:
    start = NOW + timedelta(days=days)
    return make_event(hall, host, start, start + timedelta(hours=1))


def test_a_move_of_the_booking_alone_sets_the_feeds_last_modified(app, hall, create_user):
    """The booking's row changes when the event is moved (the event's row need not): Last-Modified is the
    later of the two change times."""
    event = _at_now(hall, create_user(), 10)
    event_at, booking_at = NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    _age(event, event_at=event_at, booking_at=booking_at)
    before = events_feed(NOW)

    _age(event, event_at=event_at, booking_at=booking_at + timedelta(minutes=10))
    after = events_feed(NOW)

    assert before.last_modified == booking_at
    assert after.last_modified == booking_at + timedelta(minutes=10)
    assert after.etag != before.etag


def test_an_event_added_with_an_older_change_time_still_changes_the_etag(app, hall, create_user):
    """Change times written by different processes need not grow with every write (each has its clock):
    the number of events listed is part of the ETag, so a new event with an earlier stamp is still seen."""
    host = create_user()
    first = _at_now(hall, host, 10)
    _age(first, event_at=NOW - timedelta(hours=1), booking_at=NOW - timedelta(hours=1))
    before = events_feed(NOW)

    added = _at_now(hall, host, 20)
    _age(added, event_at=NOW - timedelta(hours=3), booking_at=NOW - timedelta(hours=3))
    after = events_feed(NOW)

    assert after.last_modified == before.last_modified == NOW - timedelta(hours=1)
    assert after.etag != before.etag


def test_the_validators_are_the_same_whatever_zone_the_clock_reading_is_in(app, hall, create_user):
    """events_feed(now) with `now` in Tokyo time is the same instant as in UTC: the same ETag and
    Last-Modified, the stored change times read as the UTC instants they are."""
    event = _at_now(hall, create_user(), 10)
    _age(event, event_at=NOW - timedelta(hours=2), booking_at=NOW - timedelta(hours=1))

    in_utc, in_tokyo = events_feed(NOW), events_feed(NOW.astimezone(TOKYO))

    assert in_tokyo.etag == in_utc.etag
    assert in_tokyo.last_modified == in_utc.last_modified == NOW - timedelta(hours=1)
