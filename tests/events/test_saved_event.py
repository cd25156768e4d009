"""What saving a new public event writes besides the form's fields: who wrote it, its calendar SEQUENCE,
the booking made public; and the booking's times the event page is read with."""

from __future__ import annotations

from datetime import timedelta

import icalendar

from booking.extensions import db
from booking.models import Booking, PublicEvent
from booking.services import public_events
from tests.conftest import future_day


def _new_event(hall, staff, create_booking):
    start = future_day(9) + timedelta(hours=8)
    booking = create_booking(hall, staff, start, start + timedelta(hours=2), is_public=False)
    saved = public_events.save_event(staff, booking.id, public_events.EventInput(
        title_ja="地域DX勉強会", title_en="Local DX study group", capacity=40,
        registration_opens_at=start - timedelta(days=5), registration_closes_at=start))
    assert saved.ok
    db.session.rollback()
    return db.session.get(PublicEvent, saved.event.id)


def test_a_new_event_records_who_wrote_it_and_makes_its_booking_public(hall, create_user, create_booking):
    staff = create_user(role="staff")

    event = _new_event(hall, staff, create_booking)

    assert event.created_by_id == staff.id
    assert db.session.get(Booking, event.booking_id).is_public is True


def test_a_new_events_calendar_starts_at_sequence_zero(client, hall, create_user, create_booking):
    event = _new_event(hall, create_user(role="staff"), create_booking)

    [vevent] = icalendar.Calendar.from_ical(client.get(f"/events/{event.id}.ics").data).walk("VEVENT")

    assert int(vevent.get("SEQUENCE", 0)) == 0


def test_the_event_pages_facts_carry_the_bookings_start_and_end(kick_off):
    facts = public_events.page_facts(kick_off.id)

    assert (facts.start_dt, facts.end_dt) == (kick_off.booking.start_dt, kick_off.booking.end_dt)
