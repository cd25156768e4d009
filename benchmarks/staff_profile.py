"""CPU per request of the staff pages in process, beside the one-query reference, and their profiles.

Run on demand (not part of pytest), from the repository root:

    .venv/bin/python -m benchmarks.staff_profile                      # SQLite, every staff page
    PROFILE=queue,week .venv/bin/python -m benchmarks.staff_profile    # and the profiles of those
    PAGES=queue,day .venv/bin/python -m benchmarks.staff_profile       # only those pages
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/NAME .venv/bin/python -m benchmarks.staff_profile

Seeds a fresh database with run_all's data (`seed_benchmark`, plus the 150-attendee event of
benchmarks/registrations.py), signs the staff member in through the login form (CSRF on),
and drives the staff targets of benchmarks/run_all.py through Flask's test client. As in
benchmarks/page_profile.py: 5 interleaved rounds of N/5 requests (N=300 by default) timed with
`time.process_time`, the fastest round shown; `_base (staff)` is an empty page on base.html
for the signed-in staff member, the fixed cost every page pays. `SORT=tottime` changes the
profiles' order (cumulative by default), `LINES=n` their length (60).
"""

from __future__ import annotations

import logging
import os
import re
from datetime import UTC, datetime, timedelta

from flask import render_template

from benchmarks import registrations as registration_bench
from benchmarks import run_all
from benchmarks.baseline import one_query_app
from benchmarks.fresh_db import engine_label, fresh_database, make_app
from benchmarks.page_profile import profile_page, time_pages
from benchmarks.race_http import PASSWORD


def main() -> None:
    logging.disable(logging.WARNING)
    requests = int(os.environ.get("N", "300"))
    profiled = set(filter(None, os.environ.get("PROFILE", "").split(",")))
    only = set(filter(None, os.environ.get("PAGES", "").split(",")))
    with fresh_database("staffpages") as (url, instance):
        seeding, fixture = run_all.seed_benchmark(url, instance)
        event_id = registration_bench.seed_attendees(
            seeding, datetime.now(UTC).replace(microsecond=0) + timedelta(days=21))
        os.environ["BENCH_DATABASE_URL"] = url
        app = make_app(url, instance, WTF_CSRF_ENABLED=True)
        bare = app.jinja_env.from_string('{% extends "base.html" %}')
        app.add_url_rule("/_base", "probe_base", lambda: render_template(bare))
        staff = app.test_client()
        page = staff.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token
        answer = staff.post("/login", data={"csrf_token": token.group(1), "email": fixture.staff,
                                            "password": PASSWORD})
        assert answer.status_code in (302, 303), answer.status_code
        day = fixture.week.isoformat()
        pages = [("reference", one_query_app().test_client(), "/?category=7"),
                 ("base", staff, "/_base"),
                 ("queue", staff, "/staff/requests"),
                 ("day", staff, f"/staff/calendar?day={day}"),
                 ("week", staff, f"/staff/calendar?week={day}"),
                 ("desks", staff, f"/staff/calendar?day={day}&space=desks"),
                 ("reports", staff, "/staff/reports"),
                 ("members", staff, "/staff/members"),
                 ("attendees", staff, f"/staff/events/{event_id}/attendees"),
                 ("door", staff, f"/staff/events/{event_id}/door"),
                 ("events", staff, "/staff/events/"),
                 ("proposals", staff, "/staff/event-proposals")]
        pages = [p for p in pages if not only or p[0] in only or p[0] in ("reference", "base")]
        fastest = time_pages(pages, requests, warm_up=10)
        reference = fastest["reference"]
        print(f"{engine_label(url)}: {'page':12s} {'CPU-ms':>7s} {'÷ 1-query':>9s}")
        for name, ms in fastest.items():
            print(f"{'':{len(engine_label(url))}s}  {name:12s} {ms:7.2f} {ms / reference:9.1f}")
        for name, client, path in pages:
            if name in profiled:
                profile_page(name, client, path, requests, lines=60)


if __name__ == "__main__":
    main()
