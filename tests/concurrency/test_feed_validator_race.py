"""The lock-order race of the feed validators, with real processes.

A slow request reads the clock, then waits (as if for the space's lock) while a
quick one changes the same space and commits; a poller serves the feed, with a
Last-Modified, in between (the racers wait for each other through events). When
the slow change commits, with a clock reading older than the one already served,
every validator a client holds must still lead to a 200: the validators come from
a counter raised, and a time read, under the space's lock.
Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from booking.extensions import db
from booking.models import Booking, Space, User
from tests.concurrency.feed_racers import Change, Poll, change, poll
from tests.concurrency.test_racing_processes import START_METHOD
from tests.conftest import future_day
from tests.race_harness import race

pytestmark = pytest.mark.slow
PRELOAD = ["__main__", "tests.concurrency.preload", "tests.concurrency.feed_racers"]


def _dispatch(database_url: str, job: Any, barrier: Any, results: Any) -> None:
    (poll if isinstance(job, Poll) else change)(database_url, job, barrier, results)


def test_a_change_committed_after_an_older_clock_reading_still_changes_every_validator(
    client: Any, create_space: Callable[..., Space], create_user: Callable[..., User],
    create_booking: Callable[..., Booking], database_url: str,
) -> None:
    space = create_space(slug="raced")
    quick_member, slow_member = create_user(), create_user()
    start = future_day(3)
    quick = create_booking(space, quick_member, start, start + timedelta(hours=1))
    slow = create_booking(space, slow_member, start + timedelta(hours=2), start + timedelta(hours=3))
    url = "/spaces/raced/calendar.ics"
    context = multiprocessing.get_context(START_METHOD)
    served, quick_done, slow_done = context.Event(), context.Event(), context.Event()
    jobs = [
        Change(slow.id, slow_member.id, wait_for=served, done=slow_done),  # older clock, commits last
        Change(quick.id, quick_member.id, wait_for=None, done=quick_done),
        Poll(url, first=quick_done, served=served, stop=slow_done),
    ]

    reports = race(_dispatch, database_url, jobs, START_METHOD, PRELOAD, 90)

    assert not [r["error"] for r in reports if r["error"]], [r["error"] for r in reports if r["error"]][0]
    seen = next(r["seen"] for r in reports if r["kind"] == "poll")
    bodies = [digest for _etag, _date, digest in seen]
    assert len(set(bodies)) >= 2, "the poller saw the feed between and after the two changes"
    for (etag_a, _, body_a), (etag_b, _, body_b) in zip(seen, seen[1:], strict=False):
        assert (etag_a == etag_b) == (body_a == body_b)
    db.session.remove()  # no snapshot from before the race
    final = client.get(url)
    final_digest = hashlib.sha256(final.data).hexdigest()
    for etag, last_modified, digest in set(seen):
        expected = 304 if digest == final_digest else 200
        assert client.get(url, headers={"If-None-Match": etag}).status_code == expected
        if last_modified is not None:
            assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == expected
    served_dates = [d for _e, d, digest in seen if d is not None and digest != final_digest]
    assert served_dates, "a Last-Modified was served between the two changes"
