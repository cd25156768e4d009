"""A feed's 304 before Flask (no session, user or locale), and the bounded cache of full bodies (issue 21)."""

from __future__ import annotations

import pytest

from booking.services import feeds
from booking.services.bookings import cancel_booking
from booking.views import feeds as feed_views
from tests.feeds.conftest import counting_queries, next_second, token_for

URL = "/spaces/studio/calendar.ics"


@pytest.fixture
def no_flask(monkeypatch):
    """Fail any request that reaches Flask's own request handling (session, user, locale, views)."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("the request went through Flask")

    monkeypatch.setattr("flask.Flask.full_dispatch_request", refuse)


def test_a_current_etag_gets_its_304_without_flask_with_the_headers_flask_gives(client, space, member, book,
                                                                               monkeypatch):
    book(space, member)
    next_second()  # Last-Modified is sent once the change's second has passed: the same in all three
    first = client.get(URL)
    through_flask = client.get(URL, headers={"If-None-Match": first.headers["ETag"], "X-Nothing": "1"})
    monkeypatch.setattr(feed_views.Revalidation, "__call__",
                        lambda self, environ, start: self.wsgi_app(environ, start))
    slow = client.get(URL, headers={"If-None-Match": first.headers["ETag"]})
    monkeypatch.undo()

    def refuse(*_args, **_kwargs):
        raise AssertionError("the request went through Flask")

    monkeypatch.setattr("flask.Flask.full_dispatch_request", refuse)
    with counting_queries() as statements:
        fast = client.get(URL, headers={"If-None-Match": first.headers["ETag"]})

    assert through_flask.status_code == slow.status_code == fast.status_code == 304
    assert fast.data == b""
    assert "Set-Cookie" not in fast.headers
    assert len(statements) == 1  # the validators' query: no session, no user
    for name in ("ETag", "Cache-Control", "Last-Modified", "X-Content-Type-Options", "X-Frame-Options",
                 "Referrer-Policy", "Content-Security-Policy"):
        assert fast.headers.get(name) == slow.headers.get(name), name


def test_an_unchanged_last_modified_gets_its_304_without_flask(client, space, member, book, no_flask):
    book(space, member)
    next_second()
    feed = feeds.space_feed("studio")
    assert feed.last_modified is not None
    from werkzeug.http import http_date

    again = client.get(URL, headers={"If-Modified-Since": http_date(feed.last_modified)})

    assert again.status_code == 304


def test_private_feeds_get_their_304_without_flask_and_a_wrong_token_goes_on_to_the_404(
        client, app, space, member, book, create_user, monkeypatch):
    book(space, member)
    staff = create_user(role="staff")
    member_url = f"/feeds/{token_for(member)}/bookings.ics"
    staff_token = token_for(staff, "staff")
    staff_url, one_space_url = f"/feeds/{staff_token}/staff.ics", f"/feeds/{staff_token}/staff/studio.ics"
    etags = {url: client.get(url).headers["ETag"] for url in (member_url, staff_url, one_space_url)}

    def refuse(*_args, **_kwargs):
        raise AssertionError("the request went through Flask")

    monkeypatch.setattr("flask.Flask.full_dispatch_request", refuse)
    for url, etag in etags.items():
        answer = client.get(url, headers={"If-None-Match": etag})
        assert answer.status_code == 304, url
        assert answer.headers["Cache-Control"] == "no-cache, private"
    monkeypatch.undo()
    wrong = client.get("/feeds/" + "x" * len(token_for(member)) + "/bookings.ics",
                       headers={"If-None-Match": etags[member_url]})
    assert wrong.status_code == 404


def test_a_changed_feed_an_unknown_space_or_a_query_string_go_on_to_flask(client, space, member, book):
    booking = book(space, member)
    etag = client.get(URL).headers["ETag"]
    cancel_booking(member, booking.id)

    changed = client.get(URL, headers={"If-None-Match": etag})
    unknown = client.get("/spaces/nowhere/calendar.ics", headers={"If-None-Match": etag})
    with_query = client.get(URL + "?x=1", headers={"If-None-Match": changed.headers["ETag"]})

    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert unknown.status_code == 404
    assert with_query.status_code == 304  # Flask's own path still answers it


def test_a_repeated_full_get_is_served_from_the_cache_and_a_change_makes_a_new_body(client, space, member, book):
    booking = book(space, member)
    first = client.get(URL)
    with counting_queries() as statements:
        again = client.get(URL)
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert len(statements) == 1  # the validators only: no snapshot, no rows

    cancel_booking(member, booking.id)
    changed = client.get(URL)
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert changed.data != first.data


def test_a_body_built_before_goes_out_without_flask_with_the_headers_flask_gives(client, space, member, book,
                                                                              monkeypatch):
    booking = book(space, member)
    next_second()
    first = client.get(URL)  # built by Flask, and kept
    monkeypatch.setattr("flask.Flask.full_dispatch_request",
                        lambda *_args: (_ for _ in ()).throw(AssertionError("the request went through Flask")))
    with counting_queries() as statements:
        again = client.get(URL)
        head = client.head(URL)

    assert again.status_code == head.status_code == 200
    assert again.data == first.data and head.data == b""
    assert len(statements) == 2  # the validators' query, once per request
    assert "Set-Cookie" not in again.headers
    for name in ("ETag", "Cache-Control", "Last-Modified", "Content-Type", "Content-Length",
                 "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Content-Security-Policy"):
        assert again.headers.get(name) == first.headers.get(name) == head.headers.get(name), name
    monkeypatch.undo()
    cancel_booking(member, booking.id)  # a new validator: never the kept body
    changed = client.get(URL)
    assert changed.headers["ETag"] != first.headers["ETag"] and changed.data != first.data


def test_the_body_cache_keeps_at_most_its_cap_and_drops_the_least_recently_used():
    cache = feeds.BodyCache(max_bytes=160)
    for key in "abc":
        cache.put((key,), key.encode() * 40)
    assert cache.get(("a",)) == b"a" * 40  # "a" is now the most recently used, "b" the least
    cache.put(("d",), b"d" * 40)
    cache.put(("e",), b"e" * 40)
    assert cache.get(("b",)) is None
    assert all(cache.get((key,)) is not None for key in "acde")
    assert cache.size == 160
    cache.put(("big",), b"w" * 41)  # over a quarter of the cap: not kept
    assert cache.get(("big",)) is None and cache.size == 160


def test_a_body_put_again_under_its_key_counts_only_its_new_size():
    cache = feeds.BodyCache(max_bytes=160)
    for key in "abc":
        cache.put((key,), key.encode() * 40)
    cache.put(("a",), b"A" * 30)
    assert cache.size == 110 and cache.get(("a",)) == b"A" * 30
    assert all(cache.get((key,)) == key.encode() * 40 for key in "bc")
