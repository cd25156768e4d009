"""The site's header is kept per language, script root and kind of viewer, with the per-request
parts filled in: never stale, never another viewer's (booking.views.helpers.site_header)."""

from __future__ import annotations

import re

from flask import Flask

from tests.conftest import CSRF_RE, without_csrf_tokens

HEADER_RE = re.compile(r'<a class="skip-link".*?</header>', re.S)


def kept_headers(app: Flask) -> object:
    return app.extensions.get("booking_site_headers")


def header_of(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200
    found = HEADER_RE.search(response.get_data(as_text=True))
    assert found
    return found.group(0)


def fresh_header_of(app: Flask, client, url: str, **kwargs) -> str:
    """The header as it is rendered when nothing is kept."""
    app.extensions.pop("booking_site_headers", None)
    return header_of(client, url, **kwargs)


def test_a_kept_header_is_the_header_rendered_anew_for_visitors_members_and_staff(app, client, create_user):
    member = create_user(name="<b>Aiko & Co</b>")
    staff = create_user(role="staff", name="Staff 'Ken'")
    visitor, signed_member, signed_staff = app.test_client(), app.test_client(), app.test_client()
    signed_member.login(member.email)
    signed_staff.login(staff.email)
    for viewer in (visitor, signed_member, signed_staff):
        for url in ("/", "/events", "/?a=1&b=%3Cx%3E"):
            header_of(viewer, url)  # kept
            kept = header_of(viewer, url)
            assert without_csrf_tokens(kept) == without_csrf_tokens(fresh_header_of(app, viewer, url))
    assert kept_headers(app) is not None
    member_header = header_of(signed_member, "/")
    assert "&lt;b&gt;Aiko &amp; Co&lt;/b&gt;" in member_header and "Ken" not in member_header
    assert "/staff/requests" not in member_header and "/logout" in member_header
    staff_header = header_of(signed_staff, "/")
    assert "Staff &#39;Ken&#39;" in staff_header and "Aiko" not in staff_header
    assert "/staff/requests" in staff_header
    visitor_header = header_of(visitor, "/")
    assert "/login" in visitor_header and "/logout" not in visitor_header and "Ken" not in visitor_header


def test_each_request_gets_its_own_token_and_return_address(app, client, create_user):
    member = create_user()
    first, second = app.test_client(), app.test_client()
    first.login(member.email)
    second.login(member.email)
    one, two = header_of(first, "/events"), header_of(second, "/?page=2")
    tokens_one, tokens_two = CSRF_RE.findall(one), CSRF_RE.findall(two)
    assert len(tokens_one) == len(tokens_two) == 2  # sign out and the language switch
    assert set(tokens_one).isdisjoint(tokens_two)  # two sessions, two tokens
    assert 'name="next" value="/events?"' in one and 'name="next" value="/?page=2"' in two


def test_the_language_and_the_script_root_are_part_of_the_key(app, client, create_user):
    member = create_user(locale="ja")
    client.login(member.email)
    japanese = header_of(client, "/")
    assert "予約" in japanese and 'lang="en">English' in japanese
    client.submit("/language", {"locale": "en", "next": "/"})
    english = header_of(client, "/")
    assert "My bookings" in english and 'lang="ja">日本語' in english
    assert "予約" not in english
    mounted = header_of(client, "/", environ_overrides={"SCRIPT_NAME": "/booking"})
    assert 'href="/booking/bookings"' in mounted or 'href="/booking/bookings/"' in mounted
    assert 'href="/bookings' in header_of(client, "/")
