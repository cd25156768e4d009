"""Real OS processes race for the same units; the database lets exactly the right number win.

Each racer is its own OS process that builds its own app and engine, so nothing is shared
but the database: SQLite in a temp file, or PostgreSQL when TEST_DATABASE_URL is set.
They all start at one barrier.

Racers come from a multiprocessing "forkserver": a fresh interpreter (started like "spawn",
never touching a database) that has imported the application once and forks a clean
child per racer. That keeps what "spawn" guarantees (no connection, lock or session
inherited from the test process) while a racer starts in ~0.05 s instead of ~1 s of
imports, which matters with 30 racers on two cores. RACE_START_METHOD=spawn runs the same
tests with fully fresh interpreters.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from booking.extensions import db
from booking.models import Booking, Space, User
from booking.services.integrity import count_double_bookings
from tests.concurrency.racers import Attempt, DirectHold, book_through_service, insert_without_lock
from tests.race_harness import race as run_race

pytestmark = pytest.mark.slow

TOKYO = ZoneInfo("Asia/Tokyo")
JOIN_TIMEOUT_S = 90
START_METHOD = os.environ.get("RACE_START_METHOD", "forkserver")
PRELOAD = ["__main__", "tests.concurrency.preload", "tests.concurrency.racers"]

def race(target: Callable[..., None], database_url: str, jobs: Sequence[Any]) -> list[dict[str, Any]]:
    """Race the jobs in OS processes started the way RACE_START_METHOD says."""
    return run_race(target, database_url, jobs, START_METHOD, PRELOAD, JOIN_TIMEOUT_S)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TOKYO)


def next_week() -> date:
    return datetime.now(TOKYO).date() + timedelta(days=7)


def overlapping_active_holds() -> int:
    db.session.rollback()
    return count_double_bookings(db.session)


def active_units(space: Space) -> list[int]:
    db.session.rollback()
    rows = db.session.execute(
        text("SELECT unit_no FROM booking_holds WHERE space_id = :space AND is_active ORDER BY unit_no"),
        {"space": space.id},
    )
    return [unit for (unit,) in rows]


def members(create_user: Callable[..., User], count: int) -> list[int]:
    return [create_user().id for _ in range(count)]


def unheld_booking(space: Space, member: User, start_dt: datetime, end_dt: datetime) -> Booking:
    """A booking row without holds, for racers to attach holds to."""
    booking = Booking(space=space, user=member, start_dt=start_dt, end_dt=end_dt, title="Unchecked",
                      status="confirmed")
    db.session.add(booking)
    db.session.commit()
    return booking


def assert_no_racer_crashed(reports: list[dict[str, Any]]) -> None:
    errors = [r["error"] for r in reports if r["error"]]
    assert not errors, errors[0]


def test_sixteen_processes_racing_for_one_studio_slot_leave_one_booking_and_fifteen_overlaps(
    create_space: Callable[..., Space], create_user: Callable[..., User], database_url: str
) -> None:
    studio = create_space(slug="studio", setup_minutes=30, teardown_minutes=30)
    day = next_week()
    # Half ask for 10:00–11:00, half for 11:00–12:00: only the buffers make those collide.
    slots = [(local(day, 10), local(day, 11)), (local(day, 11), local(day, 12))]
    jobs = [Attempt(member_id, studio.id, *slots[i % 2])
            for i, member_id in enumerate(members(create_user, 16))]

    reports = race(book_through_service, database_url, jobs)

    assert_no_racer_crashed(reports)
    assert sum(r["ok"] for r in reports) == 1
    assert sorted(r["codes"] for r in reports if not r["ok"]) == [["overlap"]] * 15
    assert active_units(studio) == [1]
    assert overlapping_active_holds() == 0


def test_thirty_processes_racing_for_twenty_four_desks_get_distinct_desks_and_six_capacity_refusals(
    create_space: Callable[..., Space], create_user: Callable[..., User], database_url: str
) -> None:
    desks = create_space(slug="desks", kind="pooled", unit_count=24)
    day = next_week()
    jobs = [Attempt(member_id, desks.id, local(day, 14), local(day, 15))
            for member_id in members(create_user, 30)]

    reports = race(book_through_service, database_url, jobs)

    assert_no_racer_crashed(reports)
    winners = [r for r in reports if r["ok"]]
    assert len(winners) == 24
    assert sorted(unit for r in winners for unit in r["units"]) == list(range(1, 25))
    assert sorted(r["codes"] for r in reports if not r["ok"]) == [["capacity"]] * 6
    assert active_units(desks) == list(range(1, 25))
    assert overlapping_active_holds() == 0


def test_database_guard_refuses_the_second_of_two_unchecked_overlapping_holds(
    create_space: Callable[..., Space], create_user: Callable[..., User], database_url: str
) -> None:
    studio = create_space(slug="studio")
    day = next_week()
    bookings = [unheld_booking(studio, create_user(), local(day, 10), local(day, 12)),
                unheld_booking(studio, create_user(), local(day, 11), local(day, 13))]
    jobs = [DirectHold(b.id, studio.id, 1, b.start_dt, b.end_dt) for b in bookings]

    reports = race(insert_without_lock, database_url, jobs)

    assert sorted(r["ok"] for r in reports) == [False, True]
    loser = next(r for r in reports if not r["ok"])
    assert loser["refused_by_guard"], loser["error"]
    assert active_units(studio) == [1]
    assert overlapping_active_holds() == 0
