"""feeds.Window.around and feeds._etag (the event feeds' window and validator): local days, settings, defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from booking.services import feeds

NOW = datetime(2027, 3, 1, 16, 0, tzinfo=UTC)  # 01:00 on 2 March in Tokyo, still 1 March in UTC
TOKYO_MIDNIGHT = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)  # 2 March 00:00 in Tokyo


def test_the_window_is_cut_at_midnight_of_the_local_day_by_the_given_settings(app):
    app.config.update(FEED_DAYS_BACK=99, FEED_DAYS_AHEAD=99, FEED_CANCELLED_DAYS=99)  # the given ones win

    window = feeds.Window.around(NOW, "Asia/Tokyo", {"FEED_DAYS_BACK": 3, "FEED_DAYS_AHEAD": 10,
                                                     "FEED_CANCELLED_DAYS": 5})

    assert window.day == TOKYO_MIDNIGHT.astimezone(feeds.ical.zone_of("Asia/Tokyo")).date()
    assert window.day_start == TOKYO_MIDNIGHT
    assert window.start_dt == TOKYO_MIDNIGHT - timedelta(days=3)
    assert window.end_dt == TOKYO_MIDNIGHT + timedelta(days=11)  # to the end of the tenth day ahead
    assert window.gone_since == TOKYO_MIDNIGHT - timedelta(days=5)


def test_the_window_reads_the_apps_settings_when_given_none(app):
    app.config.update(FEED_DAYS_BACK=2, FEED_DAYS_AHEAD=4, FEED_CANCELLED_DAYS=1)

    window = feeds.Window.around(NOW, "Europe/Berlin")

    midnight = datetime(2027, 3, 1, 0, 0, tzinfo=feeds.ical.zone_of("Europe/Berlin")).astimezone(UTC)
    assert (window.day_start, window.start_dt, window.end_dt, window.gone_since) == (
        midnight, midnight - timedelta(days=2), midnight + timedelta(days=5), midnight - timedelta(days=1))


def test_a_window_without_settings_reaches_14_days_back_365_ahead_and_shows_14_days_of_cancellations(app):
    window = feeds.Window.around(NOW, "Asia/Tokyo", {})

    assert window.start_dt == TOKYO_MIDNIGHT - timedelta(days=14)
    assert window.end_dt == TOKYO_MIDNIGHT + timedelta(days=366)
    assert window.gone_since == TOKYO_MIDNIGHT - timedelta(days=14)


def test_the_etag_follows_the_language_and_refresh_of_the_given_settings_not_the_apps(app):
    window = feeds.Window.around(NOW, "Asia/Tokyo", {})
    english = {"FEED_LOCALE": "en", "FEED_REFRESH_MINUTES": 60}
    app.config.update(FEED_LOCALE="ja", FEED_REFRESH_MINUTES=60)

    given = feeds._etag(window, 7, ("event", 1), english)

    assert given != feeds._etag(window, 7, ("event", 1))  # the app's language differs
    assert given != feeds._etag(window, 7, ("event", 1), {**english, "FEED_REFRESH_MINUTES": 30})
    assert given != feeds._etag(window, 8, ("event", 1), english) != feeds._etag(window, 7, ("event", 2), english)
    app.config.update(FEED_LOCALE="en")
    assert feeds._etag(window, 7, ("event", 1)) == given  # the same settings, read from the app
