"""Helpers for service tests: counting rows and asking for a booking with defaults."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Booking, BookingHold, User
from booking.services.bookings import BookingInput, Outcome, request_booking
from tests.conftest import future_day


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def written() -> tuple[int, int]:
    """How many bookings and unit holds the database holds."""
    return count(Booking), count(BookingHold)


def tokyo_day(days: int = 7) -> datetime:
    """Midnight UTC some days ahead, which is 09:00 in Tokyo: opening time of test spaces."""
    return future_day(days)


@pytest.fixture
def ask(app: Any) -> Callable[..., Outcome]:
    """ask(member, space, start, end, **fields): request_booking with a title filled in."""

    def make(member: User, space: Any, start: datetime, end: datetime, **fields: Any) -> Outcome:
        now = fields.pop("now", None)
        fields.setdefault("title", "Team meeting")
        data = BookingInput(space_id=space.id, start_dt=start, end_dt=end, **fields)
        return request_booking(member, data, now=now)

    return make


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def miss_the_first_lookup(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
    """`module.name` (a lookup of a form already sent) finds nothing the first time it is called, as a second
    space's lock does that looks before the first space's write commits, and answers as itself afterwards."""
    looked_up = getattr(module, name)
    calls: list[tuple[Any, ...]] = []

    def not_yet_committed(*args: Any) -> Any:
        calls.append(args)
        return None if len(calls) == 1 else looked_up(*args)

    monkeypatch.setattr(module, name, not_yet_committed)
