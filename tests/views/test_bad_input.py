"""Bad input never gets a server error, whatever route it is sent to."""

from __future__ import annotations

import re

import pytest

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
    "url", ["/spaces/%00", "/spaces/" + "x" * 5000, "/spaces/room?week=%00", "/bookings/%E3%81%82"]
)
def test_odd_urls_are_not_found_or_bad_requests(client, create_space, url):
    create_space(slug="room")
    assert client.get(url).status_code in (400, 404)
