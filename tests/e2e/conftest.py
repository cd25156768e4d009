"""Browser fixtures: the app on a real port, one Debian chromium per session, a page per test.

The server thread serves the same app object the factories write through; Flask
pushes a fresh app context (and so a fresh database session) for every request.
CSRF stays enabled: the browser submits the real forms with their tokens.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, totp_code

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
TOKYO = ZoneInfo("Asia/Tokyo")
TIMEOUT_MS = 20_000  # the machine is shared: generous, yet a broken page still fails fast enough
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def app_config() -> dict[str, Any]:
    """The shared `app` without SERVER_NAME: the browser talks to 127.0.0.1:<port>."""
    return {"SERVER_NAME": None}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on a free local port in a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval: shutdown() waits up to one interval, at the end of every test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="e2e-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver for the whole run (a second browser, e.g. with other fonts, comes from it)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Debian chromium for the whole run."""
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture
def new_page(browser: Browser, live_server: str) -> Iterator[Callable[..., Page]]:
    """Factory: a page in a fresh browser context (own cookies); options go to the context."""
    contexts = []

    def make(**options: Any) -> Page:
        context = browser.new_context(base_url=live_server, locale="ja-JP", **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


def next_week_day(weekday: int, weeks_ahead: int = 1) -> date:
    """A day (0 = Monday) of next week, or later, in Tokyo: always in the future."""
    today = datetime.now(TOKYO).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)
    return monday + timedelta(days=weekday)


def tokyo(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


def slot(page: Page, day: date, hour: int, minute: int = 0) -> Any:
    """The week-grid cell of a local slot start."""
    return page.locator(f'td[data-start="{day.isoformat()}T{hour:02d}:{minute:02d}"]')


def show_week_of(page: Page, day: date, next_label: str = "翌週") -> None:
    """Follow the week grid's next-week link until the week holding `day` is on screen.

    A space opens on its first day with a free start (issue 16), which may already be next
    week (a Sunday evening in Tokyo), so the number of clicks depends on the clock. Each click
    waits for the new page: counting cells right after a click would read the old page.
    """
    for _ in range(4):
        if page.locator(f'table.week td[data-start^="{day.isoformat()}T"]').count():
            return
        with page.expect_navigation():
            page.locator("a[rel=next]", has_text=next_label).first.click()
    raise AssertionError(f"the week grid never showed {day.isoformat()}")


def switch_to_english(page: Page) -> None:
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Log in through the (Japanese) form; members made with locale="en" then see English."""
    page.goto("/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="ログイン").click()
    page.wait_for_load_state()
    if page.url.endswith("/login/code"):  # an admin: the code from the test authenticator (issue 13)
        page.locator("input[name=code]").fill(totp_code(email))
        page.get_by_role("main").get_by_role("button").click()
    expect(page.get_by_role("button", name=re.compile("^(Sign out|ログアウト)$"))).to_be_visible()


PHONE_WIDTH, WIDE_PHONE = 320, {"width": 390, "height": 844}


def screenshot_folder() -> Path | None:
    """Where screenshots go: E2E_SCREENSHOT_DIR (`make test` sets build/e2e-screenshots), else nowhere."""
    folder = os.environ.get("E2E_SCREENSHOT_DIR")
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder)


def screenshot(page: Page, name: str) -> None:
    """Save a full-page screenshot when E2E_SCREENSHOT_DIR is set (for looking at layouts).

    A phone screenshot (320 px) is taken again at 390 px as `<name>-390.png`, and the viewport
    goes back to 320 px (focus and page state are kept: only the layout follows the width).
    """
    folder = screenshot_folder()
    if folder is None:
        return
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    size = page.viewport_size
    if size and size["width"] == PHONE_WIDTH:
        page.set_viewport_size(WIDE_PHONE)
        page.screenshot(path=str(folder / f"{name}-390.png"), full_page=True)
        page.set_viewport_size(size)
