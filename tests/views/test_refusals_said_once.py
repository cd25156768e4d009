"""A refusal of no field (an overlap) is said once, in the error summary, on every booking form (break-it pass
2026-12-01, second round, item 3): the staff's and the change form said it twice, under 「次の点をご確認ください」
and again under 「次の理由により予約できませんでした」 (the member's form too, under the same heading twice)."""

from __future__ import annotations

from tests.staff.test_staff_booking import DAY as STAFF_DAY
from tests.staff.test_staff_booking import local_form
from tests.summary_html import is_summary_first, summary_items
from tests.views.conftest import at, monday_ahead

OVERLAPS = "は、他の予約（準備・片付け時間を含みます）と重なっています。"
DAY = monday_ahead()


def _said_once(page: str) -> list[str]:
    """The overlap's lines in the summary, after checking it is said nowhere else and under one heading."""
    assert page.count(OVERLAPS) == 1, page.count(OVERLAPS)
    assert page.count("次の点をご確認ください") + page.count("次の理由により予約できませんでした") == 1
    assert 'class="errors"' not in page and is_summary_first(page)
    return [text for target, text in summary_items(page) if OVERLAPS in text and not target]


def test_the_staff_booking_form_says_an_overlap_once(client, create_user, create_space, create_booking):
    from tests.staff.test_staff_booking import TOKYO

    studio = create_space(slug="studio")
    day = STAFF_DAY.astimezone(TOKYO).date()
    create_booking(studio, create_user(), at(day, 10), at(day, 12))
    client.login(create_user(role="staff").email)

    response = client.submit("/staff/spaces/studio/book", local_form(11, 13, override_reason="Maintenance"))

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert len(_said_once(page)) == 1
    assert "次の理由により予約できませんでした" in page  # the summary names a refused booking


def test_the_change_form_says_an_overlap_once(client, create_user, create_space, create_booking):
    room = create_space(slug="room")
    member = create_user()
    mine = create_booking(room, member, at(DAY, 10), at(DAY, 11), title="Mine")
    create_booking(room, create_user(), at(DAY, 14), at(DAY, 15))
    client.login(member.email)

    response = client.submit(f"/bookings/{mine.id}/edit", {
        "day": DAY.isoformat(), "start_time": "14:00", "end_time": "15:00", "title": "Mine", "attendees": "2",
        "seats": "1", "units": ""})

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert len(_said_once(page)) == 1
    assert "次の点をご確認ください" in page  # a change is not "not booked": the booking stays as it was


def test_the_member_booking_form_says_an_overlap_once(client, create_user, create_space, create_booking):
    room = create_space(slug="room")
    create_booking(room, create_user(), at(DAY, 10), at(DAY, 11))
    client.login(create_user().email)

    response = client.submit("/spaces/room/book", {
        "day": DAY.isoformat(), "start_time": "10:00", "end_time": "11:00", "title": "Study group",
        "attendees": "3"})

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert len(_said_once(page)) == 1
