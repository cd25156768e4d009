"""Instructions per request of one page, counted by valgrind: a figure the other processes on a shared
machine cannot move (issue 21 point 4: the CPU-ms of the pages drifted by ±30 % between runs).

    .venv/bin/python -m benchmarks.page_instructions seed FOLDER           # once per tree: seed FOLDER
    PYTHONHASHSEED=0 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        .venv/bin/python -m benchmarks.page_instructions FOLDER COUNT PAGE  # "I refs" on stderr

PAGE is one of PATHS; `onequery` is the reference of benchmarks/baseline.py (its bare Flask app on the
same file), the page every ratio of issue 21 divides by: count it the same way; `base` is an empty page
on base.html for the signed-in staff member, the fixed cost every staff page pays.
WRK=1: a signed-in page is asked as run_all's wrk asks it, with the same cookie every time, a minute
after sign-in (so each answer writes the session cookie again).
Run with COUNT 5 and 35: (I refs at 35 − I refs at 5) / 30 is the page's instructions per
request, the start-up and the 5 warm-up requests taken out. Fix PYTHONHASHSEED:
with random hashing the same run varies by about ±5 % (dict probing). For an A/B against a tree
without this file, run it by path from inside that tree (`cd OTHER && PYTHONPATH=. .venv/bin/python
/path/to/benchmarks/page_instructions.py ...`): it then seeds and serves with that tree's code.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PATHS = {"attendees": ("staff", "/staff/events/{event}/attendees"), "events": ("visitor", "/events"),
         "account": ("member", "/account"), "members": ("staff", "/staff/members"),
         "week": ("staff", "/staff/calendar?week={week}"), "mybookings": ("member", "/bookings"),
         "door": ("staff", "/staff/events/{event}/door"), "staffevents": ("staff", "/staff/events/"),
         "day": ("staff", "/staff/calendar?day={week}"), "desks": ("staff", "/staff/calendar?day={week}&space=desks"),
         "reports": ("staff", "/staff/reports"), "proposals": ("staff", "/staff/event-proposals"),
         "studio": ("member", "/spaces/studio?week={week}"),
         "onequery": ("reference", "/?category=7"), "base": ("staff", "/_base")}


def seed(folder: Path) -> None:
    """run_all's data and the 150-attendee event in a SQLite file in `folder`, and fixture.json."""
    from benchmarks import registrations, run_all

    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder}/bench.db"
    seeding, fixture = run_all.seed_benchmark(url, folder)
    registrations.seed_event(seeding, datetime.now(UTC).replace(microsecond=0) + timedelta(days=20))  # as run_all
    event_id = registrations.seed_attendees(seeding, datetime.now(UTC).replace(microsecond=0) + timedelta(days=21))
    (folder / "fixture.json").write_text(json.dumps({
        "url": url, "staff": fixture.staff, "member": fixture.member, "event": event_id,
        "week": fixture.week.isoformat()}))


def run(folder: Path, count: int, page: str) -> None:
    """5 warm-up GETs of `page` (must answer 200), then `count` more."""
    from benchmarks.fresh_db import make_app
    from benchmarks.race_http import PASSWORD

    fixture = json.loads((folder / "fixture.json").read_text())
    os.environ["BOOKING_INSTANCE_PATH"] = str(folder)
    os.environ["BENCH_DATABASE_URL"] = fixture["url"]
    who, path = PATHS[page]
    if who == "reference":
        from benchmarks.baseline import one_query_app

        app = one_query_app()
    else:
        app = make_app(fixture["url"], folder, WTF_CSRF_ENABLED=True)
        if page == "base":  # the fixed cost of a signed-in staff page: an empty page on base.html
            from flask import render_template

            bare = app.jinja_env.from_string('{% extends "base.html" %}')
            app.add_url_rule("/_base", "probe_base", lambda: render_template(bare))
    client = app.test_client(use_cookies=who not in ("visitor", "reference"))
    if who not in ("visitor", "reference"):
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
        assert token
        answer = client.post("/login", data={"csrf_token": token.group(1), "email": fixture[who],
                                             "password": PASSWORD})
        assert answer.status_code in (302, 303), answer.status_code
    path = path.format(**fixture)
    if os.environ.get("WRK") and who not in ("visitor", "reference"):
        client = _as_wrk_sends(app, client)
    for _ in range(5):
        assert client.get(path).status_code == 200, path
    for _ in range(count):
        client.get(path)


def _as_wrk_sends(app: Any, signed_in: Any) -> Any:
    """A client that sends the sign-in cookie as it is for every request, as run_all's wrk does, a
    minute or more after it was made: the session's `_seen_at` is written again on every request."""
    from booking.views import sessions

    cookie = signed_in.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, app.config["SESSION_COOKIE_NAME"]
    started = sessions.now_seconds()
    sessions.now_seconds = lambda: started + 2 * sessions.SEEN_RESOLUTION_SECONDS  # type: ignore[assignment]
    client = app.test_client(use_cookies=False)
    client.environ_base["HTTP_COOKIE"] = f"{cookie.key}={cookie.value}"
    return client


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    if sys.argv[1] == "seed":
        seed(Path(sys.argv[2]))
    else:
        run(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
