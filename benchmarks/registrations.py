"""Registrations per second for a public event under 16 concurrent visitors, and 0 over capacity.

Used by benchmarks/run_all.py against the product's gunicorn (the anonymous-form limit raised
for the run: every client comes from 127.0.0.1). Each client is a thread with its own
cookies that reads the event page once for its CSRF token, then posts the registration
form with a fresh address and a party of 1–3 people, again and again for the given time.
Afterwards the database is asked how many seats the seated registrations hold: it must
never pass the capacity, and must equal the event's own seat counter.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import func, select

from benchmarks.fresh_db import add_space
from benchmarks.race_http import CSRF_RE, Browser
from booking.extensions import db
from booking.models import Booking, BookingHold, PublicEvent, Registration, User

CLIENTS = 16
CAPACITY = 20  # small, so even a --quick run fills it and the waiting list grows
# run_all.py gives the product server this limit, so one address may post the whole run.
ANONYMOUS_FORM_LIMIT = "100000 per minute"


@dataclass(frozen=True)
class Result:
    answered: int
    failed: int
    seconds: float
    seated: int
    counter: int
    registered: int
    waiting: int

    @property
    def per_second(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    @property
    def over_capacity(self) -> int:
        return max(0, self.seated - CAPACITY) + max(0, self.counter - CAPACITY) + abs(self.seated - self.counter)


def seed_event(app: Flask, start: datetime) -> int:
    """A hall with one published event of CAPACITY seats; returns the event's id."""
    with app.app_context():
        hall = add_space(slug="event-hall", kind="exclusive", max_people=CAPACITY)
        host = db.session.scalar(select(User).where(User.role == "staff"))
        assert host is not None
        booking = Booking(space_id=hall.id, user_id=host.id, start_dt=start, end_dt=start + timedelta(hours=2),
                          title="Kick-off", status="confirmed", is_public=True)
        booking.holds.append(BookingHold(space_id=hall.id, unit_no=1, occupied_start=start,
                                         occupied_end=start + timedelta(hours=2), is_active=True))
        event = PublicEvent(booking=booking, title_ja="キックオフ", capacity=CAPACITY, status="published",
                            registration_opens_at=start - timedelta(days=60), registration_closes_at=start)
        db.session.add(event)
        db.session.commit()
        event_id = event.id
        db.session.remove()
    return event_id


ATTENDEES = 150  # the staff attendee list and door of a second event (benchmarks/run_all.py)


def seed_attendees(app: Flask, start: datetime, count: int = ATTENDEES) -> int:
    """A second published event in its own hall with `count` registered people; returns its id.

    The database triggers (migration 0012) count their seats into the event.
    """
    with app.app_context():
        hall = add_space(slug="attendee-hall", kind="exclusive", max_people=count)
        host = db.session.scalar(select(User).where(User.role == "staff"))
        assert host is not None
        booking = Booking(space_id=hall.id, user_id=host.id, start_dt=start, end_dt=start + timedelta(hours=2),
                          title="Demo day", status="confirmed", is_public=True)
        booking.holds.append(BookingHold(space_id=hall.id, unit_no=1, occupied_start=start,
                                         occupied_end=start + timedelta(hours=2), is_active=True))
        event = PublicEvent(booking=booking, title_ja="デモデイ", capacity=count, status="published",
                            registration_opens_at=start - timedelta(days=60),
                            registration_closes_at=start)
        db.session.add(event)
        db.session.add_all(Registration(event=event, email=f"attendee{n}@example.jp", name=f"参加者 {n}",
                                        organisation=f"会社 {n % 17}", status="registered",
                                        token_hash=f"{n:064x}", consented_at=start - timedelta(days=30))
                           for n in range(count))
        db.session.commit()
        event_id = event.id
        db.session.remove()
    return event_id


def _client(port: int, event_id: int, number: int, until: float, counts: list[int], lock: threading.Lock) -> None:
    browser, rng = Browser(port), random.Random(number)
    status, page = browser.request("GET", f"/events/{event_id}")
    match = CSRF_RE.search(page)
    if status != 200 or match is None:
        raise RuntimeError(f"event page gave {status} without a CSRF token")
    token, n, answered, failed = match.group(1), 0, 0, 0
    while time.monotonic() < until:
        n += 1
        status, _ = browser.request("POST", f"/events/{event_id}/register", {
            "csrf_token": token, "name": f"Visitor {number}-{n}", "email": f"v{number}-{n}@example.jp",
            "organisation": "", "org_kind": "individual", "companions": str(rng.randrange(3)), "consent": "y"})
        if status in (302, 303):
            answered += 1
        else:
            failed += 1
    with lock:
        counts[0] += answered
        counts[1] += failed


def run(app: Flask, port: int, event_id: int, seconds: float) -> Result:
    """Drive CLIENTS visitors for `seconds`, then count seats in the database."""
    counts, lock = [0, 0], threading.Lock()
    started = time.monotonic()
    until = started + seconds
    threads = [threading.Thread(target=_client, args=(port, event_id, n, until, counts, lock))
               for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    with app.app_context():
        seated = db.session.scalar(select(func.coalesce(func.sum(Registration.party_size), 0)).where(
            Registration.event_id == event_id, Registration.status.in_(("registered", "offered"))))
        counter = db.session.scalar(select(PublicEvent.seats_taken).where(PublicEvent.id == event_id))
        by_status = dict(db.session.execute(select(Registration.status, func.count()).where(
            Registration.event_id == event_id).group_by(Registration.status)).all())
        db.session.remove()
    return Result(counts[0], counts[1], elapsed, int(seated or 0), int(counter or 0),
                  int(by_status.get("registered", 0)), int(by_status.get("waiting", 0)))


def report(result: Result, engine: str) -> str:
    return (f"registrations ({engine}, {CLIENTS} concurrent visitors, capacity {CAPACITY}): "
            f"{result.per_second:.1f}/s ({result.answered} answered, {result.failed} failed in "
            f"{result.seconds:.1f} s); {result.registered} registered holding {result.seated} seats "
            f"(counter {result.counter}), {result.waiting} waiting; over capacity: {result.over_capacity}")
