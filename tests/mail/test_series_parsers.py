"""A series' calendar objects, in mail and in the feeds, read alike by icalendar, vobject and ical.js.

A weekly series at 10:00 in Berlin across the next daylight-saving switch: the one mail
of the booking and the one mail of "cancel this and following" carry one object per
occurrence; every parser reads each at the instants the database holds (10:00 local on
both sides of the switch), with the same UIDs as the member's and the space's feeds, and
the cancellation with a higher SEQUENCE than the invitation.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking import ical
from booking.domain.recurrence import Freq, RecurrenceRule
from booking.extensions import db
from booking.models import Booking
from booking.services import feed_tokens
from booking.services.series import Scope, SeriesInput, book_series, cancel_occurrences
from tests.feeds.test_parsers_agree import assert_parsers_agree
from tests.mail.conftest import calendars_of

BERLIN = ZoneInfo("Europe/Berlin")


def across_the_next_switch() -> datetime:
    now = datetime.now(UTC)
    switch = ical.transitions(BERLIN, now + timedelta(days=10), now + timedelta(days=360))[0]
    return (switch - timedelta(weeks=2)).astimezone(BERLIN)


def test_series_mail_and_feeds_read_the_same_in_every_parser(client, inbox, create_user, create_space):
    hall = create_space(slug="halle", timezone="Europe/Berlin", name_en="Hall", max_days_ahead=400)
    member = create_user(locale="en")
    first = across_the_next_switch().date()
    rule = RecurrenceRule(Freq.WEEKLY, weekdays=(first.weekday(),), count=5)
    data = SeriesInput(hall.id, "Weekly recording", first, time(10), time(12), rule)
    inbox.messages.clear()
    booked = book_series(member, data, [first + timedelta(weeks=n) for n in range(5)]).booked
    assert len(booked) == 5
    assert {b.start_dt.astimezone(BERLIN).hour for b in booked} == {10}
    assert len({b.start_dt.astimezone(UTC).hour for b in booked}) == 2  # really across a switch
    [booking_mail] = inbox.wait_for(1)
    cancel_occurrences(member, booked[2].id, Scope.FOLLOWING)
    cancel_mail = inbox.wait_for(2)[1]

    db.session.expire_all()
    rows = [db.session.get(Booking, b.id) for b in booked]
    invitations = [part.get_content().encode() for part in calendars_of(booking_mail)]
    cancellations = [part.get_content().encode() for part in calendars_of(cancel_mail)]
    assert len(invitations) == 5 and len(cancellations) == 3
    token = feed_tokens.renew_token(member, "member")
    my_feed = client.get(f"/feeds/{token}/bookings.ics").data
    space_feed = client.get("/spaces/halle/calendar.ics").data
    readings = assert_parsers_agree([
        *((raw, [row]) for raw, row in zip(invitations, rows, strict=True)),
        *((raw, [row]) for raw, row in zip(cancellations, rows[2:], strict=True)),
        (my_feed, rows), (space_feed, rows),  # cancelled dates stay in the feeds as CANCELLED
    ])
    sent, cancelled = readings[:5], readings[5:8]
    assert [r["method"] for r in sent] == ["REQUEST"] * 5 and [r["method"] for r in cancelled] == ["CANCEL"] * 3
    for invitation, cancellation in zip(sent[2:], cancelled, strict=True):
        [before], [after] = invitation["events"], cancellation["events"]
        assert before["uid"] == after["uid"] and after["sequence"] > before["sequence"]
        assert after["status"] == "CANCELLED"
    feed_uids = {e["uid"]: e["status"] for e in readings[8]["events"]}
    assert feed_uids == {b.uid: ("CONFIRMED" if n < 2 else "CANCELLED") for n, b in enumerate(rows)}
    # local times with their zone (not floating, not UTC): Thunderbird shows 10:00 Berlin time each week
    assert {e["start"]["tzid"] for r in sent for e in r["events"]} == {"Europe/Berlin"}
