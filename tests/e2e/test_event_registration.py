"""At 320 px a visitor registers with two companions, changes to one, cancels through the link; the next moves up."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from booking.extensions import db
from booking.models import OutboxMessage, Registration
from booking.services import outbox
from booking.services import registrations as service
from tests.conftest import future_day
from tests.events.factories import make_event

pytestmark = pytest.mark.e2e

NARROW = {"width": 320, "height": 640}
LINK_RE = re.compile(r"http://[^/\s]+(/events/r/[A-Za-z0-9_-]+)")


def personal_link(app, email: str) -> str:
    db.session.rollback()
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)
                                 .order_by(OutboxMessage.id)).first()
    assert message is not None
    with app.test_request_context():
        _subject, body = outbox.renderer_for(message.kind)(message.payload, message.locale)
    match = LINK_RE.search(body)
    assert match, body
    return match.group(1)


def status_of(email: str) -> str | None:
    db.session.rollback()
    return db.session.scalar(select(Registration.status).where(Registration.email == email))


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_a_visitor_registers_changes_and_cancels_and_the_next_person_moves_up(
        new_page: Callable[..., Page], create_space, create_user, app):
    hall = create_space(slug="hall", max_people=80, name_ja="NETSUGEN イベントホール")
    start = future_day(10) + timedelta(hours=8)
    event = make_event(hall, create_user(role="staff"), start, start + timedelta(hours=1, minutes=45), capacity=3)
    page = new_page(viewport=NARROW)

    page.goto(f"/events/{event.id}")
    expect(page.locator(".seats-left")).to_have_text("残り3席")
    fits(page)
    page.get_by_label("氏名").fill("川口 太郎")
    page.get_by_label("メールアドレス").fill("taro@example.jp")
    page.get_by_label("所属団体").fill("川口市役所")
    page.get_by_label("同伴者の人数").fill("2")
    page.get_by_label("個人情報の取扱いに同意します。").check()
    page.get_by_role("button", name="参加を申し込む").click()
    expect(page.locator(".registration-sent")).to_contain_text("taro@example.jp")
    fits(page)
    assert status_of("taro@example.jp") == "registered"

    service.register(event.id, service.RegistrationInput(name="次の人", email="next@example.jp", companions=1,
                                                         consent=True), "test-secret")
    assert status_of("next@example.jp") == "waiting"

    page.goto(personal_link(app, "taro@example.jp"))
    expect(page.locator(".party")).to_have_text("3")
    fits(page)
    page.get_by_label("同伴者の人数").fill("1")
    page.get_by_role("button", name="変更する").click()
    expect(page.locator(".party")).to_have_text("2")
    assert status_of("next@example.jp") == "waiting"  # one seat free, a party of two waits

    page.get_by_role("button", name="申込を取り消す").click()
    expect(page.locator(".registration-status")).to_have_text("取り消し済み")
    fits(page)
    assert status_of("next@example.jp") == "registered"
