"""Issue 16: a cancel page names why a booking cannot be cancelled; a single series date reads singular;
a booking that no longer holds its desks shows neither their numbers nor the .ics link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking
from booking.services.series import book_series
from tests.services.test_series import FIRST, weekly
from tests.views.conftest import at, monday_ahead, tokyo_today

MONDAY = monday_ahead()
NOW = datetime.now(UTC).replace(second=0, microsecond=0)


def page(client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def heading(html: str) -> str:
    return html.split("<h1>", 1)[1].split("</h1>", 1)[0]


@pytest.fixture
def booker(create_space, create_booking, create_user):
    """A factory of the member's bookings in each state that cannot be cancelled."""

    def make(state: str, locale: str):
        member = create_user(locale=locale)
        if state == "expired":  # waiting since two days, its deadline 24 h before the start has passed
            hall = create_space(requires_approval=True, request_deadline_hours=24)
            start = NOW + timedelta(hours=3)
            booking = create_booking(hall, member, start, start + timedelta(hours=1), status="pending",
                                     created_at=NOW - timedelta(days=2))
        elif state == "ended":
            day = tokyo_today() - timedelta(days=2)
            booking = create_booking(create_space(), member, at(day, 10), at(day, 11))
        else:
            booking = create_booking(create_space(), member, at(MONDAY, 10), at(MONDAY, 11), status=state)
        return member, booking

    return make


@pytest.mark.parametrize(("state", "locale", "title", "text"), [
    ("expired", "ja", "この申請は期限切れです", "期限切れの申請は何も押さえていないため、取り消すものはありません。"),
    ("cancelled", "ja", "この予約はすでに取り消されています",
     "この予約はすでに取り消されているため、取り消すものはありません。"),
    ("ended", "ja", "この予約は終了しています", "終了した予約は取り消せません。"),
    ("rejected", "ja", "この申請はお断りしました",
     "お断りした申請は何も押さえていないため、取り消すものはありません。"),
    ("expired", "en", "This request has expired", "An expired request holds nothing; there is nothing to cancel."),
    ("cancelled", "en", "This booking has already been cancelled",
     "This booking was cancelled before; there is nothing left to cancel."),
    ("ended", "en", "This booking has ended", "A booking that has ended cannot be cancelled."),
    ("rejected", "en", "This request was rejected", "A rejected request holds nothing; there is nothing to cancel."),
])
def test_the_cancel_page_says_why_it_cannot_cancel(client, booker, state, locale, title, text):
    member, booking = booker(state, locale)
    client.login(member.email)
    html = page(client, f"/bookings/{booking.id}/cancel")
    assert heading(html) == title and f"<title>{title}" in html
    assert text in html
    for vague in ("この予約は取り消せません", "この予約はもう取り消せません。", "This booking cannot be cancelled",
                  "This booking can no longer be cancelled."):
        assert vague not in html
    assert f'action="/bookings/{booking.id}/cancel"' not in html


def test_a_started_booking_still_says_it_has_started(client, create_space, create_booking, create_user):
    member = create_user(locale="ja")
    today = tokyo_today()
    booking = create_booking(create_space(), member, at(today, 0), at(today, 23, 59))
    client.login(member.email)
    html = page(client, f"/bookings/{booking.id}/cancel")
    assert "開始時刻を過ぎた予約は取り消せません。" in html


def _series(space, member, count: int) -> list[Booking]:
    book_series(member, weekly(space.id, count=count), [FIRST + timedelta(weeks=n) for n in range(count)])
    return list(db.session.scalars(select(Booking).where(Booking.user_id == member.id).order_by(Booking.start_dt)))


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_cancelling_one_date_of_a_series_reads_singular(client, create_space, create_user, locale):
    member = create_user(locale=locale)
    rows = _series(create_space(), member, 3)
    client.login(member.email)
    one = page(client, f"/series/cancel/{rows[1].id}?scope=one")
    several = page(client, f"/series/cancel/{rows[1].id}?scope=following")
    if locale == "ja":
        assert heading(one) == "この日程を取り消しますか？" and "これらの" not in one
        assert "の次の日程を取り消します" not in one and "」のこの日程を取り消します：" in one
        assert "この時間はすぐにほかの方が予約できる" in one and "他の人" not in one
        assert heading(several) == "これらの日程を取り消しますか？"
        assert "これらの時間はすぐにほかの方が予約できる" in several and "他の人" not in several
    else:
        assert heading(one) == "Cancel this date?" and "these dates" not in one.lower()
        assert "This date of “" in one and "No, keep it<" in one and "No, keep them" not in one
        assert "the time becomes free" in one
        assert heading(several) == "Cancel these dates?" and "These dates of “" in several
        assert "No, keep them" in several and "the times become free" in several


@pytest.mark.parametrize("state", ["cancelled", "rejected", "expired"])
def test_a_booking_that_holds_no_desks_shows_no_numbers_nor_ics(client, create_space, create_booking, create_user,
                                                                state):
    member, staff = create_user(locale="ja"), create_user(role="staff", locale="ja")
    desks = create_space(kind="pooled", unit_count=8, requires_approval=True, request_deadline_hours=24)
    if state == "expired":
        start = NOW + timedelta(hours=3)
        booking = create_booking(desks, member, start, start + timedelta(hours=1), status="pending",
                                 created_at=NOW - timedelta(days=2), units=(5, 6, 7))
    else:
        booking = create_booking(desks, member, at(MONDAY, 10), at(MONDAY, 11), status=state, units=(5, 6, 7))
    client.login(member.email)
    html = page(client, f"/bookings/{booking.id}")
    assert "デスク番号" not in html and "5、6、7" not in html
    assert "カレンダーに追加" not in html and f"/bookings/{booking.id}/calendar.ics" not in html
    client.login(staff.email)
    staff_html = page(client, f"/staff/bookings/{booking.id}")
    assert "デスク番号" not in staff_html.split("<h2>", 1)[0] and "5、6、7" not in staff_html


@pytest.mark.parametrize("state", ["confirmed", "pending"])
def test_a_booking_that_holds_its_desks_shows_them_and_the_ics(client, create_space, create_booking, create_user,
                                                                state):
    member, staff = create_user(locale="ja"), create_user(role="staff", locale="ja")
    desks = create_space(kind="pooled", unit_count=8, requires_approval=True)
    booking = create_booking(desks, member, at(MONDAY, 10), at(MONDAY, 11), status=state, units=(5, 6, 7))
    client.login(member.email)
    html = page(client, f"/bookings/{booking.id}")
    assert "デスク番号" in html and "5、6、7" in html and "カレンダーに追加" in html
    client.login(staff.email)
    assert "5、6、7" in page(client, f"/staff/bookings/{booking.id}")
