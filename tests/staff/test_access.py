"""Every staff URL, walked as visitor, member, staff and admin.

The URLs come from the app's URL map, so a staff page added later is checked
without anybody remembering to add it here.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, Closure, HolidayOpening, User
from tests.conftest import future_day

STAFF_BLUEPRINTS = ("staff.", "staff_admin.", "reports.")
# Changing roles and accounts is for admins: staff get 403 there too.
ADMIN_ONLY = {"staff_admin.change_role", "staff_admin.set_enabled", "staff_admin.deactivate"}


def staff_urls(app, booking, admin_only=None):
    """(method, url) for every rule of the staff blueprints, filled with real ids.

    A new URL argument fails here until the test learns a real value for it.
    `admin_only` True or False keeps only the admin-only URLs or only the others.
    """
    closure = Closure(space_id=booking.space_id, start_dt=booking.start_dt - timedelta(days=1),
                      end_dt=booking.start_dt - timedelta(hours=20), reason="Inspection")
    opening = HolidayOpening(space_id=booking.space_id, day_date=date(2030, 1, 1))
    db.session.add_all([closure, opening])
    db.session.commit()
    known = {"booking_id": booking.id, "slug": booking.space.slug, "space_id": booking.space_id,
             "closure_id": closure.id, "opening_id": opening.id, "user_id": booking.user_id,
             "action": "deactivate", "kind": "bookings", "file_format": "csv"}
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(STAFF_BLUEPRINTS):
            continue
        if admin_only is not None and (rule.endpoint in ADMIN_ONLY) != admin_only:
            continue
        assert rule.arguments <= set(known), f"teach the access test a value for {rule.arguments}"
        values = {name: known[name] for name in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return sorted(found, key=lambda pair: pair[1].endswith("/delete"))  # what a delete removes is used first


def status_of(booking_id):
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def nothing_changed(booking):
    """The booking, its member's account and the test's closure are as they were."""
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "pending"
    member = db.session.get(User, booking.user_id)
    assert member.is_enabled and member.role == "member"
    assert db.session.query(Closure).count() == 1
    assert db.session.query(HolidayOpening).count() == 1


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
    assert ("GET", "/staff/spaces") in urls
    assert ("POST", "/staff/spaces/new") in urls
    assert ("POST", f"/staff/spaces/{pending.space_id}/edit") in urls
    assert ("POST", f"/staff/spaces/{pending.space_id}/hours") in urls
    assert ("GET", "/staff/closures") in urls
    assert ("GET", "/staff/members") in urls
    assert ("POST", f"/staff/members/{pending.user_id}/deactivate") in urls
    assert ("GET", "/staff/calendar") in urls
    assert ("GET", "/staff/attention") in urls


def test_visitors_are_sent_to_sign_in_from_every_staff_url(app, client, pending):
    for method, url in staff_urls(app, pending):
        response = client.get(url) if method == "GET" else client.submit(url, {"note": "x"})
        assert response.status_code == 302, (method, url)
        assert "/login" in response.headers["Location"], (method, url)
    nothing_changed(pending)


def test_members_get_forbidden_on_every_staff_url_and_nothing_changes(app, client, create_user, pending):
    member = create_user()
    client.login(member.email)
    for method, url in staff_urls(app, pending):
        response = client.get(url) if method == "GET" else client.submit(url, {"note": "No."})
        assert response.status_code == 403, (method, url)
        assert "permission" in response.get_data(as_text=True).lower() or "権限" in response.get_data(
            as_text=True), (method, url)
    nothing_changed(pending)


def test_staff_get_forbidden_on_every_admin_only_url_and_nothing_changes(app, client, create_user, pending):
    client.login(create_user(role="staff").email)
    urls = staff_urls(app, pending, admin_only=True)
    assert urls
    for method, url in urls:
        response = client.submit(url, {"role": "admin"})
        assert response.status_code == 403, (method, url)
    nothing_changed(pending)


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_can_open_every_staff_page(app, client, create_user, pending, role):
    client.login(create_user(role=role).email)
    for method, url in staff_urls(app, pending, admin_only=False if role == "staff" else None):
        if method != "GET":
            continue
        response = client.get(url)
        assert response.status_code in (200, 302), (method, url)


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_may_post_to_every_staff_url(app, client, create_user, pending, role):
    client.login(create_user(role=role).email)
    for method, url in staff_urls(app, pending, admin_only=False if role == "staff" else None):
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
