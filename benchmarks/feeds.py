"""Benchmark of the space feed: cold build, warm full GET, and 304 revalidation rate.

    .venv/bin/python benchmarks/feeds.py                  # 1,000 and 5,000 events, SQLite
    .venv/bin/python benchmarks/feeds.py --events 1000 --seconds 5 --worker-class gthread
    .venv/bin/python benchmarks/feeds.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

For each size it seeds one space with that many bookings (events are rendered and
stored as the app does on every change), then measures:

- cold build: the feed body assembled from the database in this process, no HTTP
  cache involved (median of several runs), and, for comparison, the same with every
  stored event thrown away so icalendar renders each one again;
- warm full GET: a 200 response through gunicorn over 127.0.0.1 (median latency);
- 304 requests/s: `wrk` sending If-None-Match to the feed, against `wrk` on a trivial
  endpoint of the same app under the same gunicorn, for a bounded time each, in
  alternating rounds, best round of each.

Needs `wrk` (Debian: apt-get install wrk). Runs on a temporary SQLite file unless
--database-url names a database it may add tables and rows to.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PING = "/_bench/ping"
# Every poll is still counted (RATELIMIT_FEED, booking.limits); one address polls the whole run.
FEED_LIMIT = "100000000 per minute"


def bench_app() -> Any:
    """The app under test plus a trivial endpoint, for gunicorn: 'benchmarks.feeds:bench_app()'."""
    from booking import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
                      "SECRET_KEY": "benchmark-only-secret", "RATELIMIT_FEED": FEED_LIMIT})

    @app.get(PING)
    def ping() -> str:
        """The cheapest response this app can give."""
        return "ok"

    return app


def _app(url: str) -> Any:
    from booking import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark-only-secret",
                       "RATELIMIT_FEED": FEED_LIMIT})


def migrate(url: str) -> None:
    from flask_migrate import upgrade

    with _app(url).app_context():
        upgrade()


def seed(url: str, events: int) -> str:
    """A space with `events` bookings, 12 a day from today on; returns its slug."""
    from booking.extensions import db
    from booking.models import Booking, Space, User
    from booking.services.accounts import hash_password

    slug = f"bench-{events}-{int(time.time())}"
    with _app(url).app_context():
        space = Space(slug=slug, name_ja=f"ベンチ {events}", name_en=f"Bench {events}", kind="exclusive")
        user = User(email=f"{slug}@example.jp", name="ベンチ 太郎", password_hash=hash_password("x" * 12),
                    email_verified_at=datetime.now(UTC))
        db.session.add_all([space, user])
        db.session.commit()
        first = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        for n in range(events):
            start = first + timedelta(days=n // 12, hours=n % 12)
            db.session.add(Booking(
                space=space, user=user, start_dt=start, end_dt=start + timedelta(minutes=50),
                title=f"イベント {n}: 共創フロア, talk; Q&A", purpose="benchmark", is_public=n % 2 == 0,
                status="confirmed" if n % 5 else "pending",
            ))
            if n % 500 == 499:
                db.session.commit()
        db.session.commit()
    return slug


def cold_build(url: str, slug: str, runs: int = 7) -> tuple[float, float, int]:
    """Median ms to build the body from stored events, ms with nothing stored, body bytes."""
    from booking.extensions import db
    from booking.models import Booking, Space
    from booking.services import feeds

    with _app(url).app_context():
        timings = []
        for _ in range(runs):
            db.session.remove()
            started = time.perf_counter()
            body = feeds.space_feed(slug).build()
            timings.append((time.perf_counter() - started) * 1000)
        space_id = db.session.scalar(db.select(Space.id).where(Space.slug == slug))
        db.session.execute(db.update(Booking.__table__).where(Booking.__table__.c.space_id == space_id)
                           .values(ics_stamp=None))
        db.session.commit()
        db.session.remove()
        started = time.perf_counter()
        feeds.space_feed(slug).build()  # renders every event in memory (GETs never store)
        unstored = (time.perf_counter() - started) * 1000
    return statistics.median(timings), unstored, len(body)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(url: str, port: int, workers: int, worker_class: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BENCH_DATABASE_URL": url}
    threads = ["--threads", "4"] if worker_class == "gthread" else []
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--worker-class",
         worker_class, *threads, "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "benchmarks.feeds:bench_app()"],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            get(port, PING)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def warm_get(port: int, path: str, runs: int = 30) -> float:
    """Median ms of a full 200 GET, after one request to warm both workers' caches."""
    get(port, path)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        status, _headers, _body = get(port, path)
        timings.append((time.perf_counter() - started) * 1000)
        assert status == 200
    return statistics.median(timings)


def wrk_rate(port: int, path: str, seconds: int, connections: int, header: str | None = None) -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    if header:
        command += ["-H", header]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"errors during the run:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert match, output
    return float(match.group(1))


def serve_and_measure(url: str, slug: str, args: argparse.Namespace) -> dict[str, float]:
    seconds, connections = args.seconds, args.connections
    port = free_port()
    process = start_gunicorn(url, port, args.workers, args.worker_class)
    try:
        path = f"/spaces/{slug}/calendar.ics"
        status, headers, _body = get(port, path)
        assert status == 200 and headers["Content-Type"] == "text/calendar; charset=utf-8"
        etag = headers["ETag"]
        assert get(port, path, {"If-None-Match": etag})[0] == 304
        results = {"warm_get_ms": warm_get(port, path), "ping_rps": 0.0, "not_modified_rps": 0.0}
        # Alternate the two, best of each: other load on the machine hits both alike.
        for _ in range(args.rounds):
            results["ping_rps"] = max(results["ping_rps"], wrk_rate(port, PING, seconds, connections))
            results["not_modified_rps"] = max(results["not_modified_rps"], wrk_rate(
                port, path, seconds, connections, f"If-None-Match: {etag}"))
        return results
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating wrk runs per endpoint")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"),
                        help="gunicorn workers (gthread: 4 threads each, with keep-alive)")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian: apt-get install wrk)")
    folder = Path(tempfile.mkdtemp(prefix="feeds-bench-"))
    os.environ.setdefault("BOOKING_INSTANCE_PATH", str(folder))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite'}"
    try:
        migrate(url)
        engine = url.split(":", 1)[0]
        print(f"database: {engine}; gunicorn {args.workers} {args.worker_class} workers; wrk -t2 -c{args.connections} "
              f"-d{args.seconds}s on 127.0.0.1, best of {args.rounds}; {os.cpu_count()} CPUs")
        for events in args.events:
            started = time.perf_counter()
            slug = seed(url, events)
            seeded = time.perf_counter() - started
            cold, unstored, size = cold_build(url, slug)
            served = serve_and_measure(url, slug, args)
            ratio = served["not_modified_rps"] / served["ping_rps"]
            print(f"{events:>5} events ({size / 1024:.0f} KiB, seeded in {seeded:.1f} s): "
                  f"cold build {cold:.1f} ms (every event re-rendered: {unstored:.0f} ms); "
                  f"warm full GET {served['warm_get_ms']:.1f} ms; "
                  f"304 {served['not_modified_rps']:.0f} req/s vs trivial {served['ping_rps']:.0f} req/s "
                  f"= {ratio:.2f}x")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
