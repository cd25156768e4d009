"""Cookies, proxies and links as deployed: development over http, production behind a TLS proxy.

OWASP ASVS 4.0.3 V3.4.1-V3.4.3 (Secure, HttpOnly, SameSite), V3.4.4 (`__Host-` prefix),
V14.4.5 (HSTS), and links from BASE_URL instead of the Host header.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request

from booking import create_app
from booking.extensions import db
from booking.services import feed_tokens
from tests.conftest import PASSWORD, Client
from tests.security.conftest import is_signed_in

PUBLIC = "https://booking.example.jp"
# What nginx or a load balancer passes on: the original Host (here the test client's
# "localhost"), the scheme and the client. Browsers send a same-origin Referer
# (Referrer-Policy: same-origin), which Flask-WTF checks against the Host on https posts.
BEHIND_PROXY = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "203.0.113.5",
                "HTTP_REFERER": "https://localhost/login"}
HOSTILE_HOST = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Factory: the app as `flask run` or gunicorn builds it (not TESTING), with these settings."""
    apps: list[Flask] = []

    def make(**settings: Any) -> Flask:
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "a-real-secret", **settings})
        app.instance_path = str(tmp_path)
        app.test_client_class = Client

        @app.get("/_probe")
        def probe() -> str:
            return f"{request.scheme} {request.remote_addr} {request.host}"

        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def set_cookies(response: Any) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_development_signs_in_over_plain_http_with_a_plain_cookie(make_app, create_user):
    app = make_app(DEBUG=True)
    member = create_user()
    client = app.test_client()

    response = client.login(member.email, PASSWORD)

    cookie = set_cookies(response)["session"]
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert is_signed_in(client)
    assert "Strict-Transport-Security" not in response.headers


def test_production_behind_a_tls_proxy_signs_in_with_a_host_prefixed_secure_cookie(make_app, create_user):
    app = make_app(TRUSTED_PROXIES=1, BASE_URL=PUBLIC)
    member = create_user()
    client = app.test_client()
    client.environ_base.update(BEHIND_PROXY)

    response = client.login(member.email, PASSWORD)

    cookies = set_cookies(response)
    assert "session" not in cookies
    cookie = cookies["__Host-session"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain=" not in cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert is_signed_in(client)


def test_the_proxy_is_believed_only_as_far_as_configured(make_app):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.66, 203.0.113.5"}
    trusting = make_app(TRUSTED_PROXIES=1).test_client()
    direct = make_app().test_client()

    assert trusting.get("/_probe", headers=headers).get_data(as_text=True) == "https 203.0.113.5 localhost"
    assert direct.get("/_probe", headers=headers).get_data(as_text=True) == "http 127.0.0.1 localhost"


def test_feed_links_come_from_base_url_never_from_the_host_header(make_app, create_user, create_space):
    app = make_app(TRUSTED_PROXIES=1, BASE_URL=PUBLIC + "/")
    create_space(slug="studio")
    staff = create_user(role="staff")
    with app.app_context():  # tokens are derived from this app's secret key
        for kind in ("member", "staff"):
            feed_tokens.renew_token(staff, kind)
    client = app.test_client()
    client.environ_base.update(BEHIND_PROXY)
    client.login(staff.email, PASSWORD)
    # As if a misconfigured proxy passed the attacker's Host through with the member's cookie:
    session = client.get_cookie("__Host-session")
    client.set_cookie("__Host-session", session.value, domain="evil.example")
    assert client.get("/_probe", headers=HOSTILE_HOST).get_data(as_text=True).endswith(" evil.example")

    for path in ("/account", "/spaces/studio"):
        page = client.get(path, headers=HOSTILE_HOST).get_data(as_text=True)
        # feed addresses: read-only boxes (issue 16), and any link in a value attribute
        links = re.findall(r'value="([a-z]+://[^"]+)"', page) + re.findall(r'class="feed-url"[^>]*>([^<]+)<', page)
        assert links, path
        assert all(link.startswith(PUBLIC + "/") and "//" not in link[8:] for link in links), links
        assert "evil.example" not in page
