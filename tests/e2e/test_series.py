"""A member books a weekly series in the browser: preview, skip one date, book, cancel this and following.

The same journey at a desktop width and at 320 px, where no page of it may scroll sideways.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking
from tests.e2e.conftest import next_week_day, screenshot, sign_in, tokyo

pytestmark = pytest.mark.e2e


def fits(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide at {width} px"


@pytest.mark.parametrize("width", [1280, 320])
def test_create_preview_skip_book_then_cancel_this_and_following(
    new_page: Callable[..., Page], create_space, create_user, create_booking, width
):
    studio = create_space(name_ja="スタジオ", name_en="Studio")
    member = create_user(locale="en")
    monday = next_week_day(0, weeks_ahead=2)
    dates = [monday + timedelta(weeks=n) for n in range(5)]
    create_booking(studio, create_user(), tokyo(dates[3], 10), tokyo(dates[3], 12), title="Other recording")
    slug = studio.slug
    page = new_page(viewport={"width": width, "height": 800})

    sign_in(page, member.email)
    page.goto(f"/spaces/{slug}/book")
    page.get_by_role("link", name="Repeat: book the same time on several dates").click()
    page.get_by_label("First date").fill(monday.isoformat())
    page.get_by_label("Start", exact=True).fill("10:00")
    page.get_by_label("End", exact=True).fill("11:00")
    page.get_by_label("Title", exact=True).fill("Weekly recording")
    page.get_by_label("Monday").check()
    page.get_by_label("Number of dates").fill("5")
    fits(page, width)
    page.get_by_role("button", name="Preview").click()

    rows = page.locator("table.occurrences tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.nth(3)).to_contain_text("overlaps another booking")
    expect(page.get_by_label(f"Book {shown(dates[3])}")).not_to_be_checked()
    for day in (dates[0], dates[1], dates[2], dates[4]):
        expect(page.get_by_label(f"Book {shown(day)}")).to_be_checked()
    screenshot(page, f"series-preview-{width}")
    fits(page, width)
    page.get_by_label(f"Book {shown(dates[1])}").uncheck()  # skip one date
    page.get_by_role("button", name="Book the ticked dates").click()

    expect(page.get_by_role("status")).to_have_text("3 dates were booked.")
    fits(page, width)
    booked = page.get_by_role("main").get_by_role("row").filter(has_text="Weekly recording")
    expect(booked).to_have_count(3)
    for day in (dates[0], dates[2], dates[4]):
        expect(booked.filter(has_text=f"{shown(day)}, 10:00–11:00")).to_have_count(1)
    expect(booked.filter(has_text=shown(dates[1]))).to_have_count(0)

    booked.filter(has_text=shown(dates[2])).get_by_role("link", name="Weekly recording", exact=True).click()
    page.get_by_label("This date is part of a series. Cancel").select_option("following")
    page.get_by_role("button", name="Cancel dates").click()
    # The confirmation page names the dates and says they cannot be undone, before anything changes.
    expect(page.get_by_role("heading", name="Cancel these dates?")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_text("cannot be undone")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel these 2 dates").click()
    expect(page.get_by_role("status").first).to_have_text("2 dates were cancelled.")
    fits(page, width)

    db.session.rollback()
    rows_now = db.session.scalars(select(Booking).where(Booking.user_id == member.id).order_by(Booking.start_dt))
    assert [(b.start_dt.astimezone(tokyo(monday, 0).tzinfo).date(), b.status) for b in rows_now] == [
        (dates[0], "confirmed"), (dates[2], "cancelled"), (dates[4], "cancelled")]


def shown(day) -> str:
    """A day as My bookings shows it to an English member (issue 16): Mon 14 Dec 2026."""
    return f"{day:%a} {day.day} {day:%b %Y}"
