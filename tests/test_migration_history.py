"""Migration 0013 backfills one version per existing space from its current rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask_migrate import upgrade
from sqlalchemy import Date, Time, bindparam, select, text

from booking.extensions import db
from booking.models import SpaceVersion
from tests.test_migrations import empty_database_url, migration_app  # noqa: F401 (fixtures)

SPACE = """INSERT INTO spaces (slug, name_ja, name_en, description_ja, description_en, kind, unit_count, timezone,
  slot_minutes, min_minutes, max_minutes, setup_minutes, teardown_minutes, close_on_holidays, holiday_country,
  min_notice_minutes, max_days_ahead, requires_approval, pending_holds, created_at)
  VALUES ('desks', 'デスク', 'Desks', '', '', 'pooled', 12, 'Asia/Tokyo', 30, 30, 540, 0, 0, :yes, 'JP', 0, 90,
  :no, :yes, :created)"""


def test_existing_spaces_get_their_current_rules_as_the_first_version(migration_app):  # noqa: F811
    upgrade(revision="0010")
    with db.engine.begin() as conn:
        conn.execute(text(SPACE), {"yes": True, "no": False, "created": datetime(2026, 1, 1, tzinfo=UTC)})
        space_id = conn.scalar(text("SELECT id FROM spaces"))
        for weekday, opens, closes, next_day in ((0, time(9), time(18), False), (4, time(22), time(2), True)):
            conn.execute(text("INSERT INTO opening_periods (space_id, weekday, open_time, close_time, close_next_day)"
                              " VALUES (:s, :w, :o, :c, :n)")
                         .bindparams(bindparam("o", type_=Time), bindparam("c", type_=Time)),
                         {"s": space_id, "w": weekday, "o": opens, "c": closes, "n": next_day})
        conn.execute(text("INSERT INTO holiday_openings (space_id, day_date) VALUES (:s, :d)")
                     .bindparams(bindparam("d", type_=Date)),
                     {"s": space_id, "d": date(2026, 7, 20)})
    upgrade()
    version = db.session.scalar(select(SpaceVersion))
    assert version.valid_from == datetime(1970, 1, 1, tzinfo=UTC)
    assert (version.kind, version.unit_count, version.max_minutes, version.close_on_holidays) == (
        "pooled", 12, 540, True)
    assert version.opening == [[0, "09:00", "18:00"], [4, "22:00", "02:00"]]
    assert version.holiday_openings == ["2026-07-20"]
