"""The demo data of SPEC §1: the three spaces, created once however often it is seeded."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from werkzeug.http import parse_date

from booking.demo import seed_demo
from booking.extensions import db
from booking.models import Booking, OpeningPeriod, Space, User
from booking.services.expiry import deadline_of
from tests.services.conftest import count


def table_sizes() -> dict[str, int]:
    return {model.__name__: count(model) for model in (User, Space, OpeningPeriod, Booking)}


def test_seeding_twice_does_not_duplicate_anything_and_never_double_books(app):
    first = seed_demo()
    sizes = table_sizes()
    second = seed_demo()
    assert table_sizes() == sizes
    assert first["bookings"] > 0 and second["bookings"] == 0
    assert sizes["User"] == 5 and sizes["Space"] == 3
    roles = sorted(db.session.scalars(select(User.role)))
    assert roles == ["admin", "member", "member", "member", "staff"]
    owners = set(db.session.scalars(select(Booking.user_id)))
    assert len(owners) == 4, "the demo week shows bookings of three members, and staff's kick-off"
    studio = db.session.scalar(select(Space).where(Space.slug == "tsulunos"))
    active = [
        b for b in db.session.scalars(select(Booking).where(Booking.space_id == studio.id)) if b.is_active
    ]
    intervals = sorted((h.occupied_start, h.occupied_end) for b in active for h in b.holds)
    assert intervals, "the demo studio has bookings"
    assert all(earlier[1] <= later[0] for earlier, later in zip(intervals, intervals[1:], strict=False))


def test_the_demo_has_the_studio_the_desks_and_the_hall(seeded_demo):
    spaces = {s.slug: s for s in db.session.scalars(select(Space))}
    assert set(spaces) == {"tsulunos", "netsugen-desks", "netsugen-hall"}

    studio, desks, hall = spaces["tsulunos"], spaces["netsugen-desks"], spaces["netsugen-hall"]
    assert (studio.kind, studio.unit_count, studio.requires_approval) == ("exclusive", 1, True)
    assert studio.setup_minutes > 0 and studio.teardown_minutes > 0
    assert (desks.kind, desks.unit_count, desks.requires_approval) == ("pooled", 24, False)
    assert (hall.kind, hall.unit_count, hall.requires_approval) == ("exclusive", 1, True)
    assert hall.setup_minutes > 0 and hall.teardown_minutes > 0
    assert all(s.timezone == "Asia/Tokyo" and s.description_ja and s.description_en for s in spaces.values())
    monday = [(p.open_time.hour, p.close_time.hour) for p in desks.opening_hours if p.weekday == 0]
    assert sorted(monday) == [(9, 12), (13, 20)]


def test_no_demo_change_time_lies_in_the_future(seeded_demo, client):
    before = datetime.now(UTC)
    db.session.rollback()
    times = [t for row in db.session.execute(select(Booking.created_at, Booking.updated_at)) for t in row]
    times += [t for t in db.session.scalars(select(Space.feed_changed_at)) if t is not None]
    assert times and max(times) <= before
    for slug in ("tsulunos", "netsugen-desks", "netsugen-hall"):
        response = client.get(f"/spaces/{slug}/calendar.ics")
        if "Last-Modified" in response.headers:  # the test client sends no Date header: the clock is the server's
            assert parse_date(response.headers["Last-Modified"]) <= datetime.now(UTC)


# Columns that name a time to come (what is booked, when mail or a job is due, when something expires
# or opens); every other time column records when something happened, which cannot be after now.
SCHEDULED = {"start_dt", "end_dt", "occupied_start", "occupied_end", "proposed_start_dt", "proposed_end_dt",
             "valid_from", "due_at", "expires_at", "offer_expires_at", "registration_opens_at",
             "registration_closes_at"}


def test_nothing_in_the_demo_happened_in_the_future(seeded_demo):
    """Every recorded time (requests, decisions in the trail, changes, events) is before now, so the
    usage figures (median decision time) and the booking histories read like real use."""
    from booking.db import UTCDateTime

    now = datetime.now(UTC)
    db.session.rollback()
    checked = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, UTCDateTime) and column.name not in SCHEDULED:
                latest = db.session.scalar(select(func.max(column)))
                checked.append(f"{table.name}.{column.name}")
                assert latest is None or latest <= now, f"{table.name}.{column.name} = {latest} is after {now}"
    assert "booking_events.at" in checked and "bookings.created_at" in checked


def test_the_demo_requests_were_decided_by_staff_with_a_trail(seeded_demo):
    """Requests that needed approval and were confirmed carry staff's decision in the trail, after the request."""
    from booking.models import BookingEvent

    decided = db.session.execute(
        select(BookingEvent.booking_id, BookingEvent.at, Booking.created_at)
        .join(Booking, Booking.id == BookingEvent.booking_id)
        .where(BookingEvent.action == "approved")).all()
    assert len(decided) >= 10
    assert all(created < at for _, at, created in decided)


def test_every_seeded_request_waits_for_a_deadline_after_now(seeded_demo):
    now = datetime.now(UTC)
    pending = db.session.scalars(select(Booking).where(Booking.status == "pending")).all()
    assert pending and all(deadline_of(b) > now for b in pending)


def test_the_demo_has_the_kick_off_in_the_hall_as_a_public_event(seeded_demo):
    from zoneinfo import ZoneInfo

    from booking.models import PublicEvent

    [event] = db.session.scalars(select(PublicEvent))
    zone = ZoneInfo("Asia/Tokyo")
    start, end = event.booking.start_dt.astimezone(zone), event.booking.end_dt.astimezone(zone)
    assert (start.weekday(), start.strftime("%H:%M"), end.strftime("%H:%M")) == (1, "17:00", "18:45")
    assert event.booking.space.slug == "netsugen-hall" and event.booking.status == "confirmed"
    assert [(item.start_dt.astimezone(zone).strftime("%H:%M"), item.minutes) for item in event.agenda_items] == [
        ("17:00", 20), ("17:20", 50), ("18:15", 30)]
    assert event.fee_ja == "無料" and event.accepts_walk_ins and event.status == "published"
    assert event.created_at <= datetime.now(UTC) and event.updated_at <= datetime.now(UTC)
