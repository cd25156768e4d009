"""Input is bounded where it enters: the failures the hostile-input test found, each kept as a test.

Before the fix each of these answered 500 (or stored a title that later broke its .ics).
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Booking, Closure, HolidayOpening, User
from tests.conftest import PASSWORD
from tests.views.conftest import form_errors, input_value, tokyo_today, written

DAY = (tokyo_today() + timedelta(days=14)).isoformat()
ONE_LINE_EN = "Use a single line, without line breaks or control characters."
ONE_LINE_JA = "改行や制御文字を含めず、1行で入力してください。"
RANGE_EN = "Choose a date from Sat 1 Jan 2000 to Fri 31 Dec 2100."
RANGE_JA = "2000年1月1日(土)から2100年12月31日(金)までの日付を選んでください。"


def booking_fields(**overrides):
    values = {"day": DAY, "start_time": "10:00", "end_time": "11:00", "title": "Kick-off", "attendees": "3"}
    values.update(overrides)
    return values


def count(model) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def room(create_space):
    return create_space(slug="tsulunos")


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"])
def test_a_week_outside_the_supported_years_shows_the_usual_week_and_says_so(client, room, week):
    """Issue 16: no 400 page for an address a person edited (tests/views/test_address_values.py has the rest)."""
    response = client.get(f"/spaces/tsulunos?week={week}")
    assert response.status_code == 200
    assert "までの日付のため、通常の日付を表示しています。" in response.get_data(as_text=True)


def test_the_first_and_last_supported_weeks_show(client, room):
    assert client.get("/spaces/tsulunos?week=2000-01-01").status_code == 200
    assert client.get("/spaces/tsulunos?week=2100-12-31").status_code == 200


@pytest.mark.parametrize(("locale", "message"), [("en", RANGE_EN), ("ja", RANGE_JA)])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_member_booking_far_outside_the_years_gets_a_field_error(client, room, create_user, locale, message, day):
    client.login(create_user(locale=locale).email)
    response = client.submit("/spaces/tsulunos/book", booking_fields(day=day))
    assert response.status_code == 422
    assert message in form_errors(response.get_data(as_text=True))
    assert written() == (0, 0)


def test_a_staff_booking_in_year_one_gets_a_field_error(client, room, create_user):
    client.login(create_user(role="staff", locale="en").email)
    response = client.submit("/staff/spaces/tsulunos/book", booking_fields(day="0001-01-01", override_reason="Setup"))
    assert response.status_code == 422
    assert RANGE_EN in form_errors(response.get_data(as_text=True))
    assert written() == (0, 0)


@pytest.mark.parametrize(("start", "end"), [("0001-01-01", "0001-01-02"), ("9999-12-31", "9999-12-31")])
def test_a_closure_outside_the_years_gets_a_field_error(client, room, create_user, start, end):
    client.login(create_user(role="staff", locale="en").email)
    response = client.submit("/staff/closures", {
        "space": "all", "start_day": start, "start_time": "00:00", "end_day": end, "end_time": "23:00",
        "reason": "Works",
    })
    assert response.status_code == 422
    assert RANGE_EN in form_errors(response.get_data(as_text=True))
    assert count(Closure) == 0


def test_a_holiday_opening_in_year_one_gets_a_field_error(client, room, create_user):
    client.login(create_user(role="staff", locale="en").email)
    response = client.submit(f"/staff/spaces/{room.id}/holidays", {"day": "0001-01-01"})
    assert response.status_code == 422
    assert RANGE_EN in form_errors(response.get_data(as_text=True))
    assert count(HolidayOpening) == 0


@pytest.mark.parametrize("title", ["Kick\noff", "Kick\r\noff", "Kick\roff", "Kick\u2028off", "Kick\x07off",
                                   "Kick\toff", "Kick\x85off"])
@pytest.mark.parametrize(("locale", "message"), [("en", ONE_LINE_EN), ("ja", ONE_LINE_JA)])
def test_a_title_with_a_line_break_or_control_character_is_refused(client, room, create_user, title, locale,
                                                                    message):
    client.login(create_user(locale=locale).email)
    response = client.submit("/spaces/tsulunos/book", booking_fields(title=title))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in form_errors(page)
    assert input_value(page, "title") == title.strip()
    assert written() == (0, 0)


def test_a_refused_title_never_reaches_the_calendar_file(client, room, create_user):
    client.login(create_user().email)
    client.submit("/spaces/tsulunos/book", booking_fields(title="Kick\noff"))
    accepted = client.submit("/spaces/tsulunos/book", booking_fields(title="Kick-off"))
    assert accepted.status_code == 302
    booking_id = accepted.headers["Location"].rsplit("/", 1)[1]
    ics = client.get(f"/bookings/{booking_id}/calendar.ics")
    assert ics.status_code == 200 and b"SUMMARY:Kick-off" in ics.data


def test_a_purpose_keeps_its_line_breaks_and_loses_other_control_characters(client, room, create_user):
    client.login(create_user().email)
    response = client.submit("/spaces/tsulunos/book", booking_fields(purpose="Line one\r\nLine\x07 two\tend\x1b"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Booking.purpose)).one() == "Line one\nLine two end"


@pytest.mark.parametrize("name", ["Ada\nLovelace", "Ada\x1b[31m"])
def test_a_name_with_a_line_break_creates_no_account(client, name):
    response = client.submit("/register", {
        "email": "ada@example.jp", "name": name, "org_kind": "individual", "locale": "en",
        "password": "long enough password", "confirm": "long enough password",
    })
    assert response.status_code == 422
    assert ONE_LINE_JA in form_errors(response.get_data(as_text=True))  # a visitor reads Japanese first
    assert count(User) == 0


@pytest.mark.parametrize("value", ["99999999999999999999999", "9" * 5000, "-1", "1e3", "NaN", "١٢٣٤٥٦"])
def test_a_number_out_of_range_or_malformed_is_a_field_error(client, room, create_user, value):
    client.login(create_user(locale="en").email)
    response = client.submit("/spaces/tsulunos/book", booking_fields(attendees=value))
    assert response.status_code == 422
    assert "A number of people from 0 to 10000." in form_errors(response.get_data(as_text=True))
    assert written() == (0, 0)


def test_a_field_sent_twice_is_a_bad_request(client, room, create_user):
    client.login(create_user().email)
    fields = booking_fields()
    fields["title"] = ["One", "Two"]
    assert client.submit("/spaces/tsulunos/book", fields).status_code == 400
    assert written() == (0, 0)


def test_a_query_value_sent_twice_counts_once(client, room):
    assert client.get("/spaces/tsulunos?week=2030-01-07&week=2030-01-14").status_code == 200


def test_bytes_that_are_not_utf8_are_a_bad_request_in_a_form_not_in_an_address(client, room, create_user):
    assert client.get("/spaces/tsulunos?week=%FF%FE").status_code == 200
    client.login(create_user().email)
    body = f"csrf_token={client.csrf_token()}&day={DAY}&start_time=10:00&end_time=11:00&title=%C3%28"
    response = client.post("/spaces/tsulunos/book", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert written() == (0, 0)


@pytest.mark.parametrize("query", ["q=a%0Ab", "q=%1B", "week=/%0D%0ASet-Cookie:x=1"])
def test_a_control_character_in_a_query_is_dropped_and_the_page_opens(client, create_user, query):
    client.login(create_user(role="staff").email)
    response = client.get(f"/staff/members?{query}")
    assert response.status_code == 200
    assert "Set-Cookie: x=1" not in str(response.headers)


def test_a_sign_in_link_with_a_line_break_in_next_signs_in_and_goes_home(client, create_user):
    user = create_user()
    response = client.submit("/login?next=/%0D%0ASet-Cookie:x=1", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Set-Cookie: x=1" not in str(response.headers)


def test_an_uploaded_file_is_a_bad_request(client, room, create_user):
    client.login(create_user().email)
    fields = {**booking_fields(), "title": (io.BytesIO(b"<svg/>"), "title.svg")}
    response = client.submit("/spaces/tsulunos/book", fields, content_type="multipart/form-data")
    assert response.status_code == 400
    assert written() == (0, 0)


@pytest.mark.parametrize("start", ["0001-01-01T00:00", "9999-12-31T23:59", "2030-01-07T10:00+09:00", "x" * 500])
def test_a_prefill_outside_the_years_leaves_the_form_empty(client, room, create_user, start):
    client.login(create_user().email)
    response = client.get(f"/spaces/tsulunos/book?start={start}")
    assert response.status_code == 200
    assert input_value(response.get_data(as_text=True), "day") in (None, "")


def test_a_search_longer_than_a_search_is_cut_to_its_limit(client, create_user):
    client.login(create_user(role="staff").email)
    assert "200文字を超えていた" in client.get("/staff/members?q=" + "a" * 201).get_data(as_text=True)
    page = client.get("/staff/members?q=" + "a" * 200)
    assert page.status_code == 200 and "200文字を超えていた" not in page.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: hx=1", "/bookings\nx", "/\x1b"])
def test_a_language_switch_never_redirects_to_a_target_with_a_line_break(client, target):
    response = client.submit("/language", {"locale": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Set-Cookie: hx" not in str(response.headers)
