"""A member books from a space's week grid, as in a browser."""

from __future__ import annotations

import re
from datetime import time

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import shown_day
from tests.e2e.conftest import next_week_day, screenshot, show_week_of, sign_in, slot, tokyo

pytestmark = pytest.mark.e2e


def detail(page: Page, term: str):
    """The value next to a term on the booking page."""
    return page.locator("dl.details dt", has_text=term).locator("xpath=following-sibling::dd[1]")


def open_next_week(page: Page, space_name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Spaces").click()
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("link", name=space_name).first.click()
    # The space opens on the seven days from its first day with a free start, and its links step seven
    # days from there (bk16 1), so next week's Monday to Sunday are asked for by the first day shown.
    show_week_of(page, next_week_day(0), next_label="Next week")
    if not page.locator(f'table.week thead th[data-day="{next_week_day(0).isoformat()}"]:first-of-type').count():
        page.goto(f"{page.url.split('?')[0]}?week={next_week_day(0).isoformat()}")


def test_booking_desks_from_the_grid_confirms_them_and_shows_the_desk_numbers(
    page: Page, create_space, create_user
):
    create_space(kind="pooled", unit_count=4, name_ja="デスク", name_en="Desks")
    member = create_user(locale="en")
    wednesday = next_week_day(2)

    sign_in(page, member.email)
    open_next_week(page, "Desks")
    expect(page.locator("nav.weeks strong")).to_have_text(
        f"{shown_day(next_week_day(0), 'en')} to {shown_day(next_week_day(6), 'en')}")
    expect(slot(page, wednesday, 10)).to_have_attribute("data-state", "free")
    expect(slot(page, wednesday, 10)).to_contain_text("4 free")
    screenshot(page, "week-grid")
    slot(page, wednesday, 10).get_by_role("link").click()

    expect(page.get_by_role("heading", name="Book Desks")).to_be_visible()
    expect(page.get_by_label("Date", exact=True)).to_have_value(wednesday.isoformat())
    expect(page.get_by_label("Start", exact=True)).to_have_value("10:00")
    page.get_by_label("End", exact=True).fill("11:00")
    page.get_by_label("Desks", exact=True).fill("2")
    page.get_by_label("Title", exact=True).fill("Prototype sprint")
    screenshot(page, "booking-form")
    page.get_by_role("button", name="Book").click()

    expect(page.get_by_role("status")).to_have_text("Your booking is confirmed.")
    expect(page.get_by_role("heading", name="Prototype sprint")).to_be_visible()
    expect(detail(page, "Status")).to_have_text("Confirmed")
    expect(detail(page, "Desk numbers")).to_have_text("1, 2")
    expect(detail(page, "When")).to_contain_text(f"{shown_day(wednesday, 'en')}, 10:00–11:00")
    screenshot(page, "booking-detail")

    open_next_week(page, "Desks")
    expect(slot(page, wednesday, 10)).to_have_attribute("data-state", "mine")
    expect(slot(page, wednesday, 10, 30)).to_have_attribute("data-state", "mine")
    expect(slot(page, wednesday, 11)).to_have_attribute("data-state", "free")
    screenshot(page, "week-grid-mine")


def test_booking_a_space_that_needs_approval_shows_it_pending_and_holds_the_slot(
    page: Page, create_space, create_user
):
    create_space(name_ja="スタジオ", name_en="Studio", requires_approval=True, min_minutes=60)
    member = create_user(locale="en")
    thursday = next_week_day(3)

    sign_in(page, member.email)
    open_next_week(page, "Studio")
    slot(page, thursday, 14).get_by_role("link").click()
    expect(page.get_by_label("Start", exact=True)).to_have_value("14:00")
    expect(page.get_by_label("End", exact=True)).to_have_value("15:00")
    expect(page.get_by_role("main")).to_contain_text("Staff approve requests for this space.")
    page.get_by_label("Title", exact=True).fill("Programme recording")
    page.get_by_label("Purpose", exact=True).fill("Weekly TV programme")
    page.get_by_role("button", name="Send request").click()

    expect(page.get_by_role("status")).to_have_text("Your request was sent. Staff will review it.")
    expect(detail(page, "Status")).to_have_text("Pending approval")
    expect(detail(page, "Purpose")).to_have_text("Weekly TV programme")
    expect(page.locator("dl.details")).not_to_contain_text("Desks")

    open_next_week(page, "Studio")
    expect(slot(page, thursday, 14)).to_have_attribute("data-state", "mine")
    expect(slot(page, thursday, 14, 30)).to_have_attribute("data-state", "mine")


def test_an_overlapping_request_shows_why_and_keeps_the_typed_title_and_purpose(
    page: Page, create_space, create_user, create_booking
):
    hall = create_space(name_ja="ホール", name_en="Hall")
    other = create_user(locale="en")
    member = create_user(locale="en")
    tuesday = next_week_day(1)
    create_booking(hall, other, tokyo(tuesday, 10), tokyo(tuesday, 11), title="Someone else's talk")

    sign_in(page, member.email)
    open_next_week(page, "Hall")
    expect(slot(page, tuesday, 10)).to_have_attribute("data-state", "taken")
    expect(page.get_by_role("main")).not_to_contain_text("Someone else's talk")
    slot(page, tuesday, 9).get_by_role("link").click()
    page.get_by_label("End", exact=True).fill("10:30")
    page.get_by_label("Title", exact=True).fill("Open data <meet-up> & \"more\"")
    page.get_by_label("Purpose", exact=True).fill("Kick-off for the new data portal")
    page.get_by_role("button", name="Book").click()

    errors = page.locator("#error-summary")  # the one place a refusal of no field is said
    expect(errors).to_be_focused()
    expect(errors).to_contain_text("This could not be booked")
    expect(errors).to_contain_text("overlaps another booking")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Open data <meet-up> & \"more\"")
    expect(page.get_by_label("Purpose", exact=True)).to_have_value("Kick-off for the new data portal")
    expect(page.get_by_label("Start", exact=True)).to_have_value("09:00")
    expect(page.get_by_label("End", exact=True)).to_have_value("10:30")
    screenshot(page, "booking-refused")

    page.get_by_role("link", name="My bookings").click()
    expect(page.get_by_role("main")).to_contain_text("No upcoming bookings.")


def test_a_request_outside_opening_hours_is_refused_on_the_form(page: Page, create_space, create_user):
    create_space(name_ja="ホール", name_en="Hall", hours={d: ((time(9), time(18)),) for d in range(7)})
    member = create_user(locale="en")
    friday = next_week_day(4)

    sign_in(page, member.email)
    open_next_week(page, "Hall")
    slot(page, friday, 17).get_by_role("link").click()
    page.get_by_label("End", exact=True).fill("19:00")
    page.get_by_label("Title", exact=True).fill("Evening meet-up")
    page.get_by_role("button", name="Book").click()

    expect(page.locator("#error-summary")).to_contain_text(  # a refusal of no field: said in the summary
        f"On {shown_day(friday, 'en')} the space is open 09:00–18:00"
    )
    expect(page.locator("#error-summary")).not_to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
    expect(page.get_by_label("Title", exact=True)).to_have_value("Evening meet-up")
