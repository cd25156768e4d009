"""A form sent twice (a double click, a browser re-posting after a slow answer) creates one thing.

Each rendered form carries a token (booking.fields.SubmitTokenField); the second POST with
it is answered with what the first one made. Racing POSTs: tests/concurrency/test_racing_double_submit.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Booking, BookingSeries, Closure
from tests.views.conftest import monday_ahead

MONDAY = monday_ahead()


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def token_on(page) -> str:
    match = re.search(r'name="submit_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert match, "the form carries no submit token"
    return match.group(1)


def booking_form(**overrides):
    return {"day": MONDAY.isoformat(), "start_time": "10:00", "end_time": "11:00", "title": "定例会",
            "attendees": "3", **overrides}


@pytest.fixture
def member(client, create_user):
    user = create_user(locale="en")
    client.login(user.email)
    return user


def test_a_booking_form_sent_twice_makes_one_booking_and_the_repeat_shows_it(client, member, create_space):
    create_space(slug="room")
    token = token_on(client.get("/spaces/room/book"))
    first = client.submit("/spaces/room/book", booking_form(submit_token=token))
    again = client.submit("/spaces/room/book", booking_form(submit_token=token))
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert count(Booking) == 1
    assert "This form was already sent" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_each_rendered_form_has_its_own_token_so_a_second_booking_is_made(client, member, create_space):
    create_space(slug="room")
    tokens = {token_on(client.get("/spaces/room/book")) for _ in range(2)}
    assert len(tokens) == 2
    for token, hour in zip(sorted(tokens), (10, 12), strict=True):
        response = client.submit("/spaces/room/book",
                                 booking_form(submit_token=token, start_time=f"{hour}:00", end_time=f"{hour + 1}:00"))
        assert response.status_code == 302
    assert count(Booking) == 2


def test_a_refused_form_keeps_its_token_and_books_once_corrected(client, member, create_space):
    create_space(slug="room")
    token = token_on(client.get("/spaces/room/book"))
    refused = client.submit("/spaces/room/book", booking_form(submit_token=token, title=""))
    assert refused.status_code == 422 and token_on(refused) == token
    assert client.submit("/spaces/room/book", booking_form(submit_token=token)).status_code == 302
    assert count(Booking) == 1


def test_a_series_form_sent_twice_makes_one_series(client, member, create_space):
    studio = create_space()
    values = {"day": MONDAY.isoformat(), "start_time": "10:00", "end_time": "11:00", "title": "週次収録",
              "repeat": "weekly", "interval": "1", "weekdays": ["0"], "count": "3", "book": "1",
              "dates": [(MONDAY + timedelta(weeks=n)).isoformat() for n in range(3)]}
    token = token_on(client.get(f"/series/{studio.slug}/new"))
    assert client.submit(f"/series/{studio.slug}/new", {**values, "submit_token": token}).status_code == 302
    again = client.submit(f"/series/{studio.slug}/new", {**values, "submit_token": token})
    assert again.status_code == 302
    assert (count(BookingSeries), count(Booking)) == (1, 3)
    assert "This form was already sent" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_staff_booking_and_closure_forms_sent_twice_make_one_each(client, create_user, create_space):
    client.login(create_user(role="staff", locale="en").email)
    studio = create_space(slug="studio")
    token = token_on(client.get("/staff/spaces/studio/book"))
    values = booking_form(submit_token=token, override_reason="機材点検")
    first = client.submit("/staff/spaces/studio/book", values)
    again = client.submit("/staff/spaces/studio/book", values)
    assert first.status_code == again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert count(Booking) == 1
    token = token_on(client.get("/staff/closures"))
    day = (MONDAY + timedelta(days=1)).isoformat()
    closure = {"space": str(studio.id), "start_day": day, "start_time": "10:00", "end_day": day,
               "end_time": "12:00", "reason": "点検", "submit_token": token}
    first = client.submit("/staff/closures", closure)
    again = client.submit("/staff/closures", closure)
    assert first.status_code == again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert count(Closure) == 1


def test_back_and_resubmit_on_a_desk_pool_where_a_second_booking_would_fit_books_once(client, member,
                                                                                      create_space):
    """Back after booking, then the same form (the same token) again: the pool has room for a second
    booking of the member, yet the repeat only shows the first."""
    create_space(slug="desks", kind="pooled", unit_count=24)
    token = token_on(client.get("/spaces/desks/book"))
    values = booking_form(submit_token=token, seats="2")
    first = client.submit("/spaces/desks/book", values)
    again = client.submit("/spaces/desks/book", values)

    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert count(Booking) == 1
    db.session.expire_all()
    assert len(db.session.scalars(db.select(Booking)).one().unit_numbers) == 2
    assert "This form was already sent" in client.get(again.headers["Location"]).get_data(as_text=True)
    fresh = token_on(client.get("/spaces/desks/book"))  # a new form is a new booking
    assert client.submit("/spaces/desks/book", booking_form(submit_token=fresh, seats="2")).status_code == 302
    assert count(Booking) == 2
