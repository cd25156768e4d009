"""A new booking's rows: built before its space's write lock, written under it by a few Core statements.

Profile of a booking POST (benchmarks/booking_profile.py under py-spy, issue 21): inside
the lock the ORM flush of the booking, its hold, its trail entry and its mail took
'sqlalchemy/orm/session.py(_flush)' 18 % of the POST, and its hooks rendered again what
had been rendered ahead ('feed_events.py(_refresh_changed_bookings)',
'notifications.py(_enqueue_notices)' with the mail's calendar). Now the feed events, the
mails and their calendar are built here before the lock from the space and member as
read then; under the lock the booking is judged on fresh holds, closures and usage, and
when it comes out as prepared (same status, desks, space names and change time) four
INSERTs and the feed counter's UPDATE are all that is left. When anything differs the
rows are prepared again under the lock from what it reads, so nothing stale is stored.

The outbox rows are written leased to this process, as booking/delivery.py leases the
ORM's: the mail is tried right after the commit (`outbox.CLAIMED`) and, if that attempt
is lost, sent by the job runner when the lease runs out.

On PostgreSQL the four INSERTs and the feed counter's UPDATE are one statement
(data-modifying CTEs; the holds' and trail's foreign keys and the exclusion constraint
are checked at its end as before): profile line 'new_booking.py(write)' held the space's
lock for five round trips to the server and five statements' executor start-up
(`_write_postgresql`).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, TextClause, insert, text
from sqlalchemy.orm import Session

from booking.db import DriverStatement, as_loaded, unsaved
from booking.models import Booking, BookingEvent, BookingHold, OutboxMessage, Space, User
from booking.services import notifications, outbox
from booking.services.feed_events import RAISE_FEED, Rendered, feed_locale, render_booking

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Member:
    """The member's values a booking shows, read before the lock (the lock's commit expires the row)."""

    id: int
    name: str
    organisation: str
    email: str
    locale: str

    @classmethod
    def of(cls, user: User) -> Member:
        return cls(user.id, user.name, user.organisation or "", user.email, user.locale or "ja")


@dataclass(frozen=True)
class Fields:
    """The booking's own values (what the form gave, in UTC)."""

    uid: str
    start_dt: datetime
    end_dt: datetime
    seats: int
    title: str
    purpose: str
    attendees: int
    is_public: bool
    submit_token: str | None


@dataclass(frozen=True)
class Prepared:
    """A booking's rows as they will be written, and what they were built from."""

    fields: Fields
    status: str
    units: tuple[int, ...]
    changed_at: datetime
    space_facts: tuple[Any, ...]
    rendered: Rendered
    mails: tuple[tuple[dict[str, Any], tuple[Any, ...]], ...]  # (row values, attachments as the mail takes them)


def space_facts(space: Space) -> tuple[Any, ...]:
    """What the feed events and the mails show of a space; prepared rows are reused only when it is unchanged."""
    return (space.id, space.name_ja, space.name_en, space.timezone, space.kind)


def prepare(space: Space, user: User, fields: Fields, status: str, units: Sequence[int], changed_at: datetime,
            staff: Sequence[User]) -> Prepared:
    """Render the booking's feed events and build its mails (none when mail is muted)."""
    ahead = unsaved(Booking, dict(
        uid=fields.uid, space_id=space.id, user_id=user.id, start_dt=fields.start_dt, end_dt=fields.end_dt,
        seats=fields.seats, title=fields.title, purpose=fields.purpose, attendees=fields.attendees,
        is_public=fields.is_public, status=status, sequence=0, created_at=changed_at, updated_at=changed_at,
        holds=[unsaved(BookingHold, {"unit_no": unit}) for unit in units],
    ))
    rendered = render_booking(ahead, space, user, feed_locale())
    return Prepared(fields, status, tuple(units), changed_at, space_facts(space), rendered,
                    _mails(ahead, space, user, staff))


def _mails(ahead: Booking, space: Space, user: User, staff: Sequence[User]) -> tuple[tuple[dict[str, Any],
                                                                                         tuple[Any, ...]], ...]:
    """The outbox rows of the booking's mails; none, as the audit hook had it, when they cannot be built."""
    if notifications.is_muted():
        return ()
    mails = []
    try:
        for notice in notifications.new_booking_notices(ahead, space, user, staff):
            values = notifications.outbox_values(notice)
            attachments = tuple(values["attachments"])
            values["attachments"] = [outbox.stored_attachment(a) for a in attachments]
            mails.append((values, attachments))
    except Exception:
        log.exception("could not prepare the e-mail for booking %s", ahead.uid)
        return ()
    return tuple(mails)


def is_as_prepared(prepared: Prepared, space: Space, status: str, units: Sequence[int], changed_at: datetime) -> bool:
    """Whether what the lock found gives the rows `prepared` holds."""
    return (prepared.status, prepared.units, prepared.changed_at, prepared.space_facts) == (
        status, tuple(units), changed_at, space_facts(space))


def write(session: Session, prepared: Prepared, space: Space, member: Member, actor_id: int, action: str,
          note: str, at: datetime, is_holding: bool, occupied: tuple[datetime, datetime], lease_from: datetime,
          override_reason: str, feed_updates: Sequence[dict[str, Any]] = ()) -> int:
    """INSERT the booking, its holds, its trail entry and its mails (leased to this process); returns its id.

    `feed_updates` are feed counter UPDATEs that feed_events.raise_feed_versions left to this
    statement (its `deferred`; PostgreSQL only, where they are part of the one statement).
    `lease_from`: the clock read under the lock (UTC); the mails are created then and leased from then.
    """
    fields, rendered = prepared.fields, prepared.rendered
    booking_row = {
        "uid": fields.uid, "space_id": space.id, "user_id": member.id, "start_dt": fields.start_dt,
        "end_dt": fields.end_dt, "seats": fields.seats, "title": fields.title, "purpose": fields.purpose,
        "attendees": fields.attendees, "is_public": fields.is_public, "status": prepared.status, "sequence": 0,
        "override_reason": override_reason, "created_at": prepared.changed_at, "updated_at": prepared.changed_at,
        "ics_public": rendered.public, "ics_member": rendered.member, "ics_staff": rendered.staff,
        "ics_stamp": rendered.stamp, "submit_token": fields.submit_token,
    }
    if session.get_bind().dialect.name == "postgresql":
        booking_id, claimed = _write_postgresql(session, prepared, booking_row, actor_id, action, note, at,
                                                is_holding, occupied, lease_from, feed_updates)
    else:
        # On the session's connection, not through Session.execute: these statements need none of the
        # ORM's execution (profile line 'sqlalchemy/orm/session.py(_execute_internal)', 5 times inside the lock),
        # nor Core's (booking.db.DriverStatement).
        connection = session.connection()
        for update in feed_updates:
            _RAISE_FEED.execute(connection, update)
        booking_id = _inserted_id(_INSERT_BOOKING, connection, booking_row)
        claimed = _write_rows(connection, prepared, booking_id, space.id, actor_id, action, note, at, is_holding,
                              occupied, lease_from)
    if claimed:
        session.info.setdefault(outbox.CLAIMED, []).extend(claimed)
    return booking_id


def _write_rows(connection: Connection, prepared: Prepared, booking_id: int, space_id: int, actor_id: int,
                action: str, note: str, at: datetime, is_holding: bool, occupied: tuple[datetime, datetime],
                lease_from: datetime) -> list[outbox.Claimed]:
    holds = [{"booking_id": booking_id, "space_id": space_id, "unit_no": unit, "occupied_start": occupied[0],
              "occupied_end": occupied[1], "is_active": is_holding} for unit in prepared.units]
    for hold in holds:
        _INSERT_HOLD.execute(connection, hold)
    _INSERT_EVENT.execute(connection, {"booking_id": booking_id, "actor_id": actor_id, "at": at, "action": action,
                                       "from_status": None, "to_status": prepared.status, "note": note})
    return [_write_mail(connection, values, attachments, booking_id, lease_from)
            for values, attachments in prepared.mails]


_BOOKING_COLUMNS = ("uid", "space_id", "user_id", "start_dt", "end_dt", "seats", "title", "purpose", "attendees",
                    "is_public", "status", "sequence", "override_reason", "created_at", "updated_at", "ics_public",
                    "ics_member", "ics_staff", "ics_stamp", "submit_token")
_MAIL_COLUMNS = ("kind", "recipient", "locale", "payload", "attachments", "message_uuid", "status", "attempts",
                 "due_at", "last_error", "created_at")
_statements: dict[tuple[int, int], TextClause] = {}
# SQLite: the rows' statements, each compiled once and run on the driver's connection (booking.db.DriverStatement).
_INSERT_BOOKING = DriverStatement(insert(Booking.__table__), _BOOKING_COLUMNS)
_INSERT_HOLD = DriverStatement(insert(BookingHold.__table__), (
    "booking_id", "space_id", "unit_no", "occupied_start", "occupied_end", "is_active"))
_INSERT_EVENT = DriverStatement(insert(BookingEvent.__table__), (
    "booking_id", "actor_id", "at", "action", "from_status", "to_status", "note"))
_INSERT_MAIL = DriverStatement(insert(OutboxMessage.__table__), _MAIL_COLUMNS)
_RAISE_FEED = DriverStatement(RAISE_FEED)


def _postgresql_statement(mails: int, feed_updates: int) -> TextClause:
    """The one INSERT … RETURNING of a booking with `mails` outbox rows and `feed_updates` feed counters
    raised (kept per count, at most one per number of staff: the server prepares it)."""
    statement = _statements.get((mails, feed_updates))
    if statement is not None:
        return statement
    parts = [
        f"f{n} AS (UPDATE spaces SET feed_version = feed_version + 1, "
        f"feed_changed_at = CAST(:feed_changed_at_{n} AS timestamptz) WHERE id = CAST(:feed_space_id_{n} AS integer))"
        for n in range(feed_updates)
    ] + [
        f"b AS (INSERT INTO bookings ({', '.join(_BOOKING_COLUMNS)}) "
        f"VALUES ({', '.join(':' + column for column in _BOOKING_COLUMNS)}) RETURNING id)",
        "h AS (INSERT INTO booking_holds (booking_id, space_id, unit_no, occupied_start, occupied_end, is_active) "
        "SELECT b.id, CAST(:space_id AS integer), unit, CAST(:occupied_start AS timestamptz), "
        "CAST(:occupied_end AS timestamptz), CAST(:is_active AS boolean) "
        "FROM b, unnest(CAST(:units AS integer[])) AS unit)",
        "e AS (INSERT INTO booking_events (booking_id, actor_id, at, action, from_status, to_status, note) "
        "SELECT b.id, CAST(:actor_id AS integer), CAST(:at AS timestamptz), CAST(:action AS varchar), NULL, "
        "CAST(:to_status AS varchar), CAST(:note AS text) FROM b)",
    ]
    for n in range(mails):
        values = [f"CAST(:{column}_{n} AS varchar)" for column in ("kind", "recipient", "locale")] + [
            f"CAST(jsonb_set(CAST(:payload_{n} AS jsonb), '{{facts,booking_id}}', to_jsonb(b.id)) AS json)",
            f"CAST(:attachments_{n} AS json)", f"CAST(:message_uuid_{n} AS varchar)", "'pending'", "1",
            f"CAST(:due_at_{n} AS timestamptz)", "''", f"CAST(:created_at_{n} AS timestamptz)"]
        parts.append(f"m{n} AS (INSERT INTO outbox ({', '.join(_MAIL_COLUMNS)}) SELECT {', '.join(values)} "
                     f"FROM b RETURNING id)")
    mail_ids = "".join(f", m{n}.id" for n in range(mails))
    statement = text(f"WITH {', '.join(parts)} SELECT b.id{mail_ids} FROM b{''.join(f', m{n}' for n in range(mails))}")
    _statements[(mails, feed_updates)] = statement
    return statement


def _write_postgresql(session: Session, prepared: Prepared, booking_row: dict[str, Any], actor_id: int,
                      action: str, note: str, at: datetime, is_holding: bool, occupied: tuple[datetime, datetime],
                      lease_from: datetime, feed_updates: Sequence[dict[str, Any]]) -> tuple[int, list[outbox.Claimed]]:
    """`write`'s rows in one statement: (the booking's id, its mails as leased to this process)."""
    parameters = {**booking_row, "units": list(prepared.units), "occupied_start": occupied[0],
                  "occupied_end": occupied[1], "is_active": is_holding, "actor_id": actor_id, "at": at,
                  "action": action, "to_status": prepared.status, "note": note}
    uuids = []
    for n, (values, _attachments) in enumerate(prepared.mails):
        uuids.append(uuid.uuid4().hex)
        parameters.update({f"kind_{n}": values["kind"], f"recipient_{n}": values["recipient"],
                           f"locale_{n}": values["locale"], f"payload_{n}": json.dumps(values["payload"]),
                           f"attachments_{n}": json.dumps(values["attachments"]), f"message_uuid_{n}": uuids[n],
                           f"due_at_{n}": lease_from + outbox.LEASE, f"created_at_{n}": lease_from})
    for n, update in enumerate(feed_updates):
        parameters.update({f"feed_changed_at_{n}": update["changed_at"], f"feed_space_id_{n}": update["space_id"]})
    # On the session's connection, as SQLite's statements are: Session.execute added nothing to a text()
    # statement but its own dispatch (profile line 'sqlalchemy/orm/session.py(_execute_internal)' under
    # '_write_postgresql', inside the lock of every POST).
    row = session.connection().execute(_postgresql_statement(len(prepared.mails), len(feed_updates)),
                                       parameters).one()
    booking_id = int(row[0])
    claimed = []
    for n, (values, attachments) in enumerate(prepared.mails):
        payload = {**values["payload"], "facts": {**values["payload"]["facts"], "booking_id": booking_id}}
        claimed.append(outbox.Claimed(int(row[n + 1]), values["kind"], values["recipient"], values["locale"],
                                      payload, attachments, uuids[n], 1))
    return booking_id, claimed


def _inserted_id(statement: DriverStatement, connection: Connection, values: dict[str, Any]) -> int:
    inserted = statement.execute(connection, values)
    assert inserted is not None
    return inserted


def _write_mail(connection: Connection, values: dict[str, Any], attachments: tuple[Any, ...], booking_id: int,
                lease_from: datetime) -> outbox.Claimed:
    payload = {**values["payload"], "facts": {**values["payload"]["facts"], "booking_id": booking_id}}
    message_uuid = uuid.uuid4().hex
    row = {"created_at": lease_from, **values, "payload": payload, "message_uuid": message_uuid, "status": "pending",
           "attempts": 1, "due_at": lease_from + outbox.LEASE, "last_error": ""}
    mail_id = _inserted_id(_INSERT_MAIL, connection, row)
    return outbox.Claimed(mail_id, values["kind"], values["recipient"], values["locale"], payload, attachments,
                          message_uuid, 1)


def stored(session: Session, booking_id: int, prepared: Prepared, space_id: int, member_id: int,
           override_reason: str) -> Booking:
    """The booking just committed as an ORM row of the session, from the values written (no SELECT).

    Filled as the ORM's loader fills an instance (booking.db.as_loaded, as accounts._user_by_id is);
    the deferred calendar columns stay unloaded, as before.
    """
    fields = prepared.fields
    return as_loaded(session, Booking, dict(
        id=booking_id, uid=fields.uid, space_id=space_id, user_id=member_id, start_dt=fields.start_dt,
        end_dt=fields.end_dt, seats=fields.seats, title=fields.title, purpose=fields.purpose,
        attendees=fields.attendees, is_public=fields.is_public, status=prepared.status, sequence=0,
        override_reason=override_reason, created_at=prepared.changed_at, updated_at=prepared.changed_at,
        cancelled_at=None, proposed_start_dt=None, proposed_end_dt=None, proposed_seats=None, proposed_at=None,
        submit_token=fields.submit_token, series_id=None,
    ))
