"""Events in the hour an autumn clock change repeats are written in UTC, and every parser reads them alike.

RFC 5545 §3.3.5 reads a repeated local time with a TZID as its first occurrence,
so such a time in the space's zone would move the second 01:00 an hour early.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import PASSWORD
from tests.feeds.conftest import parse, utc

ZONES = {"America/New_York": time(1), "Europe/Berlin": time(2)}


def next_fall_back(zone: ZoneInfo) -> date:
    day = datetime.now(UTC).date() + timedelta(days=7)
    while not (datetime.combine(day, time(0), zone).utcoffset() > datetime.combine(day, time(12), zone).utcoffset()):
        day += timedelta(days=1)
    return day


@pytest.mark.parametrize("zone_name", sorted(ZONES))
@pytest.mark.parametrize("fold", [0, 1])
def test_an_event_in_the_repeated_hour_is_written_in_utc_and_parsers_agree(
    client, create_space, member, create_booking, zone_name, fold
):
    zone = ZoneInfo(zone_name)
    space = create_space(slug="night", timezone=zone_name)
    day = next_fall_back(zone)
    start = datetime.combine(day, ZONES[zone_name].replace(fold=fold), zone).astimezone(UTC)
    booking = create_booking(space, member, start, start + timedelta(minutes=30), title="Night shoot")
    client.login(member.email, PASSWORD)

    feed = parse(client.get(f"/bookings/{booking.id}/calendar.ics").data)

    event = feed.event(booking.uid)
    assert "TZID" not in event["DTSTART"].params and "TZID" not in event["DTEND"].params
    assert f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\n" in feed.text
    assert utc(event["DTSTART"]) == start and utc(event["DTEND"]) == start + timedelta(minutes=30)
    vevent = feed.vevents[0]
    assert vevent.dtstart.value.astimezone(UTC) == start
    assert vevent.dtend.value.astimezone(UTC) == start + timedelta(minutes=30)


def test_an_ordinary_event_keeps_its_local_time_with_the_zone(client, create_space, member, create_booking):
    zone = ZoneInfo("America/New_York")
    space = create_space(slug="day", timezone="America/New_York")
    day = next_fall_back(zone)
    start = datetime.combine(day, time(10), zone).astimezone(UTC)
    booking = create_booking(space, member, start, start + timedelta(hours=1))
    client.login(member.email, PASSWORD)

    feed = parse(client.get(f"/bookings/{booking.id}/calendar.ics").data)

    assert str(feed.event(booking.uid)["DTSTART"].params["TZID"]) == "America/New_York"
    assert feed.vevents[0].dtstart.value.astimezone(UTC) == start


def test_a_stay_over_two_days_reads_alike_in_every_parser(client, create_space, member, create_booking):
    space = create_space(slug="hall", timezone="America/New_York", max_minutes=2 * 1440,
                         hours={d: ((time(0), time(0)),) for d in range(7)})
    # In winter: vobject reads this zone's summer-time offset wrongly from icalendar's VTIMEZONE
    # (its RDATE lists; the VTIMEZONE is issue 11's), which is not what this test is about.
    january = date(datetime.now(UTC).year + 1, 1, 15)
    start = datetime.combine(january, time(22), ZoneInfo("America/New_York")).astimezone(UTC)
    booking = create_booking(space, member, start, start + timedelta(days=2))  # 22:00 to 22:00 two days later
    client.login(member.email, PASSWORD)

    feed = parse(client.get(f"/bookings/{booking.id}/calendar.ics").data)

    event, vevent = feed.event(booking.uid), feed.vevents[0]
    assert utc(event["DTEND"]) - utc(event["DTSTART"]) == timedelta(days=2)
    assert (vevent.dtstart.value.astimezone(UTC), vevent.dtend.value.astimezone(UTC)) == (
        start, start + timedelta(days=2))
    assert str(event["DTSTART"].params["TZID"]) == "America/New_York"
