"""The staff pages of an event's day: staff only, the door's flows, exports logged and audited."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from sqlalchemy import select

from booking.domain.checkin import display_code
from booking.extensions import db
from booking.models import BookingEvent, ExportLog
from booking.models_attendance import AttendeePass
from booking.services.exports import read_xlsx


def code_of(registration):
    return db.session.scalar(select(AttendeePass.code).where(AttendeePass.registration_id == registration.id))


PAGES = ["/staff/events/", "/staff/events/{id}/attendees", "/staff/events/{id}/attendees.csv",
         "/staff/events/{id}/attendees.xlsx", "/staff/events/{id}/door"]
POSTS = ["/staff/events/{id}/message", "/staff/events/{id}/withdraw", "/staff/events/{id}/door/code",
         "/staff/events/{id}/door/{r}/in", "/staff/events/{id}/door/{r}/undo", "/staff/events/{id}/walk-ins",
         "/staff/events/{id}/walk-ins/undo"]


@pytest.mark.parametrize("url", PAGES + POSTS)
def test_attendee_data_and_the_door_are_for_staff_only(client, create_event, register, create_user, url):
    event = create_event()
    guest = register(event, name="秘密 花子")
    path = url.format(id=event.id, r=guest.id)
    method = client.submit if url in POSTS else client.get

    visitor = method(path)
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]
    member = create_user()
    client.login(member.email)
    response = method(path)
    assert response.status_code == 403
    assert "秘密 花子" not in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(AttendeePass, guest.id).checked_in_at is None


@pytest.fixture
def staff_client(client, create_user):
    staff = create_user(role="staff", locale="en")
    client.login(staff.email)
    client.staff = staff
    return client


def test_the_door_checks_a_typed_code_in_shows_the_name_and_can_undo(staff_client, create_event, register):
    event = create_event()
    guest = register(event, name="山田 花子", party_size=2)

    response = staff_client.submit(f"/staff/events/{event.id}/door/code",
                                   {"code": display_code(code_of(guest)).lower()}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "受付済み" in page or "Checked in" in page
    assert "山田 花子" in page
    again = staff_client.submit(f"/staff/events/{event.id}/door/code", {"code": code_of(guest)},
                                follow_redirects=True).get_data(as_text=True)
    assert "Already checked in" in again or "受付済みです" in again

    staff_client.submit(f"/staff/events/{event.id}/door/{guest.id}/undo")
    db.session.rollback()
    assert db.session.get(AttendeePass, guest.id).checked_in_at is None


def test_the_door_refuses_a_cancelled_registration(staff_client, create_event, register):
    event = create_event()
    guest = register(event, status="cancelled")
    page = staff_client.submit(f"/staff/events/{event.id}/door/code", {"code": code_of(guest)},
                               follow_redirects=True).get_data(as_text=True)
    assert "この申込は取り消されています" in page or "registration was cancelled" in page


def test_a_qr_link_opened_on_a_staff_phone_fills_the_code_but_checks_nobody_in(staff_client, create_event,
                                                                                register):
    event = create_event()
    guest = register(event)
    shown = display_code(code_of(guest))
    page = staff_client.get(f"/staff/events/{event.id}/door?code={shown}").get_data(as_text=True)
    assert f'value="{shown}"' in page
    db.session.rollback()
    assert db.session.get(AttendeePass, guest.id).checked_in_at is None


def test_the_attendee_csv_is_logged_and_on_the_audit_trail(staff_client, create_event, register):
    event = create_event()
    register(event, name="=cmd|' /C calc'!A0", organisation="株式会社テスト")

    response = staff_client.get(f"/staff/events/{event.id}/attendees.csv")

    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[1][1] == "'=cmd|' /C calc'!A0" and rows[1][3] == "株式会社テスト"
    db.session.rollback()
    [entry] = db.session.scalars(select(ExportLog)).all()
    assert (entry.kind, entry.file_format, entry.row_count, entry.user_id) == ("attendees", "csv", 1,
                                                                              staff_client.staff.id)
    trail = db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == event.booking_id)).all()
    assert [(e.action, e.actor_id) for e in trail] == [("exported", staff_client.staff.id)]
    assert (trail[0].from_status, trail[0].to_status, trail[0].note) == ("confirmed", "confirmed", "csv (1)")
    assert trail[0].at == entry.at  # one export, one instant in both records


def test_the_attendee_xlsx_round_trips_the_search(staff_client, create_event, register):
    event = create_event()
    register(event, name="佐藤 一郎")
    register(event, name="鈴木 二郎")
    rows = read_xlsx(staff_client.get(f"/staff/events/{event.id}/attendees.xlsx?q=佐藤").data)
    assert [row[1] for row in rows[1:]] == ["佐藤 一郎"]


def test_the_export_log_keeps_the_event_and_the_search_as_readable_text(staff_client, create_event, register):
    event = create_event()
    register(event, name="佐藤 一郎")

    staff_client.get(f"/staff/events/{event.id}/attendees.xlsx?q=佐藤")

    db.session.rollback()
    [entry] = db.session.scalars(select(ExportLog)).all()
    assert (entry.file_format, entry.row_count) == ("xlsx", 1)
    assert entry.filters == f'{{"event": {event.id}, "search": "佐藤"}}'


def test_the_attendee_page_shows_counts_and_searches(staff_client, create_event, register):
    event = create_event()
    register(event, name="佐藤 一郎", party_size=3)
    register(event, name="鈴木 二郎", status="waiting")
    page = staff_client.get(f"/staff/events/{event.id}/attendees?q=佐藤").get_data(as_text=True)
    assert "佐藤 一郎" in page and "鈴木 二郎" not in page
    assert 'id="count-registered">3<' in page


def test_walk_ins_are_counted_at_the_door(staff_client, create_event):
    event = create_event()
    staff_client.submit(f"/staff/events/{event.id}/walk-ins", {"name": "飛び入り", "organisation": ""})
    page = staff_client.get(f"/staff/events/{event.id}/door").get_data(as_text=True)
    assert 'id="count-walk-ins">1<' in page


def test_the_door_refuses_a_code_days_before_the_event_and_says_why(staff_client, create_event, register):
    from datetime import timedelta

    from tests.conftest import future_day

    start = future_day(9) + timedelta(hours=8)
    event = create_event(start_dt=start, end_dt=start + timedelta(hours=2))
    guest = register(event, name="早すぎ 太郎")

    page = staff_client.submit(f"/staff/events/{event.id}/door/code", {"code": code_of(guest)},
                               follow_redirects=True).get_data(as_text=True)

    assert "イベント当日" in page or "check-in opens on the event's day" in page
    db.session.rollback()
    assert db.session.get(AttendeePass, guest.id).checked_in_at is None


def test_the_door_has_no_walk_in_form_when_the_event_takes_none_and_refuses_one(staff_client, create_event):
    event = create_event(accepts_walk_ins=False)

    page = staff_client.get(f"/staff/events/{event.id}/door").get_data(as_text=True)
    assert "door-walk-in" not in page and f"/staff/events/{event.id}/walk-ins" not in page
    staff_client.submit(f"/staff/events/{event.id}/walk-ins", {"name": "飛び入り", "organisation": ""})
    page = staff_client.get(f"/staff/events/{event.id}/door").get_data(as_text=True)
    assert 'id="count-walk-ins">0<' in page


@pytest.mark.parametrize("locale,says", [
    ("en", "Walk-ins are counted from the event's day on"),
    ("ja", "当日参加はイベント当日（開始3時間前から）に数えます"),
])
def test_a_walk_in_days_before_the_event_is_refused_next_to_the_form_and_nothing_is_counted(
        client, create_user, create_event, locale, says):
    from datetime import timedelta

    from booking.models_attendance import WalkIn
    from tests.conftest import future_day

    client.login(create_user(role="staff", locale=locale).email)
    start = future_day(9) + timedelta(hours=8)
    event = create_event(start_dt=start, end_dt=start + timedelta(hours=2))

    response = client.submit(f"/staff/events/{event.id}/walk-ins", {"name": "早すぎ 花子", "organisation": ""})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    form = page[page.index('class="door-walk-in"'):]
    form = form[:form.index("</form>")]
    assert says in html.unescape(form) and 'role="alert"' in form
    assert 'value="早すぎ 花子"' in form  # what staff typed is kept
    assert 'id="count-walk-ins">0<' in page
    db.session.rollback()
    assert db.session.scalars(select(WalkIn)).all() == []


def test_the_kept_attendee_table_never_shows_a_list_that_changed(staff_client, create_event, register, app):
    """The list is kept per distinct data; each change of a row or of the rows is on the next page."""
    event = create_event()
    guest = register(event, name="山田 花子")
    path = f"/staff/events/{event.id}/attendees"
    assert "山田 花子" in staff_client.get(path).get_data(as_text=True)
    assert len(app.extensions["booking_attendee_pages"]) == 1

    guest.name = "山田 改名"
    db.session.commit()
    assert "山田 改名" in staff_client.get(path).get_data(as_text=True)

    staff_client.submit(f"/staff/events/{event.id}/door/{guest.id}/in")
    checked_in = staff_client.get(path).get_data(as_text=True)
    assert "山田 改名" in checked_in and not re.search(r"<td>\s*</td></tr>", checked_in.split("<tbody>")[1])

    register(event, name="佐藤 次郎")
    assert "佐藤 次郎" in staff_client.get(path).get_data(as_text=True)
    assert "佐藤 次郎" not in staff_client.get(path + "?q=山田").get_data(as_text=True)


def test_a_japanese_attendee_xlsx_names_its_sheet_and_statuses_from_the_catalogue(client, create_user, create_event,
                                                                                  register):
    """Every word of the export comes from the catalogue: the sheet's tab, the header and the status."""
    from openpyxl import load_workbook

    client.login(create_user(role="staff", locale="ja").email)
    event = create_event()
    register(event, name="佐藤 一郎")
    book = load_workbook(io.BytesIO(client.get(f"/staff/events/{event.id}/attendees.xlsx").data))
    sheet = book.active
    assert sheet is not None and sheet.title == "参加者一覧"
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert "申込済み" in rows[1] and not any(str(cell).isascii() and str(cell).isalpha() for cell in rows[0])


def test_a_refused_walk_in_is_said_beside_the_form_and_the_summary_links_to_it(client, create_user, create_event):
    """It was said twice: beside the form's button, and again as an unlinked line of the error summary."""
    from datetime import timedelta

    from tests.conftest import future_day
    from tests.summary_html import summary_items

    client.login(create_user(role="staff", locale="en").email)
    start = future_day(9) + timedelta(hours=8)
    event = create_event(start_dt=start, end_dt=start + timedelta(hours=2))

    page = client.submit(f"/staff/events/{event.id}/walk-ins", {"name": "", "organisation": ""}).get_data(as_text=True)

    assert [target for target, _text in summary_items(page)] == ["walk-in-errors"]
    assert 'id="walk-in-errors"' in page
