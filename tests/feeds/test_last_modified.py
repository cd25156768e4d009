"""feeds.last_modified: a one-space feed's Last-Modified, in whole seconds, never within the current second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from booking.services import feeds

NOW = datetime(2027, 3, 10, 6, 30, 15, 500_000, tzinfo=UTC)


def window() -> feeds.Window:
    return feeds.Window.around(NOW, "Asia/Tokyo")


def test_last_modified_is_the_spaces_change_time_in_whole_seconds(app):
    changed = NOW - timedelta(minutes=5, microseconds=250_000)
    assert feeds.last_modified(changed, window(), NOW) == changed.replace(microsecond=0)


def test_last_modified_is_the_start_of_the_day_when_nothing_changed_since(app):
    assert feeds.last_modified(None, window(), NOW) == window().day_start
    assert feeds.last_modified(window().day_start - timedelta(days=3), window(), NOW) == window().day_start


def test_no_last_modified_while_the_change_is_in_the_current_second(app):
    assert feeds.last_modified(NOW - timedelta(microseconds=400_000), window(), NOW) is None
    assert feeds.last_modified(NOW.replace(microsecond=0) - timedelta(microseconds=1), window(), NOW) is not None
