"""A member books the second 01:00 of New York's autumn clock change from the week grid, in a browser."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect

from booking.extensions import db
from booking.models import Booking
from tests.conftest import shown_day
from tests.e2e.conftest import screenshot, sign_in
from tests.views.test_clock_changes import AUTUMN, NEW_YORK

pytestmark = pytest.mark.e2e
AROUND_THE_CLOCK = {day: ((time(0), time(23, 30)),) for day in range(7)}


def test_booking_the_second_one_oclock_of_the_repeated_hour(page: Page, create_space, create_user):
    create_space(slug="ny-studio", name_en="NY studio", timezone="America/New_York", hours=AROUND_THE_CLOCK,
                 max_days_ahead=400)
    member = create_user(locale="en")
    monday = AUTUMN - timedelta(days=AUTUMN.weekday())

    sign_in(page, member.email)
    page.goto(f"/spaces/ny-studio?week={monday.isoformat()}")
    first = page.locator(f'td[data-start="{AUTUMN.isoformat()}T01:00"][data-offset="UTC-04:00"]')
    second = page.locator(f'td[data-start="{AUTUMN.isoformat()}T01:00"][data-offset="UTC-05:00"]')
    expect(first).to_have_attribute("data-state", "free")
    expect(second).to_have_attribute("data-state", "free")
    expect(page.get_by_role("rowheader", name="01:00 UTC-05:00")).to_be_visible()
    screenshot(page, "week-grid-repeated-hour")
    second.get_by_role("link").click()

    expect(page.get_by_label("Start", exact=True)).to_have_value("01:00")
    expect(page.get_by_label("Which start, if the clocks show it twice")).to_have_value("1")
    expect(page.get_by_role("main")).to_contain_text("first at UTC-04:00, then at UTC-05:00")
    page.get_by_label("Title", exact=True).fill("Night recording")
    page.get_by_role("button", name="Book").click()

    expect(page.get_by_role("status")).to_have_text("Your booking is confirmed.")
    expect(page.get_by_role("main")).to_contain_text(f"{shown_day(AUTUMN, 'en')}, 01:00 (UTC-05:00)–01:30 (UTC-05:00)")
    db.session.rollback()  # end the test's read snapshot: the server wrote meanwhile
    booking = db.session.scalars(db.select(Booking)).one()
    assert booking.start_dt == datetime.combine(AUTUMN, time(1, fold=1), NEW_YORK).astimezone(UTC)

    page.goto(f"/spaces/ny-studio?week={monday.isoformat()}")
    expect(second).to_have_attribute("data-state", "mine")
    expect(first).to_have_attribute("data-state", "free")

