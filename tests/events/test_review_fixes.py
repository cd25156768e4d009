"""Defects found in review of the public events (each test failed before its fix)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import AgendaItem, Booking, PublicEvent
from booking.services import ServiceError
from booking.services.changes import BookingChange, change_booking


def _with_agenda(event: PublicEvent) -> PublicEvent:
    start = event.booking.start_dt
    event.agenda_items = [AgendaItem(start_dt=start, minutes=30, title_ja="開会"),
                          AgendaItem(start_dt=start + timedelta(minutes=30), minutes=60, title_ja="発表")]
    db.session.commit()
    return event


def test_moving_the_booking_moves_its_agenda_by_the_same_offset(kick_off, create_user):
    event = _with_agenda(kick_off)
    booking = event.booking
    staff = create_user(role="staff")
    later = booking.start_dt + timedelta(days=2, hours=1)

    outcome = change_booking(staff, booking.id, BookingChange(later, later + timedelta(hours=2),
                                                              booking.title, True))

    assert outcome.ok
    db.session.rollback()
    items = db.session.scalars(select(AgendaItem).order_by(AgendaItem.start_dt)).all()
    assert [(i.start_dt, i.minutes) for i in items] == [(later, 30), (later + timedelta(minutes=30), 60)]


def test_a_move_the_agenda_would_not_fit_is_refused_and_nothing_moves(kick_off, create_user):
    event = _with_agenda(kick_off)
    booking_id, start = event.booking_id, event.booking.start_dt
    staff = create_user(role="staff")
    later = start + timedelta(days=1)

    with pytest.raises(ServiceError):
        change_booking(staff, booking_id, BookingChange(later, later + timedelta(hours=1), "Kick-off", True))

    db.session.rollback()
    assert db.session.get(Booking, booking_id).start_dt == start
    assert min(i.start_dt for i in db.session.scalars(select(AgendaItem))) == start
