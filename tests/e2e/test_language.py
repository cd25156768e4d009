"""A visitor reads the floor's spaces in Japanese and in English."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import shown_day

pytestmark = pytest.mark.e2e


def test_visitor_reads_the_spaces_in_japanese_then_english_then_japanese_again(page: Page, create_space):
    create_space(name_ja="映像スタジオ", name_en="Video studio",
                 description_ja="ガラス張りの配信スタジオです。", description_en="A glass-walled studio.")
    create_space(kind="pooled", unit_count=24, name_ja="ホットデスク", name_en="Hot desks",
                 description_ja="24席のフリーデスク。", description_en="Twenty-four hot desks.")

    page.goto("/")
    main = page.get_by_role("main")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(main.get_by_role("link", name="映像スタジオ")).to_be_visible()
    expect(main).to_contain_text("ガラス張りの配信スタジオです。")
    expect(main).to_contain_text("24席のフリーデスク。")
    expect(main.get_by_role("heading", name="スペース一覧")).to_be_visible()
    expect(main).to_contain_text("24席")
    expect(main.get_by_role("link", name="空き状況を見る")).to_have_count(2)
    expect(page.get_by_role("link", name="ログイン")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(main.get_by_role("heading", name="Spaces", exact=True)).to_be_visible()
    expect(main.get_by_role("link", name="Video studio")).to_be_visible()
    expect(main).to_contain_text("A glass-walled studio.")
    expect(main).to_contain_text("24 desks")
    expect(main).not_to_contain_text("映像スタジオ")
    expect(main.get_by_role("link", name="See availability")).to_have_count(2)
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    page.get_by_role("button", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(main.get_by_role("link", name="ホットデスク")).to_be_visible()
    expect(main).to_contain_text("24席のフリーデスク。")
    expect(main.get_by_role("heading", name="スペース一覧")).to_be_visible()
    expect(main).not_to_contain_text("Video studio")


def test_switching_language_on_a_week_grid_stays_on_the_same_week(page: Page, create_space):
    create_space(name_ja="映像スタジオ", name_en="Video studio")

    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="映像スタジオ").first.click()
    page.locator("a[rel=next]").click()
    week_heading = page.locator("nav.weeks strong")
    asked = date.fromisoformat(re.search(r"week=(\d{4}-\d{2}-\d{2})", page.url).group(1))
    last = asked + timedelta(days=6)  # the seven days from the day asked (bk16 1; its Monday before)

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Video studio")).to_be_visible()
    expect(week_heading).to_have_text(f"{shown_day(asked, 'en')} to {shown_day(last, 'en')}")
