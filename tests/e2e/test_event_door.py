"""The door page on a phone (320 px): a typed code checks a party in, a name is found and
checked in with one tap, a check-in is undone, a walk-in counted; the page never scrolls sideways."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from booking.domain.checkin import display_code
from booking.extensions import db
from booking.models_attendance import AttendeePass
from tests.e2e.conftest import sign_in
from tests.events.running.conftest import create_event, register  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e

NARROW = {"width": 320, "height": 640}


def code_of(registration):
    return db.session.scalar(select(AttendeePass.code).where(AttendeePass.registration_id == registration.id))


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the door page is {width} px wide at 320 px"


def test_door_page_at_320_px_code_typed_name_search_one_tap_and_undo(
        new_page: Callable[..., Page], create_event, register, create_user):  # noqa: F811
    staff = create_user(role="staff")
    event = create_event(title_ja="4自治体サテライトオフィス合同キックオフ・ミートアップ")
    hanako = register(event, name="山田 花子", organisation="渋谷区サテライトオフィス", party_size=3)
    register(event, name="佐藤 一郎", organisation="株式会社サンプル")
    page = new_page(viewport=NARROW)
    sign_in(page, staff.email)
    page.goto(f"/staff/events/{event.id}/door")
    fits(page)

    # A typed code, as people read it out (lower case, no hyphen).
    page.get_by_label("受付コード").fill(code_of(hanako).lower())
    page.get_by_role("button", name="受付", exact=True).click()
    result = page.locator("#scan-result")
    expect(result).to_contain_text("受付済み")
    expect(result).to_contain_text("山田 花子")
    expect(page.locator("#count-checked-in")).to_have_text("3")
    fits(page)

    # The same code again: told, not counted twice.
    page.get_by_label("受付コード").fill(display_code(code_of(hanako)))
    page.get_by_role("button", name="受付", exact=True).click()
    expect(page.locator("#scan-result")).to_contain_text("受付済みです")
    expect(page.locator("#count-checked-in")).to_have_text("3")

    # Undo the scan from the banner.
    page.locator("#scan-result").get_by_role("button", name="取り消す").click()
    expect(page.locator("#count-checked-in")).to_have_text("0")

    # Find a name and check in with one tap, then undo from the list.
    page.get_by_label("名前で探す").fill("佐藤")
    page.get_by_role("button", name="検索").click()
    page.get_by_role("button", name="佐藤 一郎さんを受付").click()
    expect(page.locator("#count-checked-in")).to_have_text("1")
    fits(page)
    page.get_by_label("名前で探す").fill("佐藤")
    page.get_by_role("button", name="検索").click()
    page.get_by_role("button", name="佐藤 一郎さんの受付を取り消す").click()
    expect(page.locator("#count-checked-in")).to_have_text("0")

    # A walk-in, counted with one tap.
    page.get_by_role("button", name="当日参加 +1").click()
    expect(page.locator("#count-walk-ins")).to_have_text("1")
    fits(page)


def test_typing_a_name_while_the_door_page_loads_stays_in_the_name_field(
        new_page: Callable[..., Page], create_event, register, create_user):  # noqa: F811
    """door.js puts the focus on the code field once the page has loaded, unless the person is already
    in another field: their typing must not move to the code field halfway (CI, a search sent empty)."""
    staff = create_user(role="staff")
    event = create_event()
    register(event, name="佐藤 一郎")
    page = new_page(viewport=NARROW)
    sign_in(page, staff.email)
    held = []
    page.route("**/static/door.js*", lambda route: held.append(route))  # the script waits until the name is typed
    page.goto(f"/staff/events/{event.id}/door", wait_until="commit")
    search = page.get_by_label("名前で探す")
    search.click()
    page.keyboard.type("佐")
    page.wait_for_function("() => true")  # lets the route handler run
    assert held, "door.js was not requested"
    held[0].continue_()
    page.wait_for_load_state("load")
    page.keyboard.type("藤")
    expect(search).to_be_focused()
    expect(search).to_have_value("佐藤")
    expect(page.get_by_label("受付コード")).to_have_value("")
    page.get_by_role("button", name="検索").click()
    expect(page.get_by_role("button", name="佐藤 一郎さんを受付")).to_be_visible()


def test_the_door_page_puts_the_focus_on_the_code_field_when_nothing_else_has_it(
        new_page: Callable[..., Page], create_event, create_user):  # noqa: F811
    staff = create_user(role="staff")
    event = create_event()
    page = new_page(viewport=NARROW)
    sign_in(page, staff.email)
    page.goto(f"/staff/events/{event.id}/door")
    expect(page.get_by_label("受付コード")).to_be_focused()


def in_view(page: Page, selector: str) -> bool:
    """Whether the whole element is inside the window (not below the fold)."""
    return page.evaluate("""selector => { const box = document.querySelector(selector).getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight; }""", selector)


def test_a_name_search_puts_the_focus_on_its_results_in_view_and_a_check_in_keeps_the_search(
        new_page: Callable[..., Page], create_event, register, create_user):  # noqa: F811
    """Keyboard only at 320×640: after a name search the focus was on the code field (door.js) with the
    results below the fold, five Tabs from the first 受付; a check-in from the results lost the search."""
    staff = create_user(role="staff")
    event = create_event()
    register(event, name="佐藤 一郎", organisation="株式会社サンプル")
    register(event, name="佐藤 花子", organisation="株式会社サンプル")
    register(event, name="鈴木 次郎")
    page = new_page(viewport=NARROW)
    sign_in(page, staff.email)
    page.goto(f"/staff/events/{event.id}/door")
    expect(page.get_by_label("受付コード")).to_be_focused()  # the code flow as before
    page.get_by_label("名前で探す").focus()
    page.keyboard.press("Enter")  # an empty search: as before, too
    page.wait_for_url("**/door?q=")
    expect(page.get_by_label("受付コード")).to_be_focused()
    assert page.locator("#door-results-title").count() == 0

    page.get_by_label("名前で探す").focus()
    page.keyboard.type("佐藤")
    page.keyboard.press("Enter")
    page.wait_for_url("**/door?q=*")

    results = page.locator("#door-results-title")
    expect(results).to_be_focused()
    expect(results).to_have_text("「佐藤」の検索結果：2件")
    page.keyboard.press("Tab")
    first = page.get_by_role("button", name="佐藤 一郎さんを受付")
    expect(first).to_be_focused()
    assert in_view(page, "#door-results-title") and in_view(page, ".door-hit button")
    fits(page)

    page.keyboard.press("Enter")  # 受付 of the first result
    page.wait_for_url("**/door?*outcome=accepted*")
    assert "q=" in page.url
    banner = page.locator("#scan-result")
    expect(banner).to_be_focused()
    expect(banner).to_contain_text("受付済み")
    expect(banner).to_contain_text("佐藤 一郎")
    expect(page.get_by_label("名前で探す")).to_have_value("佐藤")
    expect(page.locator("#count-checked-in")).to_have_text("1")
    assert in_view(page, "#scan-result")
    # The next person of the group: past the banner's 取り消す, their 受付 (the first row is checked in).
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    second = page.get_by_role("button", name="佐藤 花子さんを受付")
    expect(second).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/door?*outcome=accepted*")
    expect(page.locator("#count-checked-in")).to_have_text("2")
    expect(page.get_by_label("名前で探す")).to_have_value("佐藤")
    fits(page)


def test_an_attendee_search_puts_the_focus_on_its_results_at_320_px(
        new_page: Callable[..., Page], create_event, register, create_user):  # noqa: F811
    staff = create_user(role="staff")
    event = create_event()
    register(event, name="佐藤 一郎", organisation="株式会社サンプル")
    register(event, name="鈴木 次郎")
    page = new_page(viewport=NARROW)
    sign_in(page, staff.email)
    page.goto(f"/staff/events/{event.id}/attendees")
    page.get_by_label("氏名・所属・メールアドレスで検索").focus()
    page.keyboard.type("佐藤")
    page.keyboard.press("Enter")
    page.wait_for_url("**/attendees?q=*")

    results = page.locator("#attendee-results-title")
    expect(results).to_be_focused()
    expect(results).to_have_text("「佐藤」の検索結果：1件")
    assert in_view(page, "#attendee-results-title")
    page.keyboard.press("Tab")  # the download of what was found
    expect(page.get_by_role("link", name="CSV")).to_be_focused()
    assert "q=" in page.get_by_role("link", name="CSV").get_attribute("href")


@pytest.mark.parametrize(("locale", "check_in_name", "undo_name", "undone", "checked_in"), [
    ("ja", "佐藤 00さんを受付", "佐藤 00さんの受付を取り消す", "受付を取り消しました。", "受付済み"),
    ("en", "Check in 佐藤 00", "Undo check-in of 佐藤 00", "The check-in was taken back.", "Checked in"),
])
def test_an_undo_from_the_results_is_confirmed_in_view_at_320_px_and_back_shows_no_false_check_in(
        new_page: Callable[..., Page], create_event, register, create_user,  # noqa: F811
        locale, check_in_name, undo_name, undone, checked_in):
    """The undo's confirmation was a message at the top of the page, 647 px above the window at 320×640
    with the focus on the results; Back to the check-in's page then said "Checked in" again."""
    staff = create_user(role="staff", locale=locale)
    event = create_event()
    register(event, name="佐藤 00", party_size=2)
    page = new_page(viewport=NARROW)
    sign_in(page, staff.email)
    page.goto(f"/staff/events/{event.id}/door?q=佐藤")
    page.get_by_role("button", name=check_in_name).click()
    page.wait_for_url("**/door?*outcome=accepted*")
    banner = page.locator("#scan-result")
    expect(banner).to_contain_text(checked_in)
    expect(banner.get_by_role("button", name=undo_name)).to_be_visible()  # the banner's Undo names the party

    page.locator(".door-hits").get_by_role("button", name=undo_name).click()
    page.wait_for_url("**/door?*outcome=undone*")
    expect(banner).to_be_focused()
    expect(banner).to_have_attribute("role", "status")
    expect(banner).to_contain_text(undone)
    expect(banner).to_contain_text("佐藤 00")
    assert in_view(page, "#scan-result")
    expect(page.locator(".flash")).to_have_count(0)
    expect(page.locator("#q")).to_have_value("佐藤")
    fits(page)

    page.go_back()
    page.wait_for_url("**/door?*outcome=accepted*")
    expect(banner).to_contain_text(undone)
    expect(banner).not_to_contain_text(checked_in)
    expect(page.get_by_role("button", name=check_in_name)).to_be_visible()


def test_what_a_code_or_a_walk_in_was_told_stays_in_view_above_the_code_field_at_320_px(
        new_page: Callable[..., Page], create_event, register, create_user):  # noqa: F811
    """door.js scrolled to the code field alone: at 320×640 a code's banner ended 8 px above the window and
    the message "Walk-in counted" 139 px above it; the person saw neither."""
    staff = create_user(role="staff")
    event = create_event()
    guest = register(event, name="佐藤 00", party_size=2)
    page = new_page(viewport=NARROW)
    sign_in(page, staff.email)
    page.goto(f"/staff/events/{event.id}/door")

    page.get_by_label("受付コード").fill(code_of(guest))
    page.get_by_role("button", name="受付", exact=True).click()
    page.wait_for_url("**/door?*outcome=accepted*")
    expect(page.locator("#scan-result")).to_contain_text("佐藤 00")
    expect(page.get_by_label("受付コード")).to_be_focused()
    assert in_view(page, "#scan-result") and in_view(page, "#code")

    page.get_by_role("button", name="当日参加 +1").click()
    expect(page.locator("#count-walk-ins")).to_have_text("1")
    expect(page.locator(".flash")).to_contain_text("当日参加")
    expect(page.get_by_label("受付コード")).to_be_focused()
    assert in_view(page, ".flash") and in_view(page, "#code")
    fits(page)


def test_a_walk_in_on_a_searched_door_keeps_the_search_and_what_it_said_stays_in_view_at_320_px(
        new_page: Callable[..., Page], create_event, register, create_user):  # noqa: F811
    """The walk-in form lost the search (its address had no q); kept, the results' heading must not take the
    focus from "Walk-in counted": the message and the code field stay in view, the results below."""
    staff = create_user(role="staff")
    event = create_event()
    register(event, name="佐藤 一郎")
    page = new_page(viewport=NARROW)
    sign_in(page, staff.email)
    page.goto(f"/staff/events/{event.id}/door?q=佐藤")
    expect(page.locator("#door-results-title")).to_be_focused()

    page.get_by_role("button", name="当日参加 +1").click()
    page.wait_for_url("**/door?q=*")
    expect(page.locator("#count-walk-ins")).to_have_text("1")
    expect(page.locator(".flash")).to_contain_text("当日参加")
    expect(page.locator(".door-hits")).to_contain_text("佐藤 一郎")
    expect(page.get_by_label("受付コード")).to_be_focused()
    assert in_view(page, ".flash") and in_view(page, "#code")
    fits(page)
