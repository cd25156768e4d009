"""The database itself refuses two active holds of one unit whose intervals overlap.

Everything here bypasses the services and the rules: rows go straight in through
the ORM or a Core INSERT/UPDATE, so only the exclusion constraint (PostgreSQL) or
the triggers (SQLite) stand in the way.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.models import Booking, BookingHold
from booking.services.transactions import is_guard_refusal
from tests.conftest import future_day

BASE = future_day(10)


def h(hour: float) -> datetime:
    return BASE + timedelta(hours=hour)


def active_hold_count() -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).where(BookingHold.is_active.is_(True))) or 0)


@pytest.fixture
def room_and_members(create_space, create_user):
    return create_space(), create_user(), create_user()


def assert_refused(make) -> None:
    with pytest.raises(IntegrityError) as refused:
        make()
    db.session.rollback()
    assert is_guard_refusal(refused.value), refused.value


# The existing hold is 10:00–12:00.
OVERLAPPING = [
    ("overlapping start", 9, 11), ("inside", 10.5, 11.5), ("equal", 10, 12),
    ("containing", 9, 13), ("overlapping end", 11, 13),
]
NOT_OVERLAPPING = [("before", 8, 9), ("touching before", 9, 10), ("touching after", 12, 13), ("after", 13, 14)]


@pytest.mark.parametrize(("start", "end"), [r[1:] for r in OVERLAPPING], ids=[r[0] for r in OVERLAPPING])
def test_an_overlapping_active_hold_of_the_same_unit_is_refused(room_and_members, create_booking, start, end):
    room, first, second = room_and_members
    create_booking(room, first, h(10), h(12))
    assert_refused(lambda: create_booking(room, second, h(start), h(end)))
    assert active_hold_count() == 1
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


@pytest.mark.parametrize(("start", "end"), [r[1:] for r in NOT_OVERLAPPING], ids=[r[0] for r in NOT_OVERLAPPING])
def test_holds_that_only_touch_or_are_apart_are_allowed(room_and_members, create_booking, start, end):
    room, first, second = room_and_members
    create_booking(room, first, h(10), h(12))
    create_booking(room, second, h(start), h(end))
    assert active_hold_count() == 2


def test_a_core_insert_of_an_overlapping_hold_is_refused(create_space, create_user, create_booking):
    room, first = create_space(kind="pooled", unit_count=2), create_user()
    create_booking(room, first, h(10), h(12), units=(1,))
    other = create_booking(room, first, h(20), h(21), units=(2,))
    statement = insert(BookingHold).values(
        booking_id=other.id, space_id=room.id, unit_no=1, occupied_start=h(11),
        occupied_end=h(13), is_active=True,
    )
    assert_refused(lambda: (db.session.execute(statement), db.session.commit()))
    assert active_hold_count() == 2


def test_different_desks_of_a_pooled_space_may_overlap(create_space, create_user, create_booking):
    desks = create_space(kind="pooled", unit_count=3)
    create_booking(desks, create_user(), h(10), h(12), units=(1, 2))
    create_booking(desks, create_user(), h(10), h(12), units=(3,))
    assert active_hold_count() == 3
    assert_refused(lambda: create_booking(desks, create_user(), h(11), h(12), units=(2,)))


def test_the_same_unit_number_in_another_space_may_overlap(create_space, create_user, create_booking):
    studio, hall = create_space(), create_space()
    create_booking(studio, create_user(), h(10), h(12))
    create_booking(hall, create_user(), h(10), h(12))
    assert active_hold_count() == 2


@pytest.mark.parametrize("status", ["cancelled", "rejected"])
def test_an_inactive_hold_does_not_block_the_unit(room_and_members, create_booking, status):
    room, first, second = room_and_members
    create_booking(room, first, h(10), h(12), status=status)
    create_booking(room, second, h(10), h(12))
    create_booking(room, first, h(10), h(12), status=status)
    assert active_hold_count() == 1


def test_making_an_inactive_overlapping_hold_active_is_refused(room_and_members, create_booking):
    room, first, second = room_and_members
    create_booking(room, first, h(10), h(12))
    cancelled = create_booking(room, second, h(11), h(13), status="cancelled")

    def reactivate() -> None:
        cancelled.holds[0].is_active = True
        db.session.commit()

    assert_refused(reactivate)
    assert active_hold_count() == 1


def test_a_core_update_that_reactivates_an_overlapping_hold_is_refused(room_and_members, create_booking):
    room, first, second = room_and_members
    create_booking(room, first, h(10), h(12))
    cancelled = create_booking(room, second, h(11), h(13), status="cancelled")
    statement = update(BookingHold).where(BookingHold.booking_id == cancelled.id).values(is_active=True)
    assert_refused(lambda: (db.session.execute(statement), db.session.commit()))
    assert active_hold_count() == 1


def test_moving_an_active_hold_onto_another_is_refused(room_and_members, create_booking):
    room, first, second = room_and_members
    create_booking(room, first, h(10), h(12))
    later = create_booking(room, second, h(12), h(14))

    def move() -> None:
        later.holds[0].occupied_start = h(11)
        db.session.commit()

    assert_refused(move)


def test_a_hold_may_be_updated_in_place_without_clashing_with_itself(room_and_members, create_booking):
    room, first, _second = room_and_members
    booking = create_booking(room, first, h(10), h(12))
    booking.holds[0].occupied_end = h(12.5)
    db.session.commit()
    assert active_hold_count() == 1
