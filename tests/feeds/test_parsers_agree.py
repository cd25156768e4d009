"""Every feed kind and every mail's calendar object, read by icalendar, vobject and ical.js.

Spaces in Asia/Tokyo and Europe/Berlin with bookings on both sides of each of
Berlin's next two daylight-saving switches (and on the switch days); every parser
must find each event at the UTC instants the database holds. ical.js is
Thunderbird's parser (npm, pinned in tests/js/package-lock.json; `make test`
installs it), run with the machine's Node.js.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from booking import ical
from booking.models import Booking
from booking.services import feed_tokens
from booking.services.notifications import calendar_message

READER = Path(__file__).resolve().parents[1] / "js" / "read_ics.mjs"
BERLIN = ZoneInfo("Europe/Berlin")


def read_with_ical_js(raws: list[bytes]) -> list[dict[str, Any]]:
    """What ical.js reads in each calendar (one Node process for all of them)."""
    payload = json.dumps([raw.decode("utf-8") for raw in raws]).encode("utf-8")
    done = subprocess.run(["node", str(READER)], input=payload, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return list(json.loads(done.stdout))


def instants(raw: bytes, by_ical_js: dict[str, Any]) -> dict[str, dict[str, tuple[datetime, datetime]]]:
    """Each parser's {UID: (start, end)} in UTC (`by_ical_js`: what ical.js read of `raw`)."""
    calendar = icalendar.Calendar.from_ical(raw)
    by_icalendar = {str(e["UID"]): (e.decoded("DTSTART").astimezone(UTC), e.decoded("DTEND").astimezone(UTC))
                    for e in calendar.walk("VEVENT")}
    vcalendar = vobject.readOne(raw.decode("utf-8"))
    by_vobject = {v.uid.value: (v.dtstart.value.astimezone(UTC), v.dtend.value.astimezone(UTC))
                  for v in getattr(vcalendar, "vevent_list", [])}
    found_by_ical_js = {e["uid"]: (datetime.fromtimestamp(e["start"]["utc"], UTC),
                                   datetime.fromtimestamp(e["end"]["utc"], UTC))
                        for e in by_ical_js["events"]}
    return {"icalendar": by_icalendar, "vobject": by_vobject, "ical.js": found_by_ical_js}


def tzids_used(raw: bytes) -> set[str]:
    calendar = icalendar.Calendar.from_ical(raw)
    return {str(e["DTSTART"].params["TZID"]) for e in calendar.walk("VEVENT") if "TZID" in e["DTSTART"].params}


def tzids_defined(raw: bytes) -> set[str]:
    return {str(z["TZID"]) for z in icalendar.Calendar.from_ical(raw).walk("VTIMEZONE")}


@pytest.fixture
def around_switches(create_space, create_user, create_booking) -> dict[str, Any]:
    """Bookings at 10:00 local two days before, on, and two days after Berlin's next two switches."""
    tokyo = create_space(slug="tokyo", timezone="Asia/Tokyo")
    berlin = create_space(slug="berlin", timezone="Europe/Berlin", name_ja="Halle, 1; \\ Berlin")
    member = create_user(name="Anna, B.", locale="en")
    staff = create_user(role="staff")
    now = datetime.now(UTC)
    switches = ical.transitions(BERLIN, now + timedelta(days=3), now + timedelta(days=360))[:2]
    assert len(switches) == 2
    bookings: list[Booking] = []
    for switch in switches:
        for shift in (-2, 0, 2):
            day = switch.astimezone(BERLIN).date() + timedelta(days=shift)
            for space in (tokyo, berlin):
                start = datetime.combine(day, time(10), ZoneInfo(space.timezone))
                bookings.append(create_booking(space, member, start, start + timedelta(hours=2),
                                               title=f"{space.slug} {day}", is_public=True))
    return {"tokyo": tokyo, "berlin": berlin, "member": member, "staff": staff, "bookings": bookings}


def assert_parsers_agree(cases: list[tuple[bytes, list[Booking]]]) -> list[dict[str, Any]]:
    """Each calendar read by all three parsers finds exactly its bookings' UTC instants; ical.js's readings."""
    readings = read_with_ical_js([raw for raw, _bookings in cases])
    for (raw, bookings), by_ical_js in zip(cases, readings, strict=True):
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert tzids_used(raw) <= tzids_defined(raw)
        assert set(by_ical_js["timezones"]) == tzids_defined(raw)
        expected = {b.uid: (b.start_dt, b.end_dt) for b in bookings}
        for parser, found in instants(raw, by_ical_js).items():
            assert found == expected, f"{parser} reads other instants than the database holds"
    return readings


def test_every_feed_kind_reads_the_same_in_every_parser(client, around_switches):
    bookings = around_switches["bookings"]
    member_token = feed_tokens.renew_token(around_switches["member"], "member")
    staff_token = feed_tokens.renew_token(around_switches["staff"], "staff")
    by_space = {slug: [b for b in bookings if b.space.slug == slug] for slug in ("tokyo", "berlin")}
    feeds = [
        ("/spaces/tokyo/calendar.ics", by_space["tokyo"]),
        ("/spaces/berlin/calendar.ics", by_space["berlin"]),
        (f"/feeds/{member_token}/bookings.ics", bookings),
        (f"/feeds/{staff_token}/staff.ics", bookings),
        (f"/feeds/{staff_token}/staff/berlin.ics", by_space["berlin"]),
    ]
    cases = []
    for url, expected in feeds:
        response = client.get(url)
        assert response.status_code == 200, url
        cases.append((response.data, expected))
    assert_parsers_agree(cases)
    berlin_feed = client.get("/spaces/berlin/calendar.ics").data
    locations = {str(e["LOCATION"]) for e in icalendar.Calendar.from_ical(berlin_feed).walk("VEVENT")}
    assert locations == {"Halle, 1; \\ Berlin"}


def test_the_single_booking_download_reads_the_same_in_every_parser(client, around_switches):
    client.login(around_switches["member"].email)
    cases = []
    for booking in around_switches["bookings"]:
        response = client.get(f"/bookings/{booking.id}/calendar.ics")
        assert response.status_code == 200
        cases.append((response.data, [booking]))
    assert_parsers_agree(cases)


@pytest.mark.parametrize("status,method", [("confirmed", "REQUEST"), ("cancelled", "CANCEL"), ("rejected", "CANCEL")])
def test_each_mail_calendar_object_reads_the_same_in_every_parser(around_switches, status, method):
    cases = []
    for booking in around_switches["bookings"]:
        booking.status = status
        found_method, raw = calendar_message(booking, "en")
        assert found_method == method
        cases.append((raw, [booking]))
    for read, booking in zip(assert_parsers_agree(cases), around_switches["bookings"], strict=True):
        assert read["method"] == method
        [event] = read["events"]
        assert event["status"] == ("CONFIRMED" if method == "REQUEST" else "CANCELLED")
        assert event["attendees"] == [{"value": f"mailto:{booking.user.email}", "rsvp": "FALSE"}]
        assert event["organizer"].startswith("mailto:")
        assert event["location"] == booking.space.name("en")


REPEATED_HOUR = {"America/New_York": 1, "Europe/Berlin": 2}  # local hour that the autumn switch repeats


def _next_fall_back(zone: ZoneInfo) -> datetime:
    """The next autumn switch in `zone` (UTC), at least a week from now."""
    now = datetime.now(UTC)
    switches = ical.transitions(zone, now + timedelta(days=7), now + timedelta(days=360))
    return next(s for s in switches if (s - timedelta(hours=3)).astimezone(zone).utcoffset()
                > (s + timedelta(hours=3)).astimezone(zone).utcoffset())


@pytest.mark.parametrize("zone_name", sorted(REPEATED_HOUR))
def test_events_in_the_repeated_hour_read_the_same_in_every_parser(
    client, create_space, create_user, create_booking, zone_name
):
    """Issue 15's fold-hour events (written in UTC) through ical.js too, in every feed kind and in mail."""
    zone = ZoneInfo(zone_name)
    day = _next_fall_back(zone).astimezone(zone).date()
    hour = REPEATED_HOUR[zone_name]

    def local(h: int, minute: int, fold: int = 0) -> datetime:
        return datetime.combine(day, time(h, minute, fold=fold), zone).astimezone(UTC)

    assert local(hour, 0, fold=1) - local(hour, 0) == timedelta(hours=1)  # really the repeated hour
    spans = {
        "starts-first-run": (local(hour, 0), local(hour, 30)),
        "starts-second-run": (local(hour, 0, fold=1), local(hour, 30, fold=1)),
        "ends-first-run": (local(hour - 1, 30), local(hour, 15)),
        "first-to-second-run": (local(hour, 45), local(hour, 15, fold=1)),
        "ends-second-run": (local(hour - 1, 0), local(hour, 45, fold=1)),
    }
    member = create_user(locale="en")
    staff = create_user(role="staff")
    # One space per kind of span, so that no two bookings of a space overlap.
    spaces = {group: create_space(slug=f"night-{group}", timezone=zone_name) for group in ("start", "end", "span")}
    groups = {"starts-first-run": "start", "starts-second-run": "start", "ends-first-run": "end",
              "first-to-second-run": "end", "ends-second-run": "span"}
    bookings = [create_booking(spaces[groups[name]], member, start, end, title=name, is_public=True)
                for name, (start, end) in spans.items()]
    member_token = feed_tokens.renew_token(member, "member")
    staff_token = feed_tokens.renew_token(staff, "staff")
    cases = []
    for group, space in spaces.items():
        in_space = [b for b in bookings if groups[b.title] == group]
        for url in (f"/spaces/{space.slug}/calendar.ics", f"/feeds/{staff_token}/staff/{space.slug}.ics"):
            response = client.get(url)
            assert response.status_code == 200, url
            cases.append((response.data, in_space))
    for url in (f"/feeds/{member_token}/bookings.ics", f"/feeds/{staff_token}/staff.ics"):
        response = client.get(url)
        assert response.status_code == 200, url
        cases.append((response.data, bookings))
    client.login(member.email)
    for booking in bookings:
        response = client.get(f"/bookings/{booking.id}/calendar.ics")
        assert response.status_code == 200
        cases.append((response.data, [booking]))
        for status in ("confirmed", "cancelled"):
            booking.status = status
            cases.append((calendar_message(booking, "en")[1], [booking]))
    assert_parsers_agree(cases)
