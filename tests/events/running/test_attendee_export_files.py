"""Attendee exports round-trip: Japanese text, the BOM, formula neutralisation, local times."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from booking.domain.checkin import new_code
from booking.services.attendee_exports import AttendeeRow, attendee_cells, render
from booking.services.exports import read_xlsx

HEADER = ["番号", "氏名", "メール", "所属", "区分", "人数", "同伴者", "状態", "登録日時", "受付コード", "受付時刻"]
CODE = new_code(b"\x01\x02\x03\x04\x05")
ROWS = [
    AttendeeRow(1, "山田 花子", "hanako@example.jp", "渋谷区サテライトオフィス", "public", 3, "registered",
                datetime(2026, 11, 20, 3, 30, tzinfo=UTC), CODE, datetime(2026, 12, 1, 7, 55, tzinfo=UTC)),
    AttendeeRow(2, "=HYPERLINK(\"http://evil.example\")", "+81@example.jp", "-2+3", "company", 1, "waiting",
                datetime(2026, 11, 21, 0, 0, tzinfo=UTC), CODE, None),
    AttendeeRow(3, "@SUM(A1)", "x@example.jp", "株式会社テスト", "individual", 1, "cancelled",
                datetime(2026, 11, 22, 15, 0, tzinfo=UTC), "", None),
]
STATUS = {"registered": "登録済み", "waiting": "キャンセル待ち", "cancelled": "取消"}
KINDS = {"public": "公共団体", "company": "企業", "individual": "個人"}


def body():
    return attendee_cells(ROWS, "Asia/Tokyo", STATUS, KINDS)


def test_the_csv_starts_with_a_bom_and_reads_back_as_the_japanese_text():
    data = render("csv", "attendees", HEADER, body())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert rows[1][:9] == ["1", "山田 花子", "hanako@example.jp", "渋谷区サテライトオフィス", "公共団体", "3", "2",
                           "登録済み", "2026-11-20 12:30"]
    assert rows[1][9] == f"{CODE[:4]}-{CODE[4:]}"
    assert rows[1][10] == "2026-12-01 16:55"


def test_a_registration_without_a_code_has_an_empty_code_cell_and_an_unlabelled_kind_shows_as_stored():
    unlabelled = ROWS[2]._replace(org_kind="ngo")

    [cells] = attendee_cells([unlabelled], "Asia/Tokyo", STATUS, KINDS)

    assert (cells[4], cells[9], cells[10]) == ("ngo", "", None)


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised():
    rows = list(csv.reader(io.StringIO(render("csv", "attendees", HEADER, body()).decode("utf-8-sig"))))
    assert rows[2][1] == "'=HYPERLINK(\"http://evil.example\")"
    assert rows[2][2] == "'+81@example.jp"
    assert rows[2][3] == "'-2+3"
    assert rows[3][1] == "'@SUM(A1)"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_xlsx_reads_back_with_text_as_strings_and_times_as_local_date_times():
    rows = read_xlsx(render("xlsx", "参加者", HEADER, body()))
    assert rows[0] == HEADER
    assert rows[1][1] == "山田 花子" and rows[1][3] == "渋谷区サテライトオフィス"
    assert rows[1][8] == datetime(2026, 11, 20, 12, 30)
    assert rows[1][10] == datetime(2026, 12, 1, 16, 55)
    # Text that looks like a formula stays text: a string cell, never evaluated.
    assert rows[2][1] == "=HYPERLINK(\"http://evil.example\")"
    assert rows[3][1] == "@SUM(A1)"
    assert rows[2][10] is None


def test_the_xlsx_has_no_formula_cells():
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(render("xlsx", "attendees", HEADER, body()))).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_control_characters_in_text_do_not_break_the_xlsx():
    rows = [["a\x01b\x1fc", "tab\tand\nline"]]

    assert read_xlsx(render("xlsx", "attendees", ["名前\x00", "メモ"], rows)) == [["名前", "メモ"],
                                                                                  ["abc", "tab\tand\nline"]]


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="^unknown format pdf$"):
        render("pdf", "attendees", HEADER, body())


def test_a_status_without_a_label_shows_as_stored():
    unlabelled = ROWS[0]._replace(status="expired")

    [cells] = attendee_cells([unlabelled], "Asia/Tokyo", STATUS, KINDS)

    assert cells[7] == "expired"
