"""Real processes for the fault tests: gunicorn, the job runner, a throwaway PostgreSQL cluster, load.

Ports come from 5900–5999 (this project's range for these tests). Every process is
started in its own session and stopped by its own id when the test ends.
"""

from __future__ import annotations

import glob
import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from benchmarks.race_http import PASSWORD, TOKYO, Browser, random_form
from booking.extensions import db
from booking.models import Booking, OutboxMessage, User
from booking.services.integrity import count_double_bookings
from tests.conftest import PRODUCTION_HASHER

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def port_in_range(low: int = 5900, high: int = 5999) -> int:
    """A free 127.0.0.1 port in [low, high]."""
    for port in random.sample(range(low, high + 1), high - low + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 5900–5999")


def environment(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "fault-test-secret",
            "BOOKING_INSTANCE_PATH": str(instance), "SESSION_COOKIE_SECURE": "0", "PYTHONUNBUFFERED": "1",
            **extra}


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@contextmanager
def gunicorn(database_url: str, instance: Path, workers: int = 2,
             **extra: str) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """gunicorn -w N wsgi:app with the production timeout (30 s); yields (port, master process)."""
    port = port_in_range()
    log = open(instance / "gunicorn.log", "ab")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "30", "wsgi:app"],
        cwd=ROOT, env=environment(database_url, instance, **extra), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Browser(port).request("GET", "/login")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError((instance / "gunicorn.log").read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        yield port, server
    finally:
        stop(server)
        log.close()


@contextmanager
def job_runner(database_url: str, instance: Path, **extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """`flask --app wsgi worker` as production runs it."""
    log = open(instance / "worker.log", "ab")
    worker = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "worker", "--tick", "0.3"], cwd=ROOT,
                              env=environment(database_url, instance, **extra), stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield worker
    finally:
        stop(worker)
        log.close()


SERVER_ERRORS = ("unhandled error", "could not render the 503 page", "Error handling request", "Exception on ")
# The app's entries "[2026-…,123] LEVEL in …" and gunicorn's "[2026-… +0000] [pid] [LEVEL] …".
_LOG_ENTRY = re.compile(r"^\[\d{4}-\d\d-\d\d ")


def server_errors(instance: Path, log_name: str = "gunicorn.log") -> str:
    """The server's errors that answer 500 (ours: "unhandled error", "could not render the 503 page";
    Flask's and gunicorn's own), each entry with its traceback, for an assertion's message."""
    entries, current = [], None
    try:
        lines = (instance / log_name).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for line in lines:
        if _LOG_ENTRY.match(line):
            current = [line] if any(marker in line for marker in SERVER_ERRORS) else None
            if current is not None:
                entries.append(current)
        elif current is not None:
            current.append(line)
    if not entries:
        return ""
    return f"\n{len(entries)} server error(s) in {log_name}:\n" + "\n".join("\n".join(e) for e in entries)


def worker_pids(master: subprocess.Popen[bytes]) -> list[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def seed_members(count: int) -> list[str]:
    """Members who sign in with benchmarks.race_http.PASSWORD, in English (hashed as production does)."""
    password_hash = PRODUCTION_HASHER.hash(PASSWORD)
    emails = [f"loader{n}@example.jp" for n in range(count)]
    db.session.add_all(User(email=e, name=e, password_hash=password_hash, locale="en",
                             email_verified_at=datetime.now(UTC)) for e in emails)
    db.session.commit()
    return emails


class Load:
    """Threads of signed-in members posting overlapping bookings until stopped; tallies every status."""

    def __init__(self, port: int, emails: list[str], threads: int = 4) -> None:
        self.browsers = []
        for email in emails:
            browser = Browser(port)
            self.browsers.append((browser, browser.login(email)))
        self.statuses: Counter[int] = Counter()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.first_day = datetime.now(TOKYO).date() + timedelta(days=2)
        self.threads = [threading.Thread(target=self._fire, args=(n, threads), daemon=True) for n in range(threads)]

    def _fire(self, number: int, of: int) -> None:
        rng = random.Random(number)
        mine = self.browsers[number::of]
        turn = 0
        while not self.stopping.is_set():
            browser, token = mine[turn % len(mine)]
            turn += 1
            slug, form = random_form(rng, self.first_day, 3)
            try:
                status, _page = browser.request("POST", f"/spaces/{slug}/book", {"csrf_token": token, **form})
            except (OSError, http.client.HTTPException):
                status = 0  # the connection dropped (a worker killed between the headers and the body: IncompleteRead)
            with self.lock:
                self.statuses[status] += 1

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)

    def wait_for(self, attempts: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while sum(self.statuses.values()) < attempts and time.monotonic() < deadline:
            time.sleep(0.1)


def half_written_bookings() -> int:
    """Active bookings whose active holds do not match their seats, or with no audit entry."""
    db.session.rollback()
    return int(db.session.execute(text(
        "SELECT count(*) FROM bookings b WHERE "
        "(b.status IN ('pending', 'confirmed') AND b.seats <> "
        " (SELECT count(*) FROM booking_holds h WHERE h.booking_id = b.id AND h.is_active)) "
        "OR NOT EXISTS (SELECT 1 FROM booking_events e WHERE e.booking_id = b.id)")).scalar_one())


def bookings_without_mail() -> int:
    """Bookings with no outbox message about them: the mail must commit with the change."""
    db.session.rollback()
    mentioned = {int(m.payload["facts"]["booking_id"]) for m in db.session.scalars(db.select(OutboxMessage))}
    ids = set(db.session.scalars(db.select(Booking.id)))
    return len(ids - mentioned)


def double_bookings() -> int:
    db.session.rollback()
    return count_double_bookings(db.session)


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    return Path(found[-1]).parent


class ThrowawayCluster:
    """A PostgreSQL cluster of its own in a temp dir, on a port in 5900–5999; root runs it as `postgres`."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="booking-pg-"))
        self.data = self.folder / "data"
        self.port = port_in_range()
        self.bin = postgres_bin()

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "--no-sync", "-E", "UTF8", "--locale", "C")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "server.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)
