"""A change saves the purpose and the expected attendees it carries, keeps a Japanese edit note
readable, and refuses an empty title with a message that says what to do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, BookingEvent
from booking.services import ServiceError
from booking.services.changes import BookingChange, change_booking
from tests.services.conftest import tokyo_day

DAY = tokyo_day(6)  # 09:00 in Tokyo


def changed_to(booking, **fields) -> BookingChange:
    values = dict(title=booking.title, is_public=booking.is_public, seats=booking.seats)
    values.update(fields)
    return BookingChange(booking.start_dt, booking.end_dt, **values)


def test_a_change_saves_its_purpose_and_expected_attendees(ask, create_space, create_user):
    member = create_user()
    booking = ask(member, create_space(), DAY + timedelta(hours=1), DAY + timedelta(hours=2),
                  purpose="Planning", attendees=3).booking

    outcome = change_booking(member, booking.id, changed_to(booking, purpose="収録の打ち合わせ", attendees=8))

    assert outcome.ok
    db.session.expire_all()
    saved = db.session.get(Booking, booking.id)
    assert (saved.purpose, saved.attendees) == ("収録の打ち合わせ", 8)


def test_the_edit_note_keeps_japanese_text_as_written(ask, create_space, create_user):
    member = create_user()
    booking = ask(member, create_space(), DAY + timedelta(hours=1), DAY + timedelta(hours=2)).booking

    change_booking(member, booking.id, changed_to(booking, title="定例会議"))

    note = db.session.scalars(select(BookingEvent.note).where(BookingEvent.booking_id == booking.id,
                                                              BookingEvent.action == "edited")).one()
    assert "定例会議" in note


def test_an_empty_title_is_refused_with_what_to_enter(ask, create_space, create_user):
    member = create_user()
    booking = ask(member, create_space(), DAY + timedelta(hours=1), DAY + timedelta(hours=2)).booking

    with pytest.raises(ServiceError) as refused:
        change_booking(member, booking.id, changed_to(booking, title="  "))

    assert refused.value.message == "Enter a title (at most %(max)s characters)."
    assert "max" in refused.value.params
