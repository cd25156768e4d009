"""Faults with real processes under load: a killed worker, the database going away, the mail server down.

gunicorn serves with its production timeout (30 s); members post overlapping bookings
from threads. Afterwards: no double booking, no half-written booking, no booking
without its mail, no error but 503, every message delivered, and the same server
answering normally without a restart.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from benchmarks.race_http import Browser
from booking import create_app, delivery
from booking.db import sqlite_busy_timeout_s, utcnow
from booking.extensions import db
from booking.models import OpeningPeriod, OutboxMessage, Space
from booking.services import transactions
from tests.conftest import OPEN_ALL_WEEK, migrate_to_head
from tests.faults import harness
from tests.faults.harness import Load
from tests.mail.conftest import Inbox

pytestmark = pytest.mark.slow
ALLOWED = {302, 303, 409, 422, 503}


def seed_spaces():
    for slug, kind, units in (("studio", "exclusive", 1), ("hall", "exclusive", 1), ("desks", "pooled", 24)):
        space = Space(slug=slug, name_ja=slug, name_en=slug, kind=kind, unit_count=units, timezone="Asia/Tokyo",
                      slot_minutes=30, min_minutes=30, max_minutes=480, setup_minutes=0, teardown_minutes=0,
                      close_on_holidays=False, min_notice_minutes=0, max_days_ahead=365, requires_approval=False)
        for weekday, periods in OPEN_ALL_WEEK.items():
            for open_time, close_time in periods:
                space.opening_hours.append(OpeningPeriod(weekday=weekday, open_time=open_time, close_time=close_time))
        db.session.add(space)
    db.session.commit()


def answers_normally(port, email):
    browser = Browser(port)
    token = browser.login(email)
    assert browser.request("GET", "/spaces/studio")[0] == 200
    day = (utcnow() + timedelta(days=30)).date().isoformat()
    status, _ = browser.request("POST", "/spaces/hall/book", {"csrf_token": token, "day": day, "start_time": "10:00",
                                                              "end_time": "11:00", "title": "After the fault"})
    assert status == 302


def assert_nothing_lost(statuses, instance, dropped_allowed=0):
    """`instance`: the folder of gunicorn.log, whose errors (tracebacks) a failure shows."""
    unexpected = {code: n for code, n in statuses.items() if code not in ALLOWED and code != 0}
    assert not unexpected, f"{statuses}{harness.server_errors(instance)}"
    assert not harness.server_errors(instance), harness.server_errors(instance)  # also one a retry answered
    assert statuses[0] <= dropped_allowed, statuses
    assert harness.double_bookings() == 0
    assert harness.half_written_bookings() == 0
    assert harness.bookings_without_mail() == 0


def deliver_everything(app, inbox):
    """What is still pending is due now (the backoff has passed); the runner sends it; all arrives."""
    db.session.rollback()
    db.session.execute(db.update(OutboxMessage).where(OutboxMessage.status == "pending")
                       .values(due_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    while delivery.deliver_due(app):
        pass
    db.session.rollback()
    rows = list(db.session.scalars(db.select(OutboxMessage)))
    assert rows and {r.status for r in rows} == {"sent"}
    wanted = {f"<{r.message_uuid}@floor.example.jp>" for r in rows}
    received = {m["Message-ID"] for m in inbox.wait_for(len(wanted), timeout=30)}
    assert wanted <= received


def test_a_gunicorn_worker_killed_mid_writes_loses_nothing(app, database_url, tmp_path, smtp_server):
    inbox, smtp_port = smtp_server
    seed_spaces()
    emails = harness.seed_members(8)
    mail = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
            "MAIL_DEFAULT_SENDER": "Floor booking <booking@floor.example.jp>"}
    with harness.gunicorn(database_url, tmp_path, workers=2, **mail) as (port, master):
        with Load(port, emails[:6], threads=3) as load:
            load.wait_for(15, timeout=60)
            os.kill(harness.worker_pids(master)[0], signal.SIGKILL)
            load.wait_for(45, timeout=60)
        answers_normally(port, emails[7])

    print(f"\nkill -9 of a gunicorn worker: statuses {dict(load.statuses)}")
    # A sync worker serves one request at a time: at most the one it was writing is dropped.
    assert_nothing_lost(load.statuses, tmp_path, dropped_allowed=1)
    assert load.statuses[302] > 0
    deliver_everything(app, inbox)


def hold_sqlite_lock(path, seconds):
    """Another process takes the write lock and sits on it."""
    script = ("import sqlite3, sys, time\n"
              "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
              "c.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\n"
              "time.sleep(float(sys.argv[2]))\nprint('releasing', flush=True)\nc.rollback()\n")
    holder = subprocess.Popen([sys.executable, "-c", script, path, str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


class Prober:
    """One member reading the week page and one posting bookings, each answer timed."""

    def __init__(self, port, email):
        self.browser = Browser(port)
        self.token = self.browser.login(email)
        self.reads, self.writes = [], []
        self.stopping = threading.Event()

    def run(self):
        day = (utcnow() + timedelta(days=40)).date()
        n = 0
        while not self.stopping.is_set():
            started = time.monotonic()
            status, _ = self.browser.request("GET", "/spaces/studio")
            self.reads.append((status, time.monotonic() - started, time.monotonic()))
            started = time.monotonic()
            form = {"csrf_token": self.token, "day": (day + timedelta(days=n)).isoformat(), "start_time": "10:00",
                    "end_time": "11:00", "title": "Probe"}
            status, _ = self.browser.request("POST", "/spaces/hall/book", form)
            self.writes.append((status, time.monotonic() - started, time.monotonic()))
            n += 1


def test_the_database_going_away_under_load_gives_503s_and_then_normal_service(
        app, database_url, tmp_path, smtp_server):
    """SQLite: an external write lock held 35 s. PostgreSQL: a throwaway cluster stopped and started."""
    if database_url.startswith("sqlite"):
        sqlite_lock_under_load(app, database_url, tmp_path, smtp_server)
    else:
        postgres_restart_under_load(tmp_path, smtp_server)


def sqlite_lock_under_load(app, database_url, tmp_path, smtp_server):
    inbox, smtp_port = smtp_server
    seed_spaces()
    emails = harness.seed_members(6)
    mail = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
            "MAIL_DEFAULT_SENDER": "Floor booking <booking@floor.example.jp>"}
    with harness.gunicorn(database_url, tmp_path, workers=3, **mail) as (port, _master):
        prober = Prober(port, emails[5])
        with Load(port, emails[:4], threads=1) as load:
            holder = hold_sqlite_lock(database_url.removeprefix("sqlite:///"), 35)
            thread = threading.Thread(target=prober.run, daemon=True)
            thread.start()
            # Taken as the holder says it lets go, before its rollback: a write answered after this
            # may have got the lock (its process's exit, noticed by wait(), comes later still).
            assert holder.stdout.readline().strip() == "releasing"
            released = time.monotonic()
            holder.wait(60)
            prober.stopping.set()
            thread.join(30)
        answers_normally(port, emails[4])

    writes = [(status, seconds) for status, seconds, done in prober.writes if done < released]
    reads = [(status, seconds) for status, seconds, done in prober.reads if done < released]
    print(f"\nSQLite lock 35 s: load statuses {dict(load.statuses)}; probe writes {len(writes)} "
          f"(max {max(s for _, s in writes):.2f} s), reads {len(reads)} "
          f"(median {sorted(s for _, s in reads)[len(reads) // 2]:.3f} s, max {max(s for _, s in reads):.3f} s)")
    assert len(writes) >= 5 and {status for status, _ in writes} == {503}
    # A write gives up once no writer has committed for STALL_S: two tries of the busy timeout and its turn
    # share (3.75 s), and the request's own work. Without the stall rule it would retry until LIMIT_S (25 s).
    # The bound adds one STALL_S for a loaded machine (5.1 s was seen under CI's load; the old bound was 5).
    per_try = sqlite_busy_timeout_s() * (1 + transactions.TURN_SHARE)
    assert max(seconds for _, seconds in writes) < 2 * per_try + transactions.STALL_S < transactions.LIMIT_S / 2
    assert len(reads) >= 5 and {status for status, _ in reads} == {200}
    # Reads never wait for the lock: every read done while it was held (35 s, far past the 1.5 s
    # busy timeout) answered 200; one that waited would have ended in the timeout's 503. Their
    # durations are printed above, not asserted: on a loaded machine a read alone can take 1.5 s.
    assert_nothing_lost(load.statuses, tmp_path)
    assert load.statuses[503] > 0
    deliver_everything(app, inbox)


def postgres_restart_under_load(tmp_path, smtp_server):
    inbox, smtp_port = smtp_server
    cluster = harness.ThrowawayCluster()
    try:
        cluster.create()
        migrate_to_head(cluster.url, tmp_path)
        cluster_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": cluster.url, "SECRET_KEY": "t",
                                  "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port, "MAIL_BACKGROUND": False,
                                  "MAIL_DEFAULT_SENDER": "Floor booking <booking@floor.example.jp>"})
        cluster_app.instance_path = str(tmp_path)
        with cluster_app.app_context():
            seed_spaces()
            emails = harness.seed_members(6)
            db.session.remove()
            mail = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
                    "MAIL_DEFAULT_SENDER": "Floor booking <booking@floor.example.jp>"}
            with harness.gunicorn(cluster.url, tmp_path, workers=2, **mail) as (port, _master):
                with Load(port, emails[:4], threads=2) as load:
                    load.wait_for(15, timeout=60)
                    cluster.stop()
                    down = Browser(port).request("GET", "/spaces/studio")
                    time.sleep(2)
                    cluster.start()
                    before = sum(load.statuses.values())
                    load.wait_for(before + 20, timeout=60)
                answers_normally(port, emails[5])

            print(f"\nPostgreSQL stopped 2 s and started: statuses {dict(load.statuses)}; probe while down {down[0]}")
            db.session.remove()
            db.engine.dispose()  # the test's own pooled connections died with the restart
            assert down[0] == 503 and "数秒後にもう一度お試しください。" in down[1], harness.server_errors(tmp_path)
            assert_nothing_lost(load.statuses, tmp_path)  # a visitor above: Japanese
            deliver_everything(cluster_app, inbox)
            db.session.remove()
            db.engine.dispose()
    finally:
        cluster.destroy()


def test_mail_sent_while_the_smtp_server_is_down_is_all_delivered_after_it_returns(app, database_url, tmp_path):
    inbox, smtp_port = Inbox(), harness.port_in_range()
    first = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    first.start()
    seed_spaces()
    emails = harness.seed_members(2)
    settings = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port), "OUTBOX_BACKOFF_SECONDS": "1",
                "MAIL_DEFAULT_SENDER": "Floor booking <booking@floor.example.jp>", "MAIL_TIMEOUT": "2"}
    with harness.gunicorn(database_url, tmp_path, workers=2, **settings) as (port, _master), \
            harness.job_runner(database_url, tmp_path, **settings):
        browser = Browser(port)
        token = browser.login(emails[0])
        first.stop()  # the mail server goes down
        day = (utcnow() + timedelta(days=50)).date()
        for n in range(8):
            form = {"csrf_token": token, "day": (day + timedelta(days=n)).isoformat(), "start_time": "10:00",
                    "end_time": "11:00", "title": f"While the mail server is down {n}"}
            assert browser.request("POST", "/spaces/studio/book", form)[0] == 302
        time.sleep(2)
        assert inbox.messages == []
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        back = time.monotonic()
        try:
            db.session.rollback()
            wanted = {f"<{u}@floor.example.jp>" for u in db.session.scalars(db.select(OutboxMessage.message_uuid))}
            assert len(wanted) == 8
            received = {m["Message-ID"] for m in inbox.wait_for(8, timeout=60)}
            print(f"\nSMTP down, 8 bookings, SMTP back: all 8 delivered {time.monotonic() - back:.1f} s later")
            answers_normally(port, emails[1])
            statuses = settled_statuses(wanted)
        finally:
            controller.stop()
    assert wanted <= received
    assert statuses == {"sent"}


def settled_statuses(message_ids, timeout=20):
    """The statuses of these messages once the runner has recorded what the server accepted."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        rows = db.session.scalars(db.select(OutboxMessage))
        statuses = {r.status for r in rows if f"<{r.message_uuid}@floor.example.jp>" in message_ids}
        if statuses == {"sent"} or time.monotonic() > deadline:
            return statuses
        time.sleep(0.2)
