"""The booking POST reads its space before the lock as the lock does (spaces.read_space_ahead), issue 21.

One plain row and a space built once per worker for it, shared with the lock's read: no ORM
row of the space is loaded on a POST, and an edit of the space is a new row, seen at once.
"""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import event

from booking.extensions import db
from booking.models import Booking, Space
from tests.views.conftest import form_errors, monday_ahead

MORNINGS = {day: ((time(9), time(12)),) for day in range(5)}
MONDAY = monday_ahead()


def typed(start: str = "10:00", end: str = "11:00", **overrides: str) -> dict[str, str]:
    values = {"day": MONDAY.isoformat(), "start_time": start, "end_time": end, "title": "Study group"}
    values.update(overrides)
    return values


@pytest.fixture
def member(client, create_user):
    user = create_user(locale="en")
    client.login(user.email)
    return user


@pytest.fixture
def space_loads():
    """How many times the ORM built a Space from a row."""
    loads: list[int] = []

    def loaded(target, _context):
        loads.append(target.id)

    event.listen(Space, "load", loaded)
    yield loads
    event.remove(Space, "load", loaded)


def test_a_booking_post_loads_no_orm_row_of_its_space(client, create_space, member, space_loads):
    create_space(slug="room", hours=MORNINGS)
    client.submit("/spaces/room/book", typed("09:00", "10:00"))  # the space built once for its row
    space_loads.clear()

    response = client.submit("/spaces/room/book", typed())

    assert response.status_code == 302
    assert space_loads == []
    booking = db.session.get(Booking, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert (booking.status, booking.title) == ("confirmed", "Study group")


def test_a_desk_pool_made_smaller_bounds_the_next_post_at_once(client, create_space, member):
    desks = create_space(slug="desks", kind="pooled", unit_count=5, hours=MORNINGS)
    assert client.submit("/spaces/desks/book", typed("09:00", "10:00", seats="4")).status_code == 302

    db.session.get(Space, desks.id).unit_count = 3  # type: ignore[union-attr]
    db.session.commit()
    response = client.submit("/spaces/desks/book", typed(seats="4"))

    assert response.status_code == 422
    assert "Choose between 1 and 3 desks." in form_errors(response.get_data(as_text=True))


def test_a_space_set_to_need_approval_makes_the_next_post_a_request(client, create_space, member):
    room = create_space(slug="room", hours=MORNINGS)
    assert client.submit("/spaces/room/book", typed("09:00", "10:00")).status_code == 302

    db.session.get(Space, room.id).requires_approval = True  # type: ignore[union-attr]
    db.session.commit()
    response = client.submit("/spaces/room/book", typed())

    booking = db.session.get(Booking, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert booking.status == "pending"


def test_an_unknown_space_is_not_found_on_post(client, member):
    assert client.submit("/spaces/nowhere/book", typed()).status_code == 404
