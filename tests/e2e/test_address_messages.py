"""Issue 16: an address with a date that is no date opens the space's week on a 320 px phone,
its message above the grid, readable without scrolling the page sideways."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

NARROW = {"width": 320, "height": 640}


@pytest.mark.parametrize("week", ["2026-02-30", "2026-13-01", "x" * 300])
def test_a_week_that_is_no_date_shows_its_message_above_the_grid_at_320_px(
        new_page: Callable[..., Page], create_space, week):
    create_space(slug="studio", name_ja="映像スタジオ（収録・配信）", name_en="Video studio")
    page = new_page(viewport=NARROW)
    response = page.goto(f"/spaces/studio?week={week}")
    assert response is not None and response.status == 200
    message = page.locator("p.flash[role=status]")
    expect(message).to_contain_text("読み取れなかったため、通常の日付を表示しています。")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_be_visible()
    assert message.bounding_box()["y"] < heading.bounding_box()["y"]
    box = message.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the page is {width} px wide at 320 px"
