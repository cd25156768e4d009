"""Exports for staff: bookings, members and usage figures as CSV (UTF-8 with BOM) or Excel .xlsx.

CSV starts with a byte order mark, so Excel in Japan reads UTF-8 rather than Shift_JIS
(the mojibake of chatwoot#15684, lightdash#15226). A text cell starting with = + - @
(or TAB / CR) is neutralised with a leading apostrophe in CSV (OWASP "CSV Injection"),
also when the sign is full-width or small (＝ ＋ － ＠ ﹦ …, which spreadsheets with
Japanese input read as the ASCII sign) or comes after leading blanks (spaces, U+3000, NBSP);
in xlsx every text cell is written as a string cell, never a formula, without the control
characters a worksheet may not hold. Times are local
to the space: text "YYYY-MM-DD HH:MM" in CSV, real date-time cells in xlsx (naive,
as Excel has no zones; a column names the zone). Statuses and organisation kinds are
words in the viewer's language, as the pages show them (the view passes its labels;
an unknown code stays as it is). Every export is logged (ExportLog).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import EXPORT_FORMATS, EXPORT_KINDS, Booking, ExportLog, Space, User
from booking.services.reports import Filters, Report

Cell = str | int | float | datetime | None
FORMULA_SIGNS = frozenset("=+-@\u2212")  # U+2212 MINUS SIGN: NFKC keeps it, spreadsheets read it as -
CONTROL_STARTS = ("\t", "\r", "\n")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def neutralise(value: str) -> str:
    """A CSV text cell that a spreadsheet will not run as a formula.

    The first non-blank character is compared in its NFKC form, so ＝ (U+FF1D) and ﹦ (U+FE66)
    count as =; a cell starting with TAB, CR or LF is neutralised whatever follows.
    """
    if value.startswith(CONTROL_STARTS):
        return "'" + value
    rest = value.lstrip()
    if rest and unicodedata.normalize("NFKC", rest[0])[:1] in FORMULA_SIGNS:
        return "'" + value
    return value


def local_time(instant: datetime, zone: str) -> datetime:
    """The wall time of `instant` in `zone`, naive (for a spreadsheet cell)."""
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """UTF-8 with BOM, CRLF line ends (RFC 4180); times as local "YYYY-MM-DD HH:MM"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def _csv_cell(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        return neutralise(value)
    return value


def to_xlsx(title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """One sheet; text as string cells (never formulas), date-times as date-time cells."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    for r, row in enumerate([list(header), *rows], start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            # A control character (say, from a name written before the forms dropped them) is not
            # allowed in a worksheet: openpyxl refuses the whole file. It is dropped, as feeds do.
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
            if isinstance(value, str):
                cell.data_type = "s"
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_xlsx(data: bytes) -> list[list[Any]]:
    """The first sheet's values, row by row (for tests and checks)."""
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


NO_LABELS: Mapping[str, str] = {}


def _word(labels: Mapping[str, str], code: str | None) -> str | None:
    return labels.get(code, code) if code is not None else None


def booking_table(rows: Sequence[tuple[Booking, Space, User]], locale: str, header: Sequence[str],
                  status_label: Mapping[str, str] = NO_LABELS,
                  kind_label: Mapping[str, str] = NO_LABELS) -> tuple[list[str], list[list[Cell]]]:
    """Header and rows of a bookings export (member names: staff only, SPEC §2).

    `status_label` and `kind_label` map booking statuses and organisation kinds to words
    in `locale` (e.g. "confirmed" -> "確定"); a code they lack is written as it is.
    """
    body: list[list[Cell]] = [
        [b.id, space.name(locale), local_time(b.start_dt, space.timezone), local_time(b.end_dt, space.timezone),
         space.timezone, b.seats, b.title, _word(status_label, b.status), user.name, user.organisation,
         _word(kind_label, user.org_kind), local_time(b.created_at, space.timezone)]
        for b, space, user in rows
    ]
    return list(header), body


def figures_table(report: Report, locale: str) -> list[list[Cell]]:
    """One row per space: bookings, booked hours, open hours, occupancy (0–1), peak desks; then its events
    held, registered persons, checked in, walk-ins, attendance and no-shows (services.report_events)."""
    return [
        [row.space.name(locale), row.bookings, round(row.booked_hours, 2), round(row.open_hours, 2),
         None if row.occupancy is None else round(row.occupancy, 4), row.peak_units,
         row.events.held, row.events.registered, row.events.checked_in, row.events.walk_ins,
         row.events.attendance, row.events.no_shows]
        for row in report.spaces
    ]


def member_table(session: Session, filters: Filters, kind_label: Mapping[str, str] = NO_LABELS) -> list[list[Cell]]:
    """One row per member account (of the chosen kind): who they are, and their use in the period.

    Bookings and booked hours count confirmed bookings of the chosen spaces, grouped in SQL;
    times are Tokyo wall times (the office's own calendar, reports.HOME_ZONE); organisation
    kinds are `kind_label`'s words.
    """
    from booking.services.reports import HOME_ZONE, member_usage

    usage = member_usage(session, filters)
    query = select(User).where(User.role == "member").order_by(User.id)
    if filters.org_kind:
        query = query.where(User.org_kind == filters.org_kind)
    rows: list[list[Cell]] = []
    for user in session.scalars(query):
        count, minutes = usage.get(user.id, (0, 0))
        rows.append([user.id, user.name, user.email, user.organisation, _word(kind_label, user.org_kind),
                     local_time(user.created_at, HOME_ZONE),
                     None if user.email_verified_at is None else local_time(user.email_verified_at, HOME_ZONE),
                     1 if user.is_enabled else 0, count, round(minutes / 60, 2)])
    return rows


def log_export(session: Session, user: User, kind: str, file_format: str, filters: Filters,
               row_count: int, at: datetime) -> ExportLog:
    """Record who exported what, when; the caller commits."""
    described = json.dumps({
        "first": filters.period.first.isoformat(), "last": filters.period.last.isoformat(),
        "spaces": list(filters.space_ids), "org_kind": filters.org_kind,
    }, sort_keys=True)
    entry = ExportLog(user_id=user.id, at=at, kind=kind, file_format=file_format, filters=described,
                      row_count=row_count)
    session.add(entry)
    return entry


def export(user: User, kind: str, file_format: str, filters: Filters, locale: str,
           header: Sequence[str], now: datetime, status_label: Mapping[str, str] = NO_LABELS,
           kind_label: Mapping[str, str] = NO_LABELS, *, sheet_title: str) -> bytes:
    """Build one export (kind "bookings", "members" or "figures"; format "csv" or "xlsx"), logged in one transaction.

    `header` are the column titles, `status_label` and `kind_label` the words for booking
    statuses and organisation kinds, and `sheet_title` the xlsx sheet's name, in the viewer's
    language. Raises ValueError for an
    unknown kind or format.
    """
    from booking.services.reports import booking_rows, build_report
    from booking.services.transactions import run_write

    if kind not in EXPORT_KINDS or file_format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export {kind}.{file_format}")

    def work(session: Session) -> bytes:
        if kind == "bookings":
            _header, rows = booking_table(booking_rows(session, filters), locale, header, status_label, kind_label)
        elif kind == "members":
            rows = member_table(session, filters, kind_label)
        else:
            rows = figures_table(build_report(session, filters, locale, now), locale)
        log_export(session, session.merge(user), kind, file_format, filters, len(rows), now)
        return to_csv(header, rows) if file_format == "csv" else to_xlsx(sheet_title, header, rows)

    return run_write(None, work)
