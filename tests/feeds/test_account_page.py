"""Where members find, copy and renew their feed addresses, and subscribe to spaces."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD

# "8–24 hours" in English, "8～24時間" in Japanese: Google's refresh delay is spelled out.
GOOGLE_DELAY = re.compile(r"8\s*[–～-]\s*24")
FEED_URL = re.compile(r'>(https?://[^"<]+/feeds/([A-Za-z0-9_-]+)/bookings\.ics)</textarea>')


def _feed_address(page: str) -> tuple[str, str]:
    match = FEED_URL.search(page)
    assert match, "no feed address on the page"
    return match.group(1), match.group(2)


def test_a_member_creates_a_feed_address_and_sees_it_with_a_webcal_link(client, member):
    client.login(member.email, PASSWORD)
    assert "/feeds/" not in client.get("/account").get_data(as_text=True)

    response = client.submit("/account/feed-token", {"kind": "member"}, follow_redirects=True)

    page = response.get_data(as_text=True)
    url, token = _feed_address(page)
    assert f'href="webcal://{url.split("://", 1)[1]}"' in page
    assert "Google" in page and "Outlook" in page and "Apple" in page
    assert GOOGLE_DELAY.search(page)
    assert client.get(f"/feeds/{token}/bookings.ics").status_code == 200


def test_the_address_stays_on_the_account_page(client, member):
    client.login(member.email, PASSWORD)
    client.submit("/account/feed-token", {"kind": "member"})

    first = _feed_address(client.get("/account").get_data(as_text=True))
    second = _feed_address(client.get("/account").get_data(as_text=True))

    assert first == second


def test_regenerating_on_the_account_page_revokes_the_old_address(client, member):
    client.login(member.email, PASSWORD)
    client.submit("/account/feed-token", {"kind": "member"})
    _, old = _feed_address(client.get("/account").get_data(as_text=True))

    page = client.submit("/account/feed-token", {"kind": "member"}, follow_redirects=True).get_data(as_text=True)

    _, new = _feed_address(page)
    assert new != old
    assert client.get(f"/feeds/{old}/bookings.ics").status_code == 404
    assert client.get(f"/feeds/{new}/bookings.ics").status_code == 200


def test_regenerating_without_the_form_token_is_refused(client, member):
    client.login(member.email, PASSWORD)
    client.submit("/account/feed-token", {"kind": "member"})
    _, token = _feed_address(client.get("/account").get_data(as_text=True))

    response = client.post("/account/feed-token", data={"kind": "member"})

    assert response.status_code == 400
    assert client.get(f"/feeds/{token}/bookings.ics").status_code == 200


def test_a_member_cannot_make_a_staff_feed(client, member):
    client.login(member.email, PASSWORD)

    response = client.submit("/account/feed-token", {"kind": "staff"})

    assert response.status_code == 404
    assert "staff.ics" not in client.get("/account").get_data(as_text=True)


def test_staff_see_staff_feed_addresses_for_all_and_each_space(client, create_user, space):
    staff = create_user(role="staff")
    client.login(staff.email, PASSWORD)

    page = client.submit("/account/feed-token", {"kind": "staff"}, follow_redirects=True).get_data(as_text=True)

    assert re.search(r"/feeds/[A-Za-z0-9_-]+/staff\.ics", page)
    assert re.search(r"/feeds/[A-Za-z0-9_-]+/staff/studio\.ics", page)


def test_the_account_page_needs_sign_in(client):
    response = client.get("/account")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_nav_links_to_the_account_page(client, member):
    client.login(member.email, PASSWORD)

    assert 'href="/account"' in client.get("/").get_data(as_text=True)


def test_a_space_page_offers_to_subscribe_to_its_feed(client, space):
    page = client.get("/spaces/studio").get_data(as_text=True)

    assert 'href="webcal://localhost/spaces/studio/calendar.ics"' in page
    assert '>http://localhost/spaces/studio/calendar.ics</textarea>' in page  # full width, read-only
    assert GOOGLE_DELAY.search(page)
