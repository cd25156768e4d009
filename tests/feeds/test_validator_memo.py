"""Every feed's validators kept per process by the data they come from (issue 21: cheap 304s), never stale."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.extensions import db
from booking.services import feed_tokens, feeds
from booking.services.transactions import run_write
from tests.feeds.conftest import next_second, token_for

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
    assert feeds._feeds.cache_info().maxsize == 1024


def _private_url(token: str, kind: str, slug: str | None = None) -> str:
    if kind == "member":
        return f"/feeds/{token}/bookings.ics"
    return f"/feeds/{token}/staff.ics" if slug is None else f"/feeds/{token}/staff/{slug}.ics"


PRIVATE_FEEDS = [("member", None), ("staff", None), ("staff", "studio")]


@pytest.fixture
def owner_of(member, create_user):
    """owner_of(kind): the member for a member feed, a new staff user for a staff feed."""
    return lambda kind: member if kind == "member" else create_user(role="staff", name="職員 一郎")


@pytest.mark.parametrize(("kind", "slug"), PRIVATE_FEEDS)
def test_a_private_feed_polled_with_a_current_etag_gets_a_200_once_a_booking_changes(
        client, space, member, book, owner_of, kind, slug):
    booking = book(space, member, title="収録")
    url = _private_url(token_for(owner_of(kind), kind), kind, slug)
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    booking.title = "収録（変更）"
    db.session.commit()

    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "収録（変更）" in changed.data.decode("utf-8")
    assert client.get(url, headers={"If-None-Match": changed.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize(("kind", "slug"), PRIVATE_FEEDS)
def test_a_revoked_token_is_refused_on_the_poll_right_after_its_304(client, space, member, book, owner_of, kind,
                                                                     slug):
    book(space, member)
    owner = owner_of(kind)
    url = _private_url(token_for(owner, kind), kind, slug)
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    run_write(None, lambda session: feed_tokens.revoke_tokens(session, owner.id))

    assert client.get(url, headers={"If-None-Match": etag}).status_code == 404
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(("kind", "slug"), PRIVATE_FEEDS)
def test_a_renewed_token_leaves_the_old_address_refused_right_after_its_304(client, space, member, book, owner_of,
                                                                             kind, slug):
    book(space, member)
    owner = owner_of(kind)
    old = _private_url(token_for(owner, kind), kind, slug)
    etag = client.get(old).headers["ETag"]
    assert client.get(old, headers={"If-None-Match": etag}).status_code == 304

    new = _private_url(token_for(owner, kind), kind, slug)

    assert client.get(old, headers={"If-None-Match": etag}).status_code == 404
    assert client.get(new, headers={"If-None-Match": etag}).status_code == 304  # the same data, the same ETag


@pytest.mark.parametrize(("kind", "slug"), PRIVATE_FEEDS)
def test_a_disabled_owner_is_refused_right_after_a_304(client, space, member, book, owner_of, kind, slug):
    book(space, member)
    owner = owner_of(kind)
    url = _private_url(token_for(owner, kind), kind, slug)
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    owner.is_enabled = False  # written straight to the row: no token deleted, no counter raised
    db.session.commit()

    assert client.get(url, headers={"If-None-Match": etag}).status_code == 404


@pytest.mark.parametrize("slug", [None, "studio"])
def test_staff_who_lose_the_role_behind_the_services_back_are_refused_right_after_a_304(
        client, space, member, book, create_user, slug):
    book(space, member)
    staff = create_user(role="staff")
    url = _private_url(token_for(staff, "staff"), "staff", slug)
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    staff.role = "member"  # written straight to the row: the staff token is not deleted
    db.session.commit()

    assert client.get(url, headers={"If-None-Match": etag}).status_code == 404


def test_a_renamed_space_changes_its_staff_feed_of_that_space(client, space, member, book, create_user):
    book(space, member)
    url = _private_url(token_for(create_user(role="staff"), "staff"), "staff", "studio")
    etag = client.get(url).headers["ETag"]

    space.name_ja = "改名したスタジオ"
    db.session.commit()

    renamed = client.get(url, headers={"If-None-Match": etag})
    assert renamed.status_code == 200 and renamed.headers["ETag"] != etag
    assert "改名したスタジオ" in renamed.data.decode("utf-8")


def test_the_same_rows_give_the_very_same_private_feeds_and_another_zone_or_day_another_validator(
        app, space, member, book, create_user):
    book(space, member)
    member_token, staff_token = token_for(member), token_for(create_user(role="staff"), "staff")
    feeds_now = [feeds.member_feed(member_token), feeds.staff_feed(staff_token)]
    assert [feeds.member_feed(member_token), feeds.staff_feed(staff_token)] == feeds_now
    assert feeds.member_feed(member_token) is feeds_now[0] and feeds.staff_feed(staff_token) is feeds_now[1]
    tomorrow = feeds.utcnow() + timedelta(days=1)
    assert feeds.member_feed(member_token, now=tomorrow).etag != feeds_now[0].etag

    app.config["DEFAULT_TIMEZONE"] = "Europe/Berlin"

    elsewhere = [feeds.member_feed(member_token), feeds.staff_feed(staff_token)]
    assert [f.etag for f in elsewhere] != [f.etag for f in feeds_now]
    assert all(a.etag != b.etag for a, b in zip(elsewhere, feeds_now, strict=True))
