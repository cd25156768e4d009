"""Feed addresses of a deactivated or demoted account are revoked for good (ASVS V3.3.3 for feed tokens)."""

from __future__ import annotations

import pytest

from booking.services import feed_tokens


def feed(client, token: str, kind: str = "member") -> int:
    path = f"/feeds/{token}/bookings.ics" if kind == "member" else f"/feeds/{token}/staff.ics"
    return client.get(path).status_code


@pytest.mark.parametrize("role", ["member", "staff"])
def test_deactivation_revokes_every_feed_address_and_reactivation_brings_none_back(
        client, admin_client, create_user, role):
    user = create_user(role=role)
    kinds = ("member", "staff") if role == "staff" else ("member",)
    tokens = {kind: feed_tokens.renew_token(user, kind) for kind in kinds}
    assert all(feed(client, token, kind) == 200 for kind, token in tokens.items())

    admin_client.submit(f"/staff/members/{user.id}/deactivate")
    assert all(feed(client, token, kind) == 404 for kind, token in tokens.items())

    admin_client.submit(f"/staff/members/{user.id}/reactivate")
    assert all(feed(client, token, kind) == 404 for kind, token in tokens.items())
    assert feed_tokens.tokens_of(user) == dict.fromkeys(kinds)
    new = feed_tokens.renew_token(user, "member")
    assert new != tokens["member"] and feed(client, new) == 200


def test_demoting_staff_revokes_the_staff_feed_for_good_and_keeps_the_members_feed(
        client, admin_client, create_user):
    staff = create_user(role="staff")
    staff_token = feed_tokens.renew_token(staff, "staff")
    own_token = feed_tokens.renew_token(staff, "member")

    admin_client.submit(f"/staff/members/{staff.id}/role", {"role": "member"})
    assert feed(client, staff_token, "staff") == 404
    admin_client.submit(f"/staff/members/{staff.id}/role", {"role": "staff"})

    assert feed(client, staff_token, "staff") == 404
    assert feed(client, own_token) == 200
    assert feed_tokens.renew_token(staff, "staff") != staff_token


def test_an_admin_made_staff_keeps_the_staff_feed(client, admin_client, create_user):
    other_admin = create_user(role="admin")
    staff_token = feed_tokens.renew_token(other_admin, "staff")

    admin_client.submit(f"/staff/members/{other_admin.id}/role", {"role": "staff"})

    assert feed(client, staff_token, "staff") == 200
