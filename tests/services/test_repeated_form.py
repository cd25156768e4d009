"""A booking form sent twice (a double click, a browser re-posting) books once and answers with that booking."""

from __future__ import annotations

from booking.extensions import db
from tests.services.conftest import hours, miss_the_first_lookup, tokyo_day, written


def test_a_form_sent_twice_books_once_and_the_repeat_returns_the_first_booking(app, ask, create_user, create_space):
    member, studio = create_user(), create_space()
    start = tokyo_day() + hours(1)
    first = ask(member, studio, start, start + hours(1), submit_token="form-token-1")
    db.session.expire_all()
    again = ask(member, studio, start, start + hours(1), submit_token="form-token-1")
    assert first.ok and not first.is_repeat
    assert again.is_repeat and again.booking is not None and again.booking.id == first.booking.id
    assert written() == (1, 1)


def test_a_form_sent_again_after_its_booking_is_told_apart_from_a_new_booking(app, ask, create_user, create_space):
    member, studio = create_user(), create_space()
    start = tokyo_day() + hours(1)
    ask(member, studio, start, start + hours(1), submit_token="form-token-2")

    again = ask(member, studio, start + hours(2), start + hours(3), submit_token="form-token-2")

    assert again.is_repeat and again.booking is not None and again.booking.start_dt == start


def test_a_form_sent_at_once_to_a_second_space_returns_the_first_booking_as_the_repeat(
        app, ask, create_user, create_space, monkeypatch):
    from booking.services import bookings

    member, studio, hall = create_user(), create_space(), create_space()
    start = tokyo_day() + hours(1)
    first = ask(member, studio, start, start + hours(1), submit_token="form-token-3")
    miss_the_first_lookup(monkeypatch, bookings, "submitted_booking")  # the hall's lock looks first

    again = ask(member, hall, start, start + hours(1), submit_token="form-token-3")

    assert again.is_repeat and again.booking is not None and again.booking.id == first.booking.id
    assert written() == (1, 1)
