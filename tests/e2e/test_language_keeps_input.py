"""Switching the language after a refused form, with the keyboard at 320 px: the typed values stay,
the messages come in the new language, and nothing is written (booking.views.language)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Registration
from tests.conftest import future_day
from tests.events.factories import make_event

pytestmark = pytest.mark.e2e

NARROW = {"width": 320, "height": 640}


def test_a_visitor_switches_to_english_after_a_refused_registration_and_keeps_name_and_email(
        new_page: Callable[..., Page], create_space, create_user):
    hall = create_space(slug="hall")
    start = future_day(10) + timedelta(hours=8)
    event = make_event(hall, create_user(role="staff"), start, start + timedelta(hours=1, minutes=45), capacity=3)
    page = new_page(viewport=NARROW)
    page.goto(f"/events/{event.id}")

    page.get_by_label("氏名").fill("川口 太郎")
    page.get_by_label("メールアドレス").fill("taro@example.jp")
    with page.expect_navigation():  # consent left out: refused
        page.get_by_label("メールアドレス").press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()

    switch = page.get_by_role("button", name="English")
    switch.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).not_to_contain_text("同意")
    expect(page.get_by_label("Name", exact=True)).to_have_value("川口 太郎")
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("taro@example.jp")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0

    with page.expect_navigation():
        page.get_by_role("button", name="日本語").press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_label("氏名")).to_have_value("川口 太郎")
