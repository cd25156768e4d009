"""The staff pages list a change's victims before saving, and save once each has a choice."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.extensions import db
from booking.models import Booking, HolidayOpening, Space
from booking.services import admin_spaces
from tests.admin.conftest import fresh, status_of
from tests.summary_html import summary_items, summary_targets
from tests.views.conftest import monday_ahead

TOKYO = ZoneInfo("Asia/Tokyo")
NINE_TO_SIX = {d: ((time(9), time(18)),) for d in range(7)}
HOURS = {f"day_{n}": "09:00-18:00" for n in range(7)}


def saturday_at(hour: int) -> datetime:
    return datetime.combine(monday_ahead() + timedelta(days=5), time(hour), TOKYO)


def test_clearing_saturday_lists_the_saturday_bookings_and_keeps_them_with_a_reason(
        staff_client, create_space, create_user, create_booking):
    desks = create_space(kind="pooled", unit_count=24, hours=NINE_TO_SIX)
    member = create_user(name="Member Mori")
    booked = [create_booking(desks, member, saturday_at(10), saturday_at(12), units=(n,), title=f"Desk day {n}")
              for n in range(1, 6)]
    form = {**HOURS, "day_5": ""}
    staff_client.submit("/language", {"locale": "en"})

    response = staff_client.submit(f"/staff/spaces/{desks.id}/hours", form)

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert all(f'data-booking="{b.id}"' in page for b in booked) and "Member Mori" in page
    assert summary_targets(page) == ["victims"]  # the error summary opens the page and links to the list
    assert len(fresh(Space, desks.id).opening_hours) == 7

    keep = {f"victim_{b.id}": "keep" for b in booked}
    refused = staff_client.submit(f"/staff/spaces/{desks.id}/hours", {**form, **keep})
    assert refused.status_code == 409 and "Say why" in refused.get_data(as_text=True)
    assert any("Say why" in text for _target, text in summary_items(refused.get_data(as_text=True)))

    saved = staff_client.submit(f"/staff/spaces/{desks.id}/hours",
                                {**form, **keep, "victims_reason": "Told them in person"})

    assert saved.status_code == 302
    assert len(fresh(Space, desks.id).opening_hours) == 6
    assert {status_of(b.id) for b in booked} == {"confirmed"}


def test_removing_a_holiday_opening_with_a_booking_on_it_asks_first_then_cancels_with_one_message(
        staff_client, create_space, create_user, create_booking):
    hall = create_space(hours=NINE_TO_SIX, close_on_holidays=True, holiday_country="JP")
    holiday = next(d for d, _ in sorted(admin_spaces.national_holidays("JP", monday_ahead().year + 1, "en_US").items()))
    opening_id = admin_spaces.add_holiday_opening(hall.id, holiday).id
    at = datetime.combine(holiday, time(10), TOKYO)
    booking = create_booking(hall, create_user(), at, at + timedelta(hours=2), title="New Year talk")
    url = f"/staff/spaces/{hall.id}/holidays/{opening_id}/delete"

    response = staff_client.submit(url)

    assert response.status_code == 409
    assert "New Year talk" in response.get_data(as_text=True)
    assert summary_targets(response.get_data(as_text=True)) == ["victims"]
    assert f'name="_next" value="/staff/spaces/{hall.id}/hours"' in response.get_data(as_text=True)
    assert staff_client.get(url).headers["Location"].endswith(f"/staff/spaces/{hall.id}/hours")
    assert db.session.get(HolidayOpening, opening_id) is not None

    done = staff_client.submit(url, {f"victim_{booking.id}": "cancel", "victims_message": "Closed for the holiday"})

    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(HolidayOpening, opening_id) is None
    assert fresh(Booking, booking.id).status == "cancelled"


def test_victims_reason_and_message_go_through_the_bounded_fields(
        staff_client, create_space, create_user, create_booking):
    desks = create_space(kind="pooled", unit_count=24, hours=NINE_TO_SIX)
    booked = create_booking(desks, create_user(), saturday_at(10), saturday_at(12), units=(1,))
    form = {**HOURS, "day_5": "", f"victim_{booked.id}": "keep"}
    url = f"/staff/spaces/{desks.id}/hours"
    staff_client.submit("/language", {"locale": "en"})

    broken = staff_client.submit(url, {**form, "victims_reason": "Told them\nin person\x07"})

    assert broken.status_code == 422
    page = broken.get_data(as_text=True)
    assert 'id="victims_reason-error"' in page and "Use a single line" in page
    assert len(fresh(Space, desks.id).opening_hours) == 7
    assert not fresh(Booking, booked.id).override_reason

    long = staff_client.submit(url, {**form, "victims_reason": "x" * 2001})
    assert long.status_code == 422 and 'id="victims_reason-error"' in long.get_data(as_text=True)
    assert len(fresh(Space, desks.id).opening_hours) == 7

    staff_client.submit("/language", {"locale": "ja"})
    in_japanese = staff_client.submit(url, {**form, "victims_reason": "a\tb"})
    assert in_japanese.status_code == 422 and "改行" in in_japanese.get_data(as_text=True)

    saved = staff_client.submit(url, {**form, "victims_reason": "  Told them in person  "})
    assert saved.status_code == 302
    assert fresh(Booking, booked.id).override_reason == "Told them in person"
