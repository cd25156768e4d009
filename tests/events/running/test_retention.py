"""Attendee data is removed a set time after the event, by the job runner; the counts stay."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from booking import jobs
from booking.extensions import db
from booking.models import Registration
from booking.models_attendance import EventRecord, WalkIn
from booking.services import attendance
from booking.services.retention import anonymise_due


@pytest.fixture
def app_config():
    return {"EVENT_DATA_RETENTION_DAYS": 30}


def past_event(create_event, days_ago):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago, hours=2)
    return create_event(start_dt=start, end_dt=start + timedelta(hours=1),
                        registration_opens_at=start - timedelta(days=30), registration_closes_at=start)


def test_the_job_removes_personal_data_of_events_past_retention_and_keeps_the_counts(
        app, create_event, register, create_user):
    staff = create_user(role="staff")
    old, recent = past_event(create_event, 31), past_event(create_event, 29)
    came = register(old, name="山田 花子", email="hanako@example.jp", organisation="渋谷区", party_size=3)
    register(old, name="欠席 太郎", email="absent@example.jp")
    register(old, name="待ち 次郎", email="wait@example.jp", status="waiting")
    kept = register(recent, name="最近 三郎", email="recent@example.jp")
    attendance.check_in(old.id, came.id, staff.id, now=old.booking.start_dt)  # at the door, that day
    attendance.add_walk_in(old.id, staff.id, "飛び入り 四郎", "個人事業")
    before = attendance.counts(old.id)

    assert "events.remove_attendee_data" in jobs.run_once(app)

    db.session.rollback()
    people = db.session.scalars(select(Registration).where(Registration.event_id == old.id)).all()
    assert {(p.name, p.organisation) for p in people} == {("", "")}
    assert all(p.email.endswith("@invalid") and p.user_id is None for p in people)
    assert {(w.name, w.organisation) for w in db.session.scalars(select(WalkIn).where(WalkIn.event_id == old.id))} == {
        ("", "")}
    assert attendance.counts(old.id) == before
    record = db.session.get(EventRecord, old.id)
    assert (record.registered, record.companions, record.waiting, record.checked_in, record.walk_ins) == (
        4, 2, 1, 3, 1)
    assert db.session.get(Registration, kept.id).name == "最近 三郎"
    assert db.session.get(EventRecord, recent.id) is None
    assert not [row for row in attendance.attendees(old.id, "山田")]


def test_each_event_is_anonymised_once_and_the_retention_is_configurable(app, create_event, register):
    event = past_event(create_event, 3)
    register(event, name="三日前 参加")

    assert anonymise_due(datetime.now(UTC), 30) == 0
    assert anonymise_due(datetime.now(UTC), 2) == 1
    assert anonymise_due(datetime.now(UTC), 2) == 0
    with pytest.raises(ValueError, match="^retention cannot be negative$"):
        anonymise_due(datetime.now(UTC), -1)


def test_a_retention_of_no_days_removes_the_data_once_the_event_has_ended(app, create_event, register):
    event = past_event(create_event, 0)  # ended an hour ago
    register(event, name="今日 参加")

    assert anonymise_due(datetime.now(UTC), 0) == 1
    db.session.rollback()
    assert {p.name for p in db.session.scalars(select(Registration).where(Registration.event_id == event.id))} == {""}


def test_a_waiting_registrant_who_deletes_their_registration_leaves_the_waiting_list(app, create_event, register):
    from booking.services import registrations
    from booking.services.retention import delete_registration

    event = create_event(start_dt=datetime.now(UTC).replace(microsecond=0) + timedelta(days=5), capacity=1)
    key = app.config["SECRET_KEY"]
    register(event, name="席 あり")
    waiting = register(event, name="待ち 次郎", status="waiting")
    waiting.token_hash = hashlib.sha256(registrations.secret_of(key, waiting).encode()).hexdigest()
    db.session.commit()

    assert delete_registration(registrations.secret_of(key, waiting), key) == event.id

    db.session.rollback()
    gone = db.session.get(Registration, waiting.id)
    assert (gone.status, gone.name, gone.organisation) == ("cancelled", "", "")
