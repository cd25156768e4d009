"""Staff review proposed events on a phone (320 px): read the details, approve one (visitors then find
it on /events), reject another after a confirmation with a note; the pages never scroll sideways."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from booking.extensions import db
from booking.models import PublicEvent
from tests.e2e.conftest import sign_in
from tests.events.factories import make_event

pytestmark = pytest.mark.e2e

NARROW = {"width": 320, "height": 640}


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{page.url} is {width} px wide at 320 px"


def test_staff_approve_one_proposal_and_reject_another_at_320_px(
        new_page: Callable[..., Page], create_user, create_space):
    from tests.conftest import future_day

    hall = create_space(slug="hall", max_people=80, name_ja="イベントホール", name_en="Event hall",
                        members_may_host_events=True)
    member, staff = create_user(name="提案 太郎"), create_user(role="staff")
    start = future_day(9) + timedelta(hours=8)
    welcome = make_event(hall, member, start, start + timedelta(hours=2), status="pending",
                         title_ja="4自治体サテライトオフィス合同キックオフ・ミートアップ",
                         organiser="渋谷区・大田区・品川区・目黒区")
    turned = make_event(hall, member, start + timedelta(days=1), start + timedelta(days=1, hours=2),
                        status="pending", title_ja="非公開にする勉強会")
    page = new_page(viewport=NARROW)
    sign_in(page, staff.email)

    page.goto("/staff/requests")
    with page.expect_navigation():
        page.get_by_role("link", name="承認待ちの公開イベント申請が2件あります").click()
    expect(page.get_by_role("heading", name="公開イベントの申請")).to_be_visible()
    proposal = page.locator(f"#proposal-{welcome.id}")
    expect(proposal).to_contain_text("渋谷区・大田区・品川区・目黒区")
    expect(proposal).to_contain_text("30人")
    fits(page)

    with page.expect_navigation():
        proposal.get_by_role("button", name="承認して公開する").click()
    expect(page.get_by_role("main")).to_contain_text("イベントを公開しました")
    expect(page.locator(f"#proposal-{welcome.id}")).to_have_count(0)
    fits(page)

    with page.expect_navigation():
        page.locator(f"#proposal-{turned.id}").get_by_role("link", name="お断りする…").click()
    expect(page.get_by_role("heading", name="イベント申請をお断りする")).to_be_visible()
    fits(page)
    page.get_by_role("button", name="このイベントをお断りする").click()  # no note: asked for one
    expect(page.get_by_role("alert")).to_contain_text("公開をお断りする理由を利用者へのメッセージとして")
    page.get_by_label("利用者へのメッセージ").fill("会場の改修工事と重なるため、お受けできません。")
    with page.expect_navigation():
        page.get_by_role("button", name="このイベントをお断りする").click()
    expect(page.get_by_role("main")).to_contain_text("イベントをお断りしました")
    expect(page.get_by_role("main")).to_contain_text("承認待ちのイベント申請はありません")

    db.session.rollback()  # a fresh snapshot: the server thread committed the decisions
    assert db.session.get(PublicEvent, welcome.id).status == "published"
    assert db.session.get(PublicEvent, turned.id).status == "rejected"
    visitor = new_page(viewport=NARROW)
    visitor.goto("/events")
    expect(visitor.get_by_role("link", name=welcome.title_ja)).to_be_visible()
    expect(visitor.get_by_role("main")).not_to_contain_text("非公開にする勉強会")
