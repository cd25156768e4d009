"""new_booking.prepare renders a booking before its write lock from an unsaved row (booking.db.unsaved): the
feed events and the mails must be those of the booking as stored, whatever kind of space and desks."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import event

from booking.db import unsaved
from booking.extensions import db
from booking.models import Booking
from booking.services import new_booking
from booking.services.bookings import BookingInput, request_booking
from booking.services.feed_events import feed_locale, render_booking
from booking.services.notifications import new_booking_notices, outbox_values
from tests.conftest import future_day

START = future_day(9).astimezone(UTC).replace(hour=1, minute=0)


@pytest.mark.parametrize(("kind", "seats"), [("exclusive", 1), ("pooled", 2)])
def test_what_is_prepared_ahead_is_what_the_stored_booking_renders(create_space, create_user, kind, seats):
    space = create_space(kind=kind, unit_count=4 if kind == "pooled" else 1)
    member = create_user(name="山田 花子", organisation="県庁")
    outcome = request_booking(member, BookingInput(
        space_id=space.id, start_dt=START, end_dt=START + timedelta(hours=1), title="録画", seats=seats,
        purpose="Open data", attendees=3, is_public=True))
    assert outcome.booking is not None
    db.session.expire_all()
    stored = db.session.get(Booking, outcome.booking.id)
    assert stored is not None and len(stored.holds) == seats
    fields = new_booking.Fields(stored.uid, stored.start_dt, stored.end_dt, stored.seats, stored.title,
                                stored.purpose, stored.attendees, stored.is_public, None)
    prepared = new_booking.prepare(stored.space, member, fields, stored.status, stored.unit_numbers,
                                   stored.created_at, [])
    assert prepared.rendered == render_booking(stored, stored.space, member, feed_locale())
    assert (stored.ics_public, stored.ics_member, stored.ics_staff) == (
        prepared.rendered.public, prepared.rendered.member, prepared.rendered.staff)
    as_stored = [outbox_values(notice) for notice in new_booking_notices(stored, stored.space, member, [])]
    assert [kind for kind, _payload, _calendar in _mails(prepared)] == ["booking.confirmed"]
    assert _mails(prepared) == [(v["kind"], v["payload"], tuple(v["attachments"])) for v in as_stored]


def _mails(prepared: new_booking.Prepared) -> list[tuple[str, object, tuple[object, ...]]]:
    return [(values["kind"], values["payload"], attachments) for values, attachments in prepared.mails]


def test_an_unsaved_row_is_in_no_session(app):
    row = unsaved(Booking, {"title": "録画", "holds": []})
    assert (row.title, row.holds, row.id, row.status) == ("録画", [], None, None)
    assert row not in db.session
    db.session.flush()
    assert db.session.get(Booking, 1) is None


def test_the_booking_a_request_returns_holds_every_column_it_wrote_without_reading_it_back(create_space, create_user):
    space, member = create_space(), create_user()
    outcome = request_booking(member, BookingInput(
        space_id=space.id, start_dt=START, end_dt=START + timedelta(hours=1), title="録画", purpose="Open data",
        attendees=3, is_public=True))
    booking = outcome.booking
    assert booking is not None
    statements: list[str] = []

    def noted(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", noted)
    try:
        values = {column.key: getattr(booking, column.key)
                  for column in Booking.__mapper__.column_attrs if not column.deferred}
    finally:
        event.remove(db.engine, "before_cursor_execute", noted)
    assert statements == []
    assert (values["attendees"], values["purpose"], values["is_public"], values["sequence"]) == (
        3, "Open data", True, 0)
    assert values["updated_at"] == values["created_at"] and values["cancelled_at"] is None
    assert values["proposed_start_dt"] is None and values["series_id"] is None


def test_the_booking_returned_carries_the_forms_token_and_its_mail_waits_with_no_error(create_space, create_user):
    from sqlalchemy import select

    from booking.models import OutboxMessage

    outcome = request_booking(create_user(), BookingInput(
        space_id=create_space().id, start_dt=START, end_dt=START + timedelta(hours=1), title="録画",
        submit_token="form-1"))
    assert outcome.booking is not None and outcome.booking.submit_token == "form-1"
    mails = db.session.scalars(select(OutboxMessage)).all()
    assert mails and [m.last_error for m in mails] == [""] * len(mails)


def test_a_booking_whose_mail_cannot_be_built_is_made_without_mail_and_the_failure_logged(
        create_space, create_user, monkeypatch, caplog):
    from booking.services import notifications

    def broken(*args):
        raise RuntimeError("no template")

    monkeypatch.setattr(notifications, "new_booking_notices", broken)
    outcome = request_booking(create_user(), BookingInput(
        space_id=create_space().id, start_dt=START, end_dt=START + timedelta(hours=1), title="録画"))
    assert outcome.booking is not None
    assert [r.getMessage() for r in caplog.records if r.name == new_booking.__name__] == [
        f"could not prepare the e-mail for booking {outcome.booking.uid}"]
