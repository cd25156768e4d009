"""One mail per series action, listing the dates, with one RFC 5546 object per occurrence attached.

Through the whole pipeline (service, outbox, SMTP): booking, cancelling and deciding a
series send each recipient one message; each attachment is the same object a single
booking's mail carries (the occurrence's UID and SEQUENCE, METHOD matching the MIME part).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from flask import current_app
from sqlalchemy import select

from booking.db import utcnow
from booking.delivery import deliver_due
from booking.domain.recurrence import Freq, RecurrenceRule
from booking.extensions import db
from booking.models import OutboxMessage
from booking.services.series import Scope, SeriesInput, book_series, cancel_occurrences, decide_series
from tests.mail.conftest import calendars_of, text_of

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST = (datetime.now(TOKYO) + timedelta(days=8)).date()


def weekly(space_id: int, count: int = 3) -> SeriesInput:
    rule = RecurrenceRule(Freq.WEEKLY, weekdays=(FIRST.weekday(),), count=count)
    return SeriesInput(space_id, "Weekly recording", FIRST, time(10), time(12), rule)


def days(count: int = 3) -> list:
    return [FIRST + timedelta(weeks=n) for n in range(count)]


def events_of(message) -> list[tuple[str, icalendar.Event]]:
    found = []
    for part in calendars_of(message):
        calendar = icalendar.Calendar.from_ical(part.get_content())
        assert part.get_param("method") == str(calendar["METHOD"])
        [event] = calendar.walk("VEVENT")
        found.append((str(calendar["METHOD"]), event))
    return found


def test_booking_a_series_sends_one_mail_listing_every_date_with_one_event_each(inbox, create_user, create_space):
    member = create_user(locale="en")
    studio = create_space(name_en="Studio")
    inbox.messages.clear()
    outcome = book_series(member, weekly(studio.id), days())
    message = inbox.only_one_to(member.email)
    assert "Series confirmed: Weekly recording (3 dates)" == message["Subject"]
    text = text_of(message)
    for day in days():
        assert f"{day:%a} {day.day} {day:%b} {day.year}" in text  # Tue 8 Dec 2026 (issue 16's date format)
    events = events_of(message)
    assert [m for m, _ in events] == ["REQUEST"] * 3
    assert [str(e["UID"]) for _, e in events] == [b.uid for b in outcome.booked]
    assert len(inbox.messages) == 1


def test_a_series_request_sends_one_mail_to_the_member_and_one_to_each_staff_member(
        inbox, create_user, create_space):
    member = create_user(locale="ja")
    staff = [create_user(role="staff", locale="en"), create_user(role="admin", locale="ja")]
    hall = create_space(requires_approval=True)
    inbox.messages.clear()
    outcome = book_series(member, weekly(hall.id), days())
    assert outcome.series is not None
    inbox.wait_for(3)
    assert "3" in inbox.only_one_to(member.email)["Subject"]
    to_staff = inbox.only_one_to(staff[0].email)
    assert to_staff["Subject"] == "New series request to approve: Weekly recording (3 dates)"
    assert f"/series/{outcome.series.id}/decide" in text_of(to_staff)
    inbox.only_one_to(staff[1].email)
    assert len(inbox.messages) == 3


def test_a_staff_members_own_series_request_goes_to_the_other_staff_to_approve_not_to_them(
        inbox, create_user, create_space):
    requester, other = create_user(role="staff", locale="en"), create_user(role="staff", locale="en")
    hall = create_space(requires_approval=True)
    inbox.messages.clear()
    outcome = book_series(requester, weekly(hall.id), days())
    assert [b.status for b in outcome.booked] == ["pending"] * 3
    inbox.wait_for(2)
    assert inbox.only_one_to(requester.email)["Subject"] == "Series request received: Weekly recording (3 dates)"
    assert inbox.only_one_to(other.email)["Subject"] == "New series request to approve: Weekly recording (3 dates)"


def test_cancelling_this_and_following_sends_one_cancellation_for_those_dates(inbox, create_user, create_space):
    member = create_user(locale="en")
    outcome = book_series(member, weekly(create_space().id, count=4), days(4))
    inbox.messages.clear()
    cancel_occurrences(member, outcome.booked[1].id, Scope.FOLLOWING)
    message = inbox.only_one_to(member.email)
    assert message["Subject"] == "Series dates cancelled: Weekly recording (3 dates)"
    events = events_of(message)
    assert [(m, str(e["STATUS"])) for m, e in events] == [("CANCEL", "CANCELLED")] * 3
    assert [str(e["UID"]) for _, e in events] == [b.uid for b in outcome.booked[1:]]
    assert len(inbox.messages) == 1


def test_a_member_cancelling_the_rest_of_their_series_gets_no_note_from_the_staff(inbox, create_user, create_space):
    member = create_user(locale="en")
    outcome = book_series(member, weekly(create_space().id, count=4), days(4))
    inbox.messages.clear()
    cancel_occurrences(member, outcome.booked[1].id, Scope.FOLLOWING)
    assert "Note from the staff" not in text_of(inbox.only_one_to(member.email))


def test_cancelling_one_date_is_the_single_booking_mail(inbox, create_user, create_space):
    member = create_user(locale="en")
    outcome = book_series(member, weekly(create_space().id), days())
    inbox.messages.clear()
    cancel_occurrences(member, outcome.booked[0].id, Scope.ONE)
    # The mail waits out the member's undo window (issue 16), then goes like any other.
    assert inbox.to(member.email) == []
    waiting = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "booking.cancelled")).one()
    waiting.due_at = utcnow()  # the window has closed
    db.session.commit()
    deliver_due(current_app._get_current_object())
    message = inbox.only_one_to(member.email)
    assert message["Subject"] == "Booking cancelled: Weekly recording"
    assert [str(e["UID"]) for _, e in events_of(message)] == [outcome.booked[0].uid]


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_a_staff_decision_on_a_series_is_one_mail_with_approved_and_declined_dates(
        inbox, create_user, create_space, locale):
    member, staff = create_user(locale=locale), create_user(role="staff")
    hall = create_space(requires_approval=True, pending_holds=False)
    outcome = book_series(member, weekly(hall.id), days())
    assert outcome.series is not None
    ids = [b.id for b in outcome.booked]
    inbox.messages.clear()
    decide_series(staff, outcome.series.id, ids[:2], note="Another programme that week")
    message = inbox.only_one_to(member.email)
    text = text_of(message)
    assert "Another programme that week" in text
    approved, declined = ("These dates were approved:", "These dates were rejected:") if locale == "en" else (
        "次の日程が承認されました：", "次の日程はお断りしました：")
    assert text.index(approved) < text.index(declined)
    assert [(m, str(e["UID"])) for m, e in events_of(message)] == [
        ("REQUEST", outcome.booked[0].uid), ("REQUEST", outcome.booked[1].uid), ("CANCEL", outcome.booked[2].uid)]
    assert len(inbox.messages) == 1



def test_the_subject_says_several_dates_in_english(inbox, create_user, create_space):
    member = create_user(locale="en")
    inbox.messages.clear()
    book_series(member, weekly(create_space().id, count=2), days(2))
    assert inbox.only_one_to(member.email)["Subject"] == "Series confirmed: Weekly recording (2 dates)"


@pytest.mark.parametrize(("purpose", "line"), [("Monthly programme", "Purpose: Monthly programme"), ("", None)],
                         ids=["with a purpose", "without one"])
def test_the_staff_mail_of_a_series_request_names_the_member_their_organisation_and_any_purpose(
        inbox, create_user, create_space, purpose, line):
    member = create_user(name="Mori Aki", organisation="Prefecture Lab")
    staff = create_user(role="staff", locale="en")
    hall = create_space(requires_approval=True)
    inbox.messages.clear()
    book_series(member, replace(weekly(hall.id), purpose=purpose), days())

    inbox.wait_for(2)
    lines = text_of(inbox.only_one_to(staff.email)).splitlines()
    assert "Requested by: Mori Aki (Prefecture Lab)" in lines
    assert [text for text in lines if text.startswith("Purpose")] == ([line] if line else [])


def requested_series(create_user, create_space, locale: str):
    """(member, staff, outcome): a member's weekly series requested in a hall that needs approval."""
    member, staff = create_user(locale=locale), create_user(role="staff")
    hall = create_space(requires_approval=True, pending_holds=False)
    outcome = book_series(member, weekly(hall.id), days())
    assert outcome.series is not None
    return member, staff, outcome


def test_a_decision_lists_the_approved_dates_before_the_rejected_ones_whatever_their_order_in_time(
        inbox, create_user, create_space):
    member, staff, outcome = requested_series(create_user, create_space, "en")
    ids = [b.id for b in outcome.booked]
    inbox.messages.clear()
    decide_series(staff, outcome.series.id, ids[2:], note="Booked out")  # the last date approved, the first two not
    message = inbox.only_one_to(member.email)
    text = text_of(message)
    assert text.index("These dates were approved:") < text.index("These dates were rejected:")
    assert [(m, str(e["UID"])) for m, e in events_of(message)] == [
        ("REQUEST", outcome.booked[2].uid), ("CANCEL", outcome.booked[0].uid), ("CANCEL", outcome.booked[1].uid)]


def test_each_date_of_a_series_mail_is_attached_as_its_own_booking_file(inbox, create_user, create_space):
    member = create_user(locale="en")
    inbox.messages.clear()
    outcome = book_series(member, weekly(create_space().id), days())
    parts = calendars_of(inbox.only_one_to(member.email))
    assert [part.get_filename() for part in parts] == [f"booking-{b.id}.ics" for b in outcome.booked]


def test_a_staff_note_that_reads_like_a_phrase_of_the_interface_reaches_the_member_as_written(
        inbox, create_user, create_space):
    member, staff, outcome = requested_series(create_user, create_space, "ja")
    inbox.messages.clear()
    decide_series(staff, outcome.series.id, [b.id for b in outcome.booked[:2]], note="Closed")
    text = text_of(inbox.only_one_to(member.email))
    assert "Closed" in text and "休止" not in text  # a member's words are not the interface's to translate


def test_a_one_date_series_request_mails_the_member_and_the_staff(inbox, create_user, create_space):
    member, staff = create_user(locale="en"), create_user(role="staff", locale="en")
    hall = create_space(requires_approval=True)
    inbox.messages.clear()
    outcome = book_series(member, weekly(hall.id, count=1), days(1))
    assert len(outcome.booked) == 1
    inbox.wait_for(2)
    inbox.only_one_to(member.email)
    inbox.only_one_to(staff.email)
    assert len(inbox.messages) == 2
