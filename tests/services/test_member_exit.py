"""Members who leave: deactivating cancels their future bookings with a message in the same step."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, BookingEvent, User
from booking.services import ServiceError
from booking.services.accounts import AccountDeactivated, authenticate
from booking.services.admin_members import deactivate, deactivated_members_bookings
from booking.services.admin_spaces import InvalidInput
from tests.conftest import PASSWORD
from tests.services.conftest import tokyo_day

DAY = tokyo_day(6)


def statuses(*bookings):
    db.session.expire_all()
    return [db.session.get(Booking, b.id).status for b in bookings]


@pytest.fixture
def admin(create_user):
    return create_user(role="admin", name="Admin Abe")


def test_deactivating_cancels_the_future_bookings_with_the_message(
        admin, create_user, create_space, create_booking):
    leaving, staying = create_user(), create_user()
    room, desks = create_space(), create_space(kind="pooled", unit_count=4)
    mine = [create_booking(room, leaving, DAY + timedelta(hours=1), DAY + timedelta(hours=2)),
            create_booking(desks, leaving, DAY + timedelta(days=1), DAY + timedelta(days=1, hours=2),
                           status="pending")]
    theirs = create_booking(room, staying, DAY + timedelta(hours=3), DAY + timedelta(hours=4))

    report = deactivate(admin, leaving.id, cancel_future=True, message="Your contract ended in March.")

    assert sorted(b.id for b in report.cancelled) == sorted(b.id for b in mine) and report.skipped == []
    assert statuses(*mine, theirs) == ["cancelled", "cancelled", "confirmed"]
    assert not db.session.get(User, leaving.id).is_enabled
    notes = db.session.scalars(db.select(BookingEvent.note).where(BookingEvent.action == "cancelled")).all()
    assert notes == ["Your contract ended in March."] * 2
    assert deactivated_members_bookings() == []


def test_keeping_the_bookings_lists_them_for_staff(admin, create_user, create_space, create_booking):
    leaving = create_user()
    kept = create_booking(create_space(), leaving, DAY + timedelta(hours=1), DAY + timedelta(hours=2))
    deactivate(admin, leaving.id)
    assert statuses(kept) == ["confirmed"]
    assert [b.id for b in deactivated_members_bookings()] == [kept.id]


def test_cancelling_needs_a_message_and_nothing_is_written_without_one(admin, create_user, create_space,
                                                                         create_booking):
    leaving = create_user()
    kept = create_booking(create_space(), leaving, DAY + timedelta(hours=1), DAY + timedelta(hours=2))
    with pytest.raises(InvalidInput):
        deactivate(admin, leaving.id, cancel_future=True, message="  ")
    assert statuses(kept) == ["confirmed"] and db.session.get(User, leaving.id).is_enabled


def test_staff_who_are_not_admins_cannot_deactivate(create_user):
    staff, member = create_user(role="staff"), create_user()
    with pytest.raises(ServiceError):
        deactivate(staff, member.id, cancel_future=True, message="Bye")
    assert db.session.get(User, member.id).is_enabled


def test_a_deactivated_member_with_the_password_is_told_without_it_learns_nothing(admin, create_user):
    leaving = create_user(email="leaving@example.jp")
    deactivate(admin, leaving.id)
    with pytest.raises(AccountDeactivated):
        authenticate("leaving@example.jp", PASSWORD)
    assert authenticate("leaving@example.jp", "a wrong password") is None
    assert authenticate("nobody@example.jp", PASSWORD) is None
