"""Migration 0021 moves every feed's validators with the new text (FORMAT_VERSION 4, デスク番号)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import select, text

from booking.db import utcnow
from booking.extensions import db
from booking.models import Space
from tests.test_migrations import empty_database_url, migration_app  # noqa: F401 (fixtures)

SPACE = """INSERT INTO spaces (slug, name_ja, name_en, description_ja, description_en, kind, unit_count, timezone,
  slot_minutes, min_minutes, max_minutes, setup_minutes, teardown_minutes, close_on_holidays, holiday_country,
  min_notice_minutes, max_days_ahead, requires_approval, pending_holds, created_at, feed_version, feed_changed_at)
  VALUES (:slug, 'デスク', 'Desks', '', '', 'pooled', 12, 'Asia/Tokyo', 30, 30, 540, 0, 0, :yes, 'JP', 0, 90,
  :no, :yes, :created, 7, :changed)"""


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

    upgrade()

    spaces = {space.slug: space for space in db.session.scalars(select(Space))}
    assert {slug: space.feed_version for slug, space in spaces.items()} == {"desks": 8, "ahead": 8, "never": 8}
    assert spaces["desks"].feed_changed_at >= before
    assert spaces["never"].feed_changed_at >= before
    assert spaces["ahead"].feed_changed_at == ahead.replace(microsecond=0) + timedelta(seconds=1)
