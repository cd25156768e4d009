"""A member registers, signs out and signs in again, all through the forms."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import switch_to_english

pytestmark = pytest.mark.e2e

GOOD_PASSWORD = "a long enough secret"


def fill_registration(page: Page, password: str, confirm: str) -> None:
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password again").fill(confirm)
    page.get_by_role("button", name="Create account").click()


def test_registration_keeps_the_input_on_errors_then_signs_the_member_in(page: Page):
    page.goto("/")
    switch_to_english(page)
    page.get_by_role("link", name="Register").click()
    page.get_by_label("E-mail").fill("hana@example.jp")
    page.get_by_label("Name").fill("Hana Yamada")
    page.get_by_label("Organisation", exact=True).fill("Sample NPO")
    page.get_by_label("Kind of organisation").select_option(label="NPO")

    fill_registration(page, "short", "short")
    expect(page.get_by_role("alert")).to_contain_text("Use at least 10 characters.")
    expect(page.get_by_label("E-mail")).to_have_value("hana@example.jp")
    expect(page.get_by_label("Name")).to_have_value("Hana Yamada")
    expect(page.get_by_label("Organisation", exact=True)).to_have_value("Sample NPO")
    expect(page.get_by_label("Kind of organisation")).to_have_value("npo")

    fill_registration(page, GOOD_PASSWORD, GOOD_PASSWORD + "!")
    expect(page.get_by_role("alert")).to_contain_text("The passwords differ.")
    expect(page.get_by_label("E-mail")).to_have_value("hana@example.jp")
    expect(page.get_by_label("Name")).to_have_value("Hana Yamada")

    fill_registration(page, GOOD_PASSWORD, GOOD_PASSWORD)
    expect(page.get_by_role("status")).to_have_text("Welcome! Your account is ready.")
    expect(page.get_by_role("banner")).to_contain_text("Hana Yamada")
    expect(page.get_by_role("link", name="My bookings")).to_be_visible()


def test_a_registered_member_signs_out_and_back_in(page: Page):
    page.goto("/register")
    switch_to_english(page)
    page.get_by_label("E-mail").fill("ken@example.jp")
    page.get_by_label("Name").fill("Ken Sato")
    fill_registration(page, GOOD_PASSWORD, GOOD_PASSWORD)
    expect(page.get_by_role("banner")).to_contain_text("Ken Sato")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    expect(page.get_by_role("banner")).not_to_contain_text("Ken Sato")
    page.goto("/bookings")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fbookings$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_label("E-mail").fill("ken@example.jp")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The e-mail address or the password is wrong.")
    expect(page.get_by_label("E-mail")).to_have_value("ken@example.jp")

    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Ken Sato")
