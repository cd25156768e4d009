"""`flask rebuild-feed-events` stores fresh events after a change GETs only render in memory."""

from __future__ import annotations

from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking
from booking.services.transactions import run_write


def test_the_command_stores_the_events_of_a_renamed_member(app, space, member, book):
    booking = book(space, member)
    stored = db.session.scalar(select(Booking.ics_staff).where(Booking.id == booking.id))

    def rename(session):
        session.get(type(member), member.id).name = "新しい 名前"

    run_write(None, rename)
    result = app.test_cli_runner().invoke(args=["rebuild-feed-events"])

    assert result.exit_code == 0, result.output
    assert f"space {space.id}: 1 events rebuilt" in result.output
    db.session.rollback()
    fresh = db.session.scalar(select(Booking.ics_staff).where(Booking.id == booking.id))
    assert fresh != stored and "新しい 名前" in fresh.replace("\r\n ", "")
