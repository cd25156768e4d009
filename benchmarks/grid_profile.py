"""CPU per week grid GET in process (run_all's data), optionally with a cProfile.

    .venv/bin/python -m benchmarks.grid_profile                      # SQLite in a temporary file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> .venv/bin/python -m benchmarks.grid_profile
    PROFILE=desks .venv/bin/python -m benchmarks.grid_profile        # plus cProfile of RUNS GETs of one row

Seeds what benchmarks/run_all.py seeds (studio, 24 fully booked desks, hall with requests),
signs the member in through Flask's test client and times GETs of each week grid (no HTTP
server, so no socket noise) next to the bare one-query reference app (benchmarks/baseline.py)
on the same database: ROUNDS (7) interleaved rounds of RUNS (200) GETs per page, the fastest
round shown, in CPU-ms per request of this process plus, on PostgreSQL, of its backends
(/proc/PID/schedstat, as run_all counts them; the "db" column), and the statements each GET
sends to the database.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text

from benchmarks import run_all
from benchmarks.baseline import one_query_app
from benchmarks.fresh_db import fresh_database, make_app
from benchmarks.race_http import PASSWORD
from booking.extensions import db

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def backends_cpu(admin: Engine | None, name: str) -> float:
    """CPU seconds so far of the PostgreSQL backends of application `name`; 0 on SQLite."""
    if admin is None:
        return 0.0
    with admin.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                            {"name": name}).scalars().all()
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except OSError:
            pass
    return total / 1e9


def cpu_ms(get: Callable[[], object], n: int, admin: Engine | None, name: str) -> tuple[float, float]:
    """(CPU-ms per call of this process and the backends, of the backends alone) over n calls."""
    started, database = time.process_time(), backends_cpu(admin, name)
    for _ in range(n):
        get()
    spent, database = time.process_time() - started, backends_cpu(admin, name) - database
    return (spent + database) * 1000 / n, database * 1000 / n


def main() -> int:
    runs, rounds = int(os.environ.get("RUNS", "200")), int(os.environ.get("ROUNDS", "7"))
    with fresh_database("gridprof") as (url, instance):
        fixture = run_all.seed_benchmark(url, instance)[1]
        admin = create_engine(url) if url.startswith("postgresql") else None
        os.environ["BENCH_DATABASE_URL"] = run_all.with_application_name(url, "grid-query")
        app = make_app(run_all.with_application_name(url, "grid-product"), instance)
        reference = one_query_app().test_client()
        client = app.test_client()
        token = CSRF_RE.search(client.get("/login").get_data(as_text=True))
        assert token
        signed_in = client.post("/login", data={"csrf_token": token.group(1), "email": fixture.member,
                                                "password": PASSWORD})
        assert signed_in.status_code in (302, 303), signed_in.status_code
        week = f"?week={fixture.week.isoformat()}"
        paths = {name: f"/spaces/{name}{week}" for name in ("studio", "desks", "hall")}
        statements: list[str] = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

        def page(path: str) -> Callable[[], object]:
            def get() -> object:
                response = client.get(path)
                assert response.status_code == 200, response.status_code
                return response
            return get

        gets = {"one query": lambda: reference.get("/?category=7"), **{k: page(v) for k, v in paths.items()}}
        counts = {}
        for name, get in gets.items():
            for _ in range(5):
                get()
            statements.clear()
            get()
            counts[name] = len(statements)
        best: dict[str, tuple[float, float]] = {}
        for _ in range(rounds):
            for name, get in gets.items():
                figure = cpu_ms(get, runs, admin, "grid-query" if name == "one query" else "grid-product")
                best[name] = min(best.get(name, figure), figure)
        for name, (ms, db_ms) in best.items():
            print(f"{name:<10} {ms:7.2f} CPU-ms (db {db_ms:5.2f})  {ms / best['one query'][0]:5.1f} x one query"
                  f"  {counts[name] if name != 'one query' else 1} statements")
        if os.environ.get("STATEMENTS"):
            statements.clear()
            gets[os.environ["STATEMENTS"]]()
            print("\n\n".join(statements))
        chosen = os.environ.get("PROFILE")
        if chosen:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(runs):
                gets[chosen]()
            profile.disable()
            stats = pstats.Stats(profile)
            stats.sort_stats("tottime").print_stats(40)
            stats.sort_stats("cumulative").print_stats(60)
        if admin is not None:
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
