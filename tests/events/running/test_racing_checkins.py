"""Two phones scanning the same code at the same moment: exactly one check-in (real processes).

Each racer is its own OS process with its own app and engine (see
tests/concurrency/test_racing_processes.py); they scan at one barrier. Runs on
SQLite, and on PostgreSQL with TEST_DATABASE_URL.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models_attendance import AttendeePass
from tests.events.running.checkin_racers import Scan, scan_code
from tests.race_harness import race

pytestmark = pytest.mark.slow
START_METHOD = os.environ.get("RACE_START_METHOD", "forkserver")
PRELOAD = ["__main__", "tests.concurrency.preload", "tests.events.running.checkin_racers"]


def code_of(registration):
    return db.session.scalar(select(AttendeePass.code).where(AttendeePass.registration_id == registration.id))


def test_two_phones_scanning_each_of_four_codes_at_once_check_each_party_in_exactly_once(
        create_event, register, create_user, database_url):
    event = create_event()
    phones = [create_user(role="staff").id, create_user(role="staff").id]
    codes = [code_of(register(event, party_size=2)) for _ in range(4)]
    jobs = [Scan(event.id, code, phone) for code in codes for phone in phones]

    reports = race(scan_code, database_url, jobs, START_METHOD, PRELOAD, 90)

    assert [r["error"] for r in reports if r["error"]] == []
    for code in codes:
        outcomes = Counter(r["outcome"] for r in reports if r["code"] == code)
        assert outcomes == {"accepted": 1, "already": 1}, code
    db.session.rollback()
    checked_in = db.session.scalar(select(func.count()).select_from(AttendeePass)
                                   .where(AttendeePass.event_id == event.id, AttendeePass.checked_in_at.is_not(None)))
    assert checked_in == 4
