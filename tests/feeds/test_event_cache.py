"""Each booking's stored events follow every change, whichever code makes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from booking.extensions import db
from booking.models import Booking
from booking.services import feeds
from booking.services.bookings import BookingInput, request_booking
from tests.conftest import future_day
from tests.feeds.conftest import counting_queries, parse, token_for


def _space_feed():
    return parse(feeds.space_feed("studio").build())


def test_a_requested_booking_is_in_the_feeds_straight_away(client, space, member):
    start = future_day(5) + timedelta(hours=1)
    outcome = request_booking(member, BookingInput(space.id, start, start + timedelta(hours=1), "Recording",
                                                   is_public=True))
    assert outcome.ok

    public = _space_feed()
    mine = parse(client.get(f"/feeds/{token_for(member)}/bookings.ics").data)

    assert public.summaries() == ["Recording"]
    assert mine.summaries() == ["Recording"]


def test_approving_without_touching_the_sequence_still_raises_it(space, member, book):
    booking = book(space, member, status="pending")
    before = feeds.space_feed("studio")
    changed_before = booking.updated_at

    booking.status = "confirmed"  # what any approval code does, maybe without raising SEQUENCE
    db.session.commit()

    event = _space_feed().event(booking.uid)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 1
    assert booking.updated_at > changed_before
    assert feeds.space_feed("studio").etag != before.etag


def test_a_renamed_booking_shows_its_new_title_with_a_raised_sequence(space, member, book):
    booking = book(space, member, is_public=True, title="Draft title")

    booking.title = "Final title"
    db.session.commit()

    event = _space_feed().event(booking.uid)
    assert str(event["SUMMARY"]) == "Final title"
    assert int(event["SEQUENCE"]) == 1


def test_a_change_no_subscriber_sees_keeps_the_sequence(space, member, book):
    booking = book(space, member)
    etag = feeds.space_feed("studio").etag

    booking.override_reason = "staff note"
    db.session.commit()

    assert booking.sequence == 0
    assert feeds.space_feed("studio").etag == etag


def test_a_stale_stored_event_is_rendered_for_the_feed_without_writing_and_rebuilt_later(space, member, book):
    booking = book(space, member, is_public=True, title="Real title")
    good_stamp = db.session.scalar(select(Booking.ics_stamp).where(Booking.id == booking.id))
    db.session.execute(update(Booking.__table__).where(Booking.__table__.c.id == booking.id)
                       .values(ics_public="BEGIN:VEVENT\r\nSUMMARY:stale\r\nEND:VEVENT\r\n", ics_stamp="old"))
    db.session.commit()

    with counting_queries() as statements:
        feed = _space_feed()

    assert feed.summaries() == ["Real title"]
    assert not [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
    assert feeds.rebuild_events(space.id) == 1
    assert db.session.scalar(select(Booking.ics_stamp).where(Booking.id == booking.id)) == good_stamp


def test_bookings_without_stored_events_still_appear(space, member, book):
    booking = book(space, member, is_public=True, title="From before the feeds")
    table = Booking.__table__
    db.session.execute(update(table).values(ics_public=None, ics_member=None, ics_staff=None, ics_stamp=None))
    db.session.commit()

    assert _space_feed().summaries() == ["From before the feeds"]
    feeds.rebuild_events(space.id)
    assert db.session.scalar(select(Booking.ics_public).where(Booking.id == booking.id)) is not None


def test_a_stale_event_that_cannot_be_rendered_is_left_out_of_the_feed_and_logged_with_its_booking(
        space, member, book, monkeypatch, caplog):
    broken = book(space, member, is_public=True, title="Broken", day=7)
    book(space, member, is_public=True, title="Fine", day=8)
    db.session.execute(update(Booking.__table__).values(ics_stamp="old"))
    db.session.commit()
    render_one = feeds.render_one

    def failing(booking, *args):
        if booking.id == broken.id:
            raise ValueError("cannot render")
        return render_one(booking, *args)

    monkeypatch.setattr(feeds, "render_one", failing)

    assert _space_feed().summaries() == ["Fine"]

    (record,) = [r for r in caplog.records if r.name == "booking.services.feeds"]
    assert record.levelname == "ERROR" and record.exc_info is not None
    assert record.getMessage() == f"could not render booking {broken.id} for a feed; left out"


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_a_feed_of_fresh_stored_events_renders_none_of_them_again(
        app, space, member, create_user, book, monkeypatch, locale):
    app.config["FEED_LOCALE"] = locale
    assert member.organisation  # a part of what the stamps digest, with or without one
    book(space, member, is_public=True, title="Stored", day=7)
    book(space, create_user(organisation=None), is_public=True, title="Also stored", day=8)
    rendered = []
    monkeypatch.setattr(feeds, "_render_in_memory", lambda ids, *args: rendered.append(ids) or {})

    assert _space_feed().summaries() == ["Stored", "Also stored"]
    assert rendered == []


def test_every_visible_change_raises_the_sequence_by_one_from_where_it_stands(space, member, book):
    booking = book(space, member, is_public=True, title="First")
    for title in ("Second", "Third"):
        booking.title = title
        db.session.commit()

    assert booking.sequence == 2
    assert int(_space_feed().event(booking.uid)["SEQUENCE"]) == 2


def test_the_event_values_a_mail_attaches_carry_the_bookings_own_creation_and_change_times(space, member, book):
    from booking.services import feed_events

    booking = book(space, member, title="Mailed")
    booking.title = "Mailed again"
    db.session.commit()

    values = feed_events.event_values(booking, space, member, "ja", "member")

    assert values.created_at == booking.created_at and values.changed_at == booking.updated_at
    assert booking.updated_at > booking.created_at
