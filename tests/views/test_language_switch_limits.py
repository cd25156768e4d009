"""A language switch after a refused form counts against no rate limit, and gets round none (bk21 item 1).

After one wrong password, pressing 日本語/English four times locked the member out: each replay
answered 422 (its password dropped), and booking.limits counts refused answers. Limits here are
low and counted in memory, so the test fails on the first extra count.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD, totp_code
from tests.views.test_language_switch import count, event, press_switch  # noqa: F401 (fixture)

LOW = {"RATELIMIT_SIGN_IN_ACCOUNT": "2 per minute", "RATELIMIT_SIGN_IN_ADDRESS": "2 per minute",
       "RATELIMIT_SECOND_FACTOR": "2 per minute", "RATELIMIT_ANONYMOUS_FORM": "2 per minute",
       "RATELIMIT_STORAGE_URI": "memory://"}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(LOW)


def test_switching_after_a_wrong_password_never_locks_the_member_out(client, create_user):
    member = create_user(email="member@example.jp")
    page = client.submit("/login", {"email": member.email, "password": "wrong guess"})
    assert page.status_code == 401
    for _ in range(5):
        switched = press_switch(client, page.get_data(as_text=True))
        assert switched.status_code == 422
        page = switched

    assert client.submit("/login", {"email": member.email, "password": PASSWORD}).status_code == 302


def test_switching_after_a_wrong_code_never_uses_up_the_second_factor(client, create_user):
    admin = create_user(email="admin@example.jp", role="admin")
    assert client.submit("/login", {"email": admin.email, "password": PASSWORD}).status_code == 302
    page = client.submit("/login/code", {"code": "000000"})
    assert page.status_code in (401, 422)
    for _ in range(4):
        page = press_switch(client, page.get_data(as_text=True))
        assert page.status_code == 422

    assert client.submit("/login/code", {"code": totp_code(admin.email)}).status_code == 302


def test_switching_after_a_refused_registration_never_uses_up_the_anonymous_form_limit(client, event):  # noqa: F811
    page = client.submit(f"/events/{event.id}/register", {"name": "山田 花子", "email": "hanako@example.jp"})
    assert page.status_code == 422
    for _ in range(4):
        page = press_switch(client, page.get_data(as_text=True))
        assert page.status_code == 422

    done = client.submit(f"/events/{event.id}/register", {
        "name": "山田 花子", "email": "hanako@example.jp", "organisation": "", "companions": "0",
        "org_kind": "individual", "consent": "y"})
    assert done.status_code in (302, 303)


def test_a_switch_is_no_way_round_a_limit_already_used_up(client, create_user):
    member = create_user(email="member@example.jp")
    for _ in range(2):
        page = client.submit("/login", {"email": member.email, "password": "wrong guess"})
    assert page.status_code == 401
    assert client.submit("/login", {"email": member.email, "password": "wrong again"}).status_code == 429
    assert press_switch(client, page.get_data(as_text=True)).status_code == 429
