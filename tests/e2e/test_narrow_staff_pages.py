"""At 320 px the staff calendar, member list and request queue never scroll as a whole page.

Wide tables scroll inside their own container (`.grid-wrap`, as the public week grid does) and
long values in a request's details wrap, so `documentElement.scrollWidth` stays at the viewport.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import next_week_day, sign_in, tokyo

pytestmark = pytest.mark.e2e

NARROW = {"width": 320, "height": 640}


def test_staff_pages_fit_a_320_px_screen_with_bookings_present(
    new_page: Callable[..., Page], create_space, create_user, create_booking
):
    studio = create_space(name_ja="映像スタジオ（収録・配信）", name_en="Video studio", requires_approval=True)
    hall = create_space(name_ja="イベントホール", name_en="Event hall")
    desks = create_space(name_ja="ホットデスク", name_en="Hot desks", kind="pooled", unit_count=24)
    member = create_user(name="山田 花子", organisation="サンプル放送株式会社 地域情報番組制作部",
                         email="hanako.yamada.long-address@broadcast-sample.example.jp")
    staff = create_user(role="staff", name="佐藤 スタッフ")
    thursday = next_week_day(3)
    create_booking(studio, member, tokyo(thursday, 10), tokyo(thursday, 12), status="pending",
                   title="地域の情報番組の収録と生配信のリハーサル", purpose="https://example.jp/" + "a" * 60)
    create_booking(hall, member, tokyo(thursday, 13), tokyo(thursday, 15), title="説明会")
    create_booking(desks, member, tokyo(thursday, 9), tokyo(thursday, 18), units=(1, 2), title="作業")

    page = new_page(viewport=NARROW)
    sign_in(page, staff.email)
    for path, content in (
        (f"/staff/calendar?day={thursday.isoformat()}", "table.week.staff-calendar"),
        (f"/staff/calendar?week={thursday.isoformat()}&view=week", "table.week.staff-calendar"),
        ("/staff/members", "table.bookings"),
        ("/staff/requests", "section.request dl.details dd"),
    ):
        page.goto(path)
        expect(page.locator(content).first).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} is {width} px wide at 320 px"


def test_staff_day_view_names_its_date_once(new_page: Callable[..., Page], create_space, create_user):
    create_space()
    staff = create_user(role="staff")
    thursday = next_week_day(3)
    page = new_page()
    sign_in(page, staff.email)
    page.goto(f"/staff/calendar?day={thursday.isoformat()}")
    heading = page.get_by_role("heading", level=1)
    label = f"{thursday.year}年{thursday.month}月{thursday.day}日(木)"
    expect(heading).to_have_text(f"{label}のカレンダー")


def test_a_refused_event_form_says_each_problem_beside_its_field_at_320_px(
    new_page: Callable[..., Page], create_space, create_user, create_booking
):
    """Break-it pass 2026-12-01, second round, item 2: a closing after the event is said beside the closing
    day (and linked from the summary), not in a box of its own; the page still fits 320 px."""
    hall = create_space(name_ja="イベントホール", name_en="Event hall", max_people=80)
    thursday = next_week_day(3)
    booking = create_booking(hall, create_user(), tokyo(thursday, 17), tokyo(thursday, 18), title="説明会")

    page = new_page(viewport=NARROW)
    sign_in(page, create_user(role="staff").email)
    page.goto(f"/bookings/{booking.id}/event")
    page.locator("#capacity").fill("30")
    page.locator("#closes_time").fill("23:00")
    page.locator("main form.event-form button[type=submit]").click()

    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary a[href='#closes_day']")).to_have_count(1)
    expect(page.locator("#closes_day")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#closes_day-errors")).to_be_visible()
    expect(page.locator("main .errors")).to_have_count(0)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the refused event form is {width} px wide at 320 px"
