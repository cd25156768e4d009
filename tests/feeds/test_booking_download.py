"""One booking as a file to import into a calendar."""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.feeds.conftest import parse


def test_a_member_downloads_one_booking_as_an_ics_file(client, space, member, book):
    booking = book(space, member, title="Studio recording", purpose="Episode 12")
    client.login(member.email, PASSWORD)

    response = client.get(f"/bookings/{booking.id}/calendar.ics")

    assert response.status_code == 200
    assert response.content_type == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="booking-{booking.id}.ics"'
    feed = parse(response.data)
    assert str(feed.calendar["METHOD"]) == "PUBLISH"
    assert [str(e["UID"]) for e in feed.events] == [booking.uid]
    assert "Episode 12" in str(feed.event(booking.uid)["DESCRIPTION"])
    assert [str(z["TZID"]) for z in feed.calendar.walk("VTIMEZONE")] == ["Asia/Tokyo"]


def test_the_booking_page_links_to_the_download(client, space, member, book):
    booking = book(space, member)
    client.login(member.email, PASSWORD)

    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)

    assert f'href="/bookings/{booking.id}/calendar.ics"' in page


def test_someone_elses_booking_cannot_be_downloaded(client, space, member, create_user, book):
    booking = book(space, member)
    other = create_user()
    client.login(other.email, PASSWORD)

    assert client.get(f"/bookings/{booking.id}/calendar.ics").status_code == 404


def test_one_booking_to_import_names_its_spaces_zone_carries_its_own_years_rules_and_says_nothing_of_polling(
        app, create_space, member, create_booking):
    from datetime import UTC, datetime

    from booking.services import feeds

    berlin = create_space(slug="berlin", timezone="Europe/Berlin")
    year = datetime.now(UTC).year + 3  # past the default years of a header (this one and the next)
    start = datetime(year, 7, 1, 8, tzinfo=UTC)
    booking = create_booking(berlin, member, start, start.replace(hour=9))

    calendar = parse(feeds.booking_calendar(booking)).calendar

    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert "REFRESH-INTERVAL" not in calendar and "X-PUBLISHED-TTL" not in calendar
    assert str(calendar["METHOD"]) == "PUBLISH"
    (zone,) = calendar.walk("VTIMEZONE")
    summer_starts = [o["DTSTART"].dt.year for o in zone.walk("DAYLIGHT")]
    assert year in summer_starts and year - 3 not in summer_starts
