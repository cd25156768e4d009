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
