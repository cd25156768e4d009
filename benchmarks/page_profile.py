"""CPU per request of a few pages in process, beside the one-query reference, and their profiles.

Run on demand (not part of pytest), from the repository root:

    .venv/bin/python -m benchmarks.page_profile                 # SQLite
    PROFILE=spaces_list,events_list,event_page .venv/bin/python -m benchmarks.page_profile   # and their profiles
    PAGES=_base,_user PROFILE=_user SORT=tottime LINES=40 CALLERS=get_current_url \
        .venv/bin/python -m benchmarks.page_profile    # only those pages; profile order, length, callers
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/NAME .venv/bin/python -m benchmarks.page_profile

Seeds a fresh database as benchmarks/run_all.py does (its `seed_product`), then drives the
pages through Flask's test client (no server, no sockets): the spaces list as a visitor
without cookies (as wrk sends), the booking form, my bookings and the account page as the
signed-in member, the events list and an event page (150 registered) as a visitor as
run_all seeds them, and the same template-less probes of the fixed cost (`_hello`: the app
with no template; `_base`: an empty page on base.html, as a visitor and as the member).
Each page is timed in 5 interleaved rounds of N/5 requests (N=500 by default) with
`time.process_time`, the fastest round shown: the machine is shared, compare the ratios.
"""

from __future__ import annotations

import cProfile
import logging
import os
import pstats
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import render_template
from flask_login import current_user

from benchmarks import registrations as registration_bench
from benchmarks import run_all
from benchmarks.baseline import one_query_app
from benchmarks.fresh_db import fresh_database, make_app
from benchmarks.race_http import PASSWORD


def main() -> None:
    logging.disable(logging.WARNING)
    requests = int(os.environ.get("N", "500"))
    profiled = set(filter(None, os.environ.get("PROFILE", "").split(",")))
    only = set(filter(None, os.environ.get("PAGES", "").split(",")))
    with fresh_database("pages") as (url, instance):
        seeding, fixture = run_all.seed_benchmark(url, instance)
        soon = datetime.now(UTC).replace(microsecond=0)  # the two events of run_all, as it seeds them
        registration_bench.seed_event(seeding, soon + timedelta(days=20))
        attendee_event_id = registration_bench.seed_attendees(seeding, soon + timedelta(days=21))
        os.environ["BENCH_DATABASE_URL"] = url
        app = make_app(url, instance, WTF_CSRF_ENABLED=True)
        bare = app.jinja_env.from_string('{% extends "base.html" %}')
        app.add_url_rule("/_hello", "probe_hello", lambda: "ok")
        app.add_url_rule("/_base", "probe_base", lambda: render_template(bare))
        app.add_url_rule("/_user", "probe_user", lambda: str(current_user.is_authenticated))
        visitor, member = app.test_client(use_cookies=False), app.test_client()
        page = member.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token
        answer = member.post("/login", data={"csrf_token": token.group(1), "email": fixture.member,
                                             "password": PASSWORD})
        assert answer.status_code in (302, 303), answer.status_code
        pages = [("one query (reference)", one_query_app().test_client(), "/?category=7"),
                 ("spaces list", visitor, "/"), ("_hello (visitor)", visitor, "/_hello"),
                 ("_base (visitor)", visitor, "/_base"), ("_base (member)", member, "/_base"),
                 ("_user (member)", member, "/_user"), ("booking form", member, "/spaces/studio/book"),
                 ("my bookings", member, "/bookings"), ("account", member, "/account"),
                 *((f"week grid {slug}", member, f"/spaces/{slug}?week={fixture.week.isoformat()}")
                   for slug in ("studio", "desks", "hall")),
                 ("events list (visitor)", visitor, "/events"),
                 ("event page (visitor)", visitor, f"/events/{attendee_event_id}")]
        pages = [page for page in pages
                 if not only or page is pages[0] or page[0] in only or page[0].split(" (")[0] in only]
        fastest = time_pages(pages, requests, warm_up=20)
        reference = fastest[pages[0][0]]
        print(f"{'page':24s} {'CPU-ms':>7s} {'÷ 1-query':>9s}")
        for name, ms in fastest.items():
            print(f"{name:24s} {ms:7.2f} {ms / reference:9.1f}")
        for name, client, path in pages:
            if name.split(" (")[0].replace(" ", "_") in profiled or name in profiled:
                profile_page(name, client, path, requests, lines=50)


def time_pages(pages: list[tuple[str, Any, str]], requests: int, warm_up: int) -> dict[str, float]:
    """CPU-ms per request of each (name, test client, path), the fastest of 5 interleaved rounds of
    requests/5 GETs timed with `time.process_time`, after `warm_up` GETs that must answer 200."""
    for name, client, path in pages:
        for _ in range(warm_up):
            status = client.get(path).status_code
            assert status == 200, (name, status)
    fastest: dict[str, float] = {}
    for _round in range(5):
        for name, client, path in pages:
            started = time.process_time()
            for _ in range(requests // 5):
                client.get(path)
            ms = (time.process_time() - started) * 1000 / (requests // 5)
            fastest[name] = min(fastest.get(name, ms), ms)
    return fastest


def profile_page(name: str, client: Any, path: str, requests: int, lines: int) -> None:
    """Print the cProfile of `requests` GETs of `path`: SORT (cumulative), LINES (`lines`), and the
    CALLERS or CALLEES of a function if named."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        client.get(path)
    profile.disable()
    print(f"\n--- {name} ({requests} requests)")
    stats = pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative"))
    stats.print_stats(int(os.environ.get("LINES", str(lines))))
    if os.environ.get("CALLERS"):
        stats.print_callers(os.environ["CALLERS"])
    if os.environ.get("CALLEES"):
        stats.print_callees(os.environ["CALLEES"])


if __name__ == "__main__":
    main()
