"""When Redis cannot be reached, the app keeps serving and counts in its own memory."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import pytest

from booking.limits import FallbackRedisStorage
from tests.accounts.test_limits import LIMITS, wrong


@pytest.fixture
def app_config() -> dict[str, Any]:
    # Nothing listens on port 1: every connection is refused at once.
    return {**LIMITS, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}


def test_an_unreachable_redis_is_logged_and_the_limits_still_hold_in_memory(client, create_user, caplog):
    member = create_user()
    with caplog.at_level(logging.ERROR, logger="booking.limits"):
        started = time.monotonic()
        codes = [wrong(client, member.email).status_code for _ in range(4)]
        elapsed = time.monotonic() - started
    assert codes == [401, 401, 401, 429]
    assert "rate-limit storage redis://127.0.0.1:1/0 unreachable" in caplog.text
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1  # not once per request
    assert elapsed < 10


def test_redis_is_tried_again_after_a_while_and_used_when_back():
    key = f"wt13-test-retry-{uuid.uuid4().hex}"  # its own key: other runs (workers, worktrees) share the Redis
    storage = FallbackRedisStorage("fallback+redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    assert storage.incr(key, 60) == 1 and storage.incr(key, 60) == 2  # in memory
    storage.redis = FallbackRedisStorage("fallback+redis://127.0.0.1:6379/0").redis
    assert storage.incr(key, 60) == 3  # still memory until the retry time
    storage.down_until = 0.0
    try:
        assert storage.incr(key, 60) == 1  # Redis again
    finally:
        storage.redis.clear(key)
