"""Accounts in the browser: register → verification mail (real SMTP) → sign in → book;
forgot password → mail → new password → sign in; signing out and back in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import next_week_day, slot, switch_to_english
from tests.mail.conftest import Inbox, smtp_server, text_of  # noqa: F401

pytestmark = pytest.mark.e2e

GOOD_PASSWORD = "a long enough secret"
NEW_PASSWORD = "seven otters argue about jazz"


@pytest.fixture
def app_config(smtp_server: tuple[Inbox, int]) -> dict[str, Any]:  # noqa: F811
    """The browser's app without SERVER_NAME, sending inline to the test SMTP server."""
    return {"SERVER_NAME": None, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server[1],
            "MAIL_BACKGROUND": False, "MAIL_DEFAULT_SENDER": "booking@floor.example.jp"}


@pytest.fixture
def inbox(app: Flask, live_server: str, smtp_server: tuple[Inbox, int]) -> Iterator[Inbox]:  # noqa: F811
    """The test SMTP server's inbox; links in mail point at the live server."""
    app.config["BASE_URL"] = live_server
    yield smtp_server[0]


def link_in(inbox: Inbox, count: int) -> str:
    message = inbox.wait_for(count)[count - 1]
    match = re.search(r"https?://127\.0\.0\.1:\d+(/\S+)", text_of(message))
    assert match, text_of(message)
    return match.group(1)


def fill_registration(page: Page, password: str, confirm: str) -> None:
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password again").fill(confirm)
    page.get_by_role("button", name="Create account").click()


def test_register_verify_by_mail_sign_in_and_book(page: Page, inbox: Inbox, create_space):
    create_space(name_ja="スタジオ", name_en="Studio")
    page.goto("/")
    switch_to_english(page)
    page.get_by_role("link", name="Register").click()
    page.get_by_label("E-mail").fill("hana@example.jp")
    page.get_by_label("Name").fill("Hana Yamada")
    page.get_by_label("Organisation", exact=True).fill("Sample NPO")
    page.get_by_label("Kind of organisation").select_option(label="NPO")
    page.get_by_label("Language").select_option(label="English")

    fill_registration(page, "short", "short")
    expect(page.get_by_role("alert")).to_contain_text("Use at least 12 characters.")
    expect(page.get_by_label("E-mail")).to_have_value("hana@example.jp")
    expect(page.get_by_label("Organisation", exact=True)).to_have_value("Sample NPO")
    fill_registration(page, "password1234", "password1234")
    expect(page.get_by_role("alert")).to_contain_text("too common")
    fill_registration(page, GOOD_PASSWORD, GOOD_PASSWORD + "!")
    expect(page.get_by_role("alert")).to_contain_text("The passwords differ.")
    expect(page.get_by_label("Name")).to_have_value("Hana Yamada")

    fill_registration(page, GOOD_PASSWORD, GOOD_PASSWORD)
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    link = link_in(inbox, 1)
    assert inbox.messages[0]["To"] == "hana@example.jp"

    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail").fill("hana@example.jp")
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("banner")).to_contain_text("Hana Yamada")
    page.goto("/spaces/space-1/book")
    expect(page.get_by_role("heading", name="Confirm your e-mail address")).to_be_visible()

    page.goto(link)
    expect(page.get_by_role("status")).to_have_text("Thank you: your e-mail address is confirmed. You can book now.")
    wednesday = next_week_day(2)
    page.goto(f"/spaces/space-1?week={wednesday.isoformat()}")
    slot(page, wednesday, 10).get_by_role("link").click()
    page.get_by_label("Title", exact=True).fill("Interview recording")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("status")).to_have_text("Your booking is confirmed.")
    expect(page.get_by_role("heading", name="Interview recording")).to_be_visible()


def test_forgot_password_mail_new_password_then_sign_in(page: Page, inbox: Inbox, create_user):
    member = create_user(email="ken@example.jp", name="Ken Sato", locale="en")
    page.goto("/login")
    switch_to_english(page)
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail").fill("ken@example.jp")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    page.goto(link_in(inbox, 1))
    page.get_by_label("Password", exact=True).fill("qwertyuiopas")
    page.get_by_label("Password again").fill("qwertyuiopas")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("alert")).to_contain_text("too common")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("status")).to_have_text("Your password was changed. Please sign in with the new one.")

    page.get_by_label("E-mail").fill(member.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.locator("#error-summary")).to_contain_text("The e-mail address or the password is wrong.")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("banner")).to_contain_text("Ken Sato")


def test_a_member_signs_out_and_back_in(page: Page, create_user):
    create_user(email="ken@example.jp", name="Ken Sato", locale="en")
    page.goto("/login")
    switch_to_english(page)
    page.get_by_label("E-mail").fill("ken@example.jp")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
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
    expect(page.locator("#error-summary")).to_contain_text("The e-mail address or the password is wrong.")
    expect(page.get_by_label("E-mail")).to_have_value("ken@example.jp")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Ken Sato")
