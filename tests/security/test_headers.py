"""Response headers by kind of page (OWASP ASVS 4.0.3 V8.2.1, V14.4, V3.3.1 for logout)."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import ResponseCacheControl
from werkzeug.http import parse_cache_control_header

from booking.services import feed_tokens
from tests.conftest import future_day


def cache_control(response):
    return parse_cache_control_header(response.headers.get("Cache-Control"), cls=ResponseCacheControl)


@pytest.fixture
def floor(create_space, create_user, create_booking):
    space = create_space(slug="studio")
    member = create_user()
    staff = create_user(role="staff")
    start = future_day(5).replace(hour=1)
    booking = create_booking(space, member, start, start.replace(hour=2))
    return {"space": space, "member": member, "staff": staff, "booking": booking}


def test_every_page_for_a_signed_in_member_says_no_store(client, floor):
    client.login(floor["member"].email)
    booking = floor["booking"]
    pages = ["/", "/spaces/studio", "/spaces/studio/book", "/bookings", f"/bookings/{booking.id}",
             "/account", "/no-such-page", "/staff/requests"]
    for path in pages:
        response = client.get(path)
        assert response.mimetype == "text/html", path
        assert cache_control(response).no_store, path
    assert cache_control(client.submit("/language", {"locale": "en", "next": "/"})).no_store


def test_every_staff_page_says_no_store(client, floor):
    client.login(floor["staff"].email)
    for path in ["/staff/requests", f"/staff/bookings/{floor['booking'].id}", "/staff/members",
                 f"/staff/members/{floor['member'].id}", "/staff/spaces", "/staff/calendar"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert cache_control(response).no_store, path


def test_pages_for_visitors_are_not_marked_no_store(client, floor):
    for path in ["/", "/spaces/studio", "/login"]:
        assert not cache_control(client.get(path)).no_store, path


def test_private_feeds_stay_revalidatable_even_in_a_signed_in_browser(client, floor):
    token = feed_tokens.renew_token(floor["member"], "member")
    client.login(floor["member"].email)

    response = client.get(f"/feeds/{token}/bookings.ics")

    control = cache_control(response)
    assert response.status_code == 200
    assert control.private and control.no_cache and not control.no_store and not control.public


def test_the_public_feed_is_public_and_revalidated(client, floor):
    control = cache_control(client.get("/spaces/studio/calendar.ics"))
    assert control.public and control.no_cache and not control.private


def test_one_booking_as_a_file_is_private_and_not_stored(client, floor):
    client.login(floor["member"].email)
    control = cache_control(client.get(f"/bookings/{floor['booking'].id}/calendar.ics"))
    assert control.private and control.no_store


def test_logout_clears_the_browsers_cache_and_storage_but_not_other_sites_cookies(client, floor):
    client.login(floor["member"].email)
    response = client.submit("/logout")
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert cache_control(response).no_store


def test_hsts_is_sent_outside_debug_on_every_kind_of_response(client, floor):
    token = feed_tokens.renew_token(floor["member"], "member")
    for path in ["/", "/login", "/spaces/studio/calendar.ics", f"/feeds/{token}/bookings.ics", "/nowhere"]:
        assert client.get(path).headers["Strict-Transport-Security"] == "max-age=31536000", path


@pytest.mark.parametrize("app_config", [{"DEBUG": True}])
def test_no_hsts_in_debug_mode(client, app_config):
    assert "Strict-Transport-Security" not in client.get("/").headers
