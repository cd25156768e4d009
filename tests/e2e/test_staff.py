"""Staff use the approval queue, rejection notes and closures in a browser; members see the outcome."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import shown_day
from tests.e2e.conftest import next_week_day, show_week_of, sign_in, slot, tokyo

pytestmark = pytest.mark.e2e


def detail(page: Page, term: str):
    """The value next to a term on a booking page."""
    return page.locator("dl.details dt", has_text=term).locator("xpath=following-sibling::dd[1]")


def open_staff_page(page: Page, staff_label: str, menu_label: str | None = None) -> None:
    """From any page: the header's staff link, then (optionally) an entry of the staff menu."""
    page.get_by_role("banner").get_by_role("link", name=staff_label, exact=True).click()
    if menu_label:
        page.get_by_role("navigation", name="Staff menu").get_by_role("link", name=menu_label).click()


def test_staff_approve_a_studio_request_and_the_member_sees_it_confirmed(
    new_page: Callable[..., Page], create_space, create_user
):
    create_space(name_ja="スタジオ", name_en="Studio", requires_approval=True, min_minutes=60)
    member = create_user(name="山田 花子", organisation="サンプル放送")
    staff = create_user(role="staff", name="佐藤 スタッフ")
    thursday = next_week_day(3)

    member_page = new_page()
    sign_in(member_page, member.email)
    member_page.get_by_role("navigation").get_by_role("link", name="スペース一覧").click()
    with member_page.expect_navigation():
        member_page.get_by_role("main").get_by_role("link", name="スタジオ").first.click()
    show_week_of(member_page, thursday)
    slot(member_page, thursday, 14).get_by_role("link").click()
    member_page.get_by_label("件名", exact=True).fill("番組収録")
    member_page.get_by_label("利用目的", exact=True).fill("地域の情報番組")
    member_page.get_by_role("button", name="申請する").click()
    expect(member_page.get_by_role("status")).to_have_text("申請を受け付けました。スタッフが内容を確認いたします。")
    expect(detail(member_page, "状態")).to_have_text("承認待ち")

    staff_page = new_page()
    sign_in(staff_page, staff.email)
    open_staff_page(staff_page, "スタッフ")
    expect(staff_page.get_by_role("heading", name="承認待ちの申請")).to_be_visible()
    request = staff_page.locator("section.request").filter(has_text="番組収録")
    expect(request).to_have_count(1)
    expect(detail(request, "利用者")).to_contain_text("山田 花子（サンプル放送）")
    expect(detail(request, "利用者")).to_contain_text(member.email)
    expect(request).to_contain_text(f"{shown_day(thursday)} 14:00～15:00")
    expect(detail(request, "利用目的")).to_have_text("地域の情報番組")
    request.get_by_role("button", name="承認する").click()
    expect(staff_page.get_by_role("status")).to_have_text("申請を承認しました。")
    expect(staff_page.get_by_role("main")).to_contain_text("承認待ちの申請はありません。")

    member_page.reload()
    expect(detail(member_page, "状態")).to_have_text("確定")
    expect(member_page.locator("dl.details")).not_to_contain_text("スタッフからのメッセージ")


def test_staff_reject_a_request_with_a_note_the_member_reads(
    new_page: Callable[..., Page], create_space, create_user, create_booking
):
    studio = create_space(name_ja="スタジオ", name_en="Studio", requires_approval=True)
    member = create_user(locale="en", name="Hana Yamada")
    staff = create_user(role="staff", locale="en")
    friday = next_week_day(4)
    create_booking(studio, member, tokyo(friday, 10), tokyo(friday, 12), title="Podcast pilot", status="pending")
    note = 'The studio is being rewired that morning. <Try> the 13:00 slot & "Studio B"?'

    staff_page = new_page()
    sign_in(staff_page, staff.email)
    open_staff_page(staff_page, "Staff")
    request = staff_page.locator("section.request").filter(has_text="Podcast pilot")
    expect(detail(request, "Member")).to_contain_text("Hana Yamada")
    # Blank is not a note: the browser lets spaces through, the server asks again on its own page.
    # Rejecting asks once more on its own page, which says what will happen (issue 16).
    request.get_by_role("link", name="Reject…").click()
    expect(staff_page.get_by_role("heading", name="Reject a request")).to_be_visible()
    expect(staff_page.get_by_role("main")).to_contain_text("the member gets an e-mail with your note")
    staff_page.get_by_label("Note for the member").fill("   ")
    staff_page.get_by_role("button", name="Reject this request").click()
    expect(staff_page.get_by_role("alert")).to_have_text("Write a note for the member: why the request is rejected.")
    expect(staff_page.locator("#error-summary")).to_be_focused()
    staff_page.get_by_label("Note for the member").fill(note)
    staff_page.get_by_role("button", name="Reject this request").click()
    expect(staff_page.get_by_role("status")).to_have_text("The request was rejected; the member can read your note.")
    expect(staff_page.get_by_role("main")).to_contain_text("No requests are waiting.")

    member_page = new_page()
    sign_in(member_page, member.email)
    member_page.get_by_role("link", name="My bookings").click()
    row = member_page.get_by_role("main").get_by_role("row").filter(has_text="Podcast pilot")
    expect(row).to_contain_text("Rejected")
    row.get_by_role("link", name="Podcast pilot").click()
    expect(detail(member_page, "Status")).to_have_text("Rejected")
    expect(detail(member_page, "Note from the staff")).to_have_text(note)
    expect(member_page.get_by_role("button", name="Cancel this booking")).to_have_count(0)


def test_a_closure_lists_the_booking_it_hits_staff_cancel_it_and_the_grid_shows_it_closed(
    new_page: Callable[..., Page], create_space, create_user, create_booking
):
    create_space(name_ja="ホール", name_en="Other hall")
    hall = create_space(name_ja="イベントホール", name_en="Event hall")
    member = create_user(locale="en", name="Ken Suzuki")
    staff = create_user(role="staff", locale="en")
    tuesday = next_week_day(1)
    create_booking(hall, member, tokyo(tuesday, 10), tokyo(tuesday, 12), title="Hackathon kick-off")
    create_booking(hall, member, tokyo(tuesday, 15), tokyo(tuesday, 16), title="Afternoon debrief")
    hall_slug = hall.slug

    staff_page = new_page()
    sign_in(staff_page, staff.email)
    open_staff_page(staff_page, "Staff", "Closures")
    expect(staff_page.get_by_role("main")).to_contain_text("No closures are coming up.")
    staff_page.get_by_label("Space", exact=True).select_option(label="Event hall")
    staff_page.get_by_label("From (date)").fill(tuesday.isoformat())
    staff_page.get_by_label("From (time)").fill("09:00")
    staff_page.get_by_label("Until (date)").fill(tuesday.isoformat())
    staff_page.get_by_label("Until (time)").fill("13:00")
    staff_page.get_by_label("Reason (members see it)").fill("Floor maintenance")
    staff_page.get_by_role("button", name="Add the closure").click()

    expect(staff_page.get_by_role("status")).to_have_text("The closure was added.")
    expect(staff_page.get_by_role("heading", name="Bookings the closure hits")).to_be_visible()
    expect(staff_page.get_by_role("main")).to_contain_text(
        f"Event hall: {shown_day(tuesday, 'en')}, 09:00 – {shown_day(tuesday, 'en')}, 13:00 (Floor maintenance)"
    )
    hits = staff_page.locator("ul.hit li")
    expect(hits).to_have_count(1)
    expect(hits).to_contain_text(f"{shown_day(tuesday, 'en')}, 10:00–12:00")
    expect(hits).to_contain_text("Hackathon kick-off")
    expect(hits).to_contain_text("Ken Suzuki")
    expect(hits).to_contain_text("Confirmed")
    hits.get_by_role("checkbox").check()
    staff_page.get_by_label("Message to the members").fill("The hall floor is repaired that morning. Sorry!")
    staff_page.get_by_role("button", name="Cancel the chosen bookings and send the message").click()
    expect(staff_page.get_by_role("status")).to_have_text(
        "1 booking was cancelled; the members get your message."
    )
    expect(staff_page.get_by_role("main")).to_contain_text("No active booking is affected by this closure.")
    staff_page.get_by_role("link", name="Back to the closures").click()
    expect(staff_page.get_by_role("main").get_by_role("row").filter(has_text="Floor maintenance")).to_contain_text(
        "Event hall"
    )

    member_page = new_page()
    sign_in(member_page, member.email)
    member_page.get_by_role("link", name="My bookings").click()
    rows = member_page.get_by_role("main").get_by_role("row")
    expect(rows.filter(has_text="Afternoon debrief")).to_contain_text("Confirmed")
    kick_off = rows.filter(has_text="Hackathon kick-off")
    expect(kick_off).to_contain_text("Cancelled")
    expect(kick_off.get_by_role("button", name="Cancel")).to_have_count(0)
    kick_off.get_by_role("link", name="Hackathon kick-off").click()
    expect(detail(member_page, "Status")).to_have_text("Cancelled")

    member_page.goto(f"/spaces/{hall_slug}?week={next_week_day(0).isoformat()}")
    for hour, minute in ((9, 0), (10, 0), (11, 30), (12, 30)):
        expect(slot(member_page, tuesday, hour, minute)).to_have_attribute("data-state", "closed")
    expect(slot(member_page, tuesday, 13)).to_have_attribute("data-state", "free")
    expect(slot(member_page, tuesday, 15)).to_have_attribute("data-state", "mine")
    expect(slot(member_page, next_week_day(2), 10)).to_have_attribute("data-state", "free")


def test_a_member_opening_the_staff_pages_gets_the_403_page(page: Page, create_user):
    member = create_user(locale="en")

    sign_in(page, member.email)
    expect(page.get_by_role("banner").get_by_role("link", name="Staff", exact=True)).to_have_count(0)
    for path in ("/staff/requests", "/staff/closures"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("heading", name="Sorry")).to_be_visible()
        expect(page.locator(".error-message")).to_have_text("You do not have permission to open this page.")
        expect(page.get_by_role("main")).not_to_contain_text("Traceback")
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
