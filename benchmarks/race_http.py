"""Concurrent booking-form POSTs against gunicorn, then a count of double bookings by SQL.

Run on demand (not part of pytest), from the repository root:

    .venv/bin/python -m benchmarks.race_http                      # SQLite temp file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/booking_h4 \
        .venv/bin/python -m benchmarks.race_http                  # fresh booking_h4_race database

It creates and migrates a fresh database, seeds a studio (setup/teardown buffers), an
event hall and a pool of desks plus N members, starts `gunicorn -w 4 wsgi:app` on a free
127.0.0.1 port, signs every member in through the real login form (CSRF token scraped
from the page), then lets threads post the booking form for overlapping slots until the
time or attempt bound is reached. It prints attempts, successes, refusals, 5xx
responses and the double bookings found by SQL afterwards (must be 0).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import text

from benchmarks.fresh_db import add_space, engine_label, fresh_database, make_app, migrate
from booking.extensions import db
from booking.models import User
from booking.services.accounts import hash_password
from booking.services.integrity import count_double_bookings

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "benchmark password"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TOKYO = ZoneInfo("Asia/Tokyo")
SPACES = ("studio", "hall", "desks")


class Browser:
    """One member's cookies over plain http.client: a new connection per request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            page = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, page
        finally:
            conn.close()

    def csrf(self, path: str) -> str:
        status, page = self.request("GET", path)
        match = CSRF_RE.search(page)
        if status != 200 or not match:
            raise RuntimeError(f"GET {path} gave {status} without a CSRF token")
        return match.group(1)

    def login(self, email: str) -> str:
        """Sign in through the form; returns the CSRF token for later posts."""
        status, _ = self.request("POST", "/login", {"csrf_token": self.csrf("/login"), "email": email,
                                                   "password": PASSWORD})
        if status not in (302, 303):
            raise RuntimeError(f"login of {email} gave {status}")
        return self.csrf("/spaces/studio/book")


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies.append(seconds)

    @property
    def attempts(self) -> int:
        return sum(self.statuses.values())


def seed(app: object, members: int) -> list[str]:
    with app.app_context():  # type: ignore[attr-defined]
        add_space(slug="studio", kind="exclusive", setup_minutes=30, teardown_minutes=30)
        add_space(slug="hall", kind="exclusive")
        add_space(slug="desks", kind="pooled", unit_count=24)
        password_hash = hash_password(PASSWORD)
        emails = [f"racer{n}@example.jp" for n in range(members)]
        db.session.add_all(User(email=e, name=e, password_hash=password_hash, email_verified_at=datetime.now(UTC))
                            for e in emails)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
        return emails


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(url: str, instance: Path, port: int, workers: int, app_spec: str = "wsgi:app",
                   extra_env: dict[str, str] | None = None, ready_path: str = "/login",
                   log_name: str = "gunicorn.log", extra_args: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
    """`gunicorn -w <workers>` sync workers on 127.0.0.1:<port>, once `ready_path` answers 200."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "benchmark-secret",
           "BOOKING_INSTANCE_PATH": str(instance), "SESSION_COOKIE_SECURE": "0",
           # wrk replays the sign-in cookie for the whole run and never takes the refreshed one
           "SESSION_IDLE_MINUTES": "1440", **(extra_env or {})}
    log = open(instance / log_name, "wb")  # the child keeps it; closed at our exit
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--timeout", "120", *extra_args, app_spec],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if Browser(port).request("GET", ready_path)[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"gunicorn did not answer; see {instance / log_name}")


def random_form(rng: random.Random, first_day: date, days: int) -> tuple[str, dict[str, str]]:
    """A slot that overlaps many others: few days, hours on the 30-minute grid, 1–2 h long."""
    slug = rng.choice(SPACES)
    day = first_day + timedelta(days=rng.randrange(days))
    start = datetime.combine(day, datetime.min.time(), TOKYO) + timedelta(minutes=30 * rng.randrange(18, 40))
    end = start + timedelta(minutes=30 * rng.randrange(2, 5))
    form = {"day": day.isoformat(), "start_time": start.strftime("%H:%M"), "end_time": end.strftime("%H:%M"),
            "title": "Race", "attendees": "1", "seats": str(rng.randrange(1, 5) if slug == "desks" else 1)}
    return slug, form


def fire(browsers: list[tuple[Browser, str]], tally: Tally, deadline: float, max_attempts: int,
         first_day: date, days: int, seed_no: int) -> None:
    rng = random.Random(seed_no)
    turn = 0
    while time.monotonic() < deadline and tally.attempts < max_attempts:
        browser, token = browsers[turn % len(browsers)]
        turn += 1
        slug, form = random_form(rng, first_day, days)
        started = time.monotonic()
        try:
            status, _ = browser.request("POST", f"/spaces/{slug}/book", {"csrf_token": token, **form})
        except OSError:
            status = 0  # no answer at all: counted apart
        tally.add(status, time.monotonic() - started)


def count_in_database(url: str, instance: Path) -> tuple[int, int]:
    app = make_app(url, instance)
    with app.app_context():
        active = db.session.execute(text(
            "SELECT count(*) FROM bookings WHERE status IN ('pending', 'confirmed')")).scalar_one()
        doubles = count_double_bookings(db.session)
        db.session.remove()
        db.engine.dispose()
    return active, doubles


def report(label: str, tally: Tally, seconds: float, active: int, doubles: int, log: Path) -> None:
    s = tally.statuses
    successes = s[302] + s[303]
    refusals = s[409] + s[422]
    server_errors = sum(n for code, n in s.items() if code >= 500)
    latencies = sorted(tally.latencies) or [0.0]
    print(f"engine            {label}")
    print(f"attempts          {tally.attempts} in {seconds:.1f} s ({tally.attempts / seconds:.0f}/s)")
    print(f"successes         {successes}  (active bookings in the database: {active})")
    print(f"refusals 409/422  {s[409]} / {s[422]}  (total {refusals})")
    print(f"5xx responses     {server_errors}")
    print(f"other statuses    {dict((c, n) for c, n in s.items() if c not in (302, 303, 409, 422) and c < 500)}")
    print(f"latency p50/p95   {latencies[len(latencies) // 2] * 1000:.0f} / "
          f"{latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms")
    print(f"double bookings   {doubles}  (overlapping active holds of one unit, by SQL)")
    tracebacks = log.read_text(errors="replace").count("Traceback")
    print(f"server tracebacks {tracebacks}  (in {log.name})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=240, help="upper bound on the firing time")
    parser.add_argument("--max-attempts", type=int, default=2500)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--members", type=int, default=48)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--days", type=int, default=5, help="how many days the slots spread over")
    args = parser.parse_args()

    with fresh_database("race") as (url, instance):
        app = make_app(url, instance)
        migrate(app)
        emails = seed(app, args.members)
        port = free_port()
        server = start_gunicorn(url, instance, port, args.workers)
        try:
            browsers = []
            for email in emails:
                browser = Browser(port)
                browsers.append((browser, browser.login(email)))
            tally = Tally()
            first_day = datetime.now(TOKYO).date() + timedelta(days=2)
            started = time.monotonic()
            deadline = started + args.seconds
            threads = [threading.Thread(target=fire, args=(browsers[i::args.threads], tally, deadline,
                                                           args.max_attempts, first_day, args.days, i))
                       for i in range(args.threads)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(30)
        active, doubles = count_in_database(url, instance)
        report(engine_label(url), tally, elapsed, active, doubles, instance / "gunicorn.log")
        failed = doubles or any(code >= 500 for code in tally.statuses)
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
