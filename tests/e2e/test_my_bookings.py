"""A member sees and cancels own bookings; the grid works without JavaScript."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import shown_day
from tests.e2e.conftest import next_week_day, show_week_of, sign_in, slot, tokyo

pytestmark = pytest.mark.e2e


def test_cancelling_from_my_bookings_marks_it_cancelled_and_frees_the_slot(
    page: Page, create_space, create_user, create_booking
):
    studio = create_space(name_ja="スタジオ", name_en="Studio")
    member = create_user(locale="en")
    monday, tuesday = next_week_day(0), next_week_day(1)
    create_booking(studio, member, tokyo(monday, 13), tokyo(monday, 14), title="Interview recording")
    create_booking(studio, member, tokyo(tuesday, 15), tokyo(tuesday, 16), title="Live rehearsal")
    studio_slug = studio.slug

    sign_in(page, member.email)
    page.get_by_role("link", name="My bookings").click()
    rows = page.get_by_role("main").get_by_role("row")
    expect(rows.filter(has_text="Interview recording")).to_contain_text(f"{shown_day(monday, 'en')}, 13:00–14:00")
    rehearsal = rows.filter(has_text="Live rehearsal")
    expect(rehearsal).to_contain_text(f"{shown_day(tuesday, 'en')}, 15:00–16:00")
    expect(rehearsal).to_contain_text("Confirmed")

    # Cancelling asks once more and says what will happen; then it can be undone for a while (issue 16).
    rehearsal.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Cancel this booking?")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("the time becomes free for others")
    page.get_by_role("button", name="Yes, cancel this booking").click()
    expect(page.get_by_role("status")).to_have_count(1)  # one message, beside its undo button
    expect(page.get_by_role("status")).to_contain_text("You cancelled “Live rehearsal”")
    expect(rehearsal).to_contain_text("Cancelled")
    expect(rehearsal.get_by_role("link", name="Cancel")).to_have_count(0)
    page.get_by_role("button", name="Undo the cancellation").click()
    expect(page.get_by_role("status")).to_have_text("The cancellation was undone; your booking is back.")
    page.get_by_role("link", name="My bookings", exact=True).click()
    expect(rehearsal).to_contain_text("Confirmed")
    rehearsal.get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Yes, cancel this booking").click()
    expect(rehearsal).to_contain_text("Cancelled")
    expect(rows.filter(has_text="Interview recording")).to_contain_text("Confirmed")

    page.goto(f"/spaces/{studio_slug}?week={monday.isoformat()}")
    expect(slot(page, tuesday, 15)).to_have_attribute("data-state", "free")
    expect(slot(page, tuesday, 15, 30)).to_have_attribute("data-state", "free")
    expect(slot(page, monday, 13)).to_have_attribute("data-state", "mine")


def test_the_week_grid_books_without_javascript(new_page: Callable[..., Page], create_space, create_user):
    create_space(kind="pooled", unit_count=3, name_ja="デスク", name_en="Desks", min_minutes=60)
    member = create_user(locale="en")
    wednesday = next_week_day(2, weeks_ahead=2)
    page = new_page(java_script_enabled=False)

    sign_in(page, member.email)
    page.get_by_role("navigation").get_by_role("link", name="Spaces").click()
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("link", name="Desks").first.click()
    show_week_of(page, wednesday, next_label="Next week")
    expect(slot(page, wednesday, 16)).to_contain_text("3 free")
    slot(page, wednesday, 16).get_by_role("link").click()

    expect(page.get_by_label("Date", exact=True)).to_have_value(wednesday.isoformat())
    expect(page.get_by_label("Start", exact=True)).to_have_value("16:00")
    expect(page.get_by_label("End", exact=True)).to_have_value("17:00")
    page.get_by_label("Title", exact=True).fill("Data analysis")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("status")).to_have_text("Your booking is confirmed.")
    expect(page.get_by_role("main")).to_contain_text("Confirmed")

    page.get_by_role("link", name="All my bookings").click()
    expect(page.get_by_role("main").get_by_role("row").filter(has_text="Data analysis")).to_contain_text(
        f"{shown_day(wednesday, 'en')}, 16:00–17:00"
    )
