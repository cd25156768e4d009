"""Bookings a policy change cancels: every member gets staff's one message, after the change commits."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.models import OutboxMessage
from booking.services import admin_spaces
from booking.services.policy_changes import Resolution
from tests.mail.conftest import DAY, text_of


def test_cancelled_victims_of_shorter_hours_each_get_the_one_message(inbox, create_space, create_user, create_booking):
    room = create_space(name_en="Studio", hours={d: ((time(9), time(18)),) for d in range(7)})
    staff = create_user(role="staff")
    members = [create_user(locale="en", email=f"m{n}@example.jp") for n in range(2)]
    late = [create_booking(room, m, DAY + timedelta(hours=7 + n), DAY + timedelta(hours=8 + n), title=f"Late {n}")
            for n, m in enumerate(members)]
    inbox.messages.clear()

    admin_spaces.set_opening_hours(
        staff, room.id, {n: "09:00-15:00" for n in range(7)},
        Resolution({b.id: "cancel" for b in late}, message="The studio now closes at 15:00."))

    for member in members:
        mail = inbox.wait_for(2) and inbox.only_one_to(member.email)
        assert "cancelled" in mail["Subject"].lower()
        assert "The studio now closes at 15:00." in text_of(mail)


def test_a_booking_staff_keep_despite_shorter_hours_is_not_mailed_again(
        inbox, create_space, create_user, create_booking):
    room = create_space(name_en="Studio", hours={d: ((time(9), time(18)),) for d in range(7)})
    staff = create_user(role="staff")
    kept_member, cancelled_member = create_user(locale="en"), create_user(locale="en")
    kept = create_booking(room, kept_member, DAY + timedelta(hours=7), DAY + timedelta(hours=8), title="Kept")
    cancelled = create_booking(room, cancelled_member, DAY + timedelta(hours=8), DAY + timedelta(hours=9))

    admin_spaces.set_opening_hours(
        staff, room.id, {n: "09:00-15:00" for n in range(7)},
        Resolution({kept.id: "keep", cancelled.id: "cancel"}, reason="Recording booked long ago",
                   message="The studio now closes at 15:00."))

    written = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert cancelled_member.email in written and kept_member.email not in written
