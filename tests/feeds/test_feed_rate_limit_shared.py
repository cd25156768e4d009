"""RATELIMIT_FEED in real Redis is counted by each worker in batches (booking.limits.SharedWindows): shared by
every worker within the stated tolerance (one batch, 1/20 of the limit, per worker), exact for small limits,
and kept in the worker's memory while Redis is down."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask

from booking import create_app
from booking.extensions import db
from booking.limits import SharedWindows
from tests.conftest import Client

REDIS_URL = "redis://127.0.0.1:6379/0"
URL = "/spaces/studio/calendar.ics"
OFFICE = {"REMOTE_ADDR": "203.0.113.7"}


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test alone in the machine's Redis, its keys removed afterwards."""
    name = f"feed-shared-test-{uuid.uuid4().hex}"
    yield name
    connection = redis.Redis.from_url(REDIS_URL)
    keys = list(connection.scan_iter(match=f"*{name}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


def worker(database_url: str, tmp_path: Any, **config: Any) -> Flask:
    """One more app on the same database: another worker process, or another host."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret",
                      **config})
    app.instance_path = str(tmp_path)
    app.test_client_class = Client
    return app


def poll(app: Flask, times: int) -> list[int]:
    with app.app_context():
        client = app.test_client()
        codes = [client.get(URL, environ_base=OFFICE).status_code for _ in range(times)]
        db.engine.dispose()
    return codes


def shared_count(prefix: str) -> int:
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        return sum(int(connection.get(key) or 0) for key in connection.scan_iter(match=f"*{prefix}*feed*"))
    finally:
        connection.close()


def test_two_workers_polled_in_turn_let_through_the_limit_and_at_most_a_batch_each_more(
        space, database_url, tmp_path, prefix):
    config = {"RATELIMIT_FEED": "100 per hour", "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    first, second = worker(database_url, tmp_path, **config), worker(database_url, tmp_path, **config)
    codes = []
    for _ in range(30):  # 300 polls of one client, ten at a time on each worker
        codes += poll(first, 5) + poll(second, 5)

    answered = codes.count(200)
    assert set(codes) == {200, 429}
    assert 100 <= answered <= 100 + 2 * (100 // SharedWindows.BATCH_SHARE)
    assert codes[-20:] == [429] * 20  # once over, both workers refuse
    assert shared_count(prefix) >= 100  # the hits reached Redis


def test_a_small_limit_is_exact_across_workers(space, database_url, tmp_path, prefix):
    config = {"RATELIMIT_FEED": "3 per minute", "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    first, second = worker(database_url, tmp_path, **config), worker(database_url, tmp_path, **config)

    codes = poll(first, 1) + poll(second, 1) + poll(first, 1) + poll(second, 1) + poll(first, 1)

    assert codes == [200, 200, 200, 429, 429]
    assert shared_count(prefix) == 4  # three let through, and the one that found the count over


def test_a_worker_hears_of_the_hits_another_made_within_one_batch(space, database_url, tmp_path, prefix):
    config = {"RATELIMIT_FEED": "40 per hour", "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    first, second = worker(database_url, tmp_path, **config), worker(database_url, tmp_path, **config)

    used_up = poll(first, 45)
    late = poll(second, 5)

    assert used_up.count(200) == 40
    assert late.count(200) <= 40 // SharedWindows.BATCH_SHARE  # at most one batch before it hears


def test_with_redis_down_the_feed_limit_holds_in_the_workers_memory(space, database_url, tmp_path, caplog):
    down = worker(database_url, tmp_path, RATELIMIT_FEED="3 per minute", RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")

    codes = poll(down, 5)

    assert codes == [200, 200, 200, 429, 429]
    assert "rate-limit storage redis://127.0.0.1:1/0 unreachable" in caplog.text
