"""The member's and the staff's feeds show the days back and ahead, and the recent cancellations, the settings give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import update

from booking.db import utcnow
from booking.extensions import db
from booking.models import Booking
from booking.services import feeds
from tests.feeds.conftest import parse, token_for

TOKYO = ZoneInfo("Asia/Tokyo")


def cancelled_days_ago(booking: Booking, days: int) -> None:
    table = Booking.__table__
    db.session.execute(update(table).where(table.c.id == booking.id)
                       .values(status="cancelled", updated_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def book_around_the_windows(space, member, book):
    """Bookings 20 days ahead and 5 back (inside 7 back / 30 ahead), 40 ahead and 10 back (outside), and two
    cancelled 10 and 11 days ahead, one day and six days ago (inside and outside 3 cancelled days)."""
    near, back = book(space, member, day=20), book(space, member, day=-5)
    book(space, member, day=40)
    book(space, member, day=-10)
    just_cancelled, long_cancelled = book(space, member, day=10), book(space, member, day=11)
    cancelled_days_ago(just_cancelled, 1)
    cancelled_days_ago(long_cancelled, 6)
    return near, back, just_cancelled, long_cancelled


@pytest.mark.parametrize("audience", ["member", "staff", "staff of the space"])
def test_a_private_feed_shows_the_days_and_cancellations_the_settings_give(
        app, space, member, create_user, book, audience):
    app.config.update(FEED_DAYS_BACK=7, FEED_DAYS_AHEAD=30, FEED_CANCELLED_DAYS=3)
    near, back, just_cancelled, long_cancelled = book_around_the_windows(space, member, book)
    if audience == "member":
        feed = feeds.member_feed(token_for(member))
    else:
        slug = "studio" if audience == "staff of the space" else None
        feed = feeds.staff_feed(token_for(create_user(role="staff"), "staff"), slug)

    uids = sorted(str(e["UID"]) for e in parse(feed.build()).events)

    assert uids == sorted([near.uid, back.uid, just_cancelled.uid])


def test_a_feeds_days_are_the_local_days_of_its_time_zone(app, space, member, create_booking):
    app.config.update(FEED_DAYS_BACK=1)
    now = datetime(2027, 3, 10, 1, tzinfo=TOKYO)  # 9 March in UTC
    before = create_booking(space, member, datetime(2027, 3, 8, 20, tzinfo=TOKYO),
                            datetime(2027, 3, 8, 21, tzinfo=TOKYO))
    inside = create_booking(space, member, datetime(2027, 3, 9, 0, tzinfo=TOKYO), datetime(2027, 3, 9, 1, tzinfo=TOKYO))

    feed = feeds.member_feed(token_for(member), now=now.astimezone(UTC))

    assert [str(e["UID"]) for e in parse(feed.build()).events] == [inside.uid]
    assert before.uid not in feed.build().decode()


@pytest.mark.parametrize(("locale", "names"), [
    ("ja", ("マイ予約", "すべての予約", "すべての予約：tsulunós スタジオ")),
    ("en", ("My bookings", "All bookings", "All bookings: tsulunós studio")),
])
def test_each_private_feed_is_named_and_zoned_in_the_feeds_language(app, space, member, create_user, locale, names):
    app.config["FEED_LOCALE"] = locale
    staff_token = token_for(create_user(role="staff"), "staff")
    found = [feeds.member_feed(token_for(member)), feeds.staff_feed(staff_token),
             feeds.staff_feed(staff_token, "studio")]

    calendars = [icalendar.Calendar.from_ical(feed.build()) for feed in found]

    assert tuple(str(c["X-WR-CALNAME"]) for c in calendars) == names
    assert {str(c["X-WR-TIMEZONE"]) for c in calendars} == {"Asia/Tokyo"}
    assert all(feed.etag for feed in found)
    assert [feed.last_modified is not None for feed in found] == [False, False, True]


def test_the_served_space_feed_follows_every_feed_setting(app, fetch, space, member, book):
    app.config.update(FEED_DAYS_BACK=7, FEED_DAYS_AHEAD=30, FEED_CANCELLED_DAYS=3, FEED_REFRESH_MINUTES=30)
    near, back, just_cancelled, long_cancelled = book_around_the_windows(space, member, book)

    feed = fetch("/spaces/studio/calendar.ics")

    assert sorted(str(e["UID"]) for e in feed.events) == sorted([near.uid, back.uid, just_cancelled.uid])
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT30M" in feed.text and "X-PUBLISHED-TTL:PT30M" in feed.text


@pytest.mark.parametrize("slug", [None, "studio"])
def test_a_staff_feeds_days_are_the_local_days_of_its_time_zone_as_of_the_time_given(
        app, space, member, create_user, create_booking, slug):
    app.config.update(FEED_DAYS_BACK=1)
    now = datetime(2027, 3, 10, 1, tzinfo=TOKYO)  # 9 March in UTC
    before = create_booking(space, member, datetime(2027, 3, 8, 20, tzinfo=TOKYO),
                            datetime(2027, 3, 8, 21, tzinfo=TOKYO))
    inside = create_booking(space, member, datetime(2027, 3, 9, 0, tzinfo=TOKYO), datetime(2027, 3, 9, 1, tzinfo=TOKYO))

    feed = feeds.staff_feed(token_for(create_user(role="staff"), "staff"), slug, now=now.astimezone(UTC))

    assert [str(e["UID"]) for e in parse(feed.build()).events] == [inside.uid]
    assert before.uid not in feed.build().decode()
