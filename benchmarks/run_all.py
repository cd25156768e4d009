"""Every page of the product under load, against two reference apps measured in the same run.

Run on demand (not part of pytest), from the repository root:

    .venv/bin/python -m benchmarks.run_all --quick          # what `make bench` runs (SQLite)
    .venv/bin/python -m benchmarks.run_all                  # the full form
    .venv/bin/python -m benchmarks.run_all \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/booking_bench
    .venv/bin/python -m benchmarks.run_all --reports [--database-url ...]   # usage figures, 1M bookings

It migrates a fresh database (SQLite: a temporary file; PostgreSQL: a new database named
after the given one plus `_bench`, dropped afterwards), seeds the spaces and bookings the
targets need, fills the reference table (benchmarks/baseline.py) and starts three gunicorn
servers with the same settings (`-w 2` sync workers by default): hello-world, the
one-query page and the product. Every target is then driven for a bounded time by `wrk`
(or by a Python client when wrk is missing) with 8 connections on 127.0.0.1, the targets
interleaved round by round; the CPU time of the server's processes (gunicorn master and
workers, plus on PostgreSQL the backends of its connections) is read from /proc before
and after each run. The table shows medians over the rounds: requests/s (answered by
the server ÷ the time until it was idle again), server CPU-ms per request, latency p50/p99
as the load tool saw them (blank when no response finished within the run), and the CPU
per request divided by that of the one-query page and of hello-world. The machine is
shared, so absolute figures are noisy; the ratios to the references measured in the same
run are what to compare between runs.

Booking POST: 8 signed-in members post the booking form for slots that never conflict;
every response must be a redirect. The time each write transaction holds the space's
write lock (from the lock taken to the commit done) is recorded by the product's
processes and shown as median and p99.

Feeds: a space's (1,000 events), a member's by token (50 bookings over 50 weeks, about 32 in its
window), the staff feed of every space (the whole seeded floor, about 3,400 events, 1.6 MB) and
the public events feed (/events.ics: the events the registration benchmark seeds), each a full
GET and a 304; under the table, each 304's rate ÷ hello-world's rate (issue 21: ≥ 0.7).

Series (benchmarks/series.py): after the table, the benchmark process previews and books
12-date weekly series against the same database, 10 (quick) or 30 of them; the time per
series and the write lock held while booking one, as median and p99. Then 52-date weekly
series (a year of recordings) in a studio with 100,000 bookings of history, 2 (quick) or
7 of them, against issue 17's targets (preview ≤ 200 ms, booking ≤ 500 ms, lock ≤ 150 ms).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import feeds as feed_bench
from benchmarks import registrations as registration_bench
from benchmarks import reports as report_bench
from benchmarks import series as series_bench
from benchmarks import week_view as week_bench
from benchmarks.baseline import REFERENCE_ROWS, seed_reference_rows
from benchmarks.fresh_db import add_space, engine_label, fresh_database, make_app, migrate
from benchmarks.race_http import PASSWORD, Browser, free_port, start_gunicorn
from booking import delivery
from booking.domain.grid import week_start
from booking.extensions import db
from booking.models import User
from booking.services import bookings
from booking.services.accounts import hash_password

TOKYO = ZoneInfo("Asia/Tokyo")
CLK_TCK = os.sysconf("SC_CLK_TCK")
POSTERS = 8
SLOTS_A_DAY = 28  # 30-minute slots, 08:00–22:00
STUDIO_BOOKINGS_A_DAY = 4  # 28 in a week
PENDING_REQUESTS = 12
FEED_EVENTS = 1000
MEMBER_FEED_BOOKINGS = 50  # one a week, 20 weeks back to 30 ahead (the feed's window shows about 32)


# --- the product as gunicorn serves it -------------------------------------------------


def product_app() -> Flask:
    """The product (wsgi.py's create_app()), recording write-lock hold times to BENCH_LOCK_LOG."""
    from booking import create_app

    log_path = os.environ.get("BENCH_LOCK_LOG")
    if log_path:
        record_write_lock_times(Path(log_path))
    return create_app()


COMMITS = "bench_commit_times"


def record_write_lock_times(log_path: Path) -> None:
    """Wrap transactions.write_transaction: append "ms space|other" from lock taken to commit done, one a line.

    "space" is a transaction holding a space's lock (the booking itself); "other" one without
    (the mail outbox's claim and outcome after the commit), which on SQLite holds the
    database's write lock as well. The clock stops when the database has committed (the
    first `after_commit` listener), not when the after-commit hooks are done. The outbox's
    own transactions (recording mail as sent, run by the process's mail thread after the
    lock is given back, one per round of mail) are counted apart as "other".
    """
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from booking.services import transactions

    original = transactions.write_transaction

    def committed(session: Session) -> None:
        session.info.setdefault(COMMITS, []).append(time.perf_counter())

    event.listen(Session, "after_commit", committed, insert=True)

    @contextmanager
    def timed(space_id: int | None, **options: Any) -> Iterator[Any]:
        with original(space_id, **options) as session:  # entered: BEGIN IMMEDIATE / SELECT … FOR UPDATE done
            taken = time.perf_counter()
            commits = session.info.setdefault(COMMITS, [])
            depth = len(commits)  # this transaction's commit is the next one noted
            yield session
        done = commits[depth] if len(commits) > depth else time.perf_counter()
        del commits[depth:]
        held_ms = (done - taken) * 1000
        with open(log_path, "a") as log:
            log.write(f"{held_ms:.3f} {'space' if space_id is not None else 'other'}\n")

    transactions.write_transaction = timed


# --- seeding ------------------------------------------------------------------------------


@dataclass
class Fixture:
    week: date  # the Monday of the viewed week (next week, so nothing in it is past)
    feed_slug: str
    member: str
    staff: str
    posters: list[str]
    post_first_day: date
    member_feed_token: str = ""  # a member with MEMBER_FEED_BOOKINGS bookings over time
    staff_feed_token: str = ""  # the staff user's feed of every space


def stop_servers(servers: dict[str, Server], meter: CpuMeter) -> None:
    """Terminate every gunicorn of the run, wait for each (30 s at most), then close the CPU meter."""
    for server in servers.values():
        server.process.terminate()
    for server in servers.values():
        server.process.wait(30)
    meter.close()


def seed_benchmark(url: str, instance: Path) -> tuple[Flask, Fixture]:
    """Migrate the fresh database at `url`, seed the product's benchmark data (`seed_product`) and the
    one-query reference's rows; returns the app that seeded it and the fixture. For the tools that
    measure one page at a time (grid_ab, grid_profile, page_profile)."""
    os.environ["BOOKING_INSTANCE_PATH"] = str(instance)
    app = make_app(url, instance)
    migrate(app)
    fixture = seed_product(app, url)
    engine = create_engine(url)
    seed_reference_rows(engine)
    engine.dispose()
    return app, fixture


def seed_product(app: Flask, url: str) -> Fixture:
    """Spaces and bookings for every target; see the module docstring of week_view for the desks."""
    today = datetime.now(TOKYO).date()
    monday = week_start(today) + timedelta(days=7)
    password_hash = hash_password(PASSWORD)
    verified = datetime.now(UTC)
    logging.getLogger("booking.mail").setLevel(logging.WARNING)  # the seeding's mail is not worth reading
    with app.app_context():
        desks = add_space(slug="desks", kind="pooled", unit_count=week_bench.DESKS)
        history = User(email="history@example.jp", name="History", password_hash=password_hash,
                       email_verified_at=verified)
        db.session.add(history)
        db.session.commit()
        # 24 desks × 14 one-hour slots × 7 days: the viewed week fully booked (ids 1…2352).
        week_bench.seed(0, week_bench.DESKS * week_bench.HOURS_A_DAY * 7, desks.id, history.id,
                        monday + timedelta(days=6))
        db.session.rollback()
        studio = add_space(slug="studio", kind="exclusive", setup_minutes=30, teardown_minutes=30)
        hall = add_space(slug="hall", kind="exclusive", requires_approval=True)
        post = add_space(slug="post", kind="exclusive", max_days_ahead=3650)
        member = User(email="member@example.jp", name="ベンチ 花子", password_hash=password_hash,
                      email_verified_at=verified)
        staff = User(email="staff@example.jp", name="ベンチ 職員", password_hash=password_hash, role="staff",
                     email_verified_at=verified)
        posters = [User(email=f"poster{n}@example.jp", name=f"Poster {n}", password_hash=password_hash,
                        email_verified_at=verified)
                   for n in range(POSTERS)]
        db.session.add_all([member, staff, *posters])
        db.session.commit()
        for offset in range(7):
            for n in range(STUDIO_BOOKINGS_A_DAY):
                start = datetime.combine(monday + timedelta(days=offset), datetime.min.time(), TOKYO)
                start += timedelta(hours=9 + 3 * n)
                book(member, studio.id, start, timedelta(hours=2), f"収録 {offset}-{n}")
        for n in range(PENDING_REQUESTS):
            start = datetime.combine(monday + timedelta(days=n % 7), datetime.min.time(), TOKYO)
            start += timedelta(hours=9 + n // 7 * 4)
            book(posters[n % POSTERS], hall.id, start, timedelta(hours=3), f"イベント {n}")
        fixture = Fixture(week=monday, feed_slug="", member=member.email, staff=staff.email,
                          posters=[p.email for p in posters], post_first_day=today + timedelta(days=2))
        assert post.id
        # The mail thread records its sent mail up to delivery.SETTLE_WITHIN_S later: on SQLite that write
        # made the feed seeding's plain ORM commit fail at once (a stale WAL snapshot, no busy wait).
        delivery.wait_for_sending()
        db.session.remove()
        db.engine.dispose()
    fixture.feed_slug = feed_bench.seed(url, FEED_EVENTS)
    with app.app_context():
        fixture.member_feed_token, fixture.staff_feed_token = seed_private_feeds(monday, fixture.staff)
        db.session.remove()
        db.engine.dispose()
    return fixture


def seed_private_feeds(monday: date, staff_email: str) -> tuple[str, str]:
    """A member with MEMBER_FEED_BOOKINGS bookings over time and their feed token, and the staff user's token.

    One booking a week on Saturday evening in the studio or the hall (never in the viewed week, so
    the week and calendar targets see the same data), every tenth cancelled; written as rows, as
    benchmarks/feeds.py seeds the space feed (the past ones could not be requested any more).
    """
    from booking.models import Booking, Space
    from booking.services.feed_tokens import renew_token

    spaces = list(db.session.scalars(db.select(Space).where(Space.slug.in_(("studio", "hall"))).order_by(Space.id)))
    member = User(email="feed-member@example.jp", name="ベンチ 購読者", organisation="ベンチ株式会社",
                  password_hash=hash_password(PASSWORD), email_verified_at=datetime.now(UTC))
    db.session.add(member)
    weeks = [week for week in range(-20, MEMBER_FEED_BOOKINGS - 19) if week != 0]
    for n, week in enumerate(weeks):
        start = datetime.combine(monday + timedelta(days=7 * week + 5), datetime.min.time(), TOKYO)
        start = (start + timedelta(hours=19)).astimezone(UTC)
        db.session.add(Booking(space=spaces[n % len(spaces)], user=member, start_dt=start,
                               end_dt=start + timedelta(hours=1), title=f"定例 {n}", purpose="benchmark",
                               attendees=4, is_public=n % 3 == 0,
                               status="cancelled" if n % 10 == 9 else "confirmed"))
    db.session.commit()
    staff = db.session.scalar(db.select(User).where(User.email == staff_email))
    assert staff is not None and len(weeks) == MEMBER_FEED_BOOKINGS
    return renew_token(member, "member"), renew_token(staff, "staff")


def book(member: User, space_id: int, start: datetime, length: timedelta, title: str) -> None:
    outcome = bookings.request_booking(member, bookings.BookingInput(
        space_id=space_id, start_dt=start, end_dt=start + length, title=title, attendees=3, is_public=True))
    if not outcome.ok:
        raise RuntimeError(f"seeding {title} was refused: {outcome.conflicts}")


# --- servers and their CPU time -------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    application_name: str  # PostgreSQL backends of this server carry it
    access_log: Path  # one line per request answered: the server's own count

    def answered(self) -> list[str]:
        """Status codes of every request answered so far, in order."""
        return self.access_log.read_text().split()

    def pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        pids = [self.process.pid]
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(entry.path, "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return pids


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the given processes, in seconds (vanished ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


class CpuMeter:
    """Server CPU: its gunicorn processes, plus its PostgreSQL backends when there are any."""

    def __init__(self, url: str) -> None:
        self.admin = create_engine(url) if make_url(url).get_backend_name() == "postgresql" else None

    def backends(self, server: Server) -> list[int]:
        if self.admin is None:
            return []
        with self.admin.connect() as conn:
            return list(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                                     {"name": server.application_name}).scalars())

    def sample(self, server: Server) -> tuple[float, float]:
        """(app CPU s, database CPU s) now."""
        return cpu_seconds(server.pids()), cpu_seconds(self.backends(server))

    def close(self) -> None:
        if self.admin is not None:
            self.admin.dispose()


def with_application_name(url: str, name: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.update_query_dict({"application_name": name}).render_as_string(hide_password=False)


# --- load -----------------------------------------------------------------------------------


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    bad: int  # responses that are neither 2xx nor 3xx, plus socket errors


WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> Load:
    requests = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    assert requests, output
    seconds = float(requests.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[requests.group(3)]

    def percentile(label: str) -> float:
        found = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        return float(found.group(1)) * WRK_UNITS[found.group(2)] if found else float("nan")

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read \d+, write (\d+), timeout (\d+)", output)
    # read errors are the sync workers closing each connection after its response: not errors
    socket_errors = sum(int(n) for n in errors.groups()) if errors else 0
    return Load(int(requests.group(1)), seconds, percentile("50"), percentile("99"),
                (int(bad.group(1)) if bad else 0) + socket_errors)


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Target:
    name: str
    server: str  # "hello", "query" or "product"
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    # POST only: per connection, (headers, form builder taking the connection's n-th request)
    posts: list[tuple[dict[str, str], Callable[[int], dict[str, str]]]] | None = None
    lua: str = ""  # the same posts for wrk


def run_wrk(port: int, target: Target, seconds: float, connections: int, folder: Path) -> Load:
    threads = connections if target.posts else min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "60s",
               "--latency"]
    for name, value in target.headers.items():
        command += ["-H", f"{name}: {value}"]
    if target.lua:
        script = folder / "post.lua"
        script.write_text(target.lua)
        command += ["-s", str(script)]
    command.append(f"http://127.0.0.1:{port}{target.path}")
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    return parse_wrk(output)


def run_python(port: int, target: Target, seconds: float, connections: int, _folder: Path) -> Load:
    """The same load from threads of http.client, when wrk is missing (slower, same counting)."""
    import http.client

    latencies: list[float] = []
    bad = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            headers = dict(target.headers)
            body = None
            method = "GET"
            if target.posts:
                post_headers, form = target.posts[index]
                headers.update(post_headers)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                body, method = urlencode(form(n)), "POST"
            n += 1
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request(method, target.path, body=body, headers=headers)
                status = conn.getresponse()
                status.read()
                ok = 200 <= status.status < 400
            except OSError:
                ok = False
            finally:
                conn.close()
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                bad[0] += not ok

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    ordered = sorted(latencies) or [float("nan")]
    return Load(len(latencies), time.monotonic() - started, ordered[len(ordered) // 2],
                ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], bad[0])


# --- targets --------------------------------------------------------------------------------


class PostSlots:
    """Booking-form POSTs that never conflict: connection i takes slots i, i+8, i+16, … of `post`.

    Each run starts on a fresh day, after every slot an earlier run may have taken.
    """

    def __init__(self, first_day: date, tokens: list[tuple[str, str]]) -> None:
        self.first_day = first_day
        self.tokens = tokens  # (cookie header, csrf token) per poster

    def form(self, day_offset: int, slot: int) -> dict[str, str]:
        day, index = divmod(slot, SLOTS_A_DAY)
        start = datetime.combine(self.first_day + timedelta(days=day_offset + day), datetime.min.time())
        start += timedelta(hours=8, minutes=30 * index)
        end = start + timedelta(minutes=30)
        return {"day": start.date().isoformat(), "start_time": start.strftime("%H:%M"),
                "end_time": end.strftime("%H:%M"), "title": "Bench", "attendees": "1", "seats": "1"}

    def builder(self, day_offset: int, client: int, token: str) -> Callable[[int], dict[str, str]]:
        """The form of the client's n-th POST (the Python client's twin of the Lua script)."""
        return lambda n: {"csrf_token": token, **self.form(day_offset, n * POSTERS + client)}

    def target(self, day_offset: int) -> Target:
        posts = [({"Cookie": cookie}, self.builder(day_offset, i, token))
                 for i, (cookie, token) in enumerate(self.tokens)]
        return Target("booking POST (8 members)", "product", "/spaces/post/book", posts=posts,
                      lua=self.lua(day_offset))

    def lua(self, day_offset: int) -> str:
        first = datetime.combine(self.first_day + timedelta(days=day_offset), datetime.min.time(), UTC)
        clients = ",\n".join(f"  {{cookie = {lua_string(cookie)}, token = {lua_string(token)}}}"
                             for cookie, token in self.tokens)
        return f"""-- written by benchmarks/run_all.py: one signed-in member per wrk thread
local clients = {{
{clients}
}}
local first_day = {int(first.timestamp())}
local created = 0
function setup(thread)
  created = created + 1
  thread:set("me", created)
end
function init(args)
  client = clients[me]
  n = 0
end
function request()
  local slot = n * {POSTERS} + (me - 1)
  n = n + 1
  local day = math.floor(slot / {SLOTS_A_DAY})
  local minutes = 480 + 30 * (slot % {SLOTS_A_DAY})
  local midnight = first_day + day * 86400
  local body = "csrf_token=" .. client.token
    .. "&day=" .. os.date("!%Y-%m-%d", midnight)
    .. "&start_time=" .. string.format("%02d%%3A%02d", math.floor(minutes / 60), minutes % 60)
    .. "&end_time=" .. string.format("%02d%%3A%02d", math.floor((minutes + 30) / 60), (minutes + 30) % 60)
    .. "&title=Bench&attendees=1&seats=1"
  return wrk.format("POST", nil, {{
    ["Cookie"] = client.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }}, body)
end
"""


def cookie_header(browser: Browser) -> str:
    return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())


def get_targets(fixture: Fixture, port: int, attendee_event_id: int) -> list[Target]:
    """Every GET target, signed in as the member or the staff where the page needs it."""
    member, staff = Browser(port), Browser(port)
    member.login(fixture.member)
    staff.login(fixture.staff)
    as_member = {"Cookie": cookie_header(member)}
    as_staff = {"Cookie": cookie_header(staff)}
    week = f"?week={fixture.week.isoformat()}"
    feed = f"/spaces/{fixture.feed_slug}/calendar.ics"
    member_feed = f"/feeds/{fixture.member_feed_token}/bookings.ics"
    staff_feed = f"/feeds/{fixture.staff_feed_token}/staff.ics"
    events_feed = "/events.ics"
    etags = {}
    for path in (feed, member_feed, staff_feed, events_feed):
        etags[path] = {"If-None-Match": current_etag(port, path)}
    return [
        Target("hello-world (reference)", "hello", "/"),
        Target("one query + table (reference)", "query", "/?category=7"),
        Target("spaces list", "product", "/"),
        Target("week grid studio, 28 bookings", "product", f"/spaces/studio{week}", as_member),
        Target("week grid desks, 24 fully booked", "product", f"/spaces/desks{week}", as_member),
        Target("week grid hall, 12 requests", "product", f"/spaces/hall{week}", as_member),
        Target("booking form", "product", "/spaces/studio/book", as_member),
        Target("my bookings", "product", "/bookings", as_member),
        Target("account", "product", "/account", as_member),
        Target(f"staff queue, {PENDING_REQUESTS + FEED_EVENTS // 5} requests", "product", "/staff/requests",
               as_staff),
        Target("staff calendar day", "product", f"/staff/calendar?day={fixture.week.isoformat()}", as_staff),
        Target("staff calendar week", "product", f"/staff/calendar{week}", as_staff),
        Target("staff calendar day, desks list", "product",
               f"/staff/calendar?day={fixture.week.isoformat()}&space=desks", as_staff),
        Target("staff reports", "product", "/staff/reports", as_staff),
        Target("staff members list", "product", "/staff/members", as_staff),
        Target(f"staff attendees, {registration_bench.ATTENDEES} people", "product",
               f"/staff/events/{attendee_event_id}/attendees", as_staff),
        Target("staff event door", "product", f"/staff/events/{attendee_event_id}/door", as_staff),
        Target("staff events list", "product", "/staff/events/", as_staff),
        Target("staff event proposals", "product", "/staff/event-proposals", as_staff),
        Target("events list (visitor)", "product", "/events"),
        Target("event page (visitor)", "product", f"/events/{attendee_event_id}"),
        Target(f"feed full GET, {FEED_EVENTS} events", "product", feed),
        Target("feed 304", "product", feed, etags[feed]),
        Target(f"member feed full GET, {MEMBER_FEED_BOOKINGS} bookings", "product", member_feed),
        Target("member feed 304", "product", member_feed, etags[member_feed]),
        Target("staff feed full GET, every space", "product", staff_feed),
        Target("staff feed 304", "product", staff_feed, etags[staff_feed]),
        Target("events feed full GET (public)", "product", events_feed),
        Target("events feed 304", "product", events_feed, etags[events_feed]),
    ]


def sign_in_posters(fixture: Fixture, port: int) -> list[tuple[str, str]]:
    tokens = []
    for email in fixture.posters:
        browser = Browser(port)
        token = browser.login(email)
        tokens.append((cookie_header(browser), token))
    return tokens


# --- measuring and the table ----------------------------------------------------------------


@dataclass
class Sample:
    rate: float
    cpu_ms: float
    db_ms: float
    p50: float
    p99: float
    bad: int
    answered: int


SETTLE_S = 0.1


def settled(server: Server, meter: CpuMeter, limit_s: float = 60) -> tuple[tuple[float, float], float]:
    """CPU sample once the server has finished what the load tool left in flight, and when it did."""
    last = meter.sample(server)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        time.sleep(SETTLE_S)
        now = meter.sample(server)
        if now == last:
            return now, time.monotonic() - SETTLE_S
        last = now
    return last, time.monotonic()


def current_etag(port: int, path: str) -> str:
    """The feed's ETag now (one GET, outside any timed run)."""
    status, headers, _body = feed_bench.get(port, path)
    assert status == 200, (path, status)
    return headers["ETag"]


def measure(target: Target, server: Server, meter: CpuMeter, drive: Callable[..., Load], seconds: float,
            connections: int, folder: Path) -> Sample:
    """One run. Requests and CPU are counted by the server until it is idle again (a request
    still being served when the load tool stops counts, with its CPU); latency is the load tool's."""
    (app_before, db_before), _ = settled(server, meter)
    first = len(server.answered())
    started = time.monotonic()
    load = drive(server.port, target, seconds, connections, folder)
    (app_after, db_after), idle_at = settled(server, meter)
    statuses = server.answered()[first:]
    count = max(len(statuses), 1)
    bad = load.bad + sum(not status.startswith(("2", "3")) for status in statuses)
    p50, p99 = (load.p50_ms, load.p99_ms) if load.requests else (float("nan"), float("nan"))
    return Sample(len(statuses) / max(idle_at - started, load.seconds), (app_after - app_before) * 1000 / count,
                  (db_after - db_before) * 1000 / count, p50, p99, bad, len(statuses))


def durability(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                names = ("fsync", "synchronous_commit", "full_page_writes", "wal_sync_method")
                values = [f"{n}={conn.exec_driver_sql(f'SHOW {n}').scalar()}" for n in names]
                return "PostgreSQL " + str(conn.exec_driver_sql("SHOW server_version").scalar()) + ", " + \
                    ", ".join(values)
    finally:
        engine.dispose()
    from booking import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark"})
    with app.app_context():
        journal = db.session.execute(text("PRAGMA journal_mode")).scalar()
        synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
            int(db.session.execute(text("PRAGMA synchronous")).scalar_one())]
        db.session.remove()
        db.engine.dispose()
    return f"SQLite, journal_mode={journal}, synchronous={synchronous} (the product's connection settings)"


def median(values: list[float]) -> float:
    """Median of the numbers among values (NaN: the load tool saw no response finish)."""
    numbers = [v for v in values if v == v]
    return statistics.median(numbers) if numbers else float("nan")


def cell(value: float) -> str:
    return f"{value:>7.1f}" if value == value else " " * 7


def print_table(rows: list[tuple[str, list[Sample]]], lock_ms: list[float], show_db: bool,
                other_ms: list[float] | None = None) -> None:
    by_name = dict(rows)
    hello_cpu = median([s.cpu_ms + s.db_ms for s in by_name["hello-world (reference)"]])
    query_cpu = median([s.cpu_ms + s.db_ms for s in by_name["one query + table (reference)"]])
    db_head = f" {'of it DB':>8}" if show_db else ""
    print(f"{'target':<34} {'req/s':>7} {'CPU-ms':>7}{db_head} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'÷ 1-query':>9} {'÷ hello':>8} {'bad':>4}")
    for name, samples in rows:
        cpu = median([s.cpu_ms + s.db_ms for s in samples])
        db_cell = f" {median([s.db_ms for s in samples]):>8.2f}" if show_db else ""
        rate = median([s.rate for s in samples])
        print(f"{name:<34} {rate:>7.{0 if rate >= 10 else 1}f} {cpu:>7.2f}{db_cell} "
              f"{cell(median([s.p50 for s in samples]))} {cell(median([s.p99 for s in samples]))} "
              f"{cpu / query_cpu:>9.1f} {cpu / hello_cpu:>8.1f} {sum(s.bad for s in samples):>4}")
    hello_rate = median([s.rate for s in by_name["hello-world (reference)"]])
    for name in ("feed 304", "member feed 304", "staff feed 304", "events feed 304"):
        if name in by_name:
            print(f"{name} rate ÷ hello-world's rate: {median([s.rate for s in by_name[name]]) / hello_rate:.2f}")
    if other_ms:
        ordered = sorted(other_ms)
        print(f"other write transactions (mail outbox) per booking POST: {len(ordered) / max(len(lock_ms), 1):.1f}, "
              f"median {median(ordered):.2f} ms, p99 {ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]:.2f} ms")
    if lock_ms:
        ordered = sorted(lock_ms)
        print(f"write lock held per booking POST: median {median(ordered):.2f} ms, "
              f"p99 {ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]:.2f} ms ({len(ordered)} writes)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="a PostgreSQL server and database name to derive "
                        "the benchmark database from (default: SQLite in a temporary folder)")
    parser.add_argument("--quick", action="store_true", help="one round of 2 s per target")
    parser.add_argument("--seconds", type=float, help="length of each run (default 5, quick 2)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds, medians taken (default 3, quick 1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per server")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--first-port", type=int, default=0, help="serve on this port and the next two "
                        "(default: free ports)")
    parser.add_argument("--load-tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--reports", action="store_true", help="instead: the usage figures page for one "
                        "fiscal year over 1,000,000 bookings (benchmarks/reports.py; about ten minutes)")
    parser.add_argument("--report-bookings", type=int, default=report_bench.BOOKINGS,
                        help="bookings of history for --reports")
    parser.add_argument("--hash-seed", default="0", help="PYTHONHASHSEED of every server (default 0; "
                        "'random' for Python's default): one worker's string hashing moved a page's CPU by "
                        "15-45 %% between runs (benchmarks/results/hpages-2026-11-30.md), so A/B runs fix it")
    parser.add_argument("--only", default="", help="comma-separated parts of target names: time only those "
                        "(and the two references); skips the series and registration rows")
    args = parser.parse_args()
    # Without MAIL_SERVER the app writes every e-mail to its log; the series' and registrations' mail,
    # sent by the outbox threads of this process, would fill the output between the figures. A filter,
    # not a level: booking.mail.init_app sets the level back to INFO for every app made after this.
    logging.getLogger("booking.mail").addFilter(lambda record: record.levelno >= logging.WARNING)
    if args.reports:
        return report_bench.run(args.database_url, args.report_bookings, args.rounds or 5)
    seconds = args.seconds or (2.0 if args.quick else 5.0)
    rounds = args.rounds or (1 if args.quick else 3)
    use_wrk = args.load_tool == "wrk" or (args.load_tool == "auto" and shutil.which("wrk") is not None)
    drive = run_wrk if use_wrk else run_python
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)

    with fresh_database("bench") as (url, instance):
        os.environ["BOOKING_INSTANCE_PATH"] = str(instance)
        started = time.perf_counter()
        app = make_app(url, instance)
        migrate(app)
        fixture = seed_product(app, url)
        event_id = registration_bench.seed_event(app, datetime.now(UTC).replace(microsecond=0) + timedelta(days=20))
        attendee_event_id = registration_bench.seed_attendees(
            app, datetime.now(UTC).replace(microsecond=0) + timedelta(days=21))
        reference_engine = create_engine(url)
        seed_reference_rows(reference_engine)
        reference_engine.dispose()
        seeded_s = time.perf_counter() - started
        ports = ([args.first_port + n for n in range(3)] if args.first_port else [free_port() for _ in range(3)])
        lock_log = instance / "write-lock.log"
        servers: dict[str, Server] = {}
        meter = CpuMeter(url)
        try:
            for name, port, spec, extra in (
                ("hello", ports[0], "benchmarks.baseline:hello_app()", {}),
                ("query", ports[1], "benchmarks.baseline:one_query_app()", {}),
                ("product", ports[2], "benchmarks.run_all:product_app()",
                 {"BENCH_LOCK_LOG": str(lock_log),
                  "RATELIMIT_ANONYMOUS_FORM": registration_bench.ANONYMOUS_FORM_LIMIT,
                  "RATELIMIT_FEED": feed_bench.FEED_LIMIT}),
            ):
                application_name = f"bench-{name}"
                server_url = with_application_name(url, application_name)
                access_log = instance / f"{name}-access.log"
                seed = {} if args.hash_seed == "random" else {"PYTHONHASHSEED": args.hash_seed}
                process = start_gunicorn(server_url, instance, port, args.workers, spec,
                                         {"BENCH_DATABASE_URL": server_url, **seed, **extra},
                                         ready_path="/", log_name=f"{name}.log",
                                         extra_args=("--access-logfile", str(access_log),
                                                     "--access-logformat", "%(s)s"))
                servers[name] = Server(name, port, process, application_name, access_log)
            targets = get_targets(fixture, ports[2], attendee_event_id)
            only = [part.strip() for part in args.only.split(",") if part.strip()]
            if only:
                targets = [t for t in targets if t.server != "product" or any(part in t.name for part in only)]
            posts = PostSlots(fixture.post_first_day, sign_in_posters(fixture, ports[2]))
            with_post = not only or any(part in posts.target(0).name for part in only)
            results: dict[str, list[Sample]] = {t.name: [] for t in targets}
            post_name = posts.target(0).name
            results[post_name] = []
            lock_ms: list[float] = []
            other_ms: list[float] = []
            day_offset = 0
            for round_no in range(-1, rounds):  # round -1 warms every page in every worker up
                for target in [*targets[:7], *([posts.target(day_offset)] if with_post else []), *targets[7:]]:
                    if target.posts:
                        lock_log.write_text("")
                    if "If-None-Match" in target.headers:
                        # The validator as it is now: the POSTs of this round changed the staff feed
                        # (it covers their space), and a stale ETag would time 200s under a 304's name.
                        target.headers["If-None-Match"] = current_etag(servers[target.server].port, target.path)
                    sample = measure(target, servers[target.server], meter, drive,
                                     seconds if round_no >= 0 else 1, args.connections, instance)
                    if round_no >= 0:
                        results[target.name].append(sample)
                    if target.posts:
                        if round_no >= 0:
                            for line in lock_log.read_text().splitlines():
                                held, kind = line.split()
                                (lock_ms if kind == "space" else other_ms).append(float(held))
                        day_offset += sample.answered // SLOTS_A_DAY + 2
            print(f"\nengine {engine_label(url)}: {durability(url)}")
            print(f"gunicorn -w {args.workers} sync workers per server; {'wrk' if use_wrk else 'Python client'} "
                  f"-c{args.connections} on 127.0.0.1, {rounds} interleaved round(s) of {seconds:g} s per target, "
                  f"PYTHONHASHSEED={args.hash_seed}, "
                  f"medians shown; {os.cpu_count()} CPUs (shared: absolute figures are noisy, "
                  f"compare the ratios ÷ 1-query and ÷ hello between runs)")
            print(f"seeded in {seeded_s:.0f} s: reference table {REFERENCE_ROWS:,} rows; "
                  f"{week_bench.DESKS * week_bench.HOURS_A_DAY * 7:,} desk bookings; "
                  f"{FEED_EVENTS:,} feed events; week of {fixture.week}")
            print("CPU-ms = server CPU per request (gunicorn master + workers"
                  f"{' + its PostgreSQL backends' if meter.admin is not None else ''}), from /proc\n")
            ordered = [(t.name, results[t.name])
                       for t in [*targets[:7], *([posts.target(0)] if with_post else []), *targets[7:]]]
            print_table(ordered, lock_ms, meter.admin is not None, other_ms)
            if only:
                return 1 if any(s.bad for samples in results.values() for s in samples) else 0
            series_bench.print_rows(series_bench.measure(app, fixture.member, 10 if args.quick else 30))
            series_bench.print_rows(series_bench.measure_year(app, fixture.member, 2 if args.quick else 7),
                                    series_bench.YEAR, series_bench.HISTORY)
            registered = registration_bench.run(app, ports[2], event_id, seconds * rounds)
            print("\n" + registration_bench.report(registered, engine_label(url)))
            failed = any(s.bad for samples in results.values() for s in samples) or registered.over_capacity > 0 \
                or registered.failed > 0
        finally:
            stop_servers(servers, meter)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
