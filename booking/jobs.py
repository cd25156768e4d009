"""One job runner for all background work: mail delivery now; expiry, reminders, clean-ups later.

Adding a job (in the module that owns the work; the module must be imported by
create_app, as booking/delivery.py is)::

    from booking import jobs

    @jobs.job("bookings.expire_requests", every=timedelta(minutes=5))
    def expire_requests(app: Flask, due_at: datetime) -> None:
        ...  # runs in an app context; use services (run_write) as a request would

    @jobs.job("mail.deliver")            # no `every`: a queue job, run on every tick
    def deliver(app: Flask, due_at: datetime) -> None:
        ...                              # by every runner; it claims its own rows

A scheduled job (`every=`) runs once per due time across all runners and hosts:
the runner that moves its `job_schedule` row on to the next due time (the row
locked FOR UPDATE SKIP LOCKED on PostgreSQL, under BEGIN IMMEDIATE on SQLite)
is the one that runs it; the others skip it. It is claimed before it runs, so a
runner that dies mid-job does not repeat it: such jobs must be safe to leave to
the next due time (an expiry job picks up what the last run missed). Due times
after a gap (every runner stopped) are not replayed one by one: the job runs
once and the next due time is the first one after now.

Running it: `flask --app wsgi worker` in production (several hosts may each run
one; stop with SIGTERM, which finishes the current tick), and under `make run` a
thread in the serving process (BOOKING_JOBS_THREAD=1), never in the reloader's
parent: the thread starts in the process that serves requests.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.models import JobSchedule
from booking.services.transactions import run_write

log = logging.getLogger(__name__)
JobFunction = Callable[[Flask, datetime], Any]
TICK_SECONDS = 1.0


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFunction
    every: timedelta | None  # None: a queue job, run on every tick by every runner


_registry: dict[str, Job] = {}
_thread_lock = threading.Lock()


def job(name: str, every: timedelta | None = None) -> Callable[[JobFunction], JobFunction]:
    """Register `function(app, due_at)` as the job `name`; `every` makes it a scheduled job."""

    def register(function: JobFunction) -> JobFunction:
        _registry[name] = Job(name, function, every)
        return function

    return register


def registered() -> list[Job]:
    """Every registered job, in registration order."""
    return list(_registry.values())


def _ensure_schedule(session: Session, name: str, now: datetime) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(JobSchedule).values(name=name, due_at=now).on_conflict_do_nothing())


def claim_due_time(session: Session, name: str, every: timedelta, now: datetime) -> datetime | None:
    """Take the job's due time if it has come (returns it, UTC) and move it on; None if not due.

    Call inside a write transaction; the row lock (or SQLite's write lock) makes
    the claim exclusive, so one runner per due time gets a datetime back.
    """
    _ensure_schedule(session, name, now)
    query = select(JobSchedule).where(JobSchedule.name == name)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    row = session.scalars(query).first()
    if row is None or row.due_at > now:
        return None
    due_at = row.due_at
    periods = max(1, math.floor((now - due_at) / every) + 1)
    row.due_at, row.last_run_at = due_at + every * periods, now
    return due_at


def run_once(app: Flask, now: datetime | None = None) -> list[str]:
    """One tick: every queue job, and every scheduled job whose due time this runner claims.

    Returns the names of the jobs that ran. A job that raises is logged and the
    others still run; a database that refuses the claim (busy, down) skips the job.
    """
    ran = []
    for entry in registered():
        with app.app_context():
            try:
                due_at = _claim(entry, now or utcnow())
                if due_at is not None:
                    entry.run(app, due_at)
                    ran.append(entry.name)
            except DBAPIError as error:
                log.warning("the job %s could not reach the database: %s", entry.name, error.orig)
            except Exception:
                log.exception("the job %s failed", entry.name)
    return ran


def _claim(entry: Job, now: datetime) -> datetime | None:
    every = entry.every
    if every is None:
        return now

    def work(session: Session) -> datetime | None:
        return claim_due_time(session, entry.name, every, now)

    return run_write(None, work, attempts=2)


class Runner:
    """Ticks every `tick` seconds until stopped; one per process (worker command or thread)."""

    def __init__(self, app: Flask, tick: float = TICK_SECONDS) -> None:
        self.app, self.tick, self.stopping = app, tick, threading.Event()

    def run(self) -> None:
        log.info("job runner started in process %d (%s)", os.getpid(), ", ".join(_registry))
        while not self.stopping.is_set():
            run_once(self.app)
            self.stopping.wait(self.tick)
        log.info("job runner stopped in process %d", os.getpid())

    def stop(self, *_args: Any) -> None:
        self.stopping.set()


def start_thread(app: Flask) -> None:
    """Start the runner thread in this process unless it already runs (make run)."""
    with _thread_lock:
        if app.extensions.get("job_runner") is not None:
            return
        runner = Runner(app, float(app.config.get("JOBS_TICK_SECONDS") or TICK_SECONDS))
        app.extensions["job_runner"] = runner
    threading.Thread(target=runner.run, name="job-runner", daemon=True).start()


def init_app(app: Flask) -> None:
    """The `worker` command, and with JOBS_THREAD the thread of the serving process."""

    @app.cli.command("worker")
    @click.option("--tick", default=TICK_SECONDS, show_default=True, help="Seconds between ticks.")
    @click.option("--once", is_flag=True, help="Run one tick and exit.")
    def worker_command(tick: float, once: bool) -> None:
        """Run background jobs (mail delivery, scheduled jobs) until SIGTERM or Ctrl-C."""
        logging.getLogger("booking").setLevel(logging.INFO)
        if not logging.getLogger().handlers:
            logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        if once:
            click.echo(", ".join(run_once(app)) or "nothing was due")
            return
        runner = Runner(app, tick)
        signal.signal(signal.SIGTERM, runner.stop)
        signal.signal(signal.SIGINT, runner.stop)
        runner.run()

    if not app.config.get("JOBS_THREAD"):
        return
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        start_thread(app)  # the reloader's child: the process that serves
    else:
        # Without the reloader the serving process is known only when it serves:
        # start on the first request (the reloader's parent never gets one).
        app.before_request(lambda: start_thread(app))
