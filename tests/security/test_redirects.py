"""Redirects after a form go only to paths of this site (OWASP ASVS 4.0.3 V5.1.5).

Every route that takes `next` (sign-in, language switch) uses one helper; anything
but a local path falls back to the home page.
"""

from __future__ import annotations

import pytest

from booking.views.redirects import safe_next
from tests.conftest import PASSWORD

HOSTILE = [
    "/\t/evil.example",          # the reported one: ?next=/%09/evil.example, browsers drop the tab
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "//evil.example",
    "//evil.example/bookings",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "https://evil.example/",
    "http:evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "bookings",
    "/\x7f/evil.example",
    "/\x1b/evil.example",
    "/\u0085/evil.example",      # NEL, a C1 control
    "/\u200b/evil.example",      # zero-width space, a format character
    "/\u3000/evil.example",      # ideographic space
    "/\u2028/evil.example",      # line separator
    "",
    "/" + "a" * 3000,
]
LOCAL = ["/bookings", "/spaces/studio?week=2030-06-03", "/account#my-feed", "/", "/%2F%2Fevil.example"]


@pytest.mark.parametrize("target", HOSTILE)
def test_anything_but_a_local_path_falls_back_to_the_home_page(app, target):
    with app.test_request_context():
        assert safe_next(target) == "/"


@pytest.mark.parametrize("target", LOCAL)
def test_a_local_path_is_kept(app, target):
    with app.test_request_context():
        assert safe_next(target) == target


def test_signing_in_never_redirects_to_another_site(client, create_user):
    user = create_user()
    for target in HOSTILE:
        response = client.submit("/login", {"email": user.email, "password": PASSWORD},
                                 query_string={"next": target})
        assert (response.status_code, response.headers["Location"]) == (302, "/"), repr(target)


def test_the_reported_login_url_redirects_home(client, create_user):
    user = create_user()
    response = client.submit("/login?next=/%09/evil.example", {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_switching_language_never_redirects_to_another_site(client):
    for target in HOSTILE:
        response = client.submit("/language", {"locale": "en", "next": target})
        assert (response.status_code, response.headers["Location"]) == (302, "/"), repr(target)


def test_both_routes_return_to_a_local_page(client, create_user):
    user = create_user()
    for target in LOCAL:
        assert client.submit("/language", {"locale": "en", "next": target}).headers["Location"] == target
        response = client.submit("/login", {"email": user.email, "password": PASSWORD},
                                 query_string={"next": target})
        assert response.headers["Location"] == target


def test_a_visitor_sent_to_sign_in_comes_back_to_the_page_asked_for(client, create_user):
    user = create_user()
    login_url = client.get("/account").headers["Location"]
    assert login_url.startswith("/login?next=")

    response = client.submit(login_url, {"email": user.email, "password": PASSWORD})

    assert response.headers["Location"] == "/account"
