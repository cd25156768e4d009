"""The usage figures page in a real browser: filter by month, see a chart with its text alternative, at 320 px."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
TOKYO = ZoneInfo("Asia/Tokyo")


def test_staff_open_the_figures_and_read_the_occupancy_chart(new_page, create_space, create_user, create_booking):
    space = create_space(hours={d: ((time(9), time(18)),) for d in range(7)})
    member = create_user()
    create_booking(space, member, datetime(2026, 6, 1, 9, tzinfo=TOKYO), datetime(2026, 6, 1, 18, tzinfo=TOKYO))
    staff = create_user(role="staff")
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, staff.email)
    page.goto("/staff/reports")
    page.get_by_label("年（年度の場合は開始する4月の年）").fill("2026")
    page.get_by_label("月", exact=True).fill("6")
    page.get_by_role("button", name="表示").click()
    chart = page.get_by_role("img", name="スペースごとの稼働率")
    expect(chart).to_be_visible()
    # 9 booked hours of 30 × 9 open hours: 3.3 %.
    expect(chart.locator("desc")).to_have_text(f"{space.name_ja}: 3.3%")
    table = page.get_by_role("table", name="スペースごとの予約件数・時間数・稼働率")
    row = table.get_by_role("row", name=space.name_ja)
    expect(row).to_contain_text("3.3")


def test_a_wrong_filter_shows_the_page_with_its_summary_below_the_heading_at_320_px(new_page, create_user):
    """Break-it report 16, item 4: month=13 was a 400 with the summary above the staff menu."""
    staff = create_user(role="staff")
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, staff.email)
    response = page.goto("/staff/reports?period=month&year=2026&month=13")
    assert response is not None and response.status == 200
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    heading_box = page.get_by_role("heading", level=1).bounding_box()
    menu_box = page.locator("nav.staff-menu").bounding_box()
    summary_box = summary.bounding_box()
    assert heading_box and menu_box and summary_box
    assert menu_box["y"] < heading_box["y"] < summary_box["y"]
    expect(page.get_by_label("月", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("table")).to_have_count(0)
