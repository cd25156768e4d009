"""The member's pages of run_all, before and after a change, in process, interleaved (issue 16, issue 21 point 4).

    git worktree add /tmp/before 72159f5 && .venv/bin/pybabel compile -d /tmp/before/booking/translations
    BEFORE=/tmp/before .venv/bin/python -m benchmarks.page_ab                       # SQLite
    BEFORE=/tmp/before .venv/bin/python -m benchmarks.page_ab postgresql+psycopg://postgres@127.0.0.1:5432/NAME

The PostgreSQL database NAME must exist (it is only connected to); NAME_abold and NAME_abnew are
created and dropped.

Starts one Python process per tree (this one, and the one in $BEFORE, each importing its own
`booking` and seeding its own fresh database with its own `benchmarks.run_all.seed_product`, so
neither needs a migration the other lacks), then asks them in turn, ROUNDS (7) times, alternating
which goes first, to time each page N (60) times through Flask's test client with
`time.process_time`: the one-query reference (`benchmarks.baseline`), the spaces list as a
visitor without cookies (as wrk sends it), and the booking form, my bookings, the account page
and run_all's three week grids (studio, desks, hall) as the signed-in member, CSRF on; on
PostgreSQL the CPU of the process's backends is added (/proc/PID/schedstat), as run_all counts
it. Prints the fastest round of each page, CPU-ms per request, its ratio to the same process's
one-query page, and after ÷ before. The in-process figures leave
gunicorn and the sockets out; the fixed cost they add is the same on both sides.
STAFF=1 adds run_all's staff and event pages (the staff attendees, door, events, proposals, week,
desks list and members, the visitor's events list, an empty page for the staff member); PAGES=a,b
times only the pages whose names contain a or b; FEEDS=1 GETs run_all's feeds (the space feed and,
where the tree seeds them, the member's and the staff's) before each round, as run_all's rounds do.
PROFILE=booking_form,account (page names, _ for spaces; SORT=tottime, LINES=60) prints each
side's cProfile of those pages to stderr at the end (and to PROFILE_DIR/<side>-<page>.prof if set).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROUNDS, REQUESTS = int(os.environ.get("ROUNDS", 7)), int(os.environ.get("N", 60))
ROOT = Path(__file__).resolve().parent.parent

# Runs inside each tree (cwd = the tree): only names both trees' benchmarks/ have.
CHILD = r'''
import json, logging, os, re, sys, time
logging.disable(logging.WARNING)
from flask import render_template
from sqlalchemy import create_engine
import booking
from benchmarks import run_all
from benchmarks.baseline import one_query_app, seed_reference_rows
from benchmarks.fresh_db import fresh_database, make_app, migrate
from benchmarks.race_http import PASSWORD
from sqlalchemy import text


def backends_cpu(admin):
    """CPU seconds so far of this process's PostgreSQL backends (/proc/PID/schedstat, ns), 0 on SQLite."""
    if admin is None:
        return 0.0
    with admin.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                            {"name": "ab-" + sys.argv[1]}).scalars().all()
    total = 0
    for pid in pids:
        try:
            total += int(open(f"/proc/{pid}/schedstat").read().split()[0])
        except OSError:
            pass
    return total / 1e9


with fresh_database(sys.argv[1]) as (url, instance):
    os.environ["BOOKING_INSTANCE_PATH"] = str(instance)
    migrate(make_app(url, instance))
    fixture = run_all.seed_product(make_app(url, instance), url)
    engine = create_engine(url)
    seed_reference_rows(engine)
    engine.dispose()
    admin = create_engine(url) if url.startswith("postgresql") else None
    url = run_all.with_application_name(url, "ab-" + sys.argv[1])
    os.environ["BENCH_DATABASE_URL"] = url
    app = make_app(url, instance, WTF_CSRF_ENABLED=True)
    bare = app.jinja_env.from_string('{% extends "base.html" %}')
    app.add_url_rule("/_base", "probe_base", lambda: render_template(bare))
    visitor, member = app.test_client(use_cookies=False), app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', member.get("/login").get_data(as_text=True))
    answer = member.post("/login", data={"csrf_token": token.group(1), "email": fixture.member,
                                         "password": PASSWORD})
    assert answer.status_code in (302, 303), answer.status_code
    pages = [("one query (reference)", one_query_app().test_client(), "/?category=7"),
             ("spaces list", visitor, "/"), ("booking form", member, "/spaces/studio/book"),
             ("my bookings", member, "/bookings"), ("account", member, "/account"),
             ("_base (member)", member, "/_base")]
    week = fixture.week.isoformat()  # run_all's three week grids, as the signed-in member
    pages += [(f"week {slug}", member, f"/spaces/{slug}?week={week}") for slug in ("studio", "desks", "hall")]
    if os.environ.get("STAFF"):  # run_all's staff and event pages (STAFF=1)
        from benchmarks import registrations
        from datetime import UTC, datetime, timedelta
        event_id = registrations.seed_attendees(make_app(url, instance), datetime.now(UTC).replace(microsecond=0)
                                                + timedelta(days=21))
        staff = app.test_client()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', staff.get("/login").get_data(as_text=True))
        answer = staff.post("/login", data={"csrf_token": token.group(1), "email": fixture.staff,
                                            "password": PASSWORD})
        assert answer.status_code in (302, 303), answer.status_code
        pages += [("events list (visitor)", visitor, "/events"), ("_base (staff)", staff, "/_base"),
                  ("staff attendees", staff, f"/staff/events/{event_id}/attendees"),
                  ("staff door", staff, f"/staff/events/{event_id}/door"),
                  ("staff events", staff, "/staff/events/"), ("staff proposals", staff, "/staff/event-proposals"),
                  ("staff week", staff, f"/staff/calendar?week={week}"),
                  ("staff desks", staff, f"/staff/calendar?day={week}&space=desks"),
                  ("staff members", staff, "/staff/members")]
    only = [part for part in os.environ.get("PAGES", "").split(",") if part]  # parts of page names
    pages = [p for p in pages if not only or p is pages[0] or any(part in p[0] for part in only)]
    for name, client, path in pages:
        for _ in range(20):
            status = client.get(path).status_code
            assert status == 200, (name, status)
    print(json.dumps({"tree": os.path.dirname(os.path.dirname(booking.__file__))}), flush=True)
    feeds = [f"/spaces/{fixture.feed_slug}/calendar.ics"]  # FEEDS=1: run_all's feed GETs before each round
    tokens = ((getattr(fixture, "member_feed_token", ""), "bookings.ics"),
              (getattr(fixture, "staff_feed_token", ""), "staff.ics"))  # main's run_all seeds them, 893b065's not
    feeds += [f"/feeds/{token}/{name}" for token, name in tokens if token]
    for line in sys.stdin:
        times = {}
        for path in feeds if os.environ.get("FEEDS") else ():
            assert visitor.get(path).status_code == 200, path
        for name, client, path in pages:
            started, database = time.process_time(), backends_cpu(admin)
            for _ in range(int(line)):
                client.get(path)
            app_s, database = time.process_time() - started, backends_cpu(admin) - database
            times[name] = [(app_s + database) * 1000 / int(line), database * 1000 / int(line)]
        print(json.dumps(times), flush=True)
    for name, client, path in pages:
        if name.split(" (")[0].replace(" ", "_") in os.environ.get("PROFILE", "").split(","):
            import cProfile, pstats
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(300):
                client.get(path)
            profile.disable()
            if os.environ.get("PROFILE_DIR"):
                profile.dump_stats(os.path.join(os.environ["PROFILE_DIR"], f"{sys.argv[1]}-{name}.prof"))
            print(f"\n--- {name}, {sys.argv[1]} (300 requests)", file=sys.stderr)
            stats = pstats.Stats(profile, stream=sys.stderr)
            stats.sort_stats(os.environ.get("SORT", "cumulative")).print_stats(int(os.environ.get("LINES", 60)))
    if admin is not None:
        admin.dispose()
'''


def start(tree: Path, suffix: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    process = subprocess.Popen([sys.executable, "-c", CHILD, suffix], cwd=tree, env=env, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdout
    ready = json.loads(process.stdout.readline())
    assert Path(ready["tree"]).resolve() == tree.resolve(), (ready, tree)  # its own `booking`, not ours
    return process


def ask(process: subprocess.Popen[str]) -> dict[str, list[float]]:
    assert process.stdin and process.stdout
    process.stdin.write(f"{REQUESTS}\n")
    process.stdin.flush()
    return dict(json.loads(process.stdout.readline()))


def main() -> int:
    if len(sys.argv) > 1:
        os.environ["DATABASE_URL"] = sys.argv[1]
    else:
        os.environ.pop("DATABASE_URL", None)
    sides = {"before": start(Path(os.environ["BEFORE"]), "abold"), "after": start(ROOT, "abnew")}
    fastest: dict[str, dict[str, list[float]]] = {side: {} for side in sides}  # [CPU-ms, of it database]
    try:
        for round_no in range(ROUNDS):
            order = list(sides) if round_no % 2 == 0 else list(reversed(sides))
            for side in order:
                for name, ms in ask(sides[side]).items():
                    if ms[1] < 0:  # a backend ended during the round and took its CPU along: no figure
                        continue
                    fastest[side][name] = min(fastest[side].get(name, ms), ms)  # the round of least CPU
    finally:
        for process in sides.values():
            assert process.stdin
            process.stdin.close()
            process.wait(timeout=120)
    engine = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    print(f"engine {engine}; before {os.environ['BEFORE']}, after {ROOT}; fastest of {ROUNDS} interleaved "
          f"rounds of {REQUESTS} requests; CPU-ms per request in process (÷ the same process's one-query page)")
    print(f"{'page':24s} {'before':>14s} {'after':>14s} {'after÷before':>12s}"
          + ("   of it database: before  after" if engine == "postgresql" else ""))
    before, after = fastest["before"], fastest["after"]
    first = next(iter(before))
    for name in before:
        (b, b_db), (a, a_db) = before[name], after[name]
        print(f"{name:24s} {b:6.2f} ({b / before[first][0]:4.1f}×) {a:6.2f} ({a / after[first][0]:4.1f}×) "
              f"{a / b:11.2f}" + (f"   {b_db:22.2f} {a_db:6.2f}" if engine == "postgresql" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
