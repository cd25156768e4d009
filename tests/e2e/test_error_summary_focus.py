"""After a failed submit the error summary opens the main content and has the focus, on forms of
several kinds (a visitor's event registration at 320 px, a staff booking, a holiday opening, the
door); reloading or switching the language afterwards never shows a 405 page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import future_day
from tests.e2e.conftest import sign_in
from tests.events.factories import make_event
from tests.events.running.conftest import create_event  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e

NARROW = {"width": 320, "height": 640}


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def summary_has_focus(page: Page) -> None:
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.evaluate("document.getElementById('error-summary').getBoundingClientRect().top") < 640


def no_405_after_reload_and_switch(page: Page, switch_to: str) -> None:
    """Reloading sends the form again (the same refusal); opening its address leads to its page."""
    failed_at = page.url
    response = page.reload()
    assert response is not None and response.status == 422
    summary_has_focus(page)
    response = page.goto(failed_at)
    assert response is not None and response.status == 200 and page.url != failed_at
    page.go_back()
    with page.expect_navigation():
        page.get_by_role("button", name=switch_to).click()
    assert "405" not in page.title() and page.locator("main").count() == 1
    expect(page.locator("#error-summary")).to_have_count(0)


def test_a_failed_event_registration_at_320_px_focuses_the_summary(new_page: Callable[..., Page], create_space,
                                                                   create_user):
    hall = create_space(slug="hall", max_people=80)
    start = future_day(10) + timedelta(hours=8)
    event = make_event(hall, create_user(role="staff"), start, start + timedelta(hours=1, minutes=45), capacity=3)
    page = new_page(viewport=NARROW)
    page.goto(f"/events/{event.id}")

    page.get_by_label("氏名").fill("川口 太郎")
    page.get_by_label("メールアドレス").fill("taro@example")  # the browser takes it; the server does not
    page.get_by_label("所属団体").fill("川口市役所")
    page.locator("input[name=consent]").check()
    with page.expect_navigation():
        page.locator("form.registration button[type=submit]").click()

    summary_has_focus(page)
    expect(page.locator("#error-summary a[href='#email']")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.url.endswith(f"/events/{event.id}/register")
    no_405_after_reload_and_switch(page, "English")
    assert page.url.endswith(f"/events/{event.id}")


def test_a_staff_booking_for_an_unknown_member_focuses_the_summary(page: Page, create_space, create_user):
    create_space(slug="studio")
    sign_in(page, create_user(role="staff").email)
    page.goto("/staff/spaces/studio/book")

    page.locator("#title").fill("収録")
    page.locator("#day").fill((future_day(8).date()).isoformat())
    page.locator("#start_time").fill("10:00")
    page.locator("#end_time").fill("12:00")
    page.locator("#member_email").fill("nobody@example.jp")
    with page.expect_navigation():
        page.locator("form.booking button[type=submit]").first.click()

    summary_has_focus(page)
    expect(page.locator("#member_email")).to_have_attribute("aria-invalid", "true")
    page.locator("#error-summary a[href='#member_email']").click()
    assert focused_id(page) == "member_email"


def test_a_refused_holiday_opening_focuses_the_summary_and_survives_reload_and_switch(
        page: Page, create_space, create_user):
    space = create_space(close_on_holidays=True, holiday_country="JP")
    sign_in(page, create_user(role="staff").email)
    page.goto(f"/staff/spaces/{space.id}/hours")

    holiday_day = page.locator("form[action$='/holidays'] input[name=day]")
    holiday_day.fill(f"{future_day(40).year + 1}-06-10")  # an ordinary day, no holiday
    with page.expect_navigation():
        page.locator("form[action$='/holidays'] button[type=submit]").click()

    summary_has_focus(page)
    no_405_after_reload_and_switch(page, "English")
    assert page.url.endswith(f"/staff/spaces/{space.id}/hours")


def door_on_a_phone(new_page: Callable[..., Page], create_event, create_user) -> Page:  # noqa: F811
    """A staff member at a new event's door page, at 320 px."""
    event = create_event()
    page = new_page(viewport=NARROW)
    sign_in(page, create_user(role="staff").email)
    page.goto(f"/staff/events/{event.id}/door")
    return page


def test_a_wrong_code_at_the_door_gives_the_focus_back_to_the_code_field(
        new_page: Callable[..., Page], create_event, create_user):  # noqa: F811
    page = door_on_a_phone(new_page, create_event, create_user)

    page.get_by_label("受付コード").fill("ZZZZ-ZZZZ")
    with page.expect_navigation():
        page.get_by_label("受付コード").press("Enter")

    expect(page.locator("#scan-result")).to_be_visible()
    expect(page.get_by_label("受付コード")).to_be_focused()


def test_a_refused_walk_in_focuses_the_summary_not_the_code_field(
        new_page: Callable[..., Page], create_event, create_user):  # noqa: F811
    page = door_on_a_phone(new_page, create_event, create_user)
    # Longer than the field takes (its maxlength stops typing, not a paste by a script).
    page.evaluate("document.querySelector('form[action$=\"/walk-ins\"] input[name=name]').value = 'あ'.repeat(150)")
    with page.expect_navigation():
        page.locator("form[action$='/walk-ins'] button[type=submit]").click()

    summary_has_focus(page)
    no_405_after_reload_and_switch(page, "English")


def test_a_series_of_a_year_of_weekdays_previews_as_a_page_a_phone_can_read(
        new_page: Callable[..., Page], create_space, create_user):
    studio = create_space(max_days_ahead=30)
    page = new_page(viewport=NARROW)
    sign_in(page, create_user(locale="en").email)
    page.goto(f"/series/{studio.slug}/new")
    page.get_by_label("First date").fill(future_day(2).date().isoformat())
    page.get_by_label("Start", exact=True).fill("10:00")
    page.get_by_label("End", exact=True).fill("11:00")
    page.get_by_label("Title", exact=True).fill("Desk days")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        page.get_by_label(day).check()
    page.get_by_label("Number of dates").fill("366")
    with page.expect_navigation():
        page.get_by_role("button", name="Preview").click()

    summary_has_focus(page)
    expect(page.locator("#error-summary li", has_text="Bookings open at most 30 days ahead")).to_have_count(1)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 20_000, height  # was 97,173 px with a row per date
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
