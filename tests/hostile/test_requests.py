"""Hostile requests to every route, as visitor, member, staff and admin: never a 5xx.

For each (route, method) in the app's url_map, hypothesis draws a role, values for the
URL variables (mostly seeded rows, sometimes hostile), and hostile values for the query
names the views read (GET) or for one to three form fields of any form, the others
valid (POST), sometimes a field sent twice, bytes that are not UTF-8, or no CSRF token.
Each answer must be below 500; a refusal (4xx) must leave every table's row count as it
was; an HTML answer must never hold the hostile markup unescaped.

Budget: EXAMPLES requests per (route, method), HOSTILE_EXAMPLES in the environment to
change it; derandomized (the same requests on every run) and without an example
database, so CI sees what a developer sees. See README "Hostile-input test" for timings.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from booking import create_app
from booking.extensions import db
from booking.models import Closure, HolidayOpening, User
from booking.services import feed_tokens
from tests.conftest import PASSWORD, Client
from tests.hostile import values
from tests.views.conftest import at, tokyo_today

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "15"))
ROLES = ("visitor", "member", "staff", "admin")
DAY = (tokyo_today() + timedelta(days=14)).isoformat()

_DISCOVERY = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "discovery"})
ROUTES = values.routes(_DISCOVERY)
FIELDS = values.form_fields()
QUERY_NAMES, RAW_FORM_NAMES = values.read_names()
POST_NAMES = {**FIELDS, **RAW_FORM_NAMES}
BASELINE = {**values.baseline(DAY), "locale": "ja", "next": "/", "kind": "member", "action": "change"}


def test_discovery_finds_the_routes_forms_and_query_names():
    """The sweep covers what the code has: if discovery broke, the property test would test nothing."""
    rules = {rule for rule, _method in ROUTES}
    assert {"/spaces/<slug>", "/spaces/<slug>/book", "/staff/closures", "/bookings/<int:booking_id>/calendar.ics",
            "/register", "/staff/members/<int:user_id>/deactivate"} <= rules
    assert {"BookingForm", "StaffBookingForm", "ClosureForm", "SpaceForm", "RegisterForm", "RejectForm"} <= {
        cls.__name__ for cls in values.form_classes()}
    assert FIELDS["day"] == "date" and FIELDS["attendees"] == "int" and FIELDS["title"] == "text"
    assert {"week": "date", "page": "int", "q": "text", "start": "datetime"}.items() <= QUERY_NAMES.items()
    assert set(POST_NAMES) <= set(BASELINE)


@pytest.fixture
def world(app, create_user, create_space, create_booking):
    """Seeded rows for the URL variables, and one signed-in client per role (session cookies kept)."""
    users = {role: create_user(role=role if role != "visitor" else "member", email=f"{role}@hx.jp",
                               locale="en" if role == "staff" else "ja")
             for role in ROLES}
    studio = create_space(slug="studio")
    desks = create_space(slug="desks", kind="pooled", unit_count=10, requires_approval=True)
    start = at(tokyo_today() + timedelta(days=10), 10)
    create_booking(studio, users["member"], start, start + timedelta(hours=1), title="Seeded")
    create_booking(desks, users["member"], start, start + timedelta(hours=1), status="pending", title="Waiting")
    db.session.add(Closure(space_id=studio.id, start_dt=start + timedelta(days=3),
                           end_dt=start + timedelta(days=3, hours=2), reason="Works"))
    db.session.add(HolidayOpening(space_id=studio.id, day_date=tokyo_today() + timedelta(days=40)))
    db.session.commit()
    known = {"id": ["1", "2", "3", "4"], "slug": ["studio", "desks"],
             "token": [feed_tokens.renew_token(users["member"], "member"),
                       feed_tokens.renew_token(users["staff"], "staff")]}
    app.test_client_class = Client
    world = {"users": users, "known": known, "clients": {role: app.test_client() for role in ROLES},
             "cookies": {}, "tokens": {}, "cookie_name": app.config["SESSION_COOKIE_NAME"]}
    for role in ROLES:
        sign_in(world, role, users[role] if role != "visitor" else None)
    return world


def row_counts() -> tuple[int, ...]:
    db.session.rollback()
    counts = [select(func.count()).select_from(table).scalar_subquery() for table in db.metadata.sorted_tables]
    return tuple(db.session.execute(select(*counts)).one())


def restore(world) -> None:
    """Undo what an accepted request may have done to the role accounts, and sign them in again if it ended
    their sessions (a logout, a role change, a deactivation)."""
    db.session.rollback()
    for role, user in world["users"].items():
        db.session.execute(update(User).where(User.id == user.id).values(
            role=role if role != "visitor" else "member", is_enabled=True))
    db.session.commit()
    for role, user in world["users"].items():
        if role != "visitor" and as_role(world, role).get("/account").status_code != 200:
            sign_in(world, role, user)


def sign_in(world, role: str, user) -> None:
    client = world["clients"][role]
    client.delete_cookie(world["cookie_name"])
    if user is not None:
        assert client.login(user.email, PASSWORD).status_code == 302
    world["tokens"][role] = client.csrf_token()
    world["cookies"][role] = client.get_cookie(world["cookie_name"])


def pairs_for(data, method: str, token: str) -> list[tuple[str, str | values.Raw]]:
    """What one request sends besides its path: hostile query values (GET) or a form with hostile fields."""
    if method == "GET":
        names = data.draw(st.lists(st.sampled_from(sorted(QUERY_NAMES)), max_size=3, unique=True), label="query")
        return [(name, data.draw(values.hostile(QUERY_NAMES[name]), label=name)) for name in names]
    chosen = data.draw(st.lists(st.sampled_from(sorted(POST_NAMES)), min_size=1, max_size=3, unique=True),
                       label="hostile fields")
    sent: list[tuple[str, str | values.Raw]] = [
        (name, value) for name, value in BASELINE.items() if name not in chosen and value]
    for name in chosen:
        sent.append((name, data.draw(values.hostile(POST_NAMES[name]), label=name)))
    if data.draw(st.integers(0, 9), label="twice") == 0:
        sent.append((chosen[0], "again"))
    csrf = data.draw(st.sampled_from(["valid"] * 8 + ["missing", "hostile"]), label="csrf")
    if csrf != "missing":
        sent.append(("csrf_token", token if csrf == "valid" else values.MARKER))
    return sent


def as_role(world, role: str):
    """The role's client with its signed-in session put back (a request may have signed it out)."""
    client = world["clients"][role]
    cookie = world["cookies"][role]
    client.delete_cookie(world["cookie_name"])
    if cookie is not None:
        client.set_cookie(world["cookie_name"], cookie.value, domain=cookie.domain)
    return client


def check(world, role: str, method: str, path: str, pairs: list[tuple[str, str | values.Raw]]) -> None:
    """Send one request; no 5xx, nothing written on a refusal, no unescaped hostile markup."""
    client = as_role(world, role)
    encoded = values.encode(pairs)
    before = row_counts()
    if method == "GET":
        response = client.get(f"{path}?{encoded}" if encoded else path)
    else:
        response = client.open(path, method=method, data=encoded, content_type="application/x-www-form-urlencoded")
    status = response.status_code
    what = (role, method, path, encoded[:300], status)
    assert status < 500, what
    if status >= 400:
        assert row_counts() == before, what
    if response.mimetype == "text/html":
        assert values.MARKER not in response.get_data(as_text=True), what
    if method != "GET" and status < 400:
        restore(world)


def send_one(app, world, rule: str, method: str, arguments: list[str], data) -> None:
    """One hostile request as a drawn role."""
    role = data.draw(st.sampled_from(ROLES), label="role")
    path = values.fill(rule, {name: data.draw(values.path_value(app, rule, name, world["known"]), label=name)
                              for name in arguments})
    check(world, role, method, path, pairs_for(data, method, world["tokens"][role]))


def sweep(app, world, rule: str, method: str):
    """The hypothesis test of one (route, method)."""
    arguments = sorted(next(r for r in app.url_map.iter_rules() if r.rule == rule).arguments)

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(st.data())
    def route_survives(data):
        send_one(app, world, rule, method, arguments, data)

    return route_survives


@pytest.mark.timeout(900)
def test_no_route_answers_hostile_input_with_a_server_error(app, world):
    """EXAMPLES requests per (route, method); every failing route is listed, not only the first."""
    failures = []
    started = time.monotonic()
    for rule, method in ROUTES:
        try:
            sweep(app, world, rule, method)()
        except Exception as error:  # noqa: BLE001 (collect every route's failure, then report them all)
            failures.append(f"{method} {rule}: {error!r} {getattr(error, '__notes__', '')}")
            restore(world)
    elapsed = time.monotonic() - started
    print(f"hostile input: {len(ROUTES)} routes x {EXAMPLES} requests in {elapsed:.1f} s")
    assert not failures, "\n".join(failures)


@pytest.mark.timeout(900)
def test_every_field_of_every_form_and_every_query_value_refuses_the_worst_values(app, world):
    """The table: each of the worst values of its kind, once in each field a route's form has (as admin).

    Which fields a POST route takes is read from the forms on every page that post to it,
    so a new form is covered as soon as a page shows it.
    """
    pages = {}
    for role in ("admin", "member"):
        client = as_role(world, role)
        for url in values.get_urls(app, world["known"]):
            response = client.get(url)
            if response.mimetype == "text/html":
                pages[url] = pages.get(url, "") + response.get_data(as_text=True)
    targets = values.form_targets(app, pages)
    assert {"/spaces/<slug>/book", "/staff/closures", "/staff/spaces/new", "/register"} <= set(targets)
    failures, sent = [], 0
    first = {name: known[0] for name, known in world["known"].items()}
    for rule, method in ROUTES:
        arguments = next(r for r in app.url_map.iter_rules() if r.rule == rule).arguments
        path = values.fill(rule, {name: first["id"] if "<int:" + name in rule else first.get(name, "x")
                                  for name in arguments})
        if method == "GET":
            names = {n: QUERY_NAMES[n] for n in values.query_names_read_by(app, rule)}
        else:
            names = {n: POST_NAMES.get(n, "text") for n in targets.get(rule, ())}
        for name, kind in sorted(names.items()):
            # A query value read as plain text may still be parsed as a date or a number: send all kinds.
            worst = values.TABLE[kind] if kind != "text" or method != "GET" else sum(values.TABLE.values(), [])
            for value in worst + values.TABLE_COMMON:
                pairs = [(name, value)] if method == "GET" else [
                    *((n, v) for n, v in BASELINE.items() if n != name and v and n in names),
                    (name, value), ("csrf_token", world["tokens"]["admin"])]
                sent += 1
                try:
                    check(world, "admin", method, path, pairs)
                except AssertionError as error:
                    shown = value.text if isinstance(value, values.Raw) else value[:40]
                    failures.append(f"{method} {path} {name}={shown!r}: {str(error).splitlines()[-1]}")
                    restore(world)
    print(f"hostile input table: {sent} requests")
    assert sent > 300
    assert not failures, "\n".join(failures)
