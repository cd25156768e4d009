"""CPU per week grid GET in process (run_all's data), optionally with a cProfile.

    .venv/bin/python -m benchmarks.grid_profile                      # SQLite in a temporary file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> .venv/bin/python -m benchmarks.grid_profile
    PROFILE=desks .venv/bin/python -m benchmarks.grid_profile        # plus cProfile of 200 GETs of one row

Seeds what benchmarks/run_all.py seeds (studio, 24 fully booked desks, hall with requests),
signs the member in through Flask's test client and prints the median process CPU
milliseconds of GETs of each week grid (no HTTP server, so no socket noise), next to the
bare one-query reference app (benchmarks/baseline.py) on the same database.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable

from benchmarks import run_all
from benchmarks.baseline import one_query_app
from benchmarks.fresh_db import fresh_database
from benchmarks.race_http import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def cpu_ms(get: Callable[[], object], n: int) -> float:
    """Median process CPU milliseconds of n calls."""
    spent = []
    for _ in range(n):
        started = time.process_time()
        get()
        spent.append((time.process_time() - started) * 1000)
    return statistics.median(spent)


def main() -> int:
    runs = int(os.environ.get("RUNS", "200"))
    with fresh_database("gridprof") as (url, instance):
        app, fixture = run_all.seed_benchmark(url, instance)
        os.environ["BENCH_DATABASE_URL"] = url
        reference = one_query_app().test_client()
        client = app.test_client()
        token = CSRF_RE.search(client.get("/login").get_data(as_text=True))
        assert token
        signed_in = client.post("/login", data={"csrf_token": token.group(1), "email": fixture.member,
                                                "password": PASSWORD})
        assert signed_in.status_code in (302, 303), signed_in.status_code
        week = f"?week={fixture.week.isoformat()}"
        paths = {name: f"/spaces/{name}{week}" for name in ("studio", "desks", "hall")}

        def page(path: str) -> Callable[[], object]:
            def get() -> object:
                response = client.get(path)
                assert response.status_code == 200, response.status_code
                return response
            return get

        gets = {"one query": lambda: reference.get("/?category=7"), **{k: page(v) for k, v in paths.items()}}
        for get in gets.values():
            cpu_ms(get, 5)
        figures = {name: cpu_ms(get, runs) for name, get in gets.items()}
        for name, ms in figures.items():
            print(f"{name:<10} {ms:7.2f} CPU-ms  {ms / figures['one query']:5.1f} x one query")
        chosen = os.environ.get("PROFILE")
        if chosen:
            profile = cProfile.Profile()
            profile.enable()
            cpu_ms(gets[chosen], runs)
            profile.disable()
            stats = pstats.Stats(profile)
            stats.sort_stats("tottime").print_stats(40)
            stats.sort_stats("cumulative").print_stats(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
