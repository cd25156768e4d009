"""What a deployment sets for its feeds is what the feeds do: how often clients poll, how much body cache
a process keeps, which years the time zones cover; and what a feed tells the HTTP layer and its caches."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from booking.extensions import db
from booking.services import feeds
from tests.feeds.conftest import counting_queries, parse, token_for


@pytest.fixture
def fresh_cache(app):
    """The app's body cache made again from the settings on its next use."""
    app.extensions.pop("booking_feed_bodies", None)
    yield
    app.extensions.pop("booking_feed_bodies", None)


@pytest.mark.parametrize("minutes, duration", [(None, "PT1H"), (30, "PT30M"), (1440, "P1D")])
def test_clients_are_asked_to_poll_as_often_as_the_deployment_says(app, space, minutes, duration):
    if minutes is not None:
        app.config["FEED_REFRESH_MINUTES"] = minutes

    text = feeds.space_feed(space.slug).build().decode()

    assert f"REFRESH-INTERVAL;VALUE=DURATION:{duration}\r\n" in text
    assert f"X-PUBLISHED-TTL:{duration}\r\n" in text


def test_settings_given_explicitly_are_read_instead_of_the_apps(app):
    app.config["FEED_REFRESH_MINUTES"] = 60

    assert feeds.refresh_interval({"FEED_REFRESH_MINUTES": 15}) == timedelta(minutes=15)
    assert feeds.refresh_interval({}) == timedelta(hours=1)
    assert feeds.refresh_interval() == timedelta(hours=1)


def test_a_process_keeps_16_mib_of_feed_bodies_unless_the_deployment_says_otherwise(app, fresh_cache):
    app.config.pop("FEED_CACHE_BYTES", None)
    assert feeds.body_cache().max_bytes == 16 * 1024 * 1024
    assert feeds.body_cache() is feeds.body_cache()

    app.extensions.pop("booking_feed_bodies")
    app.config["FEED_CACHE_BYTES"] = 4096
    assert feeds.body_cache().max_bytes == 4096


def test_a_body_asked_for_again_with_the_same_validators_comes_from_the_cache_without_a_query(space, member, book,
                                                                                            fresh_cache):
    book(space, member, is_public=True, title="Recording")
    first = feeds.space_feed(space.slug).build()
    feed = feeds.space_feed(space.slug)

    with counting_queries() as statements:
        again = feed.body()

    assert again.data == first and again.etag == feed.etag
    assert statements == []


def test_a_body_read_after_a_change_committed_carries_the_validator_it_was_read_with(space, member, book,
                                                                                   fresh_cache):
    booking = book(space, member, is_public=True, title="Before")
    feed = feeds.space_feed(space.slug)
    booking.title = "After"
    db.session.commit()

    body = feed.body()

    assert parse(body.data).summaries() == ["After"]
    assert body.etag == feeds.space_feed(space.slug).etag != feed.etag
    assert body.last_modified is None
    assert feeds.space_feed(space.slug).cached() is None  # kept only under the validators it was asked for


def test_only_the_public_space_feed_may_be_kept_by_shared_caches(client, space, member, create_user):
    staff = create_user(role="staff")

    assert feeds.space_feed(space.slug).is_public is True
    assert feeds.member_feed(token_for(member)).is_public is False
    assert feeds.staff_feed(token_for(staff, "staff")).is_public is False
    assert feeds.staff_feed(token_for(staff, "staff"), space.slug).is_public is False
    assert client.get(f"/spaces/{space.slug}/calendar.ics").headers["Cache-Control"] == "no-cache, public"
    assert client.get(f"/feeds/{token_for(member)}/bookings.ics").headers["Cache-Control"] == "no-cache, private"


@pytest.mark.parametrize("setting, year_offset", [("FEED_DAYS_AHEAD", 2), ("FEED_DAYS_BACK", -1)])
def test_the_time_zone_covers_every_year_the_window_reaches(app, create_space, setting, year_offset):
    berlin = create_space(slug="berlin", timezone="Europe/Berlin")
    today = datetime.now(UTC).date()
    year = today.year + year_offset
    # Into February of the year after next, or back into December of last year: a year no default covers.
    reach = (date(year, 2, 1) - today).days if year_offset > 0 else (today - date(year, 12, 1)).days
    app.config[setting] = reach
    assert year in feeds.Window.around(datetime.now(UTC), "Europe/Berlin").years

    text = feeds.space_feed(berlin.slug).build().decode()

    assert f"DTSTART:{year}03" in text and f"DTSTART:{year}10" in text  # that year's two clock changes


@pytest.mark.parametrize("locale, name_en, expected", [
    ("ja", "tsulunós studio", "tsulunós スタジオ"),
    ("en", "tsulunós studio", "tsulunós studio"),
    ("en", "", "tsulunós スタジオ"),  # no English name: the Japanese one
])
def test_a_space_feed_is_named_in_the_feeds_language(app, space, locale, name_en, expected):
    app.config["FEED_LOCALE"] = locale
    space.name_en = name_en
    db.session.commit()

    text = feeds.space_feed(space.slug).build().decode()

    assert f"\r\nX-WR-CALNAME:{expected}\r\n" in text


def test_stored_change_times_are_read_as_utc_whatever_the_servers_own_time_zone(
        space, member, book, monkeypatch):
    """SQLite hands back naive UTC text: read as local time on a server set to Tokyo, every stored
    event would look stale and be rendered again for every feed request."""
    import time

    book(space, member, is_public=True, title="Stored")
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        rendered = []
        monkeypatch.setattr(feeds, "_render_in_memory", lambda ids, *args: rendered.append(ids) or {})
        assert parse(feeds.space_feed(space.slug).build()).summaries() == ["Stored"]
        assert rendered == []
    finally:
        monkeypatch.undo()
        time.tzset()


def test_an_event_missing_for_one_audience_is_rendered_although_its_stamp_is_current(space, member, book):
    """A row whose public event is empty (written before that audience had one) but whose stamp is fresh."""
    from sqlalchemy import update

    from booking.models import Booking

    booking = book(space, member, is_public=True, title="Recording")
    table = Booking.__table__
    db.session.execute(update(table).where(table.c.id == booking.id).values(ics_public=None))
    db.session.commit()

    assert parse(feeds.space_feed(space.slug).build()).summaries() == ["Recording"]


def test_the_staff_feed_carries_the_time_zone_of_every_space_it_shows(space, member, book, create_space,
                                                                       create_user):
    berlin = create_space(slug="berlin", timezone="Europe/Berlin")
    book(space, member, title="Tokyo")
    book(berlin, member, title="Berlin")
    staff = create_user(role="staff")

    text = feeds.staff_feed(token_for(staff, "staff")).build().decode()

    assert "TZID:Europe/Berlin\r\n" in text and "TZID:Asia/Tokyo\r\n" in text
