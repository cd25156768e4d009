"""Plain values for the domain tests: a fixed week in Tokyo, policies and holds."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from booking.domain.values import Hold, Policy, Request

TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = date(2030, 6, 3)
# Weekdays 09:00–12:00 and 13:00–18:00; closed at the weekend.
SPLIT_DAY = {day: ((time(9), time(12)), (time(13), time(18))) for day in range(5)}


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    """An instant in Tokyo, `day` days after MONDAY."""
    return datetime.combine(MONDAY + timedelta(days=day), time(hour, minute), TOKYO)


def policy(**overrides: Any) -> Policy:
    values: dict[str, Any] = {"opening": SPLIT_DAY, "max_days_ahead": 365}
    values.update(overrides)
    return Policy(**values)


def request(start: datetime, end: datetime, seats: int = 1, user_id: int = 1) -> Request:
    return Request(start, end, seats, user_id)


def hold(start: datetime, end: datetime, unit: int = 1, booking_id: int = 100, user_id: int = 2) -> Hold:
    return Hold(booking_id, user_id, unit, start, end)


# A week before the test week: nothing in the test week is past or too close.
EARLY = at(9, day=-7)
