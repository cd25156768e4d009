"""A space feed's validators kept per process by the data they come from (issue 21: cheap 304s), never stale."""

from __future__ import annotations

from datetime import timedelta

from booking.extensions import db
from booking.services import feeds
from tests.feeds.conftest import next_second

URL = "/spaces/studio/calendar.ics"


def test_a_renamed_space_whose_counter_did_not_move_no_longer_gets_a_304(client, space, member, book):
    book(space, member)
    etag = client.get(URL).headers["ETag"]
    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 304

    space.name_ja = "改名したスタジオ"  # written straight to the row: the counter stays as it was
    db.session.commit()

    renamed = client.get(URL, headers={"If-None-Match": etag})
    assert renamed.status_code == 200 and renamed.headers["ETag"] != etag
    assert "改名したスタジオ" in renamed.data.decode("utf-8")


def test_a_changed_feed_setting_changes_the_validator_of_an_unchanged_space(app, client, space, member, book):
    book(space, member)
    etag = client.get(URL).headers["ETag"]

    app.config["FEED_DAYS_AHEAD"] = 30

    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 200


def test_the_same_row_on_another_day_or_after_a_change_gets_another_validator(space, member, book):
    book(space, member)
    next_second()
    today = feeds.space_feed("studio")
    assert feeds.space_feed("studio") is today  # the very feed of the same data: nothing rebuilt
    tomorrow = feeds.space_feed("studio", now=feeds.utcnow() + timedelta(days=1))
    book(space, member, hour=5)
    changed = feeds.space_feed("studio")

    assert len({today.etag, tomorrow.etag, changed.etag}) == 3
    assert feeds._space_feeds.cache_info().maxsize == 1024
