"""The job runner: scheduled jobs once per due time across runners, queue jobs claim their own rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from booking import delivery, jobs
from booking.db import utcnow
from booking.extensions import db
from booking.models import JobSchedule, OutboxMessage
from booking.services import outbox
from booking.services.transactions import run_write

ROOT = Path(__file__).resolve().parents[2]
HOUR = timedelta(hours=1)


@pytest.fixture
def registry():
    """Jobs a test registers are gone again afterwards."""
    before = dict(jobs._registry)
    yield jobs
    jobs._registry.clear()
    jobs._registry.update(before)


def enqueue_many(count, to="member@example.jp"):
    def work(session):
        for n in range(count):
            outbox.enqueue(session, kind="booking.cancelled", to=to, locale="en", payload=_payload(n), now=utcnow())
    # Committed without the after-commit attempt (due now, so not leased to this process):
    # the runner must do the sending.
    delivery_kick, delivery.kick = delivery.kick, lambda app, ids, leased=(): None
    try:
        run_write(None, work)
    finally:
        delivery.kick = delivery_kick


def _payload(n):
    now = utcnow()
    facts = {"booking_id": n + 1, "title": f"Meeting {n}", "start_dt": now.isoformat(),
             "end_dt": (now + HOUR).isoformat(), "timezone": "Asia/Tokyo", "space_ja": "スタジオ",
             "space_en": "Studio", "is_pooled": False, "units": [1], "member_name": "Hanako",
             "member_org": "", "purpose": ""}
    return {"name": "Hanako", "facts": facts, "note": "", "by_staff": False}


def test_a_scheduled_job_runs_once_per_due_time_however_many_runners_race(app, registry):
    runs = []
    registry.job("test.hourly", every=HOUR)(lambda app, due_at: runs.append(due_at))
    now = utcnow()
    start = threading.Barrier(4)

    def runner():
        start.wait(10)
        jobs.run_once(app, now)

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert runs == [now]
    assert "test.hourly" not in jobs.run_once(app, now + timedelta(minutes=59))
    assert "test.hourly" in jobs.run_once(app, now + HOUR)
    assert runs == [now, now + HOUR]


def test_after_a_gap_a_scheduled_job_runs_once_and_keeps_its_rhythm(app, registry):
    runs = []
    registry.job("test.hourly", every=HOUR)(lambda app, due_at: runs.append(due_at))
    now = utcnow()
    jobs.run_once(app, now)

    jobs.run_once(app, now + timedelta(hours=5, minutes=30))

    assert runs == [now, now + HOUR]
    db.session.rollback()
    assert db.session.get(JobSchedule, "test.hourly").due_at == now + timedelta(hours=6)


def test_a_failing_job_does_not_stop_the_others(app, registry, caplog):
    runs = []
    registry.job("test.broken")(lambda app, due_at: 1 / 0)
    registry.job("test.fine")(lambda app, due_at: runs.append(due_at))

    ran = jobs.run_once(app)

    assert "test.fine" in ran and "test.broken" not in ran and len(runs) == 1
    assert any("the job test.broken failed" in r.getMessage() for r in caplog.records)


def test_runners_racing_over_the_outbox_send_each_message_once(app, inbox):
    enqueue_many(40)
    start = threading.Barrier(4)

    def runner():
        start.wait(10)
        jobs.run_once(app)

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    received = inbox.wait_for(40)
    assert len(received) == 40
    assert len({m["Message-ID"] for m in received}) == 40
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).where(OutboxMessage.status == "sent")) == 40


def test_sent_mail_is_forgotten_after_thirty_days_and_failed_mail_is_kept(app, inbox):
    enqueue_many(2)
    jobs.run_once(app)
    db.session.rollback()
    first, second = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))
    second.status = "failed"
    db.session.commit()

    delivery.forget_sent_job(app, utcnow() + timedelta(days=31))

    db.session.rollback()
    assert [m.status for m in db.session.scalars(db.select(OutboxMessage))] == ["failed"]


def _flask(database_url, *args, env=None, **kwargs):
    environment = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "worker-test",
                   "PYTHONUNBUFFERED": "1", **(env or {})}
    environment.pop("WERKZEUG_RUN_MAIN", None)
    command = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", *args]
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


def test_the_worker_command_delivers_and_stops_on_sigterm(app, inbox, smtp_server, database_url):
    enqueue_many(3)
    worker = _flask(database_url, "worker", "--tick", "0.2",
                    env={"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_server[1])})
    try:
        assert len(inbox.wait_for(3, timeout=30)) == 3
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    assert worker.returncode == 0, output
    assert "job runner stopped" in output


def test_make_run_starts_one_runner_thread_in_the_serving_process_not_the_reloader(app, database_url):
    port = 5900 + os.getpid() % 50
    server = _flask(database_url, "--debug", "run", "--port", str(port), env={"BOOKING_JOBS_THREAD": "1"},
                    start_new_session=True)
    lines = []
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not any("job runner started" in line for line in lines):
            lines.append(server.stdout.readline())
        time.sleep(1.5)  # a second start would show up by now
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        rest, _ = server.communicate(timeout=20)
    output = "".join(lines) + rest
    started = [line for line in output.splitlines() if "job runner started in process" in line]
    assert len(started) == 1, output
    assert f"process {server.pid} " not in started[0]  # the reloader's parent runs no jobs
