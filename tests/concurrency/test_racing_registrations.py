"""Real OS processes race to register for one event; the database never seats more than the capacity.

Forty visitors, thirty seats: exactly thirty are registered and ten wait. Parties of
several people are seated whole or wait whole. Rows written with no service and no lock
are still refused by the database once the seats are gone (triggers and a CHECK, 0012).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import PublicEvent, Registration, Space, User
from tests.concurrency.event_racers import Registering, insert_registration_without_lock, register_through_service
from tests.conftest import future_day
from tests.events.factories import make_event
from tests.race_harness import race as run_race

pytestmark = pytest.mark.slow

START_METHOD = os.environ.get("RACE_START_METHOD", "forkserver")
PRELOAD = ["__main__", "tests.concurrency.preload", "tests.concurrency.event_racers"]


def race(target: Callable[..., None], database_url: str, jobs: Sequence[Any]) -> list[dict[str, Any]]:
    return run_race(target, database_url, jobs, START_METHOD, PRELOAD, 120)


@pytest.fixture
def event(create_space: Callable[..., Space], create_user: Callable[..., User]) -> PublicEvent:
    hall = create_space(slug="hall", max_people=80)
    start = future_day(10) + timedelta(hours=8)
    return make_event(hall, create_user(role="staff"), start, start + timedelta(hours=1, minutes=45), capacity=30)


def seats(event_id: int) -> tuple[int, int]:
    """(seats the counter says are taken, seats the seated registrations add up to)."""
    db.session.rollback()
    counted = db.session.scalar(select(PublicEvent.seats_taken).where(PublicEvent.id == event_id))
    summed = db.session.scalar(select(func.coalesce(func.sum(Registration.party_size), 0)).where(
        Registration.event_id == event_id, Registration.status.in_(("registered", "offered"))))
    return int(counted or 0), int(summed or 0)


def test_forty_processes_for_thirty_seats_leave_thirty_registered_and_ten_waiting(event, database_url):
    reports = race(register_through_service, database_url, [Registering(event.id, n) for n in range(40)])

    errors = [r["error"] for r in reports if r["error"]]
    assert errors == [], errors[0]
    statuses = sorted(r["status"] for r in reports)
    assert statuses == ["registered"] * 30 + ["waiting"] * 10
    assert seats(event.id) == (30, 30)


def test_racing_parties_are_seated_whole_or_wait_whole(event, database_url):
    jobs = [Registering(event.id, n, companions=n % 3) for n in range(40)]  # parties of 1, 2 and 3

    reports = race(register_through_service, database_url, jobs)

    assert [r["error"] for r in reports if r["error"]] == []
    seated = sum(r["party"] for r in reports if r["status"] == "registered")
    assert seated <= 30
    assert seats(event.id) == (seated, seated)
    db.session.rollback()
    stored = {r.email: (r.status, r.party_size) for r in db.session.scalars(select(Registration))}
    for report in reports:
        assert stored[f"racer{report['number']}@example.jp"] == (report["status"], report["party"])
    smallest_waiting = min((r["party"] for r in reports if r["status"] == "waiting"), default=99)
    assert seated + smallest_waiting > 30  # nobody waits who would still have fitted


def test_unlocked_inserts_are_refused_by_the_database_once_the_seats_are_gone(event, database_url):
    reports = race(insert_registration_without_lock, database_url, [Registering(event.id, n) for n in range(40)])

    assert sum(r["ok"] for r in reports) == 30
    refused = [r for r in reports if not r["ok"]]
    assert len(refused) == 10
    assert all(r["refused_by_guard"] for r in refused), refused[0]["error"]
    assert seats(event.id) == (30, 30)
