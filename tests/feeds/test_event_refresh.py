"""feed_events.refresh, the hook every ORM write of a booking passes through: the events it stores,
the change times it keeps in order, the defaults a new booking gets, and the rendering it skips
when the service already rendered the same values before the lock."""

from __future__ import annotations

from dataclasses import astuple
from datetime import timedelta

import pytest

from booking.db import utcnow
from booking.extensions import db
from booking.models import Booking, Space, User
from booking.services import feed_events
from tests.conftest import future_day


def _unsaved(space: Space, user: User, **fields: object) -> Booking:
    """A booking as a service builds it before its insert: relationships set, not added to the session."""
    start = future_day(7) + timedelta(hours=1)
    values: dict[str, object] = {"space": space, "user": user, "start_dt": start,
                                 "end_dt": start + timedelta(hours=1), "title": "Recording", "status": "confirmed"}
    values.update(fields)
    return Booking(**values)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """Each call of feed_events.render_booking, by the booking's id (None before its insert)."""
    calls: list[int | None] = []
    real = feed_events.render_booking

    def counted(booking: Booking, *args: object) -> feed_events.Rendered:
        calls.append(booking.id)
        return real(booking, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(feed_events, "render_booking", counted)
    return calls


def _prerendered(space: Space, member: User, now):
    """A new booking with the events its service rendered before the lock, from the values it has."""
    booking = _unsaved(space, member, created_at=now, updated_at=now)
    feed_events.refresh(db.session, booking, now, is_new=True)
    return booking, feed_events.Rendered(booking.ics_public, booking.ics_member, booking.ics_staff,
                                         booking.ics_stamp)


def test_a_new_booking_gets_all_three_events_and_the_stamp_of_its_values(space, member):
    now = utcnow()
    booking = _unsaved(space, member, created_at=now, updated_at=now)

    feed_events.refresh(db.session, booking, now, is_new=True)

    locale = feed_events.feed_locale()
    assert booking.ics_stamp == feed_events.stamp_of(
        now, 0, "confirmed", locale, feed_events.key_of(space, member, locale))
    assert booking.uid and booking.uid in booking.ics_public
    assert "山田 花子" in booking.ics_staff
    assert "山田 花子" not in booking.ics_public and "山田 花子" not in booking.ics_member  # the member's own


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_events_rendered_before_the_lock_from_the_same_values_are_not_rendered_again(app, space, member, renders,
                                                                                   locale):
    app.config["FEED_LOCALE"] = locale
    now = utcnow()
    booking, rendered = _prerendered(space, member, now)
    renders.clear()

    feed_events.refresh(db.session, booking, now, is_new=True)

    assert renders == []
    assert (booking.ics_public, booking.ics_member, booking.ics_staff, booking.ics_stamp) == astuple(rendered)


@pytest.mark.parametrize("change", ["status", "stamp", "sequence", "changed at", "member's name"])
def test_events_rendered_before_the_lock_from_other_values_are_rendered_again(space, member, renders, change):
    now = utcnow()
    booking, rendered = _prerendered(space, member, now)
    if change == "status":
        booking.status = "pending"
    elif change == "stamp":
        booking.ics_stamp = "rendered by an older version"
    elif change == "sequence":
        booking.sequence = 1
    elif change == "changed at":
        booking.updated_at = now - timedelta(seconds=1)
    else:
        member.name = "山田 花子（広報）"
    renders.clear()

    feed_events.refresh(db.session, booking, now, is_new=True)

    assert renders == [None]
    locale = feed_events.feed_locale()
    assert booking.ics_stamp == feed_events.stamp_of(
        booking.updated_at, booking.sequence, booking.status, locale, feed_events.key_of(space, member, locale))
    assert (booking.ics_stamp == rendered.stamp) == (change == "stamp")  # a stale stamp: the same values again
    if change == "status":
        assert "STATUS:TENTATIVE" in booking.ics_public
    db.session.rollback()


def test_a_change_time_after_the_locked_clock_is_pulled_back_to_it_and_creation_never_follows_it(space, member):
    now = utcnow()
    later = now + timedelta(minutes=5)
    booking = _unsaved(space, member, created_at=later + timedelta(minutes=1), updated_at=later)

    feed_events.refresh(db.session, booking, now, is_new=True)

    assert booking.updated_at == now
    assert booking.created_at == now
    assert booking.ics_stamp == feed_events.stamp_of(now, 0, "confirmed", feed_events.feed_locale(),
                                                     feed_events.key_of(space, member, feed_events.feed_locale()))


def test_a_creation_time_after_the_change_time_is_pulled_back_to_it(space, member):
    now = utcnow()
    earlier = now - timedelta(minutes=5)
    booking = _unsaved(space, member, created_at=now, updated_at=earlier)

    feed_events.refresh(db.session, booking, now, is_new=True)

    assert (booking.created_at, booking.updated_at) == (earlier, earlier)


def test_a_booking_known_only_by_its_space_and_member_ids_loads_them_for_its_events(space, member):
    now = utcnow()
    start = future_day(7) + timedelta(hours=1)
    booking = Booking(space_id=space.id, user_id=member.id, start_dt=start, end_dt=start + timedelta(hours=1),
                      title="Recording", status="confirmed", created_at=now, updated_at=now)
    assert booking.space is None and booking.user is None

    feed_events.refresh(db.session, booking, now, is_new=True)

    assert booking.ics_stamp == feed_events.stamp_of(now, 0, "confirmed", feed_events.feed_locale(),
                                                     feed_events.key_of(space, member, feed_events.feed_locale()))
    assert "山田 花子" in booking.ics_staff


@pytest.mark.parametrize("missing", ["space", "member"])
def test_a_booking_of_a_space_or_member_that_does_not_exist_gets_no_events_and_no_error(space, member, missing):
    now = utcnow()
    start = future_day(7) + timedelta(hours=1)
    booking = Booking(space_id=space.id + 1000 if missing == "space" else space.id,
                      user_id=member.id + 1000 if missing == "member" else member.id,
                      start_dt=start, end_dt=start + timedelta(hours=1), title="Recording", status="confirmed",
                      created_at=now, updated_at=now)

    feed_events.refresh(db.session, booking, now, is_new=True)

    assert (booking.ics_public, booking.ics_member, booking.ics_staff, booking.ics_stamp) == (None, None, None, None)


def test_a_new_booking_without_the_optional_values_gets_the_columns_defaults_for_its_events(space, member):
    now = utcnow()
    booking = _unsaved(space, member)
    for name in ("uid", "sequence", "purpose", "attendees", "is_public", "seats", "created_at", "updated_at"):
        assert getattr(booking, name) is None

    feed_events.refresh(db.session, booking, now, is_new=True)

    assert (booking.sequence, booking.purpose, booking.attendees, booking.is_public, booking.seats) == (
        0, "", 0, False, 1)
    assert booking.created_at == booking.updated_at == now
    assert len(booking.uid) > 20
    columns = Booking.__table__.c
    assert (columns.purpose.default.arg, columns.attendees.default.arg, columns.seats.default.arg) == ("", 0, 1)


def test_a_booking_written_with_ids_only_raises_its_spaces_feed(space, member):
    from booking.services import feeds

    before = feeds.space_feed(space.slug).etag
    start = future_day(7) + timedelta(hours=1)
    booking = Booking(space_id=space.id, user_id=member.id, start_dt=start, end_dt=start + timedelta(hours=1),
                      title="Recording", status="confirmed", is_public=True)
    db.session.add(booking)
    db.session.commit()

    feed = feeds.space_feed(space.slug)
    assert feed.etag != before
    assert booking.uid in feed.build().decode()


def test_a_booking_moved_to_another_space_leaves_the_first_spaces_feed(space, member, create_space):
    from booking.services import feeds

    hall = create_space(slug="hall")
    start = future_day(7) + timedelta(hours=1)
    booking = Booking(space=space, user=member, start_dt=start, end_dt=start + timedelta(hours=1),
                      title="Recording", status="confirmed", is_public=True)
    db.session.add(booking)
    db.session.commit()
    studio_before, hall_before = feeds.space_feed(space.slug).etag, feeds.space_feed(hall.slug).etag

    booking.space_id = hall.id
    db.session.commit()

    studio, moved_to = feeds.space_feed(space.slug), feeds.space_feed(hall.slug)
    assert studio.etag != studio_before, "the space it left"
    assert moved_to.etag != hall_before, "the space it moved to"
    assert booking.uid not in studio.build().decode()
    assert booking.uid in moved_to.build().decode()
