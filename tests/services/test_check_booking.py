"""check_booking, the one judge of a booking (SPEC §5), counts the member's own bookings for the quota,
the holds and usage a caller adds (a series' earlier dates), and names closed holidays in the locale."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.domain.values import Hold
from booking.extensions import db
from booking.services import bookings as booking_service
from tests.services.conftest import hours, tokyo_day

TOKYO = ZoneInfo("Asia/Tokyo")
START = tokyo_day(10)  # 09:00 in Tokyo
NOW = START - hours(48)


def judged(space, member, start: datetime, end: datetime, now: datetime = NOW, locale: str = "en",
           **extra):
    data = booking_service.BookingInput(space_id=space.id, start_dt=start, end_dt=end, title="Check")
    conflicts, units = booking_service.check_booking(db.session(), space, member, data, now, locale, **extra)
    return [c.code for c in conflicts], units, conflicts


def test_the_members_own_bookings_count_against_the_quota_and_others_do_not(
        create_space, create_user, create_booking):
    member, other = create_user(), create_user()
    room = create_space(quota_active_bookings=1)
    create_booking(room, other, START, START + hours(1))

    assert judged(room, member, START + hours(2), START + hours(3))[:2] == ([], [1])
    create_booking(room, member, START + hours(4), START + hours(5))
    assert judged(room, member, START + hours(2), START + hours(3))[0] == ["quota"]


def test_holds_a_caller_adds_are_taken_and_usage_it_adds_counts_against_the_quota(create_space, create_user):
    member = create_user()
    room = create_space(quota_active_bookings=1)
    earlier = Hold(0, member.id, 1, START, START + hours(1))

    assert judged(room, member, START, START + hours(1), extra_holds=[earlier])[0] == ["overlap"]
    assert judged(room, member, START + hours(2), START + hours(3),
                  extra_usage=[(START, START + hours(1))])[0] == ["quota"]
    assert judged(room, member, START + hours(2), START + hours(3))[0] == []


def test_a_closed_holiday_is_named_in_the_language_asked_for(create_space, create_user):
    member = create_user()
    room = create_space(close_on_holidays=True, max_days_ahead=2000)
    new_year = date(START.year + 2, 1, 1)
    start = datetime.combine(new_year, time(10), TOKYO)

    codes, units, conflicts = judged(room, member, start, start + timedelta(hours=1), locale="en")
    assert (codes, units) == (["closed"], None)
    assert "New Year" in conflicts[0].render()
    assert "元日" in judged(room, member, start, start + timedelta(hours=1), locale="ja")[2][0].render()
