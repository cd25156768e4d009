"""At 320 px a refused registration's kept input looks read only (break-it pass 2026-12-01: its disabled
fields kept the live fields' white well and solid border): a grey well, a dashed border, muted text; the
reason is said once, as the alert the focus lands on, and the page fits the phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import future_day
from tests.e2e.conftest import screenshot
from tests.events.factories import make_event
from tests.events.test_registration_window import set_window

pytestmark = pytest.mark.e2e

NARROW = {"width": 320, "height": 640}
LOOK = """el => { const s = getComputedStyle(el);
  return [s.backgroundColor, s.borderTopStyle, s.color, s.cursor]; }"""


def test_a_refused_registrations_kept_input_looks_read_only_at_320_px(
        new_page: Callable[..., Page], create_space, create_user):
    hall = create_space(slug="hall", max_people=80)
    start = future_day(10) + timedelta(hours=8)
    event = make_event(hall, create_user(role="staff"), start, start + timedelta(hours=1), capacity=3)
    page = new_page(viewport=NARROW)
    page.goto(f"/events/{event.id}")
    page.get_by_label("氏名").fill("川口 太郎")
    page.get_by_label("メールアドレス").fill("taro@example.jp")
    page.get_by_label("個人情報の取扱いに同意します。").check()
    live = page.locator("#email").evaluate(LOOK)
    closed = datetime.now(UTC) - timedelta(minutes=5)
    set_window(event.id, closed - timedelta(days=10), closed)  # closes while the visitor types

    with page.expect_navigation():
        page.get_by_role("button", name="参加を申し込む").click()

    kept = page.locator("fieldset.kept-input #email")
    expect(kept).to_be_disabled()
    expect(kept).to_have_value("taro@example.jp")
    looks = kept.evaluate(LOOK)
    assert live[:2] == ["rgb(255, 255, 255)", "solid"]
    assert looks[0] != live[0] and looks[1] == "dashed" and looks[2] != live[2] and looks[3] == "not-allowed"
    assert page.locator("fieldset.kept-input select").evaluate(LOOK)[1] == "dashed"
    expect(page.locator("#registration-closed")).to_be_focused()
    expect(page.get_by_role("alert")).to_have_count(1)
    expect(page.locator("#error-summary")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, "refused-registration-read-only")
