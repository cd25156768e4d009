"""Registering is rate-limited like the other public forms, and the mail to one address is capped."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config():
    return {"RATELIMIT_ANONYMOUS_FORM": "5 per minute", "RATELIMIT_MAIL_PER_ACCOUNT": "2 per hour"}


def register(client, event, email, address="203.0.113.7"):
    return client.submit(f"/events/{event.id}/register", {
        "name": "Visitor", "email": email, "org_kind": "individual", "companions": "0", "consent": "y"},
        environ_base={"REMOTE_ADDR": address}).status_code


def test_one_client_address_meets_the_public_form_limit(client, kick_off):
    assert [register(client, kick_off, f"v{n}@example.jp") for n in range(6)] == [302] * 5 + [429]


def test_registering_one_address_again_and_again_mails_it_only_a_few_times(client, kick_off):
    codes = [register(client, kick_off, "same@example.jp", address=f"198.51.100.{n}") for n in range(3)]
    assert codes == [302, 302, 429]
