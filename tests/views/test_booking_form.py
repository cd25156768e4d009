"""The booking form: success, a clear error for each refusal, input kept, nothing written."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, Closure
from tests.views.conftest import at, form_errors, input_value, monday_ahead, tokyo_today, written

MORNINGS = {day: ((time(9), time(12)),) for day in range(5)}
MONDAY = monday_ahead()


def typed(**overrides):
    """What a member types: Monday 10:00–11:00 of a week ahead."""
    values = {
        "day": MONDAY.isoformat(), "start_time": "10:00", "end_time": "11:00",
        "title": "Open data study group", "purpose": "Monthly meet-up", "attendees": "12",
    }
    values.update(overrides)
    return values


@pytest.fixture
def member(client, create_user):
    """A signed-in member who reads the site in English."""
    user = create_user(locale="en")
    client.login(user.email)
    return user


def booking_id_from(response) -> int:
    match = re.fullmatch(r"/bookings/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def test_a_booking_is_confirmed_and_shown_on_its_page(client, create_space, member):
    create_space(slug="room", hours=MORNINGS)
    response = client.submit("/spaces/room/book", typed(is_public="y"))
    assert response.status_code == 302
    booking = db.session.get(Booking, booking_id_from(response))
    assert (booking.status, booking.title, booking.attendees, booking.is_public) == (
        "confirmed", "Open data study group", 12, True)
    assert booking.start_dt == at(MONDAY, 10) and booking.end_dt == at(MONDAY, 11)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your booking is confirmed." in page
    assert "Open data study group" in page and "Confirmed" in page
    assert f"{MONDAY:%a} {MONDAY.day} {MONDAY:%b %Y}, 10:00–11:00" in page


def test_a_request_for_a_space_with_approval_is_pending(client, create_space, member):
    create_space(slug="hall", hours=MORNINGS, requires_approval=True)
    response = client.submit("/spaces/hall/book", typed())
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your request was sent. Staff will review it." in page
    assert "Pending approval" in page


def test_a_desk_booking_shows_the_desks_it_got(client, create_user, create_space, create_booking, member):
    desks = create_space(slug="desks", kind="pooled", unit_count=5, hours=MORNINGS)
    create_booking(desks, create_user(), at(MONDAY, 10), at(MONDAY, 11), units=(1, 2))
    response = client.submit("/spaces/desks/book", typed(seats="2"))
    assert db.session.get(Booking, booking_id_from(response)).unit_numbers == [3, 4]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3, 4" in page


def add_closure(space, **_):
    db.session.add(Closure(space_id=space.id, start_dt=at(MONDAY, 9), end_dt=at(MONDAY, 12), reason="maintenance"))
    db.session.commit()


def add_other_booking(space, create_booking, create_user):
    create_booking(space, create_user(), at(MONDAY, 10, 30), at(MONDAY, 11, 30), units=(1,))


# name, space settings, what is typed differently, what the error must say, and the status.
REFUSALS = [
    ("grid", {}, {"start_time": "10:15"}, "on the 30 min grid", 422),
    ("too long", {"max_minutes": 60}, {"end_time": "12:00"}, "this one lasts 2 h.", 422),
    ("hours", {}, {"start_time": "11:30", "end_time": "12:30"}, "open 09:00–12:00", 422),
    ("weekend", {}, {"day": (MONDAY + timedelta(days=5)).isoformat()}, "not open on", 422),
    ("notice", {"min_notice_minutes": 60 * 24 * 60}, {}, "Bookings close 60 days before their start", 422),
    ("horizon", {"max_days_ahead": 3}, {}, "at most 3 days ahead", 422),
    ("past", {}, {"day": (tokyo_today() - timedelta(days=7)).isoformat()}, "has already passed", 422),
]


@pytest.mark.parametrize(
    ("settings", "changes", "message", "status"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_a_refusal_names_what_to_change_keeps_the_input_and_writes_nothing(
    client, create_space, member, settings, changes, message, status
):
    create_space(slug="room", hours=MORNINGS, **settings)
    sent = typed(**changes)
    response = client.submit("/spaces/room/book", sent)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert any(message in error for error in form_errors(page)), form_errors(page)
    for name in ("day", "start_time", "end_time", "title", "purpose", "attendees"):
        assert input_value(page, name) == sent[name], name
    assert written() == (0, 0)


def test_a_taken_slot_says_it_overlaps_and_writes_nothing(client, create_user, create_space, create_booking, member):
    room = create_space(slug="room", hours=MORNINGS)
    add_other_booking(room, create_booking, create_user)
    response = client.submit("/spaces/room/book", typed())
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert any("overlaps another booking" in error for error in form_errors(page))
    # the error summary's heading names a refused booking (the member's form is MemberBookingForm); the summary
    # is the one place that says it (tests/views/test_refusals_said_once.py)
    assert "This could not be booked</h2>" in page and "Please correct the following" not in page
    assert input_value(page, "title") == "Open data study group"
    assert written() == (1, 1)


def test_too_few_desks_says_how_many_are_free(client, create_user, create_space, create_booking, member):
    desks = create_space(slug="desks", kind="pooled", unit_count=3, hours=MORNINGS)
    create_booking(desks, create_user(), at(MONDAY, 10), at(MONDAY, 11), units=(1, 2))
    response = client.submit("/spaces/desks/book", typed(seats="2"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert any("Only 1 of 3 desks are free" in error for error in form_errors(page))
    assert input_value(page, "seats") == "2"
    assert written() == (1, 2)


def test_a_closure_is_named_with_its_reason(client, create_space, member):
    room = create_space(slug="room", hours=MORNINGS)
    add_closure(room)
    page = client.submit("/spaces/room/book", typed()).get_data(as_text=True)
    assert any("closed from" in error and "(maintenance)" in error for error in form_errors(page))
    assert written() == (0, 0)


def test_a_quota_refusal_says_the_limit(client, create_user, create_space, create_booking, member):
    room = create_space(slug="room", hours=MORNINGS, quota_active_bookings=1)
    create_booking(room, member, at(MONDAY, 9), at(MONDAY, 9, 30))
    page = client.submit("/spaces/room/book", typed()).get_data(as_text=True)
    assert any("the limit is 1" in error for error in form_errors(page))
    assert written() == (1, 1)


def test_several_refusals_are_shown_together(client, create_space, member):
    create_space(slug="room", hours=MORNINGS, max_minutes=60)
    page = client.submit("/spaces/room/book", typed(start_time="10:15", end_time="12:45")).get_data(as_text=True)
    errors = " ".join(form_errors(page))
    assert "30 min grid" in errors and "lasts from 30 min to 1 h" in errors and "open 09:00–12:00" in errors


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"day": "2026-02-30"}, "That date does not exist. Check the month and day."),
        ({"day": "next tuesday"}, "Enter a date as year-month-day, e.g. 2026-12-02."),
        ({"start_time": "25:00"}, "Enter a time as hours:minutes, e.g. 15:00."),
        ({"end_time": "9"}, "Enter a time as hours:minutes, e.g. 15:00."),
        ({"start_time": "11:00", "end_time": "10:00"}, "The end must be after the start."),
        ({"start_time": "10:00", "end_time": "10:00"}, "The end must be after the start."),
        ({"day": ""}, "Enter a date."),
        ({"title": ""}, "Enter a title."),
        ({"title": "x" * 201}, "At most 200 characters, please; this has 201."),
        ({"purpose": "y" * 2001}, "At most 2000 characters, please; this has 2001."),
        ({"attendees": "many"}, "A number of people from 0 to 10000."),
        ({"attendees": "-1"}, "A number of people from 0 to 10000."),
        ({"title": "\u202eevil"}, "Use a single line, without line breaks or control characters."),
    ],
    ids=["30 February", "words for a date", "hour 25", "bare hour", "reversed", "empty range",
         "no date", "no title", "huge title", "huge purpose", "words for attendees", "negative attendees",
         "right-to-left override"],
)
def test_malformed_input_gets_a_form_error_next_to_the_field(client, create_space, member, changes, field_message):
    create_space(slug="room", hours=MORNINGS)
    sent = typed(**changes)
    response = client.submit("/spaces/room/book", sent)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_message in form_errors(page)
    name = next(iter(changes))
    assert input_value(page, name) == sent[name]
    assert written() == (0, 0)


@pytest.mark.parametrize("title", ["\u202e\u200b", "\u200b\u200d", "\ufeff\u3000"])
def test_a_title_of_invisible_characters_alone_is_no_title(client, create_space, member, title):
    """Break-it run 2026-11-29: U+202E U+200B was booked with a blank title."""
    create_space(slug="room", hours=MORNINGS)
    response = client.submit("/spaces/room/book", typed(title=title))
    assert response.status_code == 422
    assert "Enter a title." in form_errors(response.get_data(as_text=True))
    assert written() == (0, 0)


def test_a_request_larger_than_a_megabyte_is_refused_without_an_error_page_crash(client, create_space, member):
    create_space(slug="room", hours=MORNINGS)
    response = client.submit("/spaces/room/book", typed(purpose="z" * 2_000_000))
    assert response.status_code == 413
    assert written() == (0, 0)


def test_a_booking_post_without_csrf_token_is_refused_and_writes_nothing(client, create_space, member):
    create_space(slug="room", hours=MORNINGS)
    response = client.post("/spaces/room/book", data=typed())
    assert response.status_code == 400
    assert written() == (0, 0)


def test_the_form_needs_a_signed_in_member(client, create_space):
    create_space(slug="room", hours=MORNINGS)
    response = client.get("/spaces/room/book")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.submit("/spaces/room/book", typed()).status_code == 302
    assert written() == (0, 0)


def test_too_many_desks_states_the_range_of_the_space(client, create_space, member):
    create_space(slug="desks", kind="pooled", unit_count=24, hours=MORNINGS)
    response = client.submit("/spaces/desks/book", typed(seats="999"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose between 1 and 24 desks." in form_errors(page)
    assert written() == (0, 0)


@pytest.mark.parametrize("seats", ["abc", "1e3", "2.5"])
def test_desks_that_are_not_a_whole_number_state_the_range_of_the_space(client, create_space, member, seats):
    """Issue 16 (tester): 'abc' in a 24-desk space said "between 1 and 500"."""
    create_space(slug="desks", kind="pooled", unit_count=24, hours=MORNINGS)
    response = client.submit("/spaces/desks/book", typed(seats=seats))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose between 1 and 24 desks." in form_errors(page)
    assert "500" not in form_errors(page)
    assert written() == (0, 0)


def test_the_public_tick_box_sits_inside_its_label(client, create_space, member):
    create_space(slug="room")
    page = client.get("/spaces/room/book").get_data(as_text=True)
    assert re.search(r'<label><input id="is_public"[^>]*type="checkbox"[^>]*> Show the title publicly', page)


def test_a_refused_booking_shows_its_form_again_with_a_token_that_is_accepted(client, create_space, member):
    create_space(slug="room", hours=MORNINGS)
    refused = client.submit("/spaces/room/book", typed(title=""))
    assert refused.status_code == 422
    token = re.search(r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)">',
                      refused.get_data(as_text=True))
    assert token is not None
    response = client.post("/spaces/room/book", data={"csrf_token": token.group(1), **typed()})
    assert response.status_code == 302
    assert written() == (1, 1)


def test_a_booking_post_signs_no_csrf_token_for_its_redirect(client, create_space, member, monkeypatch):
    import flask_wtf.csrf

    create_space(slug="room", hours=MORNINGS)
    token = client.csrf_token()
    signed = []
    original = flask_wtf.csrf.generate_csrf
    monkeypatch.setattr(flask_wtf.csrf, "generate_csrf", lambda *a, **k: signed.append(1) or original(*a, **k))
    response = client.post("/spaces/room/book", data={"csrf_token": token, **typed()})
    assert response.status_code == 302
    assert signed == []
    forged = client.post("/spaces/room/book", data={"csrf_token": token[:-2] + "xx", **typed(day="")})
    assert forged.status_code == 400
    assert written() == (1, 1)
