"""A request still waiting for approval that is changed: the member is told, without a calendar object."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.services.changes import BookingChange, change_booking
from tests.mail.conftest import DAY, calendars_of, text_of
from tests.mail.test_changes import ask


@pytest.fixture
def member(create_user):
    return create_user(name="Mori Aki", email="aki@example.jp", locale="en")


@pytest.mark.parametrize(("by_staff", "says"), [
    (False, "Your booking was changed as you asked."),
    (True, "The staff changed your booking."),
])
def test_a_pending_request_that_is_changed_is_mailed_to_its_member_without_a_calendar(
        inbox, create_user, create_space, member, by_staff, says):
    hall = create_space(requires_approval=True)
    staff = create_user(role="staff", email="sato@floor.example.jp")
    booking = ask(member, hall)
    inbox.messages.clear()

    later = DAY + timedelta(hours=3)
    outcome = change_booking(staff if by_staff else member, booking.id,
                             BookingChange(later, later + timedelta(hours=1), "Kick-off", False))

    assert outcome.ok and not outcome.is_proposal
    mail = inbox.only_one_to("aki@example.jp")
    assert mail["Subject"] == "Booking changed: Kick-off"
    assert says in text_of(mail)
    assert calendars_of(mail) == []  # a request is not in the member's calendar yet
    assert inbox.to("sato@floor.example.jp") == []
