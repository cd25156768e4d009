"""In the real browser: signing out on the laptop signs the phone out too; the message still shows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_signing_out_in_one_browser_ends_the_session_in_the_other(new_page, create_user):
    member = create_user(name="佐藤 一郎")
    laptop = new_page()
    phone = new_page(user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile Safari")
    for page in (laptop, phone):
        sign_in(page, member.email)
        page.goto("/bookings")
        expect(page.get_by_role("heading", level=1)).to_be_visible()

    laptop.get_by_role("button", name="ログアウト").click()

    # Clear-Site-Data ("cache", "storage") leaves the cookie that carries this message alone.
    expect(laptop.get_by_role("status")).to_contain_text("ログアウトしました")
    phone.goto("/bookings")
    expect(phone).to_have_url(re.compile(r"/login\?next="))
    expect(phone.get_by_role("button", name="ログアウト")).to_have_count(0)
