"""Migrations 0021, 0023 and 0024 move every feed's validators with the new text (FORMAT_VERSION 4, デスク番号;
FORMAT_VERSION 5, a backslash written as itself; FORMAT_VERSION 6, full-width brackets around an organisation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import select, text

from booking.db import utcnow
from booking.extensions import db
from booking.models import PublicEvent, Space
from tests.test_migrations import empty_database_url, migration_app  # noqa: F401 (fixtures)

SPACE = """INSERT INTO spaces (slug, name_ja, name_en, description_ja, description_en, kind, unit_count, timezone,
  slot_minutes, min_minutes, max_minutes, setup_minutes, teardown_minutes, close_on_holidays, holiday_country,
  min_notice_minutes, max_days_ahead, requires_approval, pending_holds, created_at, feed_version, feed_changed_at)
  VALUES (:slug, 'デスク', 'Desks', '', '', 'pooled', 12, 'Asia/Tokyo', 30, 30, 540, 0, 0, :yes, 'JP', 0, 90,
  :no, :yes, :created, 7, :changed)"""

# The columns these migrations write, not the whole model: a later migration's column (0026's
# hold_bound_minutes) is not there yet at the revision under test.
SPACE_COLUMNS = select(Space.slug, Space.feed_version, Space.feed_changed_at)


def test_every_space_gets_a_higher_counter_and_a_later_change_time(migration_app):  # noqa: F811
    upgrade(revision="0020")
    past = datetime(2026, 1, 1, 12, 0, 0, 500000, tzinfo=UTC)
    ahead = utcnow() + timedelta(hours=1)  # a burst of changes ran ahead of the clock
    with db.engine.begin() as conn:
        for slug, changed in (("desks", past), ("ahead", ahead), ("never", None)):
            conn.execute(text(SPACE).bindparams(
                db.bindparam("created", type_=Space.__table__.c.created_at.type),
                db.bindparam("changed", type_=Space.__table__.c.feed_changed_at.type)),
                {"slug": slug, "yes": True, "no": False, "created": past, "changed": changed})
    before = utcnow().replace(microsecond=0)

    upgrade(revision="0021")

    spaces = {space.slug: space for space in db.session.execute(SPACE_COLUMNS)}
    assert {slug: space.feed_version for slug, space in spaces.items()} == {"desks": 8, "ahead": 8, "never": 8}
    assert spaces["desks"].feed_changed_at >= before
    assert spaces["never"].feed_changed_at >= before
    assert spaces["ahead"].feed_changed_at == ahead.replace(microsecond=0) + timedelta(seconds=1)


BOOKING = """INSERT INTO bookings (space_id, user_id, start_dt, end_dt, title, purpose, attendees, is_public, status,
  seats, uid, sequence, override_reason, created_at, updated_at) VALUES (:space, :user, :start, :end, 'Hall', '', 0,
  :yes, 'confirmed', 1, :uid, 0, '', :at, :at)"""
EVENT = """INSERT INTO public_events (booking_id, uid, title_ja, title_en, description_ja, description_en, organiser,
  capacity, fee_ja, fee_en, registration_opens_at, registration_closes_at, accepts_walk_ins, status, sequence,
  created_at, updated_at)
  VALUES (:booking, :uid, 'T', 'T', '', '', '', 10, '', '', :opens, :at, :yes, :status, 0, :at, :at)"""


def insert_three_spaces(conn, past: datetime, ahead: datetime) -> None:
    """Spaces at feed_version 7 changed in the past, ahead of the clock and never."""
    instant = Space.__table__.c.feed_changed_at.type
    for slug, changed in (("desks", past), ("ahead", ahead), ("never", None)):
        conn.execute(text(SPACE).bindparams(db.bindparam("created", type_=instant),
                                            db.bindparam("changed", type_=instant)),
                     {"slug": slug, "yes": True, "no": False, "created": past, "changed": changed})


def assert_every_space_raised_once(before: datetime, ahead: datetime) -> None:
    spaces = {space.slug: space for space in db.session.execute(SPACE_COLUMNS)}
    assert {slug: space.feed_version for slug, space in spaces.items()} == {"desks": 8, "ahead": 8, "never": 8}
    assert spaces["desks"].feed_changed_at >= before and spaces["never"].feed_changed_at >= before
    assert spaces["ahead"].feed_changed_at == ahead.replace(microsecond=0) + timedelta(seconds=1)


def test_0023_raises_every_space_and_the_change_time_of_every_shown_event(migration_app):  # noqa: F811
    upgrade(revision="0022")
    past = datetime(2026, 1, 1, 12, 0, 0, 500000, tzinfo=UTC)
    ahead = utcnow() + timedelta(hours=1)
    instant = Space.__table__.c.feed_changed_at.type
    with db.engine.begin() as conn:
        insert_three_spaces(conn, past, ahead)
        space_id = conn.scalar(text("SELECT id FROM spaces WHERE slug = 'desks'"))
        conn.execute(text("INSERT INTO users (email, name, organisation, org_kind, role, locale, password_hash,"
                          " is_enabled, created_at) VALUES ('m@example.jp', 'M', '', 'company', 'member', 'ja', 'x',"
                          " :yes, :at)").bindparams(db.bindparam("at", type_=instant)), {"yes": True, "at": past})
        user_id = conn.scalar(text("SELECT id FROM users"))
        for n, (status, at) in enumerate((("published", past), ("withdrawn", ahead), ("pending", past))):
            start = datetime(2026, 2, 1 + n, 1, tzinfo=UTC)
            conn.execute(text(BOOKING).bindparams(*(db.bindparam(k, type_=instant) for k in ("start", "end", "at"))),
                         {"space": space_id, "user": user_id, "start": start, "end": start + timedelta(hours=1),
                          "yes": True, "uid": f"b{n}@floor", "at": past})
            booking_id = conn.scalar(text("SELECT max(id) FROM bookings"))
            conn.execute(text(EVENT).bindparams(*(db.bindparam(k, type_=instant) for k in ("at", "opens"))),
                         {"booking": booking_id, "uid": f"e{n}@floor", "yes": True, "status": status, "at": at,
                          "opens": past - timedelta(days=1)})
    before = utcnow().replace(microsecond=0)

    upgrade(revision="0023")

    assert_every_space_raised_once(before, ahead)
    events = {event.status: event.updated_at for event in db.session.scalars(select(PublicEvent))}
    assert events["published"] >= before
    assert events["withdrawn"] == ahead.replace(microsecond=0) + timedelta(seconds=1)
    assert events["pending"] == past  # the review queue's order is left alone


def test_0024_raises_every_space_and_leaves_the_events_alone(migration_app):  # noqa: F811
    upgrade(revision="0023")
    past = datetime(2026, 1, 1, 12, 0, 0, 500000, tzinfo=UTC)
    ahead = utcnow() + timedelta(hours=1)
    with db.engine.begin() as conn:
        insert_three_spaces(conn, past, ahead)
    before = utcnow().replace(microsecond=0)

    upgrade(revision="0024")

    assert_every_space_raised_once(before, ahead)
