"""Every page, for each role, at 1280×800 and 320×640, in Japanese and English (issue 16).

For every HTML page of the url_map (a GET rule that is not a feed, an export or a file),
signed in as the role that uses it, the browser checks that the page:

- does not scroll sideways at 1280 px or at 320 px,
- logs no console error and has no failed request (nor a 4xx/5xx response),
- has 0 axe-core violations of any impact (all default rules, best practices included,
  plus the label-in-name rule `label-content-name-mismatch`), in Japanese and in English.

One browser for the run, one server and two contexts (ja, en) per role. Phone screenshots
(320×640, Japanese) go to E2E_SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from booking.extensions import db
from booking.models import BookingSeries, Closure
from tests.conftest import PASSWORD, totp_code
from tests.e2e.conftest import TIMEOUT_MS, next_week_day, tokyo
from tests.events.factories import make_event

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 320, "height": 640}
# Not pages: calendars, exports and files.
NOT_PAGES = re.compile(r"\.ics$|\.<any|^/static/")
# Reached only with a secret from an e-mail; tests/accounts opens them with real tokens.
MAILED_TOKEN_PAGES = {"/password/reset/<token>", "/verify/<token>", "/events/r/<secret>"}
AXE_OPTIONS = {"rules": {"label-content-name-mismatch": {"enabled": True}}, "resultTypes": ["violations"]}


def html_pages(app: Flask) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not NOT_PAGES.search(rule.rule)}


@pytest.fixture
def floor(app: Flask, create_space, create_user, create_booking) -> dict[str, Any]:
    """A floor like the demo's (long Japanese names and texts), an account per role, the rows pages need."""
    studio = create_space(slug="tsulunos", name_ja="tsulunós 映像・配信スタジオ（収録・生配信）",
                          name_en="tsulunós video and broadcast studio", requires_approval=True,
                          setup_minutes=30, teardown_minutes=30, min_notice_minutes=1440, max_days_ahead=90,
                          description_ja="ガラス張りの映像・配信スタジオ。照明とカメラの準備に前後30分を確保します。",
                          description_en="A glass-walled video studio; 30 minutes are kept for lights and cameras.")
    desks = create_space(slug="netsugen-desks", name_ja="NETSUGEN ホットデスク", name_en="NETSUGEN hot desks",
                         kind="pooled", unit_count=24, min_minutes=60, quota_active_bookings=5,
                         description_ja="24席のフリーデスクを予約できます。", description_en="24 hot desks.")
    member = create_user(name="山田 花子", organisation="サンプル放送株式会社 地域情報番組制作部")
    other = create_user(name="鈴木 一郎", organisation="NPO法人 まちづくりラボ")
    staff = create_user(role="staff", name="佐藤 スタッフ")
    admin = create_user(role="admin", name="管理 太郎")
    thursday = next_week_day(3, weeks_ahead=2)
    for hour in (9, 13, 15):
        create_booking(studio, other, tokyo(thursday - timedelta(days=1), hour),
                       tokyo(thursday - timedelta(days=1), hour + 1), title="地域の情報番組の収録")
    create_booking(desks, other, tokyo(thursday, 9), tokyo(thursday, 18), units=tuple(range(1, 20)), title="作業")
    mine = create_booking(desks, member, tokyo(thursday, 10), tokyo(thursday, 12), units=(20, 21),
                          title="企画会議とアイデアソンの準備作業（長いタイトルの折り返し確認）")
    series = BookingSeries(space_id=studio.id, user_id=member.id, title="定例収録", rrule="FREQ=WEEKLY;COUNT=2")
    db.session.add(series)
    db.session.commit()
    pending = [create_booking(studio, member, tokyo(thursday + timedelta(weeks=n), 19),
                              tokyo(thursday + timedelta(weeks=n), 20), status="pending", title="定例収録",
                              series_id=series.id) for n in range(2)]
    closure = Closure(space_id=None, start_dt=tokyo(thursday + timedelta(days=20), 9),
                      end_dt=tokyo(thursday + timedelta(days=20), 18), reason="設備点検")
    db.session.add(closure)
    db.session.commit()
    kick_off = thursday + timedelta(days=5)
    event = make_event(studio, staff, tokyo(kick_off, 17), tokyo(kick_off, 18, 45))
    proposal = make_event(studio, member, tokyo(kick_off + timedelta(days=1), 17),
                          tokyo(kick_off + timedelta(days=1), 18), status="pending", title_ja="利用者の勉強会")
    values = {"event_id": event.id, "event_booking_id": event.booking_id, "proposal_id": proposal.id,
              "slug": studio.slug, "booking_id": mine.id, "space_id": studio.id, "user_id": member.id,
              "series_id": series.id, "closure_id": closure.id, "reason": "register"}
    return {"member": member, "staff": staff, "admin": admin, "values": values, "pending": pending[0].id}


def url(rule: str, values: dict[str, Any], floor: dict[str, Any]) -> str:
    if rule == "/staff/requests/<int:booking_id>/reject":
        return f"/staff/requests/{floor['pending']}/reject"
    if rule == "/bookings/<int:booking_id>/event":  # the event form, on the event's own booking
        return f"/bookings/{values['event_booking_id']}/event"
    if rule == "/staff/bookings/<int:booking_id>":
        return f"/staff/bookings/{floor['pending']}"
    if rule == "/staff/event-proposals/<int:event_id>/reject":  # the confirmation, of a proposal still waiting
        return f"/staff/event-proposals/{values['proposal_id']}/reject"
    path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)
    return path


# Which role opens which page: staff pages by staff (admin-only ones by the admin), the member's
# pages by a member, the rest by a visitor.
ADMIN_ONLY = ("/staff/members/<int:user_id>/deactivate",)
VISITOR_ONLY = ("/login", "/register", "/password/forgot", "/mail-sent/")


def role_of(rule: str) -> str:
    if rule.startswith(ADMIN_ONLY):
        return "admin"
    if rule.startswith(("/staff", "/series/<int")) or rule == "/bookings/<int:booking_id>/event":
        return "staff"
    if rule.startswith(VISITOR_ONLY) or rule in ("/", "/spaces/<slug>"):
        return "visitor"
    return "member"


def sign_in(page: Page, email: str, check: Callable[[Page, str], None] | None = None) -> None:
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    if page.url.endswith("/login/code"):
        if check is not None:
            check(page, "/login/code")
        page.locator("input[name=code]").fill(totp_code(email))
        page.locator("main form button[type=submit]").click()
    expect(page.locator("header form button.link").first).to_be_visible()


class Watcher:
    """Console errors, failed requests and error responses of one page."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

    def take(self) -> list[str]:
        found, self.problems[:] = list(self.problems), []
        return found


def sideways(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def axe_violations(page: Page) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("options => axe.run(document, options).then(r => r.violations.map("
                          "v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map("
                          "n => n.target.join(' ')).join(' | ')))", AXE_OPTIONS)
    return list(found)


def screenshot_name(role: str, path: str) -> str:
    return f"phone-{role}-" + (re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home")


def wider_than_the_screen(page: Page) -> str:
    """What sticks out on the right, for the failure message."""
    return str(page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .filter(e => !e.closest('.grid-wrap, .heatmap-wrap'))
        .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                         + ' ' + Math.round(e.getBoundingClientRect().right) + 'px').join(', ')"""))


def check(page: Page, path: str, watcher: Watcher, language: str, role: str, problems: list[str]) -> None:
    """Both widths (at one load: the layout follows the viewport), then axe at 320 px."""
    where = f"[{role} {language}] {path}"
    for size in (WIDE, PHONE):
        page.set_viewport_size(size)
        overflow = sideways(page)
        if overflow > 0:
            problems.append(f"{where}: scrolls sideways by {overflow}px at {size['width']}px: "
                            f"{wider_than_the_screen(page)}")
    folder = os.environ.get("E2E_SCREENSHOT_DIR")
    if folder and language == "ja":
        page.screenshot(path=str(Path(folder) / f"{screenshot_name(role, path)}.png"), full_page=True)
    problems += [f"{where} at 320px: axe {v}" for v in axe_violations(page)]
    page.set_viewport_size(WIDE)
    problems += [f"{where}: {p}" for p in watcher.take()]


def context_for(browser: Browser, base_url: str, language: str) -> BrowserContext:
    context = browser.new_context(base_url=base_url, locale="ja-JP" if language == "ja" else "en-US",
                                  viewport=WIDE, bypass_csp=True)  # bypass_csp: to inject axe-core only
    context.set_default_timeout(TIMEOUT_MS)
    return context


def visit_as(role: str, browser: Browser, live_server: str, floor: dict[str, Any], rules: list[str]) -> list[str]:
    problems: list[str] = []
    for language in ("ja", "en"):
        context = context_for(browser, live_server, language)
        try:
            page = context.new_page()
            watcher = Watcher(page)
            if role != "visitor":
                code_check = functools.partial(check, watcher=watcher, language=language, role=role, problems=problems)
                sign_in(page, floor[role].email, code_check if language == "ja" else None)
            if language == "en":
                page.goto("/")
                page.get_by_role("button", name="English").click()
                expect(page.locator("html")).to_have_attribute("lang", "en")
            page.wait_for_load_state("load")
            watcher.take()
            for rule in rules:
                path = url(rule, floor["values"], floor)
                response = page.goto(path)
                assert response is not None
                if response.status != 200:
                    problems.append(f"[{role} {language}] {path}: HTTP {response.status}")
                    watcher.take()
                    continue
                check(page, path, watcher, language, role, problems)
        finally:
            context.close()
    return problems


@pytest.fixture
def pages_by_role(app: Flask) -> dict[str, list[str]]:
    by_role: dict[str, list[str]] = {"visitor": [], "member": [], "staff": [], "admin": []}
    for rule in sorted(html_pages(app) - MAILED_TOKEN_PAGES - {"/login/code"}):
        by_role[role_of(rule)].append(rule)
    return by_role


def test_every_page_is_listed_for_a_role(app: Flask, pages_by_role: dict[str, list[str]]) -> None:
    listed = {rule for rules in pages_by_role.values() for rule in rules}
    assert listed | MAILED_TOKEN_PAGES | {"/login/code"} == html_pages(app)
    assert len(listed) >= 30


@pytest.mark.parametrize("role", ["visitor", "member", "staff", "admin"])
def test_every_page_fits_both_widths_without_errors_or_axe_violations(
        role: str, browser: Browser, live_server: str, floor: dict[str, Any],
        pages_by_role: dict[str, list[str]]) -> None:
    rules = pages_by_role[role] if role != "admin" else pages_by_role["admin"] + ["/staff/members"]
    problems = visit_as(role, browser, live_server, floor, rules)
    assert problems == [], "\n".join(problems)
