"""In the browser: a member changes a booking (refused with hints, then moved); an admin deactivates a member."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from booking.extensions import db
from booking.models import Booking
from tests.conftest import PASSWORD, shown_day
from tests.e2e.conftest import next_week_day, sign_in, slot, tokyo

pytestmark = pytest.mark.e2e


def test_a_member_changes_a_booking_after_a_refusal_that_names_free_starts_both_ways(
        page: Page, create_space, create_user, create_booking):
    studio = create_space(name_ja="スタジオ", name_en="Studio")
    member = create_user(locale="en")
    tuesday = next_week_day(1)
    booking = create_booking(studio, member, tokyo(tuesday, 10), tokyo(tuesday, 11), title="Podcast")
    create_booking(studio, create_user(), tokyo(tuesday, 13), tokyo(tuesday, 15), title="Other")
    booking_id, uid, slug = booking.id, booking.uid, studio.slug

    sign_in(page, member.email)
    page.goto(f"/bookings/{booking_id}")
    page.get_by_role("link", name="Change this booking").click()
    expect(page.get_by_label("Start", exact=True)).to_have_value("10:00")
    page.get_by_label("Start", exact=True).fill("14:00")
    page.get_by_label("End", exact=True).fill("15:00")
    page.get_by_label("Title", exact=True).fill("Podcast, longer")
    page.get_by_role("button", name="Save the change").click()

    alert = page.locator("#error-summary")  # a refusal of no field: said there only
    expect(alert).to_contain_text("overlaps another booking")
    expect(alert).to_contain_text("Free starts that day: 12:00 (earlier) or 15:00 (later).")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Podcast, longer")  # input kept

    page.get_by_label("Start", exact=True).fill("15:00")
    page.get_by_label("End", exact=True).press("Control+a")
    page.get_by_label("End", exact=True).fill("17:00")
    page.get_by_role("button", name="Save the change").click()

    expect(page.get_by_role("status")).to_have_text("Your booking was changed.")
    expect(page.get_by_role("main")).to_contain_text(f"{shown_day(tuesday, 'en')}, 15:00–17:00")
    expect(page.get_by_role("heading", name="Podcast, longer")).to_be_visible()
    page.goto(f"/spaces/{slug}?week={tuesday.isoformat()}")
    expect(slot(page, tuesday, 10)).to_have_attribute("data-state", "free")
    expect(slot(page, tuesday, 16)).to_have_attribute("data-state", "mine")
    db.session.rollback()
    moved = db.session.get(Booking, booking_id)
    assert moved.uid == uid and moved.sequence >= 1


def test_an_admin_deactivates_a_member_cancelling_the_future_bookings_and_the_member_is_told(
        new_page: Callable[..., Page], create_space, create_user, create_booking):
    studio = create_space(name_ja="スタジオ", name_en="Studio")
    admin = create_user(role="admin", locale="en", name="Admin Abe")
    leaving = create_user(locale="en", name="Leaving Lee", email="lee@example.jp")
    wednesday = next_week_day(2)
    booking = create_booking(studio, leaving, tokyo(wednesday, 10), tokyo(wednesday, 11), title="Workshop")
    booking_id, leaving_id = booking.id, leaving.id

    staff_page = new_page()
    sign_in(staff_page, admin.email)
    staff_page.goto(f"/staff/members/{leaving_id}")
    # Deactivating asks once more on its own page, which says what will happen (issue 16).
    staff_page.get_by_role("link", name="Deactivate the account…").click()
    expect(staff_page.get_by_role("main")).to_contain_text("can no longer sign in")
    # The bookings stay unless the box is ticked, as the page says; ticking it asks for a message.
    expect(staff_page.get_by_label("Also cancel this member's future bookings")).not_to_be_checked()
    staff_page.get_by_label("Also cancel this member's future bookings").check()
    staff_page.get_by_role("button", name="Yes, deactivate the account").click()
    expect(staff_page.get_by_text("Write a message to the member.").first).to_be_visible()  # nothing written yet
    staff_page.get_by_label("Message to the member").fill("Your membership ended; thank you.")
    staff_page.get_by_role("button", name="Yes, deactivate the account").click()
    expect(staff_page.get_by_role("status").first).to_contain_text("The account was deactivated")
    expect(staff_page.get_by_role("main")).to_contain_text("1 booking was cancelled")
    db.session.rollback()
    assert db.session.get(Booking, booking_id).status == "cancelled"

    member_page = new_page()
    member_page.goto("/login")
    member_page.get_by_label("メールアドレス").fill("lee@example.jp")
    member_page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    member_page.get_by_role("main").get_by_role("button", name="ログイン").click()
    expect(member_page.get_by_role("main")).to_contain_text("このアカウントは無効化されています")
    member_page.get_by_label("パスワード", exact=True).fill("not the password")
    member_page.get_by_role("main").get_by_role("button", name="ログイン").click()
    expect(member_page.get_by_role("main")).not_to_contain_text("無効化")
