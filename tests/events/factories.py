"""A public event on a confirmed booking of a hall, written straight to the tables (no rules)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from booking.extensions import db
from booking.models import Booking, BookingHold, PublicEvent, Space, User


def make_event(space: Space, host: User, start_dt: datetime, end_dt: datetime, **overrides: Any) -> PublicEvent:
    """A published event with `capacity` (default 30) on a new confirmed booking of `space`."""
    booking = Booking(space=space, user=host, start_dt=start_dt, end_dt=end_dt, title="Kick-off",
                      status="confirmed", seats=1, is_public=True)
    booking.holds.append(BookingHold(space_id=space.id, unit_no=1, occupied_start=start_dt,
                                     occupied_end=end_dt, is_active=True))
    values: dict[str, Any] = dict(
        booking=booking, title_ja="サテライトオフィス合同キックオフ", title_en="Satellite offices kick-off",
        organiser="Four municipalities", capacity=30, status="published",
        registration_opens_at=start_dt - timedelta(days=30), registration_closes_at=start_dt,
        accepts_walk_ins=True,
    )
    values.update(overrides)
    event = PublicEvent(**values)
    db.session.add(event)
    db.session.commit()
    return event
