"""A desk booking's mail names its desks デスク番号 / Desk number(s), in the text and the attached event."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest

from booking.services import staff as staff_service
from booking.services.bookings import BookingInput, request_booking
from tests.mail.conftest import DAY, calendars_of, text_of


@pytest.mark.parametrize("locale,label", [("ja", "デスク番号：3、4"), ("en", "Desk numbers: 3, 4")])
def test_a_confirmed_desk_booking_mail_labels_its_desk_numbers(inbox, create_user, create_space, locale, label):
    desks = create_space(slug="desks", name_ja="デスク", name_en="Desks", kind="pooled", unit_count=24)
    member = create_user(locale=locale)
    start = DAY + timedelta(hours=1)

    outcome = request_booking(member, BookingInput(desks.id, start, start + timedelta(hours=1), "Hot desk",
                                                   seats=2, units=(3, 4)))

    assert outcome.ok
    message = inbox.only_one_to(member.email)
    body = text_of(message)
    [part] = calendars_of(message)
    [event] = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert label in body
    assert label in str(event["DESCRIPTION"])
    assert "席：" not in body + str(event["DESCRIPTION"])


def test_one_desk_is_a_desk_number_in_english(inbox, create_user, create_space):
    desks = create_space(slug="desks", kind="pooled", unit_count=24)
    member = create_user(locale="en")
    start = DAY + timedelta(hours=1)

    request_booking(member, BookingInput(desks.id, start, start + timedelta(hours=1), "Hot desk", units=(7,)))

    assert "Desk number: 7" in text_of(inbox.only_one_to(member.email))


def test_the_approval_of_a_desk_request_names_its_desks(inbox, create_user, create_space):
    desks = create_space(slug="desks", kind="pooled", unit_count=24, requires_approval=True)
    member = create_user(locale="en")
    start = DAY + timedelta(hours=1)
    outcome = request_booking(member, BookingInput(desks.id, start, start + timedelta(hours=1), "Hot desk",
                                                   seats=2, units=(5, 6)))
    inbox.messages.clear()

    staff_service.approve(create_user(role="staff"), outcome.booking.id)

    assert "Desk numbers: 5, 6" in text_of(inbox.only_one_to(member.email))
