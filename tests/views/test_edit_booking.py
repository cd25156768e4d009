"""The change page: prefilled, bad input kept with a message next to the field, others' bookings not found."""

from __future__ import annotations

import html

import pytest

from booking.extensions import db
from booking.models import Booking
from tests.views.conftest import FIELD_ERROR_RE, at, monday_ahead

DAY = monday_ahead()


def form_of(booking, **changes):
    values = {"day": DAY.isoformat(), "start_time": "10:00", "end_time": "11:00", "title": booking.title,
              "attendees": "2", "seats": str(booking.seats), "units": ""}
    values.update(changes)
    return values


def test_the_change_page_is_prefilled_and_bad_desk_numbers_are_refused_next_to_the_field(
        client, create_user, create_space, create_booking):
    member = create_user(locale="en")
    desks = create_space(kind="pooled", unit_count=4)
    booking = create_booking(desks, member, at(DAY, 10), at(DAY, 11), units=(2,), title="Writing <day>")
    client.login(member.email)

    page = client.get(f"/bookings/{booking.id}/edit").get_data(as_text=True)
    assert 'value="10:00"' in page and 'value="2"' in page and "Writing &lt;day&gt;" in page

    response = client.submit(f"/bookings/{booking.id}/edit", form_of(booking, units="two, 3", title="Kept"))

    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert [html.unescape(e) for e in FIELD_ERROR_RE.findall(text)] == [
        "List desk numbers separated by commas, e.g. 3, 4."]
    assert 'value="Kept"' in text and 'value="two, 3"' in text
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).title == "Writing <day>"


def test_a_member_moves_desks_through_the_page(client, create_user, create_space, create_booking):
    member = create_user(locale="en")
    desks = create_space(kind="pooled", unit_count=4)
    booking = create_booking(desks, member, at(DAY, 10), at(DAY, 11), units=(2,))
    client.login(member.email)

    response = client.submit(f"/bookings/{booking.id}/edit", form_of(booking, units="4", start_time="12:00",
                                                                      end_time="13:00"))

    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Booking, booking.id)
    assert (moved.unit_numbers, moved.start_dt) == ([4], at(DAY, 12))


def test_somebody_elses_booking_is_not_found_and_nothing_changes(client, create_user, create_space, create_booking):
    owner, other = create_user(), create_user(locale="en")
    booking = create_booking(create_space(), owner, at(DAY, 10), at(DAY, 11))
    client.login(other.email)
    assert client.get(f"/bookings/{booking.id}/edit").status_code == 404
    assert client.submit(f"/bookings/{booking.id}/edit", form_of(booking, title="Mine now")).status_code == 404
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).title == "Test booking"


def test_a_desk_number_past_the_pool_is_a_field_error_naming_the_desks(
        client, create_user, create_space, create_booking):
    member = create_user(locale="en")
    desks = create_space(kind="pooled", unit_count=24)
    booking = create_booking(desks, member, at(DAY, 10), at(DAY, 11), units=(2,))
    client.login(member.email)

    response = client.submit(f"/bookings/{booking.id}/edit", form_of(booking, units="999"))

    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert [html.unescape(e) for e in FIELD_ERROR_RE.findall(text)] == ["This space has desks 1 to 24."]
    assert "just taken" not in text and 'value="999"' in text
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).unit_numbers == [2]


def test_a_desk_number_named_twice_is_a_field_error_not_a_conflict(client, create_user, create_space, create_booking):
    """Break-it run 2026-11-29: seats 2 with desks "3,3" was answered 409 "Those desks were just taken"."""
    member = create_user(locale="en")
    desks = create_space(kind="pooled", unit_count=24)
    booking = create_booking(desks, member, at(DAY, 10), at(DAY, 11), units=(2,))
    client.login(member.email)

    response = client.submit(f"/bookings/{booking.id}/edit", form_of(booking, seats="2", units="3, 3"))

    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert [html.unescape(e) for e in FIELD_ERROR_RE.findall(text)] == ["Name each desk number only once."]
    assert "just taken" not in text and 'value="3, 3"' in text
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).unit_numbers == [2]


def test_the_booking_page_names_the_held_desks_by_their_glossary_term(client, create_user, create_space,
                                                                      create_booking):
    """Break-it run 2026-11-29: the desks held (numbers) were labelled デスク数, the term for a count."""
    member = create_user(locale="ja")
    desks = create_space(kind="pooled", unit_count=24)
    booking = create_booking(desks, member, at(DAY, 10), at(DAY, 11), units=(2, 5))
    client.login(member.email)

    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)

    assert "<dt>デスク番号</dt><dd>2、5</dd>" in page
    assert "デスク数</dt><dd>2, 5" not in page


@pytest.mark.parametrize("seats", ["abc", "1e3", "2.5"])
def test_desks_that_are_not_a_whole_number_state_the_range_of_the_space_on_edit(
        client, create_user, create_space, create_booking, seats):
    """Issue 16 (tester): 'abc' in a 24-desk space said "between 1 and 500"."""
    member = create_user(locale="en")
    desks = create_space(kind="pooled", unit_count=24)
    booking = create_booking(desks, member, at(DAY, 10), at(DAY, 11), units=(2,))
    client.login(member.email)

    response = client.submit(f"/bookings/{booking.id}/edit", form_of(booking, seats=seats, units=""))

    assert response.status_code == 422
    errors = [html.unescape(e) for e in FIELD_ERROR_RE.findall(response.get_data(as_text=True))]
    assert "Choose between 1 and 24 desks." in errors and not any("500" in e for e in errors)
