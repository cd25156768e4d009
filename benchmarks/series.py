"""Series rows of benchmarks/run_all.py: preview and book weekly series of 12 and of 52 dates.

In the benchmark's own process, against the run's database (with its seeded history):
a member previews, then books, `count` weekly series of 12 dates in a space of their
own, each series in its own 12 weeks so none meets another. Each booking is one write
transaction under the space's lock (every date checked and inserted, the one mail
enqueued); the time from the lock taken to the commit done is recorded as in the
booking POST row. "book" also includes delivering the mail after the commit, as the
product does in a request. Times are wall-clock medians and p99 per series.

The year rows (`measure_year`, issue 17's targets: preview ≤ 200 ms, booking ≤ 500 ms,
write lock ≤ 150 ms on SQLite): a studio with 100,000 one-hour bookings of history,
twelve a day (08:00–10:00 and 12:00–22:00, every tenth one the member's, so the hours
quota of 40 h a week has rows to read), up to 400 days ahead (so its coming year is as
full as its past), and a closure every Sunday night. Each series books
52 weeks of 10:00–12:00 on its own weekday, so all 52 dates are free and every one is
checked and inserted. Alone: `.venv/bin/python -m benchmarks.series [--quick]
[--database-url ...]`.
"""

from __future__ import annotations

import logging
import statistics
import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from benchmarks import week_view as week_bench
from benchmarks.fresh_db import add_space
from booking.domain.recurrence import Freq, RecurrenceRule
from booking.extensions import db
from booking.models import Closure, User
from booking.services import series, transactions

OCCURRENCES = 12
YEAR = 52
HISTORY = 100_000
HISTORY_HOURS = (8, 9, *range(12, 22))  # the series' 10:00–12:00 stays free every day
TOKYO = ZoneInfo("Asia/Tokyo")


@contextmanager
def lock_times(into: list[float], cpu_into: list[float] | None = None) -> Iterator[None]:
    """Record ms from a space's lock taken to commit done of every write transaction inside.

    The commit's end is stamped by an after_commit listener that runs before the
    product's own (booking/delivery.py), so mail delivered inline after the commit
    (no MAIL_SERVER here) is not counted as lock time. Transactions without a space
    (the mail outbox's, after the commit) are not recorded. `cpu_into` gets the CPU
    time of this thread over the same span (SQLite's work included, PostgreSQL's
    server not): on a shared machine the wall time is mostly the scheduler's.
    """
    original = transactions.write_transaction
    committed: list[tuple[float, float]] = []

    def stamp(_session: Session) -> None:
        committed.append((clock.perf_counter(), clock.thread_time()))

    @contextmanager
    def timed(space_id: int | None, **options: Any) -> Iterator[Any]:
        with original(space_id, **options) as session:
            taken, taken_cpu, seen = clock.perf_counter(), clock.thread_time(), len(committed)
            yield session
        # The first commit after the lock was taken is this one's (the outbox's come after it).
        done, done_cpu = committed[seen] if len(committed) > seen else (clock.perf_counter(), clock.thread_time())
        if space_id is not None:
            into.append((done - taken) * 1000)
            if cpu_into is not None:
                cpu_into.append((done_cpu - taken_cpu) * 1000)

    transactions.write_transaction = timed
    event.listen(Session, "after_commit", stamp, insert=True)
    try:
        yield
    finally:
        event.remove(Session, "after_commit", stamp)
        transactions.write_transaction = original


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def measure(app: Flask, member_email: str, count: int) -> dict[str, list[float]]:
    """Preview, book, and lock-hold times (ms) of `count` 12-date weekly series."""
    times: dict[str, list[float]] = {"preview": [], "book": [], "lock": [], "lock_cpu": []}
    logging.disable(logging.INFO)  # without MAIL_SERVER every series' mail is written to the log
    with app.app_context():
        space = add_space(slug="series-bench", kind="exclusive", max_days_ahead=3650)
        member = db.session.scalar(select(User).where(User.email == member_email))
        assert member is not None
        first: date = datetime.now(TOKYO).date() + timedelta(days=3)
        for n in range(count):
            day = first + timedelta(weeks=OCCURRENCES * n)
            rule = RecurrenceRule(Freq.WEEKLY, weekdays=(day.weekday(),), count=OCCURRENCES)
            data = series.SeriesInput(space.id, f"Series {n}", day, time(10), time(12), rule)
            _time_one(member, data, times, OCCURRENCES)
        db.session.remove()
    logging.disable(logging.NOTSET)
    return times


def history_rows(first_id: int, count: int, space_id: int, user_ids: tuple[int, int], last_day: date,
                 instant: Any) -> Iterator[tuple[tuple, tuple]]:
    """(booking, hold) rows with ids after `first_id`: one-hour bookings up to `last_day`, oldest first.

    Oldest first, as bookings arrive: SQLite's overlap trigger then finds no later hold to compare.
    """
    hours = len(HISTORY_HOURS)
    first_day = last_day - timedelta(days=(count - 1) // hours)
    for n in range(count):
        days_on, slot = divmod(n, hours)
        day = first_day + timedelta(days=days_on)
        start = datetime.combine(day, time(HISTORY_HOURS[slot]), TOKYO).astimezone(UTC)
        start_value, end_value = instant(start), instant(start + timedelta(hours=1))
        booking_id = first_id + n + 1
        user_id = user_ids[1] if n % 10 == 0 else user_ids[0]
        yield ((booking_id, f"bench-{booking_id}@floor-booking", space_id, user_id, start_value, end_value, 1,
                "History", "", 1, False, "confirmed", 0, "", start_value, start_value),
               (booking_id, booking_id, space_id, 1, start_value, end_value, True))


def seed_history(space_id: int, user_ids: tuple[int, int], count: int, last_day: date) -> None:
    """`count` bookings and holds in bulk (COPY on PostgreSQL), then ANALYZE and the id sequences moved on."""
    is_postgres = db.engine.dialect.name == "postgresql"
    instant = (lambda value: value) if is_postgres else week_bench.sqlite_instant
    with db.engine.connect() as conn:
        first_booking = conn.execute(text("SELECT coalesce(max(id), 0) FROM bookings")).scalar_one()
        first_hold = conn.execute(text("SELECT coalesce(max(id), 0) FROM booking_holds")).scalar_one()
    rows = history_rows(first_booking, count, space_id, user_ids, last_day, instant)
    for batch in week_bench.batches(rows):
        with db.engine.begin() as conn:
            bookings = [b for b, _ in batch]
            holds = [(first_hold + b[0] - first_booking, *h[1:]) for b, h in batch]
            write = week_bench.copy_rows if is_postgres else week_bench.insert_rows
            write(conn, "bookings", week_bench.BOOKING_COLUMNS, bookings)
            write(conn, "booking_holds", week_bench.HOLD_COLUMNS, holds)
    week_bench.analyse_and_move_sequences(is_postgres)


def _patient_setup_writes() -> None:
    """On SQLite, let this process's own connections wait up to 30 s for the write lock.

    run_all calls the year rows while its product servers are still up (their mail threads
    and job runners write), and the product's 1.5 s busy timeout is meant for requests, which
    retry; the bench's setup writes (closures, 100,000 rows of history) do not. Set on every new
    connection after the product's own listener, and the pool emptied so none is missed.
    """
    if db.engine.dialect.name != "sqlite" or event.contains(db.engine, "connect", _wait_long):
        return
    event.listen(db.engine, "connect", _wait_long)
    db.engine.dispose()


def _wait_long(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def measure_year(app: Flask, member_email: str, count: int, history: int = HISTORY) -> dict[str, list[float]]:
    """Preview, book, and lock-hold times (ms) of `count` 52-date weekly series in a studio with `history`."""
    times: dict[str, list[float]] = {"preview": [], "book": [], "lock": [], "lock_cpu": []}
    if count > 7:
        raise ValueError("one weekday per series: at most 7")
    logging.disable(logging.INFO)
    with app.app_context():
        _patient_setup_writes()
        space = add_space(slug="series-year", kind="exclusive", max_days_ahead=3650, quota_hours_per_week=40)
        member = db.session.scalar(select(User).where(User.email == member_email))
        other = db.session.scalar(select(User).where(User.email != member_email).order_by(User.id))
        assert member is not None and other is not None
        space_id, ids = space.id, (other.id, member.id)
        # End the read: on SQLite in WAL mode a transaction that read before another process committed
        # cannot start writing (SQLITE_BUSY_SNAPSHOT, at once, no busy wait); the servers' mail
        # threads commit all the while, and the closures' INSERT failed so on 2026-11-30.
        db.session.commit()
        today = datetime.now(TOKYO).date()
        for week in range(60):
            sunday = today + timedelta(days=6 - today.weekday() + 7 * week)
            night = datetime.combine(sunday, time(22, 30), TOKYO).astimezone(UTC)
            db.session.add(Closure(space_id=space_id, start_dt=night, end_dt=night + timedelta(hours=1),
                                   reason="点検"))
        db.session.commit()
        db.session.remove()
        seed_history(space_id, ids, history, today + timedelta(days=400))
        member = db.session.scalar(select(User).where(User.email == member_email))
        assert member is not None
        for n in range(count):
            day = today + timedelta(days=3 + n)
            rule = RecurrenceRule(Freq.WEEKLY, weekdays=(day.weekday(),), count=YEAR)
            data = series.SeriesInput(space_id, f"収録 {n}", day, time(10), time(12), rule)
            _time_one(member, data, times, YEAR)
        db.session.remove()
    logging.disable(logging.NOTSET)
    return times


def _time_one(member: User, data: series.SeriesInput, times: dict[str, list[float]], expected: int) -> None:
    started = clock.perf_counter()
    items = series.preview_series(member, data)
    times["preview"].append((clock.perf_counter() - started) * 1000)
    free = [i.day for i in items if i.is_free]
    if len(free) != expected:
        raise RuntimeError(f"{data.title}: {len(free)} of {expected} dates free: "
                           f"{[c.code for i in items for c in i.conflicts][:5]}")
    started = clock.perf_counter()
    with lock_times(times["lock"], times["lock_cpu"]):
        outcome = series.book_series(member, data, free)
    times["book"].append((clock.perf_counter() - started) * 1000)
    if len(outcome.booked) != expected:
        raise RuntimeError(f"{data.title} booked {len(outcome.booked)} of {expected} dates")


def print_rows(times: dict[str, list[float]], dates: int = OCCURRENCES, history: int = 0) -> None:
    count = len(times["book"])
    behind = f", {history:,} bookings of history" if history else ""
    print(f"\nseries of {dates} weekly dates{behind}, in process, {count} series (ms per series):")
    for label, key in ((f"preview (every rule, {dates} dates)", "preview"),
                       (f"book ({dates} bookings, one mail)", "book"),
                       ("write lock held while booking", "lock"),
                       ("  of which CPU of this process", "lock_cpu")):
        values = times[key]
        print(f"  {label:<34} median {statistics.median(values):>7.1f}  p99 {p99(values):>7.1f}")


def main() -> int:
    """The series rows alone, on a fresh database with one member (no web servers)."""
    import argparse
    import os

    from benchmarks.fresh_db import engine_label, fresh_database, make_app, migrate

    parser = argparse.ArgumentParser(description="series rows of run_all, alone")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--quick", action="store_true", help="2 year-long series instead of 7")
    parser.add_argument("--history", type=int, default=HISTORY)
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    with fresh_database("series") as (url, instance):
        app = make_app(url, instance)
        migrate(app)
        with app.app_context():
            verified = datetime.now(UTC)
            db.session.add_all([User(email=f"{name}@example.jp", name=name, password_hash="x",
                                     email_verified_at=verified) for name in ("history", "member")])
            db.session.commit()
            db.session.remove()
        print(f"engine {engine_label(url)}")
        print_rows(measure(app, "member@example.jp", 3 if args.quick else 10))
        print_rows(measure_year(app, "member@example.jp", 2 if args.quick else 7, args.history), YEAR,
                   args.history)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
