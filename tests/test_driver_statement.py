"""booking.db.DriverStatement: a statement run on the driver's connection stores what SQLAlchemy's run
stores, byte for byte, and fails as SQLAlchemy's would (the guard's refusal, a refused write)."""

from __future__ import annotations

import sqlite3 as real_sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.exc import IntegrityError, OperationalError

from booking.db import DriverStatement, WriteRefused, _write_refusals, refuse_writes_on, refuse_writes_while
from booking.extensions import db
from booking.models import Booking, BookingHold, OutboxMessage, Space
from booking.services.transactions import is_guard_refusal
from tests.conftest import future_day

START = future_day(10).astimezone(UTC)


def booking_values(space_id: int, user_id: int, uid: str, start: datetime) -> dict[str, object]:
    changed = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    return {"uid": uid, "space_id": space_id, "user_id": user_id, "start_dt": start,
            "end_dt": start + timedelta(hours=1), "seats": 1, "title": "録画 'quoted' \\N", "purpose": "",
            "attendees": 0, "is_public": True, "status": "confirmed", "sequence": 0, "override_reason": "",
            "created_at": changed, "updated_at": changed, "ics_public": "BEGIN:VEVENT\r\n", "ics_member": None,
            "ics_staff": None, "ics_stamp": None, "submit_token": None}


def stored_text(table: str, row_id: int, columns: str) -> tuple[object, ...]:
    """A row as the database holds it (on SQLite: the very text and integers stored)."""
    row = db.session.connection().exec_driver_sql(f"SELECT {columns} FROM {table} WHERE id = {int(row_id)}").one()
    return tuple(row)


BOOKING_COLUMNS = ("space_id, user_id, start_dt, end_dt, seats, title, purpose, attendees, is_public, status, "
                   "sequence, override_reason, created_at, updated_at, ics_public, ics_member, ics_stamp")


def test_a_value_left_out_is_refused_not_written_as_sqlalchemys_required_marker(create_space, create_user):
    space, member = create_space(), create_user()
    values = booking_values(space.id, member.id, "c", START)
    statement = DriverStatement(insert(Booking.__table__), values.keys())
    del values["submit_token"]  # a nullable column: the marker (an int) was stored in it as text
    if db.engine.dialect.name == "sqlite":  # DriverStatement's own path refuses it
        with pytest.raises(KeyError, match="submit_token"):
            statement.execute(db.session.connection(), values)
    else:  # elsewhere `execute` is SQLAlchemy's, which leaves the column to its default
        new_id = statement.execute(db.session.connection(), values)
        assert db.session.get(Booking, new_id).submit_token is None


def test_a_booking_and_its_hold_are_stored_as_sqlalchemy_stores_them(create_space, create_user):
    space, member = create_space(), create_user()
    connection = db.session.connection()
    statement = DriverStatement(insert(Booking.__table__), booking_values(0, 0, "", START).keys())
    by_sqlalchemy = connection.execute(insert(Booking.__table__), booking_values(
        space.id, member.id, "a", START)).inserted_primary_key[0]
    by_driver = statement.execute(connection, booking_values(space.id, member.id, "b", START + timedelta(hours=2)))
    assert by_driver is not None and by_driver != by_sqlalchemy
    first, second = (stored_text("bookings", i, BOOKING_COLUMNS) for i in (by_sqlalchemy, by_driver))
    assert second[2:4] != first[2:4]  # the times, two hours later: each stored in the same form
    assert [type(v) for v in second] == [type(v) for v in first]
    assert second[:2] + second[4:] == first[:2] + first[4:]
    hold = DriverStatement(insert(BookingHold.__table__), (
        "booking_id", "space_id", "unit_no", "occupied_start", "occupied_end", "is_active"))
    hold.execute(connection, {"booking_id": by_driver, "space_id": space.id, "unit_no": 1, "is_active": True,
                              "occupied_start": START + timedelta(hours=2), "occupied_end": START + timedelta(hours=3)})
    db.session.commit()
    db.session.expire_all()
    booking = db.session.get(Booking, by_driver)
    assert booking is not None
    later = START + timedelta(hours=2)
    assert (booking.start_dt, booking.title, booking.is_public) == (later, "録画 'quoted' \\N", True)
    assert [(h.unit_no, h.occupied_start, h.is_active) for h in booking.holds] == [(1, later, True)]


def test_a_mail_row_stores_its_json_as_sqlalchemy_does(app):
    values = {"kind": "booking.confirmed", "recipient": "a@example.jp", "locale": "ja",
              "payload": {"facts": {"booking_id": 1, "title": "録画"}, "n": [1, 2.5, None]},
              "attachments": [{"filename": "booking.ics", "data": "QkVHSU4="}], "status": "pending", "attempts": 1,
              "due_at": START, "last_error": "", "created_at": START}
    connection = db.session.connection()
    by_sqlalchemy = connection.execute(insert(OutboxMessage.__table__), {**values, "message_uuid": "a"})
    by_driver = DriverStatement(insert(OutboxMessage.__table__), [*values, "message_uuid"]).execute(
        connection, {**values, "message_uuid": "b"})
    assert by_driver is not None
    columns = "kind, recipient, locale, payload, attachments, status, attempts, due_at, last_error, created_at"
    assert stored_text("outbox", by_driver, columns) == stored_text(
        "outbox", by_sqlalchemy.inserted_primary_key[0], columns)


def test_the_guards_refusal_through_the_driver_is_sqlalchemys_integrity_error(create_space, create_user,
                                                                               create_booking):
    room, member = create_space(kind="pooled", unit_count=2), create_user()
    create_booking(room, member, START, START + timedelta(hours=2), units=(1,))
    other = create_booking(room, member, START + timedelta(hours=5), START + timedelta(hours=6), units=(2,))
    hold = DriverStatement(insert(BookingHold.__table__), (
        "booking_id", "space_id", "unit_no", "occupied_start", "occupied_end", "is_active"))
    with pytest.raises(IntegrityError) as refused:
        hold.execute(db.session.connection(), {
            "booking_id": other.id, "space_id": room.id, "unit_no": 1, "is_active": True,
            "occupied_start": START + timedelta(hours=1), "occupied_end": START + timedelta(hours=3)})
    db.session.rollback()
    assert is_guard_refusal(refused.value), refused.value


def test_a_refused_write_is_refused_through_the_driver_too(create_space):
    space = create_space()
    refusing = {"now": True}

    def is_refused() -> bool:
        return refusing["now"]

    refuse_writes_while(is_refused)
    try:
        refuse_writes_on(db.session())
        raise_feed = DriverStatement(text("UPDATE spaces SET feed_version = feed_version + 1 WHERE id = :space_id"))
        with pytest.raises(WriteRefused):
            raise_feed.execute(db.session.connection(), {"space_id": space.id})
    finally:
        refusing["now"] = False
        db.session.rollback()
        _write_refusals.remove(is_refused)  # asked on every transaction begun after this test


def test_a_listener_on_the_statements_sees_each_one(create_space):
    space_id = create_space().id
    connection = db.session.connection()
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        DriverStatement(text("UPDATE spaces SET feed_version = feed_version + 1 WHERE id = :space_id")).execute(
            connection, {"space_id": space_id})
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert seen == ["UPDATE"]


def test_a_statement_the_driver_refused_after_losing_the_transaction_is_not_sent_again(create_space, monkeypatch):
    """SQLite rolls a whole transaction back on a full disk: sending the statement again would write it
    outside any transaction (committed at once, whatever the request decides after)."""
    if db.engine.dialect.name != "sqlite":
        return  # the driver's path is SQLite's: elsewhere SQLAlchemy runs every statement (tested above)
    space_id = create_space().id
    connection = db.session.connection()
    real = connection.connection.driver_connection
    calls = []

    class FullDisk:
        in_transaction = False

        def execute(self, sql, parameters):
            calls.append(sql)
            real.execute("ROLLBACK")  # as SQLite does on SQLITE_FULL
            raise real_sqlite3.OperationalError("database or disk is full")

    fairy = connection.connection
    monkeypatch.setattr(type(fairy), "driver_connection", property(lambda _self: FullDisk()))
    raise_feed = DriverStatement(text("UPDATE spaces SET feed_version = feed_version + 1 WHERE id = :space_id"))
    with pytest.raises(OperationalError):
        raise_feed.execute(connection, {"space_id": space_id})
    monkeypatch.undo()
    assert len(calls) == 1
    db.session.rollback()
    assert db.session.get(Space, space_id).feed_version == 0
