"""Signed-in clients for the staff management pages, and small readers of what was written."""

from __future__ import annotations

import pytest

from booking.extensions import db
from booking.models import Booking, BookingEvent


@pytest.fixture
def staff_client(client, create_user):
    client.login(create_user(role="staff", name="Staff Sato").email)
    return client


@pytest.fixture
def admin(create_user):
    return create_user(role="admin", name="Admin Abe", email="admin@example.jp")


@pytest.fixture
def admin_client(client, admin):
    client.login(admin.email)
    return client


def fresh(model, row_id):
    """The row as the database has it now."""
    db.session.expire_all()
    return db.session.get(model, row_id)


def status_of(booking_id):
    return fresh(Booking, booking_id).status


def cancel_note(booking_id):
    db.session.expire_all()
    event = db.session.query(BookingEvent).filter_by(booking_id=booking_id, action="cancelled").one_or_none()
    return None if event is None else event.note
