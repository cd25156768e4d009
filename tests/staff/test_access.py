"""Every staff URL, walked as visitor, member, staff and admin.

The URLs come from the app's URL map, so a staff page added later is checked
without anybody remembering to add it here.
"""

from __future__ import annotations

import pytest

from booking.extensions import db
from booking.models import Booking
from tests.conftest import future_day


def staff_urls(app, booking):
    """(method, url) for every rule of the staff blueprint, filled with real ids.

    A new URL argument fails here until the test learns a real value for it.
    """
    known = {"booking_id": booking.id, "slug": booking.space.slug}
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff."):
            continue
        assert rule.arguments <= set(known), f"teach the access test a value for {rule.arguments}"
        values = {name: known[name] for name in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def status_of(booking_id):
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


@pytest.fixture
def pending(create_space, create_user, create_booking):
    space = create_space(requires_approval=True)
    member = create_user()
    start = future_day(5).replace(hour=2)
    return create_booking(space, member, start, start.replace(hour=3), status="pending")


def test_the_staff_blueprint_has_the_pages_the_workflow_needs(app, pending):
    urls = staff_urls(app, pending)
    assert ("GET", "/staff/requests") in urls
    assert ("POST", f"/staff/requests/{pending.id}/approve") in urls
    assert ("POST", f"/staff/requests/{pending.id}/reject") in urls
    assert ("GET", f"/staff/bookings/{pending.id}") in urls
    assert ("POST", f"/staff/spaces/{pending.space.slug}/book") in urls


def test_visitors_are_sent_to_sign_in_from_every_staff_url(app, client, pending):
    for method, url in staff_urls(app, pending):
        response = client.get(url) if method == "GET" else client.submit(url, {"note": "x"})
        assert response.status_code == 302, (method, url)
        assert "/login" in response.headers["Location"], (method, url)
    assert status_of(pending.id) == "pending"


def test_members_get_forbidden_on_every_staff_url_and_nothing_changes(app, client, create_user, pending):
    member = create_user()
    client.login(member.email)
    for method, url in staff_urls(app, pending):
        response = client.get(url) if method == "GET" else client.submit(url, {"note": "No."})
        assert response.status_code == 403, (method, url)
        assert "permission" in response.get_data(as_text=True).lower() or "権限" in response.get_data(
            as_text=True), (method, url)
    assert status_of(pending.id) == "pending"


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_can_open_every_staff_page(app, client, create_user, pending, role):
    client.login(create_user(role=role).email)
    for method, url in staff_urls(app, pending):
        if method != "GET":
            continue
        response = client.get(url)
        assert response.status_code in (200, 302), (method, url)


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_may_post_to_every_staff_url(app, client, create_user, pending, role):
    client.login(create_user(role=role).email)
    for method, url in staff_urls(app, pending):
        if method != "POST":
            continue
        response = client.submit(url, {"note": "Closed for a recording."})
        assert response.status_code in (302, 303, 409, 422), (method, url)


def test_the_staff_link_is_shown_to_staff_only(client, create_user):
    member = create_user()
    client.login(member.email)
    assert "/staff/requests" not in client.get("/bookings").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    client.login(create_user(role="staff").email)
    assert "/staff/requests" in client.get("/bookings").get_data(as_text=True)
