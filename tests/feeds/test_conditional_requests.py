"""Revalidation: calendar apps polling an unchanged feed get 304 from one cheap query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from werkzeug.http import http_date, parse_date

from booking.extensions import db
from booking.models import Space
from booking.services import feeds
from booking.services.bookings import cancel_booking
from tests.conftest import future_day
from tests.feeds.conftest import counting_queries, next_second, token_for

URL = "/spaces/studio/calendar.ics"


def test_a_matching_etag_gets_304_without_a_body(client, space, member, book):
    book(space, member)
    first = client.get(URL)

    again = client.get(URL, headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_an_unchanged_last_modified_gets_304(client, space, member, book):
    book(space, member)
    next_second()
    first = client.get(URL)

    again = client.get(URL, headers={"If-Modified-Since": first.headers["Last-Modified"]})

    assert again.status_code == 304


def test_an_old_etag_gets_the_full_feed_even_with_a_current_date(client, space, member, book):
    book(space, member)
    next_second()
    first = client.get(URL)

    again = client.get(URL, headers={"If-None-Match": '"something-else"',
                                     "If-Modified-Since": first.headers["Last-Modified"]})

    assert again.status_code == 200
    assert again.data == first.data


def test_304_is_decided_by_one_query_without_building_the_calendar(client, space, member, book,
                                                                     monkeypatch):
    book(space, member)
    etag = client.get(URL).headers["ETag"]

    def must_not_build(*_args, **_kwargs):
        raise AssertionError("the calendar was built for a 304")

    monkeypatch.setattr(feeds, "_events", must_not_build)
    with counting_queries() as statements:
        response = client.get(URL, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert len(statements) == 1, statements


@pytest.mark.parametrize("kind,path", [("member", "bookings.ics"), ("staff", "staff.ics")])
def test_private_feeds_also_revalidate_with_one_query(client, space, create_user, book, kind, path):
    user = create_user(role="staff")
    book(space, user)
    url = f"/feeds/{token_for(user, kind)}/{path}"
    etag = client.get(url).headers["ETag"]

    with counting_queries() as statements:
        response = client.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert len(statements) == 1, statements


def test_a_change_gives_a_new_etag_and_a_later_last_modified(client, space, member, book):
    booking = book(space, member, day=5)
    next_second()
    first = client.get(URL)

    cancel_booking(member, booking.id)
    next_second()
    again = client.get(URL, headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert parse_date(again.headers["Last-Modified"]) >= parse_date(first.headers["Last-Modified"])
    assert b"STATUS:CANCELLED" in again.data


def test_a_new_booking_changes_the_etag(client, space, member, book):
    book(space, member, day=5)
    etag = client.get(URL).headers["ETag"]

    book(space, member, day=6)

    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 200


def test_the_next_day_changes_the_etag_because_the_window_slides(space, member, book):
    book(space, member)

    next_second()
    today = feeds.space_feed("studio")
    # A day after now, not a fixed hour of tomorrow (UTC): from 15:00 UTC that is still today in Tokyo.
    tomorrow = feeds.space_feed("studio", now=datetime.now(UTC) + timedelta(days=1))

    assert today.etag != tomorrow.etag
    assert tomorrow.last_modified >= today.last_modified


def test_last_modified_never_goes_backwards_when_a_booking_leaves_the_window(space, member, book):
    book(space, member, day=2)
    newest = book(space, member, day=-12)
    db.session.expire_all()
    next_second()

    before = feeds.space_feed("studio")
    later = feeds.space_feed("studio", now=future_day(20))

    assert later.last_modified >= before.last_modified >= newest.updated_at.replace(microsecond=0)


def test_if_modified_since_before_the_change_gets_the_full_feed(client, space, member, book):
    book(space, member)
    next_second()
    last_modified = parse_date(client.get(URL).headers["Last-Modified"])

    response = client.get(URL, headers={"If-Modified-Since": http_date(last_modified - timedelta(seconds=1))})

    assert response.status_code == 200


def test_no_last_modified_while_the_newest_change_is_in_the_current_second(space, member, book):
    book(space, member)
    changed_at = db.session.scalar(select(Space.feed_changed_at).where(Space.id == space.id))

    assert feeds.space_feed("studio", now=changed_at).last_modified is None
    later = feeds.space_feed("studio", now=changed_at.replace(microsecond=0) + timedelta(seconds=1))
    assert later.last_modified == changed_at.replace(microsecond=0)


def test_feeds_over_every_space_send_no_last_modified(client, space, member, book):
    book(space, member)
    next_second()

    response = client.get(f"/feeds/{token_for(member)}/bookings.ics")

    assert "Last-Modified" not in response.headers
    assert client.get(f"/feeds/{token_for(member)}/bookings.ics",
                      headers={"If-Modified-Since": http_date(future_day(30))}).status_code == 200


def test_renaming_a_member_changes_the_staff_feed_of_the_spaces_they_booked_and_no_other(
        client, space, member, create_space, create_user, book):
    hall = create_space(slug="hall")
    staff = create_user(role="staff")
    book(space, member)
    book(hall, create_user(name="Someone Else"))
    url = f"/feeds/{token_for(staff, 'staff')}/staff.ics"
    etag = client.get(url).headers["ETag"]
    db.session.expire_all()
    versions = dict(db.session.execute(select(Space.slug, Space.feed_version)).all())

    member.name = "Renamed Member"  # shown in staff feeds: the versions of the spaces it appears in rise
    db.session.commit()

    db.session.expire_all()
    after = dict(db.session.execute(select(Space.slug, Space.feed_version)).all())
    assert after == {**versions, "studio": versions["studio"] + 1}
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200 and b"Renamed Member" in response.data


def test_a_body_read_after_a_change_carries_the_etag_it_was_read_with_and_no_last_modified(
        space, member, book, monkeypatch):
    booking = book(space, member)
    next_second()
    feed = feeds.space_feed("studio")
    # A change commits between the validators' query and the body's snapshot: the counter has moved.
    monkeypatch.setattr(feeds, "_version_now", lambda _session, _scope: 10**6)

    body = feed.body()

    assert body.etag != feed.etag and body.last_modified is None
    assert body.data.startswith(b"BEGIN:VCALENDAR") and f"UID:{booking.uid}".encode() in body.data


def test_the_body_of_a_space_feed_whose_counter_never_moved_carries_its_validators_etag(space):
    assert db.session.scalar(select(Space.feed_version).where(Space.id == space.id)) == 0
    feed = feeds.space_feed("studio")

    assert feed.body().etag == feed.etag


@pytest.mark.parametrize("with_space", [True, False])
def test_the_body_of_a_staff_feed_whose_counters_never_moved_carries_its_validators_etag(
        create_user, create_space, with_space):
    if with_space:
        create_space(slug="studio")
    feed = feeds.staff_feed(token_for(create_user(role="staff"), "staff"))

    body = feed.body()

    assert body.etag == feed.etag and body.last_modified is None
