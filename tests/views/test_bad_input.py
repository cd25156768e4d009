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
    "url", ["/spaces/%00", "/spaces/" + "x" * 5000, "/bookings/%E3%81%82", "/%FF"]
)
def test_odd_urls_are_not_found_or_bad_requests(client, create_space, url):
    create_space(slug="room")
    assert client.get(url).status_code in (400, 404)


def test_a_nul_byte_in_the_path_is_a_bad_request_and_in_a_query_value_is_dropped(client, create_space):
    """Issue 16 (tester): a NUL in a query value (a search, a week) gives the page, not a 400 page."""
    create_space(slug="room")
    assert client.get("/spaces/room%00").status_code == 400
    assert client.get("/spaces/room?week=2030-01-07%00").status_code == 200


def test_a_nul_in_the_staff_members_search_is_dropped(client, create_user):
    client.login(create_user(role="staff").email)
    create_user(name="Yamada Hanako", email="hanako@example.jp")
    response = client.get("/staff/members?q=Hana%00ko")
    assert response.status_code == 200
    assert "hanako@example.jp" in response.get_data(as_text=True)


FIELD_ERROR = "This held a NUL character, which was removed. Check it and send the form again."


def test_a_nul_byte_in_a_login_is_a_field_message(client, create_user):
    user = create_user(locale="en")
    response = client.submit("/login", {"email": user.email + "\x00", "password": "x"})
    assert response.status_code != 400
    assert client.get("/bookings").status_code == 302


def test_a_nul_byte_in_a_registration_is_a_field_message_and_creates_nobody(client):
    """Issue 16 (tester): the generic 400 page lost the form."""
    response = client.submit("/register?lang=en", {
        "email": "nul\x00@example.jp", "name": "Null\x00Byte", "org_kind": "individual", "locale": "en",
        "password": "long enough password", "confirm": "long enough password",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="NullByte"' in page and 'value="nul@example.jp"' in page
    assert "\x00" not in page
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("field", ["title", "purpose"])
def test_a_nul_byte_in_a_booking_title_or_purpose_is_a_field_message_and_writes_nothing(
        client, create_space, create_user, field):
    """Issue 16 (tester): the generic 400 page lost the form."""
    create_space(slug="room")
    client.login(create_user(locale="en").email)
    day = (tokyo_today() + timedelta(days=14)).isoformat()
    values = {"day": day, "start_time": "10:00", "end_time": "11:00", "title": "Kickoff", "purpose": "Plans",
              "attendees": "1"}
    values[field] = values[field][:3] + "\x00" + values[field][3:]
    response = client.submit("/spaces/room/book", values)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert FIELD_ERROR in page
    assert ('value="Kickoff"' if field == "title" else "Plans</textarea>") in page
    assert written() == (0, 0)


@pytest.mark.parametrize(("raw", "is_utf8"), [
    (b"", True), (b"a=1&b=%E6%97%A5", True), (b"t=%E6%97&u=%A5", False), (b"t=%E6%97%26%A5", False),
    (b"a%2&6=x", True), (b"k=%FF", False), (b"%C3=%A9", False), (b"x=%C3%A9+%C3%A9&y=", True),
    ("名=日本".encode(), True), (b"a=\xff", False), (b"a=%2", True),
])
def test_a_urlencoded_body_is_utf8_as_each_of_its_keys_and_values_is(raw: bytes, is_utf8: bool) -> None:
    from urllib.parse import unquote_to_bytes

    from booking.views.params import is_utf8_urlencoded

    def each(pair: bytes) -> bool:
        try:
            for part in pair.split(b"="):
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    assert is_utf8_urlencoded(raw) is is_utf8 is all(each(pair) for pair in raw.split(b"&"))
