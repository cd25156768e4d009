"""RATELIMIT_FEED counts every poll of a feed address per client address, in real Redis or in the process's
memory, also the polls the fast path answers before Flask (a 304, a cached body); over it, the 429 page
with Retry-After."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.feeds.conftest import token_for

REDIS_URL = "redis://127.0.0.1:6379/0"
URL = "/spaces/studio/calendar.ics"
OFFICE = {"REMOTE_ADDR": "203.0.113.7"}
HOME = {"REMOTE_ADDR": "198.51.100.20"}


@pytest.fixture(params=["redis", "memory"])
def app_config(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """Three polls a minute, counted in the machine's Redis under a key prefix of this test alone, or in memory."""
    prefix = f"feed-limit-test-{uuid.uuid4().hex}"
    storage = REDIS_URL if request.param == "redis" else "memory://"
    yield {"RATELIMIT_FEED": "3 per minute", "RATELIMIT_STORAGE_URI": storage, "RATELIMIT_KEY_PREFIX": prefix,
           "TRUSTED_PROXIES": 1}
    connection = redis.Redis.from_url(REDIS_URL)
    keys = list(connection.scan_iter(match=f"*{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


def _refuse_flask(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the request went through Flask")

    monkeypatch.setattr("flask.Flask.full_dispatch_request", refuse)


def test_polls_answered_before_flask_count_and_the_next_one_gets_the_429_page(
        client, space, member, book, monkeypatch, app_config):
    book(space, member)
    first = client.get(URL, environ_base=OFFICE)  # through Flask: counted once
    assert first.status_code == 200
    etag = {"If-None-Match": first.headers["ETag"]}

    _refuse_flask(monkeypatch)
    fast = [client.get(URL, headers=etag, environ_base=OFFICE).status_code,
            client.get(URL, environ_base=OFFICE).status_code]  # a 304 and a cached body, both before Flask
    monkeypatch.undo()
    over = client.get(URL, headers=etag, environ_base=OFFICE)

    assert fast == [304, 200]
    assert over.status_code == 429
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert "試行回数が多すぎます" in over.get_data(as_text=True)
    connection = redis.Redis.from_url(REDIS_URL)
    in_redis = list(connection.scan_iter(match=f"*{app_config['RATELIMIT_KEY_PREFIX']}*feed*"))
    connection.close()
    assert bool(in_redis) == app_config["RATELIMIT_STORAGE_URI"].startswith("redis")
    _refuse_flask(monkeypatch)
    assert client.get(URL, headers=etag, environ_base=HOME).status_code == 304  # another client: its own count


def test_each_feed_address_and_each_client_behind_the_proxy_has_its_own_count(client, space, member, book):
    book(space, member)
    token = token_for(member)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    spaces = [client.get(URL, environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.7"}).status_code
              for _ in range(4)]
    mine = client.get(f"/feeds/{token}/bookings.ics", environ_base=proxy,
                      headers={"X-Forwarded-For": "203.0.113.7"}).status_code
    other = client.get(URL, environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.20"}).status_code

    assert spaces == [200, 200, 200, 429]
    assert (mine, other) == (200, 200)


def test_a_flood_of_distinct_feed_addresses_keeps_the_local_windows_bounded_and_the_recent_ones_counted(monkeypatch):
    """Break-it run 2026-11-29: 16,000 made-up feed addresses grew the windows without bound and
    copied them on every new one. Now the oldest windows go first, and a recent one keeps its count."""
    from limits import parse

    from booking.limits import LocalWindows

    monkeypatch.setattr(LocalWindows, "MAX_WINDOWS", 50)
    windows = LocalWindows()
    limit = parse("3 per minute")
    now = 1_000_000.0
    for number in range(500):
        assert windows.hit(limit, ("203.0.113.9", f"/feeds/T{number:08d}/bookings.ics"), now) is None
    assert len(windows.windows) == 50
    polled = ("198.51.100.7", "/feeds/real/bookings.ics")
    for _ in range(3):
        assert windows.hit(limit, polled, now + 1) is None
    for number in range(49):  # fewer new addresses than the bound: the polled window stays
        windows.hit(limit, ("203.0.113.9", f"/feeds/U{number:08d}/bookings.ics"), now + 2)
    assert windows.hit(limit, polled, now + 3) == now + 1 + 60
