"""The three week grids of run_all under gunicorn, this tree against another one, in the same run.

    BEFORE=/path/to/other/worktree .venv/bin/python -m benchmarks.week_ab [--database-url URL] [--rounds 3]

run_all's method (its seeding, gunicorn -w 2 sync, wrk -c8, server CPU from /proc plus, on
PostgreSQL, the CPU of each server's backends), restricted to hello-world, the one-query page
and the studio, desk and hall weeks as the member, each served by this tree ("product") and,
when BEFORE names a second tree (a worktree with compiled translations), by that one as well,
all interleaved round by round: the A/B of one change on a loaded machine. Medians, and the
ratio to the one-query page of each round.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sqlalchemy import create_engine

from benchmarks import race_http
from benchmarks import run_all as bench
from benchmarks.baseline import seed_reference_rows
from benchmarks.fresh_db import engine_label, fresh_database, make_app, migrate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", default=os.environ.get("BEFORE", ""))
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    with fresh_database("weekab") as (url, instance):
        os.environ["BOOKING_INSTANCE_PATH"] = str(instance)
        app = make_app(url, instance)
        migrate(app)
        fixture = bench.seed_product(app, url)
        engine = create_engine(url)
        seed_reference_rows(engine)
        engine.dispose()
        meter = bench.CpuMeter(url)
        here = str(Path.cwd())
        trees = [("product", here)] + ([("before", args.before)] if args.before else [])
        specs = [("hello", "benchmarks.baseline:hello_app()", here),
                 ("query", "benchmarks.baseline:one_query_app()", here)]
        specs += [(name, "benchmarks.run_all:product_app()", root) for name, root in trees]
        servers: dict[str, bench.Server] = {}
        try:
            for name, spec, root in specs:
                port = race_http.free_port()
                race_http.ROOT = Path(root)  # gunicorn's working directory: the tree it imports
                server_url = bench.with_application_name(url, f"weekab-{name}")
                log = instance / f"{name}-access.log"
                process = race_http.start_gunicorn(
                    server_url, instance, port, 2, spec, {"BENCH_DATABASE_URL": server_url}, ready_path="/",
                    log_name=f"{name}.log", extra_args=("--access-logfile", str(log), "--access-logformat", "%(s)s"))
                servers[name] = bench.Server(name, port, process, f"weekab-{name}", log)
            week = f"?week={fixture.week.isoformat()}"
            targets = [bench.Target("hello", "hello", "/"), bench.Target("one query", "query", "/?category=7")]
            for name, _root in trees:
                browser = race_http.Browser(servers[name].port)
                browser.login(fixture.member)
                cookie = {"Cookie": bench.cookie_header(browser)}
                targets += [bench.Target(f"{name} {slug}", name, f"/spaces/{slug}{week}", cookie)
                            for slug in ("studio", "desks", "hall")]
            results: dict[str, list[bench.Sample]] = {target.name: [] for target in targets}
            for round_no in range(-1, args.rounds):  # round -1 warms every page in every worker up
                for target in targets:
                    sample = bench.measure(target, servers[target.server], meter, bench.run_wrk,
                                           args.seconds if round_no >= 0 else 1, 8, instance)
                    if round_no >= 0:
                        results[target.name].append(sample)
            reference = results["one query"]
            query_cpu = bench.median([s.cpu_ms + s.db_ms for s in reference])
            print(f"{engine_label(url)}; load average {os.getloadavg()[0]:.1f}; "
                  f"{args.rounds} rounds of {args.seconds:g} s")
            for name, samples in results.items():
                cpu = bench.median([s.cpu_ms + s.db_ms for s in samples])
                rounds = " ".join(f"{(s.cpu_ms + s.db_ms) / (r.cpu_ms + r.db_ms):.2f}"
                                  for s, r in zip(samples, reference, strict=True))
                print(f"{name:<16} {cpu:6.2f} CPU-ms (db {bench.median([s.db_ms for s in samples]):5.2f})"
                      f"  {cpu / query_cpu:5.2f} x one query   rounds: {rounds}   bad {sum(s.bad for s in samples)}")
        finally:
            bench.stop_servers(servers, meter)


if __name__ == "__main__":
    main()
