"""Racers for the feed validator race: a slow and a quick change of one space, and a feed poller.

Each runs in its own OS process with its own app and engine (see racers.py). They
coordinate through multiprocessing events instead of sleeps, so the order holds on a
loaded machine: the slow racer reads its clock first, the quick one commits, the poller
serves the feed (with a Last-Modified) after that commit, and only then does the slow
change commit, with its older clock reading.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from tests.concurrency.racers import BARRIER_TIMEOUT_S, _app, _report

WAIT_S = 60


@dataclass(frozen=True)
class Change:
    """Cancel a booking with a clock read before the barrier; first wait for `wait_for`, then set `done`."""

    booking_id: int
    member_id: int
    wait_for: Any  # multiprocessing Event, or None
    done: Any


@dataclass(frozen=True)
class Poll:
    """GET the feed until `stop` is set; set `served` once a response begun after `first` was set
    went out with a Last-Modified."""

    url: str
    first: Any
    served: Any
    stop: Any


def change(database_url: str, job: Change, barrier: Barrier, results: Queue) -> None:
    """A request whose clock is read long before it gets the space's lock, as every service's is."""
    from booking.db import utcnow
    from booking.extensions import db
    from booking.models import User
    from booking.services.bookings import cancel_booking

    app = _app(database_url)
    with app.app_context():
        try:
            member = db.session.get(User, job.member_id)
            db.session.rollback()
            now = utcnow()
            barrier.wait(BARRIER_TIMEOUT_S)
            if job.wait_for is not None:
                assert job.wait_for.wait(WAIT_S), "the poller never served the first change"
            cancel_booking(member, job.booking_id, now=now)
            _report(results, kind="change", error=None)
        except Exception:
            _report(results, kind="change", error=traceback.format_exc())
        finally:
            job.done.set()
            db.session.remove()
            db.engine.dispose()


def poll(database_url: str, job: Poll, barrier: Barrier, results: Queue) -> None:
    """What a calendar app saw: (ETag, Last-Modified, body digest) of every response, in order.

    Without RATELIMIT_FEED: the poller asks every 20 ms until the last change commits and a
    Last-Modified may wait for the next second, so on a loaded machine, or with faster polls,
    it asked more than the 60 a minute the setting allows and got a 429.
    """
    from booking import create_app
    from booking.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "race",
                      "RATELIMIT_ENABLED": False})
    seen: list[tuple[str, str | None, str]] = []
    with app.app_context():
        try:
            client = app.test_client()
            barrier.wait(BARRIER_TIMEOUT_S)
            deadline = time.monotonic() + WAIT_S
            after_stop = 3  # a few more responses once the last change committed
            while after_stop and time.monotonic() < deadline:
                stopping = job.stop.is_set()
                after_first = job.first.is_set()
                response = client.get(job.url)
                db.session.remove()  # as at the end of every request of a real server
                assert response.status_code == 200, (response.status_code, len(seen))
                seen.append((response.headers["ETag"], response.headers.get("Last-Modified"),
                             hashlib.sha256(response.data).hexdigest()))
                if after_first and seen[-1][1] is not None:
                    job.served.set()
                after_stop -= stopping
                time.sleep(0.02)
            _report(results, kind="poll", seen=seen, error=None)
        except Exception:
            _report(results, kind="poll", seen=seen, error=traceback.format_exc())
        finally:
            db.session.remove()
            db.engine.dispose()
