"""Racers for the feed validator race: slow and quick changes of one space, and a feed poller.

Each runs in its own OS process with its own app and engine (see racers.py).
"""

from __future__ import annotations

import hashlib
import time
import traceback
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from tests.concurrency.racers import BARRIER_TIMEOUT_S, _app, _report


@dataclass(frozen=True)
class Change:
    """Cancel a booking: read the clock after `clock_after_s`, then call the service `wait_s` later."""

    booking_id: int
    member_id: int
    clock_after_s: float
    wait_s: float


@dataclass(frozen=True)
class Poll:
    """GET the feed at `url` every few milliseconds for `duration_s`."""

    url: str
    duration_s: float


def change(database_url: str, job: Change, barrier: Barrier, results: Queue) -> None:
    """A request whose clock is read before it waits for the space's lock, as every service's is."""
    from booking.db import utcnow
    from booking.extensions import db
    from booking.models import User
    from booking.services.bookings import cancel_booking

    app = _app(database_url)
    with app.app_context():
        try:
            member = db.session.get(User, job.member_id)
            db.session.rollback()
            barrier.wait(BARRIER_TIMEOUT_S)
            time.sleep(job.clock_after_s)
            now = utcnow()
            time.sleep(job.wait_s)
            cancel_booking(member, job.booking_id, now=now)
            _report(results, kind="change", error=None)
        except Exception:
            _report(results, kind="change", error=traceback.format_exc())
        finally:
            db.session.remove()
            db.engine.dispose()


def poll(database_url: str, job: Poll, barrier: Barrier, results: Queue) -> None:
    """What a calendar app saw: (ETag, Last-Modified, body digest) of every response, in order."""
    from booking.extensions import db

    app = _app(database_url)
    seen = []
    with app.app_context():
        try:
            client = app.test_client()
            barrier.wait(BARRIER_TIMEOUT_S)
            until = time.monotonic() + job.duration_s
            while time.monotonic() < until:
                response = client.get(job.url)
                db.session.remove()  # as at the end of every request of a real server
                assert response.status_code == 200
                seen.append((response.headers["ETag"], response.headers.get("Last-Modified"),
                             hashlib.sha256(response.data).hexdigest()))
                time.sleep(0.01)
            _report(results, kind="poll", seen=seen, error=None)
        except Exception:
            _report(results, kind="poll", seen=seen, error=traceback.format_exc())
        finally:
            db.session.remove()
            db.engine.dispose()
