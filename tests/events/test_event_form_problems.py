"""The staff event form's refusals on saving (break-it pass 2026-12-01, second round, item 2): each problem is
said once, next to its field (aria-invalid, aria-describedby), the error summary linking to it; no second
「次の点をご確認ください：」 block repeats them."""

from __future__ import annotations

import re

from tests.events.test_event_form import form, hall_booking
from tests.summary_html import field_is_invalid, summary_items

OUTSIDE = "プログラム3番目が予約時間の外にあります。"
TOO_LATE = "申込終了はイベント終了までにしてください。"


def _refused(client, create_user, booking, **changes) -> str:
    client.login(create_user(role="staff").email)
    response = client.submit(f"/bookings/{booking.id}/event", form(booking.start_dt, **changes))
    assert response.status_code == 422
    return response.get_data(as_text=True)


def test_an_agenda_item_outside_the_booking_is_said_once_next_to_its_start(client, hall, create_user,
                                                                          create_booking):
    booking = hall_booking(hall, create_user, create_booking)

    page = _refused(client, create_user, booking, agenda_3_minutes="45")

    assert field_is_invalid(page, "agenda_3_time", OUTSIDE)
    assert summary_items(page) == [("agenda_3_time", f"開始：{OUTSIDE}")]
    assert page.count(OUTSIDE) == 2  # beside the field, and the summary's link to it
    assert "次の点をご確認ください：" not in page


def test_a_closing_after_the_event_is_said_next_to_the_closing_day(client, hall, create_user, create_booking):
    booking = hall_booking(hall, create_user, create_booking)
    after = booking.start_dt.date().isoformat()  # 17:00 Tokyo is 08:00 UTC: the same day

    page = _refused(client, create_user, booking, closes_day=after, closes_time="23:00")

    assert field_is_invalid(page, "closes_day", TOO_LATE)
    assert [target for target, _text in summary_items(page)] == ["closes_day"]
    assert page.count(TOO_LATE) == 2


def test_capacity_problems_are_said_next_to_the_capacity(client, hall, create_user, create_booking):
    booking = hall_booking(hall, create_user, create_booking)

    page = _refused(client, create_user, booking, capacity="81")

    assert field_is_invalid(page, "capacity", "最大人数は80人")
    assert [target for target, _text in summary_items(page)] == ["capacity"]
    assert len(re.findall("最大人数は80人", page)) == 3  # the page's hint above the form, the field, the summary
