"""Bad input never gets a server error, whatever route it is sent to."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import User
from tests.views.conftest import tokyo_today, written

HUGE = "99999999999999999999"


def int_routes(app):
    """Every URL rule with a numeric id, and the methods it answers."""
    for rule in app.url_map.iter_rules():
        if "<int:" in rule.rule:
            yield rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})


@pytest.mark.parametrize("number", [HUGE, "0", "2147483648"])
def test_no_route_answers_an_impossible_id_with_a_server_error(app, client, create_user, number):
    client.login(create_user(role="admin").email)
    token = client.csrf_token()
    routes = list(int_routes(app))
    assert any(path.startswith("/bookings/") for path, _methods in routes)
    for path, methods in routes:
        url = re.sub(r"<[^>]+>", "x", re.sub(r"<int:\w+>", number, path))
        for method in methods:
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 404, (method, url, response.status_code)


def test_the_largest_possible_id_is_simply_not_found(client, create_user):
    client.login(create_user().email)
    assert client.get("/bookings/2147483647").status_code == 404


@pytest.mark.parametrize(
    "url", ["/spaces/%00", "/spaces/" + "x" * 5000, "/spaces/room?week=%00", "/bookings/%E3%81%82", "/%FF"]
)
def test_odd_urls_are_not_found_or_bad_requests(client, create_space, url):
    create_space(slug="room")
    assert client.get(url).status_code in (400, 404)


def test_a_nul_byte_in_the_address_is_a_bad_request(client, create_space):
    create_space(slug="room")
    assert client.get("/spaces/room%00").status_code == 400
    assert client.get("/spaces/room?week=2030-01-07%00").status_code == 400


def test_a_nul_byte_in_a_login_is_a_bad_request(client, create_user):
    user = create_user()
    assert client.login(user.email + "\x00").status_code == 400
    assert client.get("/bookings").status_code == 302


def test_a_nul_byte_in_a_registration_creates_nobody(client):
    response = client.submit("/register", {
        "email": "nul@example.jp", "name": "Null\x00Byte", "org_kind": "individual", "locale": "ja",
        "password": "long enough password", "confirm": "long enough password",
    })
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_nul_byte_in_a_booking_title_writes_nothing(client, create_space, create_user):
    create_space(slug="room")
    client.login(create_user().email)
    day = (tokyo_today() + timedelta(days=14)).isoformat()
    response = client.submit("/spaces/room/book", {
        "day": day, "start_time": "10:00", "end_time": "11:00", "title": "Kick\x00off", "attendees": "1",
    })
    assert response.status_code == 400
    assert written() == (0, 0)
