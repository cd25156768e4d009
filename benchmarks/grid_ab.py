"""The week grid rows of run_all, before and after a change, served side by side on one database.

    git archive <commit> | tar -x -C /tmp/before
    BEFORE=/tmp/before .venv/bin/python -m benchmarks.grid_ab [postgresql+psycopg://…/<db>]

Seeds what run_all seeds, starts the two reference apps and the product twice (this tree,
and the tree in $BEFORE, on the same database, so neither may need a migration the other
lacks), then drives the three week grids of each, interleaved, with wrk -c8 for ROUNDS (5)
rounds of SECONDS (3) s; prints the median CPU-ms per request (app and its PostgreSQL
backends, as run_all counts it) and its ratio to the one-query page. Interleaving both
sides in one run keeps the machine's load out of the comparison better than two runs.
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

from benchmarks import race_http, run_all
from benchmarks.fresh_db import fresh_database
from benchmarks.race_http import Browser, free_port, start_gunicorn

ROUNDS, SECONDS = int(os.environ.get("ROUNDS", 5)), float(os.environ.get("SECONDS", 3))
SERVERS = (("hello", "benchmarks.baseline:hello_app()"), ("query", "benchmarks.baseline:one_query_app()"),
           ("after", "benchmarks.run_all:product_app()"), ("before", "benchmarks.run_all:product_app()"))


def start(name: str, spec: str, url: str, instance: Path) -> run_all.Server:
    """One gunicorn server as run_all starts it; "before" from the tree in $BEFORE."""
    home = race_http.ROOT
    race_http.ROOT = Path(os.environ["BEFORE"]) if name == "before" else home
    try:
        port, application_name = free_port(), f"ab-{name}"
        server_url = run_all.with_application_name(url, application_name)
        log = instance / f"{name}-access.log"
        process = start_gunicorn(server_url, instance, port, 2, spec, {"BENCH_DATABASE_URL": server_url},
                                 ready_path="/", log_name=f"{name}.log",
                                 extra_args=("--access-logfile", str(log), "--access-logformat", "%(s)s"))
    finally:
        race_http.ROOT = home
    return run_all.Server(name, port, process, application_name, log)


def main() -> int:
    if len(sys.argv) > 1:
        os.environ["DATABASE_URL"] = sys.argv[1]
    else:
        os.environ.pop("DATABASE_URL", None)
    with fresh_database("ab") as (url, instance):
        app, fixture = run_all.seed_benchmark(url, instance)
        meter = run_all.CpuMeter(url)
        servers: dict[str, run_all.Server] = {}
        try:
            for name, spec in SERVERS:
                servers[name] = start(name, spec, url, instance)
            member = Browser(servers["after"].port)
            member.login(fixture.member)
            cookie = {"Cookie": run_all.cookie_header(member)}
            week = f"?week={fixture.week.isoformat()}"
            targets = [("hello", run_all.Target("hello", "hello", "/")),
                       ("one query", run_all.Target("query", "query", "/?category=7"))]
            targets += [(f"{slug} {side}", run_all.Target(slug, side, f"/spaces/{slug}{week}", cookie))
                        for slug in ("studio", "desks", "hall") for side in ("before", "after")]
            results: dict[str, list[float]] = {name: [] for name, _ in targets}
            for round_no in range(-1, ROUNDS):  # round -1 warms every page in every worker up
                for name, target in targets:
                    sample = run_all.measure(target, servers[target.server], meter, run_all.run_wrk,
                                             SECONDS if round_no >= 0 else 1, 8, instance)
                    assert sample.bad == 0, (name, sample)
                    if round_no >= 0:
                        results[name].append(sample.cpu_ms + sample.db_ms)
        finally:
            run_all.stop_servers(servers, meter)
    reference = statistics.median(results["one query"])
    print(f"engine {run_all.engine_label(url)}; {ROUNDS} interleaved rounds of {SECONDS:g} s, wrk -c8, "
          "gunicorn -w 2; CPU-ms per request (app + its database backends), median [min-max]")
    for name, values in results.items():
        middle = statistics.median(values)
        print(f"{name:<14} {middle:7.2f} [{min(values):6.2f}-{max(values):6.2f}]  "
              f"{middle / reference:5.1f} x one query")
    return 0


if __name__ == "__main__":
    sys.exit(main())
