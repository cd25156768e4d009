"""Every page, for each role, at 1280×800, 320×640 and 390×844, in Japanese and English (issue 16).

For every HTML page of the url_map (a GET rule that is not a feed, an export or a file),
signed in as the role that uses it, the browser checks that the page:

- does not scroll sideways at 1280 px, 320 px or 390 px,
- logs no console error and has no failed request (nor a 4xx/5xx response),
- has 0 axe-core violations of any impact (all default rules, best practices included,
  plus the label-in-name rule `label-content-name-mismatch`), in Japanese and in English.
- has no touch target under 44 px at 320 px or 390 px (links, buttons, form controls, summaries;
  a tick box with its label; a link with a word right against it, inside a sentence, is left
  out), in Japanese and in English, and no box in it that scrolls sideways at those widths.
- has no separator 「·」 at the start of a line at 320 px (a list that wraps is a real list).

One server and one browser; per language, a signed-in context per role, and LANES pages
loading at a time across the roles (Japanese first, then English: a member's language is
stored on the account). Each page is loaded once: every width is checked at that load and
axe runs once, with all its rules, at 320 px. A last test breaks a page on purpose to prove
that sideways scroll, console errors, axe violations and small targets each fail the check. Phone
screenshots (Japanese, 320×640 as phone-<role>-<page>.png and 390×844 as …-390.png) go to
E2E_SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from sqlalchemy import select

from booking.extensions import db
from booking.models import BookingSeries, Closure, Space
from tests.conftest import PASSWORD, totp_code
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, WIDE_PHONE, next_week_day, screenshot_folder, tokyo
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
LANES = 3  # pages loaded at a time: enough to overlap server, layout and axe on two cores
AXE_OPTIONS = {"rules": {"label-content-name-mismatch": {"enabled": True}}, "resultTypes": ["violations"]}


# A form's address opened again (reloaded, or the language switched after a refusal) leads to the
# form's page (tests/staff/test_form_summaries.py and its kin): not a page of its own.
FORM_ADDRESSES = {
    "/events/<int:event_id>/register", "/staff/events/<int:event_id>/message",
    "/staff/events/<int:event_id>/withdraw", "/staff/events/<int:event_id>/walk-ins",
    "/staff/events/<int:event_id>/door/code", "/staff/spaces/<int:space_id>/holidays",
    "/staff/spaces/<int:space_id>/holidays/<int:opening_id>/delete",
    "/staff/attention/members/<int:user_id>/cancel", "/staff/changes/<int:booking_id>/decline",
}


def html_pages(app: Flask) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not NOT_PAGES.search(rule.rule) and rule.rule not in FORM_ADDRESSES}


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


async def sideways(page: Page) -> int:
    return int(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


async def axe_violations(page: Page) -> list[str]:
    """Every axe-core rule at once (the script is in the page already: Pass.context adds it)."""
    found = await page.evaluate("options => axe.run(document, options).then(r => r.violations.map("
                                "v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map("
                                "n => n.target.join(' ')).join(' | ')))", AXE_OPTIONS)
    return list(found)


def screenshot_name(role: str, path: str) -> str:
    return f"phone-{role}-" + (re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home")


# Touch targets under 44 px either way (issue 16; a tick box counts with its label), leaving out a
# link inside running text: WCAG 2.5.8's inline exception, read as a sentence around the link (a
# word right against it, before or after). A link beside only spaces, brackets, 「·」, a label
# ending in a colon or other elements (a title over its meta line, a calendar entry, 「設定を編集 ·
# 開館時間」, "(webcal)", "Download: CSV") stands alone, however much text its block holds.
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary')]
  .filter(e => e.getClientRects().length && !e.closest('.visually-hidden, .skip-link'))
  .map(e => [e, (['checkbox', 'radio'].includes(e.type) && e.closest('label') || e).getBoundingClientRect()])
  .filter(([e, r]) => r.width > 0 && (r.height < 44 || r.width < 44))
  .filter(([e, r]) => {
     if (e.tagName !== 'A' || getComputedStyle(e).display !== 'inline') return true;
     const text = n => n && n.nodeType === Node.TEXT_NODE ? n.data.trim() : '';
     const word = /[\\p{L}\\p{N}]/u;
     return !(word.test(text(e.previousSibling).slice(-1)) || word.test(text(e.nextSibling).slice(0, 1)));
  })
  .map(([e, r]) => e.tagName.toLowerCase() + (e.type ? '[' + e.type + ']' : '')
       + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
       + ' "' + (e.innerText || e.value || e.name || '').trim().slice(0, 16) + '" '
       + Math.round(r.width) + 'x' + Math.round(r.height))"""


async def small_targets(page: Page) -> list[str]:
    return list(await page.evaluate(SMALL_TARGETS))


# A box that scrolls sideways inside the page (issue 16: the staff calendar's table, cut at
# "NETSUG…" at 320 px): on a phone a list or a grid becomes a day list or cards instead.
BOXES_SCROLLING_SIDEWAYS = """() => [...document.querySelectorAll('main *')]
  .filter(e => e.getClientRects().length && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)
               && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
            + ' by ' + (e.scrollWidth - e.clientWidth) + 'px')"""


async def boxes_scrolling_sideways(page: Page) -> list[str]:
    return list(await page.evaluate(BOXES_SCROLLING_SIDEWAYS))


# A separator 「·」 that starts a line once links or words wrap (issue 16: at 320 px the queue's space
# links did): it belongs between items, so such a list wraps as a real list (a flex gap) instead.
SEPARATORS_AT_LINE_START = """() => {
  const found = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = node.data.indexOf('·'); i >= 0; i = node.data.indexOf('·', i + 1)) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const mark = range.getBoundingClientRect();
      let block = node.parentElement;
      while (block.parentElement && getComputedStyle(block).display.startsWith('inline')) {
        block = block.parentElement;
      }
      const style = getComputedStyle(block), box = block.getBoundingClientRect();
      const left = box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft);
      if (mark.width && mark.left - left < 1) {
        found.push(block.tagName.toLowerCase() + ' "' + block.innerText.trim().slice(0, 30) + '"');
      }
    }
  }
  return found;
}"""


async def separators_at_line_start(page: Page) -> list[str]:
    return list(await page.evaluate(SEPARATORS_AT_LINE_START))


async def wider_than_the_screen(page: Page) -> str:
    """What sticks out on the right, for the failure message."""
    return str(await page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .filter(e => !e.closest('.grid-wrap, .heatmap-wrap'))
        .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                         + ' ' + Math.round(e.getBoundingClientRect().right) + 'px').join(', ')"""))


def widths(current: dict[str, int] | None, folder: Path | None, language: str) -> list[dict[str, int]]:
    """The widths to check, the current one first: 1280, 320 and 390 (two phones: targets and reflow on each)."""
    sizes = [WIDE, PHONE, WIDE_PHONE]
    return sorted(sizes, key=lambda size: size != current) if current in sizes else sizes


async def check(page: Page, where: str, watcher: Watcher, role: str, language: str) -> list[str]:
    """Every width at one load (the layout follows the viewport), axe at 320 px, then the watcher.

    The widths alternate from page to page (the one the last page ended on first), so each page
    costs one viewport change (two with screenshots); axe always runs at 320 px. Screenshots
    (Japanese) are taken at 320 and 390 px.
    """
    problems: list[str] = []
    folder = screenshot_folder()
    name = screenshot_name(role, where.split()[-1])
    for size in widths(page.viewport_size, folder, language):
        if page.viewport_size != size:
            await page.set_viewport_size(size)
        overflow = await sideways(page)
        if overflow > 0:
            problems.append(f"{where}: scrolls sideways by {overflow}px at {size['width']}px: "
                            f"{await wider_than_the_screen(page)}")
        if folder and size != WIDE and language == "ja":
            suffix = "" if size == PHONE else f"-{size['width']}"
            await page.screenshot(path=str(folder / f"{name}{suffix}.png"), full_page=True)
        if size != WIDE:
            at = f"{where} at {size['width']}px"
            problems += [f"{at}: small target {t}" for t in await small_targets(page)]
            problems += [f"{at}: scrolls sideways inside {t}" for t in await boxes_scrolling_sideways(page)]
        if size == PHONE:
            problems += [f"{where} at 320px: axe {v}" for v in await axe_violations(page)]
            problems += [f"{where} at 320px: 「·」 starts a line in {t}" for t in await separators_at_line_start(page)]
    return problems + [f"{where}: {p}" for p in watcher.take()]


@dataclass
class Accounts:
    """Who signs in: each role's e-mail, a TOTP code maker, and the sessions made so far."""

    emails: dict[str, str]
    code: Callable[[str], str]
    signed_in: dict[str, Any] = field(default_factory=dict)


class Pass:
    """One language's visit of every page: a signed-in context per role, LANES pages at a time.

    The roles and the lanes run side by side (one browser, one server); the two languages run
    one after the other, since a signed-in member's language is stored on the account.
    """

    def __init__(self, browser: Browser, base_url: str, accounts: Accounts, language: str,
                 extra_script: str | None = None) -> None:
        self.browser, self.base_url, self.accounts, self.language = browser, base_url, accounts, language
        self.extra_script = extra_script
        self.problems: list[str] = []
        self.contexts: dict[str, BrowserContext] = {}

    async def context(self, role: str) -> BrowserContext:
        context = await self.browser.new_context(
            base_url=self.base_url, locale="ja-JP" if self.language == "ja" else "en-US",
            viewport=WIDE, bypass_csp=True,  # bypass_csp: to add axe-core only
            storage_state=self.accounts.signed_in.get(role))
        context.set_default_timeout(TIMEOUT_MS)
        # axe-core goes over the wire once per context, not once per page (half a second each).
        await context.add_init_script(path=str(AXE))
        if self.extra_script:
            await context.add_init_script(script=self.extra_script)
        return context

    async def sign_in(self, role: str) -> None:
        """A context for `role`, signed in (the admin's code page checked on the way) and in the language."""
        context = self.contexts[role] = await self.context(role)
        if role == "visitor" and self.language == "ja":
            return
        page = await context.new_page()
        watcher = Watcher(page)
        if role != "visitor" and role not in self.accounts.signed_in:
            email = self.accounts.emails[role]
            await page.goto("/login")
            await page.locator("input[name=email]").fill(email)
            await page.locator("input[name=password]").fill(PASSWORD)
            await page.locator("main form button[type=submit]").click()
            await page.wait_for_load_state()
            if page.url.endswith("/login/code"):
                if self.language == "ja":
                    self.problems += await check(page, f"[{role} ja] /login/code", watcher, role, "ja")
                await page.locator("input[name=code]").fill(self.accounts.code(email))
                await page.locator("main form button[type=submit]").click()
            await expect(page.locator("header form button.link").first).to_be_visible(timeout=TIMEOUT_MS)
            # The next language reuses the session: no second sign-in, nor a wait for a new TOTP step.
            self.accounts.signed_in[role] = await context.storage_state()
        if self.language == "en":
            await page.goto("/")
            await page.get_by_role("button", name="English").click()
            await expect(page.locator("html")).to_have_attribute("lang", "en", timeout=TIMEOUT_MS)
        await page.close()

    async def lane(self, jobs: asyncio.Queue[tuple[str, str]]) -> None:
        pages: dict[str, tuple[Page, Watcher]] = {}
        while not jobs.empty():
            role, path = jobs.get_nowait()
            if role not in pages:
                page = await self.contexts[role].new_page()
                pages[role] = (page, Watcher(page))
            page, watcher = pages[role]
            where = f"[{role} {self.language}] {path}"
            response = await page.goto(path)
            if response is None or response.status != 200:
                self.problems.append(f"{where}: HTTP {response.status if response else 'no response'}")
                watcher.take()
                continue
            self.problems += await check(page, where, watcher, role, self.language)

    async def run(self, paths_by_role: dict[str, list[str]], lanes: int) -> list[str]:
        try:
            await asyncio.gather(*(self.sign_in(role) for role in paths_by_role))
            jobs: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
            for role, paths in paths_by_role.items():
                for path in paths:
                    jobs.put_nowait((role, path))
            await asyncio.gather(*(self.lane(jobs) for _ in range(lanes)))
        finally:
            for context in self.contexts.values():
                await context.close()
        return self.problems


def visit(app: Flask, base_url: str, floor: dict[str, Any], paths_by_role: dict[str, list[str]],
          languages: tuple[str, ...] = ("ja", "en"), lanes: int = LANES, extra_script: str | None = None) -> list[str]:
    """Every path as its role in each language; the problems found, each naming role, language and path.

    Playwright's async API in a thread of its own: the session's sync browser (tests/e2e/conftest)
    keeps an event loop marked as running on the test's thread.
    """
    def code(email: str) -> str:
        with app.app_context():  # on the browser's thread
            return totp_code(email)

    accounts = Accounts({role: floor[role].email for role in ("member", "staff", "admin")}, code)

    async def main() -> list[str]:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                problems: list[str] = []
                for language in languages:
                    one_pass = Pass(browser, base_url, accounts, language, extra_script)
                    problems += await one_pass.run(paths_by_role, lanes)
                return problems
            finally:
                await browser.close()

    result: list[list[str]] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(main()))
        except BaseException as error:  # re-raised on the test's thread
            failure.append(error)

    thread = threading.Thread(target=run, name="every-page")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


@pytest.fixture
def pages_by_role(app: Flask) -> dict[str, list[str]]:
    by_role: dict[str, list[str]] = {"visitor": [], "member": [], "staff": [], "admin": []}
    for rule in sorted(html_pages(app) - MAILED_TOKEN_PAGES - {"/login/code"}):
        by_role[role_of(rule)].append(rule)
    by_role["admin"].append("/staff/members")
    return by_role


def test_every_page_is_listed_for_a_role(app: Flask, pages_by_role: dict[str, list[str]]) -> None:
    listed = {rule for rules in pages_by_role.values() for rule in rules}
    assert listed | MAILED_TOKEN_PAGES | {"/login/code"} == html_pages(app)
    assert len(listed) >= 30


def test_every_page_fits_both_widths_without_errors_or_axe_violations(
        app: Flask, live_server: str, floor: dict[str, Any], pages_by_role: dict[str, list[str]]) -> None:
    paths = {role: [url(rule, floor["values"], floor) for rule in rules] for role, rules in pages_by_role.items()}
    problems = visit(app, live_server, floor, paths)
    assert problems == [], "\n".join(problems)


def test_the_condensed_staff_calendar_its_day_list_and_a_second_queue_page_pass_the_same_checks(
        app: Flask, live_server: str, floor: dict[str, Any], create_booking) -> None:
    thursday = next_week_day(3, weeks_ahead=2)
    desks = db.session.scalar(select(Space).where(Space.slug == "netsugen-desks"))
    studio = db.session.scalar(select(Space).where(Space.slug == "tsulunos"))
    for units, status in (((22, 23), "confirmed"), ((24,), "pending")):  # with the member's 10:00–12:00
        create_booking(desks, floor["staff"], tokyo(thursday, 10), tokyo(thursday, 12), units=units,
                       status=status, title="作業")
    for days in range(1, 11):  # past ten requests: the queue has a second page
        create_booking(studio, floor["member"], tokyo(thursday + timedelta(days=days), 8),
                       tokyo(thursday + timedelta(days=days), 9), status="pending", title="収録の申請")
    day = thursday.isoformat()
    paths = {"staff": [f"/staff/calendar?day={day}", f"/staff/calendar?week={day}&view=week",
                       f"/staff/calendar?day={day}&space=netsugen-desks", "/staff/requests?page=2"]}
    problems = visit(app, live_server, floor, paths)
    assert problems == [], "\n".join(problems)


# A page made to break each check: 700 px wide content, a console error, an image without text,
# a link made 20 px tall, links standing alone beside a colon and brackets (and one in a sentence,
# which passes), a box that scrolls sideways and a separator pushed to the start of a line.
BROKEN = """document.addEventListener('DOMContentLoaded', () => {
  const wide = document.createElement('div');
  wide.style.cssText = 'width: 700px; height: 1px';
  const picture = document.createElement('img');
  picture.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
  const tiny = document.createElement('p');
  tiny.innerHTML = '<a href="/login" style="display: inline-block; min-height: 0; height: 20px">tiny</a>'
    + ' Download: <a href="/login" style="display: inline">alone</a>'
    + ' (<a href="/login" style="display: inline">webcal</a>)'
    + ' read <a href="/login" style="display: inline">the sentence</a> here.';
  const box = document.createElement('div');
  box.className = 'boxed';
  box.style.cssText = 'overflow-x: auto; width: 100px';
  box.innerHTML = '<div style="width: 300px; height: 1px"></div>';
  const wrapped = document.createElement('p');
  // Each word on a line of its own whatever the font: no box is narrower, and no word is broken
  // (the site's overflow-wrap would split 'abcd' in a wide Japanese font and keep the dot after it).
  wrapped.style.cssText = 'width: 1px; overflow-wrap: normal; word-break: normal';
  wrapped.textContent = 'abcd · efgh';
  document.querySelector('main').append(wide, picture, tiny, wrapped, box);
  console.error('broken on purpose');
});"""


def test_the_checks_fail_on_sideways_scroll_console_errors_axe_violations_and_small_targets(
        app: Flask, live_server: str, floor: dict[str, Any]) -> None:
    problems = visit(app, live_server, floor, {"visitor": ["/login"]}, languages=("ja",), lanes=1, extra_script=BROKEN)
    text = "\n".join(problems)
    assert "[visitor ja] /login: scrolls sideways by" in text and "at 320px: div" in text, text
    assert "at 1280px" not in text, text
    assert "console error: broken on purpose" in text, text
    assert "axe image-alt (critical)" in text, text
    assert 'small target a "tiny" ' in text and "x20" in text, text
    for width in (320, 390):  # a link beside a colon or brackets stands alone; one in a sentence does not
        assert f'at {width}px: small target a "alone" ' in text, text
        assert f'at {width}px: small target a "webcal" ' in text, text
        assert f"at {width}px: scrolls sideways inside div.boxed by 200px" in text, text
    assert '"the sentence"' not in text, text
    assert '「·」 starts a line in p "abcd' in text, text
