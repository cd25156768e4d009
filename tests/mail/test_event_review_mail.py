"""The member's mail on staff's decision about a proposed event, through the real SMTP server,
in the member's language, with staff's note as written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.extensions import db
from booking.services import event_review, public_events
from tests.events.factories import make_event
from tests.mail.conftest import DAY, text_of


def test_the_member_reads_the_rejection_with_the_note_in_english_and_the_approval_in_japanese(
        inbox, create_user, create_space):
    hall = create_space(slug="hall", max_people=80, name_ja="イベントホール", name_en="Event hall",
                        members_may_host_events=True)
    english, japanese = create_user(name="Alex Smith", locale="en"), create_user(name="山田 花子", locale="ja")
    staff = create_user(role="staff")
    start = DAY + timedelta(hours=8)
    turned = make_event(hall, english, start, start + timedelta(hours=2), status="pending",
                        title_ja="英語の勉強会", title_en="English study group")
    welcome = make_event(hall, japanese, start + timedelta(days=1), start + timedelta(days=1, hours=2),
                         status="pending", title_ja="地域DX勉強会", title_en="Local DX study group")

    event_review.reject(staff, turned.id, "The hall is closed for repairs that week.\n<b>Sorry.</b>")
    event_review.approve(staff, welcome.id)

    rejected = inbox.only_one_to(english.email)
    assert rejected["Subject"] == "Your event was not published: English study group"
    body = text_of(rejected)
    assert "The hall is closed for repairs that week." in body and "<b>Sorry.</b>" in body
    assert "Event hall" in body and f"https://booking.example.jp/bookings/{turned.booking_id}" in body
    assert "Event: English study group" in body
    approved = inbox.only_one_to(japanese.email)
    assert approved["Subject"] == "イベントを公開しました：地域DX勉強会"
    body = text_of(approved)
    assert "イベントホール" in body and f"https://booking.example.jp/events/{welcome.id}" in body
    assert f"{(start + timedelta(days=1, hours=9)).day}日" in body  # the date as the pages show it (Tokyo)
    assert staff.email not in (m["To"] for m in inbox.messages)


@pytest.mark.parametrize("booking_status,locale,says,never", [
    ("confirmed", "en", "Your booking itself stays confirmed.", "waits for the staff"),
    ("confirmed", "ja", "ご予約そのものは確定のまま有効です。", "承認待ち"),
    ("pending", "en", "Your booking request itself still waits for the staff's approval", "stays"),
    ("pending", "ja", "ご予約の申請は引き続きスタッフの承認待ちです", "有効"),
])
def test_the_rejection_says_what_the_booking_itself_is(inbox, create_user, create_space, booking_status, locale,
                                                        says, never):
    hall = create_space(slug="hall", name_ja="イベントホール", name_en="Event hall", members_may_host_events=True)
    member, staff = create_user(locale=locale), create_user(role="staff")
    start = DAY + timedelta(hours=8)
    event = make_event(hall, member, start, start + timedelta(hours=2), status="pending")
    event.booking.status = booking_status
    db.session.commit()

    event_review.reject(staff, event.id, "Please add an English description.")

    body = text_of(inbox.only_one_to(member.email))
    assert says in body
    assert never not in body


def _proposal_input(start):
    return public_events.EventInput(title_ja="地域DX勉強会", title_en="Local DX study group", capacity=40,
                                    registration_opens_at=start - timedelta(days=5), registration_closes_at=start)


def test_each_active_staff_member_reads_of_a_members_proposal_in_their_language_with_the_review_link(
        inbox, create_user, create_space, create_booking):
    hall = create_space(slug="hall", name_ja="イベントホール", name_en="Event hall", members_may_host_events=True,
                        max_people=80)
    member = create_user(name="提案 太郎", organisation="渋谷区", locale="en")
    japanese, english = create_user(role="staff", locale="ja"), create_user(role="admin", locale="en")
    away = create_user(role="staff", is_enabled=False)
    start = DAY + timedelta(hours=8)
    booking = create_booking(hall, member, start, start + timedelta(hours=2))

    saved = public_events.save_event(member, booking.id, _proposal_input(start))

    assert saved.ok
    link = f"https://booking.example.jp/staff/event-proposals#proposal-{saved.event.id}"
    to_japanese, to_english = inbox.only_one_to(japanese.email), inbox.only_one_to(english.email)
    assert to_japanese["Subject"] == "承認待ちの公開イベント：地域DX勉強会"
    assert to_english["Subject"] == "Public event to approve: Local DX study group"
    body = text_of(to_japanese)
    assert link in body and "提案 太郎（渋谷区）" in body and "イベントホール" in body
    assert link in text_of(to_english) and "Event hall" in text_of(to_english)
    assert inbox.to(away.email) == [] and inbox.to(member.email) == []


def test_staff_hear_of_a_proposal_again_after_a_rejection_but_not_of_staffs_own_events_or_small_edits(
        inbox, create_user, create_space, create_booking):
    hall = create_space(slug="hall", name_ja="イベントホール", members_may_host_events=True, max_people=80)
    member, staff, colleague = create_user(), create_user(role="staff"), create_user(role="staff")
    start = DAY + timedelta(hours=8)
    booking = create_booking(hall, member, start, start + timedelta(hours=2))
    event = public_events.save_event(member, booking.id, _proposal_input(start)).event
    assert len(inbox.to(staff.email)) == 1

    public_events.save_event(member, booking.id, _proposal_input(start))  # still pending: staff know already
    event_review.reject(staff, event.id, "Please add an English description.")
    public_events.save_event(member, booking.id, _proposal_input(start))  # proposed again
    own = create_booking(hall, staff, start + timedelta(days=1), start + timedelta(days=1, hours=2))
    public_events.save_event(staff, own.id, _proposal_input(start + timedelta(days=1)))  # published at once

    assert len(inbox.to(staff.email)) == 2
    assert len(inbox.to(colleague.email)) == 2


def test_each_staff_member_is_greeted_by_name_in_the_proposal_mail(inbox, create_user, create_space, create_booking):
    hall = create_space(slug="hall", members_may_host_events=True, max_people=80)
    member = create_user(name="提案 太郎", locale="en")
    staff = create_user(role="staff", name="Kei Tanaka", locale="en")
    start = DAY + timedelta(hours=8)
    booking = create_booking(hall, member, start, start + timedelta(hours=2))

    assert public_events.save_event(member, booking.id, _proposal_input(start)).ok

    assert "Dear Kei Tanaka," in text_of(inbox.only_one_to(staff.email))
