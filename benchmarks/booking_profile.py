"""CPU per booking POST in-process, with the time inside the space's write lock and its SQL.

    .venv/bin/python -m benchmarks.booking_profile                 # SQLite in a temporary file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> .venv/bin/python -m benchmarks.booking_profile
    PROFILE=1 .venv/bin/python -m benchmarks.booking_profile       # plus cProfile of the POSTs
    HISTORY=2000 .venv/bin/python -m benchmarks.booking_profile    # the posters' bookings made first
    SPACE_HISTORY=1000000 .venv/bin/python -m benchmarks.booking_profile  # the tables' history, in bulk
    MAIL_INLINE=1 .venv/bin/python -m benchmarks.booking_profile   # the mail built in the request (profiled)
    SUBMIT_TOKENS=1 .venv/bin/python -m benchmarks.booking_profile # each form with its token, as a browser's

Seeds the data of benchmarks/run_all.py, signs the 8 posters in through Flask's test client
(no HTTP server, so no socket noise) and posts run_all's non-conflicting booking forms,
one poster after the other. Prints the median process CPU milliseconds per POST, the
median time from the lock taken to the commit done (as run_all records it) and the SQL
statements run inside the lock of one POST. On PostgreSQL it adds the CPU of this process's
backends (from /proc) per POST. The mail goes to the log through the process's mail thread,
whose CPU only partly falls inside a POST's measured span and which cProfile does not see:
MAIL_INLINE=1 builds and "sends" it in the request, so the figures cover the whole POST.
The test client keeps each poster's session cookie and never follows the redirect, so the
confirmation flashes would pile up in it (a cookie growing with every POST): they are
taken out after each POST, outside the measured span, as a browser reading the next page does.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from benchmarks import run_all
from benchmarks.fresh_db import fresh_database, make_app, migrate
from benchmarks.race_http import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
POSTS = int(os.environ.get("POSTS") or 200)
SUBMIT_TOKENS = bool(os.environ.get("SUBMIT_TOKENS"))


def main() -> None:
    with fresh_database("hprof") as (url, instance):
        os.environ["BOOKING_INSTANCE_PATH"] = str(instance)
        app = make_app(url, instance)
        migrate(app)
        fixture = run_all.seed_product(app, url)
        table_history = int(os.environ.get("SPACE_HISTORY") or 0)
        seed_table_history(app, table_history)
        lock_log = Path(tempfile.mkdtemp()) / "lock.log"
        run_all.record_write_lock_times(lock_log)
        app = make_app(url, instance, **({"MAIL_BACKGROUND": False} if os.environ.get("MAIL_INLINE") else {}))
        clients = []
        for email in fixture.posters:
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            token = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
            answer = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
            assert answer.status_code in (302, 303), answer.status_code
            token = CSRF_RE.search(client.get("/spaces/post/book").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
            clients.append((client, token))
        posts = run_all.PostSlots(fixture.post_first_day, [("", t) for _c, t in clients])
        state = {"n": 0, "day": 0}

        def post() -> float:
            n = state["n"]
            state["n"] += 1
            index = n % len(clients)
            client, token = clients[index]
            form = posts.builder(state["day"], index, token)(n // len(clients))
            if SUBMIT_TOKENS:  # as a browser sends the form: its token, new for each form shown
                form["submit_token"] = secrets.token_urlsafe(16)
            started = time.process_time()
            answer = client.post("/spaces/post/book", data=form)
            spent = (time.process_time() - started) * 1000
            assert answer.status_code in (302, 303), (answer.status_code, answer.get_data(as_text=True)[:2000])
            with client.session_transaction() as session:
                session.pop("_flashes", None)
            return spent

        history = int(os.environ.get("HISTORY") or 0)
        for _ in range(history):
            post()
        for _ in range(40):
            post()
        lock_log.write_text("")
        backends = backend_pids(app, url)
        backend_before = run_all.cpu_seconds(backends)
        with lock_cpu() as in_lock:
            spent = [post() for _ in range(POSTS)]
        backend_ms = (run_all.cpu_seconds(backends) - backend_before) * 1000 / POSTS
        held = [float(line.split()[0]) for line in lock_log.read_text().splitlines() if line.endswith("space")]
        print(f"{run_all.engine_label(url)}: {POSTS} POSTs after {history} of history"
              f"{f' and {table_history:,} in the tables' if table_history else ''}: "
              f"CPU median {statistics.median(spent):.2f} ms; lock median {statistics.median(held):.2f} ms, "
              f"p99 {sorted(held)[int(len(held) * 0.99)]:.2f} ms; CPU inside the lock median "
              f"{statistics.median(in_lock):.2f} ms; PostgreSQL backends' CPU per POST {backend_ms:.2f} ms; "
              f"calls inside the lock per POST {calls_in_lock(post):,}; calls per POST {calls_per_post(post):,}")
        with app.app_context():
            from booking.extensions import db

            statements: list[str] = []

            def noted(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
                statements.append(statement.split("\n")[0][:160])

            event.listen(db.engine, "before_cursor_execute", noted)
            post()
            event.remove(db.engine, "before_cursor_execute", noted)
        print(f"{len(statements)} statements in one POST:")
        for statement in statements:
            print("  ", statement)
        if os.environ.get("LOCKPROFILE"):
            profile_lock(post)
        if os.environ.get("PROFILE"):
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _ in range(POSTS):
                post()
            profile.disable()
            if os.environ.get("PROFILE_OUT"):
                profile.dump_stats(os.environ["PROFILE_OUT"])
            stats = pstats.Stats(profile)
            stats.sort_stats("cumulative").print_stats(70)
            stats.sort_stats("tottime").print_stats(30)


def backend_pids(app: Any, url: str) -> list[int]:
    """The PostgreSQL backends serving this process's connections (none on SQLite)."""
    if not url.startswith("postgresql"):
        return []
    from sqlalchemy import text

    from booking.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            return [int(pid) for pid in conn.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'")).scalars()] + [int(conn.execute(
                    text("SELECT pg_backend_pid()")).scalar_one())]


def seed_table_history(app: Any, count: int) -> None:
    """`count` more past bookings (and holds) of run_all's desks space by its History member, in bulk
    (benchmarks.week_view.seed): ids from 1,000,001 and instants from about eight years before
    run_all's week on, back in time, so they meet none of its bookings. The POSTs go to another
    space; what grows is the tables every POST's statements are planned over."""
    if not count:
        return
    from sqlalchemy import select

    from benchmarks import week_view
    from booking.extensions import db
    from booking.models import Space, User

    with app.app_context():
        desks = db.session.scalar(select(Space).where(Space.slug == "desks"))
        history = db.session.scalar(select(User).where(User.email == "history@example.jp"))
        monday = week_view.week_start(datetime.now(week_view.TOKYO).date()) + timedelta(days=7)
        week_view.seed(1_000_000, count, desks.id, history.id, monday + timedelta(days=6))
        db.session.rollback()


@contextmanager
def lock_cpu() -> Iterator[list[float]]:
    """Process CPU ms from a space's lock taken to its commit done, one entry per locked transaction."""
    from sqlalchemy.orm import Session

    from booking.services import transactions

    spent: list[float] = []
    started: list[float] = []
    original = transactions.write_transaction

    def committed(_session: Session) -> None:
        if started:
            spent.append((time.process_time() - started.pop()) * 1000)

    @contextmanager
    def timed(space_id: int | None, **options: Any) -> Iterator[Any]:
        with original(space_id, **options) as session:
            if space_id is not None:
                started.append(time.process_time())
            yield session
        started.clear()

    event.listen(Session, "after_commit", committed, insert=True)
    transactions.write_transaction = timed
    try:
        yield spent
    finally:
        transactions.write_transaction = original
        event.remove(Session, "after_commit", committed)


def calls_per_post(post: Any, posts: int = 20) -> int:
    """Python function calls of a whole POST, with MAIL_INLINE=1 its mail too (the machine's load does not move it)."""
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(posts):
        post()
    profile.disable()
    return int(pstats.Stats(profile).total_calls) // posts  # type: ignore[attr-defined]


def calls_in_lock(post: Any, posts: int = 20) -> int:
    """Python function calls inside the lock per POST (a figure the machine's load does not move)."""
    profile = profile_lock(post, posts, show=False)
    return int(pstats.Stats(profile).total_calls) // posts  # type: ignore[attr-defined]


def profile_lock(post: Any, posts: int = POSTS, show: bool = True) -> cProfile.Profile:
    """cProfile (CPU time) of the locked sections only: from the lock taken to the commit done."""
    from sqlalchemy.orm import Session

    from booking.services import transactions

    profile = cProfile.Profile(time.process_time)
    original = transactions.write_transaction

    def committed(_session: Session) -> None:
        profile.disable()

    @contextmanager
    def profiled(space_id: int | None, **options: Any) -> Any:
        with original(space_id, **options) as session:
            if space_id is not None:
                profile.enable()
            yield session
        profile.disable()

    event.listen(Session, "after_commit", committed, insert=True)
    transactions.write_transaction = profiled
    try:
        for _ in range(posts):
            post()
    finally:
        transactions.write_transaction = original
        event.remove(Session, "after_commit", committed)
    if not show:
        return profile
    if os.environ.get("PROFILE_OUT"):
        profile.dump_stats(os.environ["PROFILE_OUT"] + ".lock")
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(25)
    return profile


if __name__ == "__main__":
    main()
