"""cancel_booking: frees the slot, only before the start, only one's own booking."""

from __future__ import annotations

import pytest

from booking.db import utcnow
from booking.extensions import db
from booking.models import Booking, BookingEvent
from booking.services import NotFound, ServiceError, Stale
from booking.services.bookings import cancel_booking, get_own_booking
from booking.services.my_bookings import my_bookings
from tests.services.conftest import hours, tokyo_day

START = tokyo_day(5) + hours(2)


def status_of(booking_id: int) -> str:
    db.session.expire_all()
    booking = db.session.get(Booking, booking_id)
    assert booking is not None
    return booking.status


def test_cancelling_frees_the_slot_for_another_member(create_user, create_space, ask):
    room, member, other = create_space(), create_user(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    assert not ask(other, room, START, START + hours(1)).ok

    cancelled = cancel_booking(member, booking_id)

    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_at is not None
    assert cancelled.sequence == 1
    assert [h.is_active for h in cancelled.holds] == [False]
    assert ask(other, room, START, START + hours(1)).ok


def test_cancelling_frees_the_desks_of_a_pooled_booking(create_user, create_space, ask):
    desks, member, other = create_space(kind="pooled", unit_count=2), create_user(), create_user()
    booking_id = ask(member, desks, START, START + hours(1), seats=2).booking.id
    cancel_booking(member, booking_id)
    assert ask(other, desks, START, START + hours(1), seats=2).booking.unit_numbers == [1, 2]


def test_a_pending_request_can_be_cancelled(create_user, create_space, ask):
    studio, member = create_space(requires_approval=True), create_user()
    booking_id = ask(member, studio, START, START + hours(1)).booking.id
    cancel_booking(member, booking_id)
    assert status_of(booking_id) == "cancelled"


def test_a_booking_that_has_started_cannot_be_cancelled(create_user, create_space, ask):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    with pytest.raises(ServiceError) as refused:
        cancel_booking(member, booking_id, now=START + hours(0.5))
    assert "started" in refused.value.message
    assert status_of(booking_id) == "confirmed"


def test_cancelling_twice_is_reported_as_stale(create_user, create_space, ask):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    cancel_booking(member, booking_id)
    with pytest.raises(Stale):
        cancel_booking(member, booking_id)


def test_another_members_booking_is_not_found_and_stays_active(create_user, create_space, ask):
    room, owner, stranger = create_space(), create_user(), create_user()
    booking_id = ask(owner, room, START, START + hours(1)).booking.id
    with pytest.raises(NotFound):
        cancel_booking(stranger, booking_id)
    with pytest.raises(NotFound):
        get_own_booking(stranger, booking_id)
    assert status_of(booking_id) == "confirmed"


def test_an_unknown_booking_is_not_found(create_user):
    with pytest.raises(NotFound):
        cancel_booking(create_user(), 987654)


def test_my_bookings_splits_upcoming_from_past(create_user, create_space, create_booking):
    room, member = create_space(), create_user()
    later = create_booking(room, member, START + hours(3), START + hours(4), title="later")
    sooner = create_booking(room, member, START, START + hours(1), title="sooner")
    old = create_booking(room, member, tokyo_day(-10), tokyo_day(-10) + hours(1), title="old")
    create_booking(room, create_user(), START + hours(5), START + hours(6), title="someone else's")
    upcoming, past, _undoable = my_bookings(member, utcnow())
    assert [b.title for b in upcoming] == [sooner.title, later.title]
    assert [b.title for b in past] == [old.title]


@pytest.mark.parametrize(("status", "message"), [
    ("cancelled", "This booking was already cancelled."),
    ("rejected", "This booking was already rejected."),
    ("expired", "This request expired: staff did not decide on it in time."),
])
def test_cancelling_a_decided_booking_says_what_became_of_it_and_changes_nothing(
    status, message, create_user, create_space, create_booking
):
    member = create_user()
    booking = create_booking(create_space(), member, START, START + hours(1), status=status)
    with pytest.raises(Stale) as refused:
        cancel_booking(member, booking.id)
    assert refused.value.message == message
    assert status_of(booking.id) == status


def test_a_booking_starting_exactly_now_cannot_be_cancelled(create_user, create_space, ask):
    member = create_user()
    booking_id = ask(member, create_space(), START, START + hours(1)).booking.id
    with pytest.raises(ServiceError) as refused:
        cancel_booking(member, booking_id, now=START)
    assert refused.value.message == "A booking that has started can no longer be cancelled."
    assert status_of(booking_id) == "confirmed"


def test_a_cancellation_is_recorded_as_done_by_the_member_who_cancelled(create_user, create_space, ask):
    member, staff = create_user(), create_user(role="staff")
    mine = ask(member, create_space(), START, START + hours(1)).booking.id
    theirs = ask(member, create_space(), START, START + hours(1)).booking.id
    cancel_booking(member, mine)
    cancel_booking(staff, theirs, note="Room closed")
    db.session.expire_all()
    last = {b: db.session.scalars(db.select(BookingEvent).where(BookingEvent.booking_id == b)
                                  .order_by(BookingEvent.id.desc())).first() for b in (mine, theirs)}
    assert (last[mine].action, last[mine].actor_id, last[mine].from_status) == ("cancelled", member.id, "confirmed")
    assert (last[theirs].actor_id, last[theirs].note) == (staff.id, "Room closed")


def test_cancelling_raises_the_sequence_of_an_already_changed_booking_by_one(create_user, create_space,
                                                                             create_booking):
    member = create_user()
    booking = create_booking(create_space(), member, START, START + hours(1), sequence=2)
    cancel_booking(member, booking.id)
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).sequence == 3


def test_someone_elses_booking_is_simply_not_found(create_user, create_space, ask):
    room, member, other = create_space(), create_user(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id

    with pytest.raises(NotFound) as refused:
        cancel_booking(other, booking_id)
    assert (refused.value.message, refused.value.status_code) == ("Not found.", 404)
    assert status_of(booking_id) == "confirmed"
