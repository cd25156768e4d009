"""The attendee list of one event as CSV (UTF-8 with BOM) or xlsx, through the report exports.

The cells go through booking/services/exports.py: CSV text starting with = + - @
(or TAB / CR) gets a leading apostrophe, xlsx text is always a string cell, times are
local to the space. Staff only; every export is logged (ExportLog kind "attendees").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from booking.domain.checkin import display_code, is_checked_in
from booking.models import ExportLog, PublicEvent, User
from booking.services.exports import Cell, local_time, to_csv, to_xlsx


class AttendeeRow(NamedTuple):
    """One registration as the exports show it (services.attendance.export_rows; the pages show a
    ListedAttendee, without the registration time and the code)."""

    registration_id: int
    name: str
    email: str
    organisation: str
    org_kind: str
    party_size: int
    status: str
    registered_at: datetime
    code: str
    checked_in_at: datetime | None


def attendee_cells(rows: Sequence[AttendeeRow], zone: str, status_label: dict[str, str],
                   kind_label: dict[str, str]) -> list[list[Cell]]:
    """The body of an attendee export: one row per registration, times local to `zone`; a check-in time only
    for a party standing checked in (checkin.is_checked_in), never beside "cancelled"."""
    return [
        [row.registration_id, row.name, row.email, row.organisation, kind_label.get(row.org_kind, row.org_kind),
         row.party_size, row.party_size - 1, status_label.get(row.status, row.status),
         local_time(row.registered_at, zone), display_code(row.code) if row.code else "",
         local_time(row.checked_in_at, zone) if row.checked_in_at and is_checked_in(row.status, row.checked_in_at)
         else None]
        for row in rows
    ]


def render(file_format: str, title: str, header: Sequence[str], body: Sequence[Sequence[Cell]]) -> bytes:
    """CSV or xlsx bytes; ValueError for another format."""
    if file_format == "csv":
        return to_csv(header, body)
    if file_format == "xlsx":
        return to_xlsx(title, header, body)
    raise ValueError(f"unknown format {file_format}")


def log_attendee_export(session: Session, user_id: int, event_id: int, file_format: str, query: str,
                        row_count: int, at: datetime) -> ExportLog:
    """Record who exported which event's attendees, when; the caller commits."""
    described = json.dumps({"event": event_id, "search": query}, sort_keys=True, ensure_ascii=False)
    entry = ExportLog(user_id=user_id, at=at, kind="attendees", file_format=file_format, filters=described,
                      row_count=row_count)
    session.add(entry)
    return entry


def export_event(user_id: int, event_id: int, file_format: str, query: str, header: Sequence[str],
                 status_label: dict[str, str], kind_label: dict[str, str], *, sheet_title: str) -> bytes:
    """The event's attendees (matching `query`) as CSV or xlsx, logged in the export log and the
    booking's audit trail in the same transaction. `header`, the labels and `sheet_title` are in
    the viewer's language. ValueError for an unknown format."""
    from booking.db import utcnow
    from booking.services import NotFound, audit
    from booking.services.attendance import export_rows
    from booking.services.transactions import run_write

    if file_format not in ("csv", "xlsx"):
        raise ValueError(f"unknown format {file_format}")

    def work(session: Session) -> bytes:
        found = session.get(PublicEvent, event_id)
        if found is None:
            raise NotFound()
        rows = export_rows(event_id, query)
        body = attendee_cells(rows, found.booking.space.timezone, status_label, kind_label)
        now, staff = utcnow(), session.get(User, user_id)
        log_attendee_export(session, user_id, event_id, file_format, query, len(rows), now)
        audit.record(session, found.booking, "exported", staff, now, found.booking.status,
                     f"{file_format} ({len(rows)})")
        return render(file_format, sheet_title, header, body)

    return run_write(None, work)

