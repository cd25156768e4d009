"""How the week grid of one space costs as its booking history grows: 10k, 100k, 1M.

Run on demand (not part of pytest), from the repository root:

    .venv/bin/python -m benchmarks.week_view --sizes 10000,100000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/booking_h4 \
        .venv/bin/python -m benchmarks.week_view --sizes 10000,100000,1000000

A fresh migrated database gets one pooled space of 24 desks and one-hour bookings, one
desk each, packed without overlap and written backwards in time from the end of the
viewed week: the viewed week is equally full at every size, only the history behind it
grows (1M bookings reach about eight years back). Bulk loading uses COPY on PostgreSQL
and executemany batches on SQLite; the overlap guard stays on. For each size the
script times the hold query alone (`active_holds` for the week), the week grid
(`booking.services.spaces.week_view`) for a visitor and for the member who made every
booking (their own bookings of the week are read too), and `GET /spaces/<slug>?week=...`
through the test client, and shows the plan of the hold query (EXPLAIN on PostgreSQL,
EXPLAIN QUERY PLAN on SQLite) and whether it uses ix_booking_holds_space_start.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Connection

from benchmarks.fresh_db import add_space, engine_label, fresh_database, make_app, migrate
from booking.domain.grid import week_start
from booking.extensions import db
from booking.models import Space, User
from booking.services.spaces import active_holds, week_facts_cache, week_view

TOKYO = ZoneInfo("Asia/Tokyo")
DESKS = 24
FIRST_HOUR, HOURS_A_DAY = 8, 14  # one-hour bookings 08:00–22:00, the opening hours
BATCH = 20_000
INDEX = "ix_booking_holds_space_start"
BOOKING_COLUMNS = ("id", "uid", "space_id", "user_id", "start_dt", "end_dt", "seats", "title", "purpose",
                   "attendees", "is_public", "status", "sequence", "override_reason", "created_at",
                   "updated_at")
HOLD_COLUMNS = ("id", "booking_id", "space_id", "unit_no", "occupied_start", "occupied_end", "is_active")


def analyse_and_move_sequences(is_postgres: bool) -> None:
    """After a bulk seed with explicit ids: planner statistics, and (PostgreSQL) id sequences past them."""
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
        if is_postgres:
            for table in ("bookings", "booking_holds"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))


def slot_start(n: int, last_day: date) -> datetime:
    """Start of the n-th booking counting backwards from the last hour of last_day."""
    slot = n // DESKS
    days_back, hour_back = divmod(slot, HOURS_A_DAY)
    day = last_day - timedelta(days=days_back)
    local = datetime.combine(day, datetime.min.time(), TOKYO) + timedelta(
        hours=FIRST_HOUR + HOURS_A_DAY - 1 - hour_back)
    return local.astimezone(UTC)


def rows(first: int, count: int, space_id: int, user_id: int, last_day: date,
         instant: Callable[[datetime], Any]) -> Iterator[tuple[tuple, tuple]]:
    """(booking, hold) rows with ids first+1 … first+count, each no newer than the one before."""
    for n in range(first, first + count):
        if n == first or n % DESKS == 0:  # one slot of 24 desks shares its instants
            start = slot_start(n, last_day)
            start_value, end_value = instant(start), instant(start + timedelta(hours=1))
        booking_id = n + 1
        yield ((booking_id, f"bench-{booking_id}@floor-booking", space_id, user_id, start_value, end_value, 1,
                "History", "", 1, False, "confirmed", 0, "", start_value, start_value),
               (booking_id, booking_id, space_id, n % DESKS + 1, start_value, end_value, True))


def sqlite_instant(instant: datetime) -> str:
    """What UTCDateTime stores on SQLite: naive UTC text whose order is time order."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def batches(items: Iterator[tuple[tuple, tuple]]) -> Iterator[list[tuple[tuple, tuple]]]:
    batch: list[tuple[tuple, tuple]] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def copy_rows(conn: Connection, table: str, columns: tuple[str, ...], values: list[tuple]) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)


def insert_rows(conn: Connection, table: str, columns: tuple[str, ...], values: list[tuple]) -> None:
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)


def seed(first: int, count: int, space_id: int, user_id: int, last_day: date) -> None:
    """Append `count` older bookings and their holds in bulk, one transaction per batch."""
    is_postgres = db.engine.dialect.name == "postgresql"
    instant = (lambda value: value) if is_postgres else sqlite_instant
    for batch in batches(rows(first, count, space_id, user_id, last_day, instant)):
        with db.engine.begin() as conn:
            bookings, holds = [b for b, _ in batch], [h for _, h in batch]
            if is_postgres:
                copy_rows(conn, "bookings", BOOKING_COLUMNS, bookings)
                copy_rows(conn, "booking_holds", HOLD_COLUMNS, holds)
            else:
                insert_rows(conn, "bookings", BOOKING_COLUMNS, bookings)
                insert_rows(conn, "booking_holds", HOLD_COLUMNS, holds)
    analyse_and_move_sequences(is_postgres)


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and worst of `repeat` runs after one warm-up, in milliseconds."""
    work()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), max(runs)


def hold_query_plan(space: Space, monday: date) -> str:
    """Capture the hold query week_view sends and ask the database for its plan."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM booking_holds" in statement and not captured:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    week_facts_cache.clear()  # the holds are read only for facts not kept
    try:
        week_view(space, monday, None, datetime.now(UTC), "ja")
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = captured[0]
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    with db.engine.connect() as conn:
        plan = conn.exec_driver_sql(prefix + statement, parameters).all()
    return "\n".join("    " + " | ".join(str(v) for v in row) for row in plan)


def measure(app: Flask, space: Space, monday: date, repeat: int, member_id: int) -> dict[str, Any]:
    client = app.test_client()
    url = f"/spaces/{space.slug}?week={monday.isoformat()}"
    assert client.get(url).status_code == 200
    grid_ms = timed(lambda: week_view(space, monday, None, datetime.now(UTC), "ja"), repeat)
    own_ms = timed(lambda: week_view(space, monday, member_id, datetime.now(UTC), "ja"), repeat)
    page_ms = timed(lambda: client.get(url), repeat)
    start_dt = datetime.combine(monday, datetime.min.time(), TOKYO)
    end_dt = start_dt + timedelta(days=7)
    query_ms = timed(lambda: active_holds(db.session, space, start_dt, end_dt), repeat)
    plan = hold_query_plan(space, monday)
    holds = active_holds(db.session, space, start_dt, end_dt)
    return {"query": query_ms, "grid": grid_ms, "own": own_ms, "page": page_ms, "plan": plan,
            "uses_index": INDEX in plan, "holds": len(holds)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated booking counts, ascending")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    results = []
    with fresh_database("week", keep=args.keep) as (url, instance):
        app = make_app(url, instance)
        migrate(app)
        with app.app_context():
            space = add_space(slug="desks", kind="pooled", unit_count=DESKS)
            member = User(email="history@example.jp", name="History", password_hash="x",
                          email_verified_at=datetime.now(UTC))
            db.session.add(member)
            db.session.commit()
            monday = week_start(datetime.now(TOKYO).date())
            last_day = monday + timedelta(days=6)
            seeded = 0
            for size in sizes:
                started = time.perf_counter()
                seed(seeded, size - seeded, space.id, member.id, last_day)
                db.session.rollback()  # a snapshot from before the seeding would show no bookings
                seed_s = time.perf_counter() - started
                seeded = size
                oldest = slot_start(size - 1, last_day).date()
                result = measure(app, space, monday, args.repeat, member.id)
                results.append((size, seed_s, oldest, result))
                print(f"-- {size:,} bookings (back to {oldest}); plan of the hold query:")
                print(result["plan"], flush=True)
            db.session.remove()
            db.engine.dispose()
    print(f"\nengine {engine_label(url)}, week of {monday}, {DESKS} desks, {args.repeat} runs each (median / worst ms)")
    print(f"{'bookings':>10} {'seeded in':>10} {'history from':>13} {'holds in week':>13} {'hold query':>16} "
          f"{'week_view':>16} {'as the member':>16} {'GET page':>16}  uses {INDEX}")
    for size, seed_s, oldest, r in results:
        print(f"{size:>10,} {seed_s:>9.1f}s {oldest.isoformat():>13} {r['holds']:>13} "
              f"{r['query'][0]:>7.1f} / {r['query'][1]:>6.1f} "
              f"{r['grid'][0]:>7.1f} / {r['grid'][1]:>6.1f} {r['own'][0]:>7.1f} / {r['own'][1]:>6.1f} "
              f"{r['page'][0]:>7.1f} / {r['page'][1]:>6.1f} "
              f" {'yes' if r['uses_index'] else 'NO'}")
    return 0 if all(r["uses_index"] for *_, r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
