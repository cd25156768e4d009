"""Migration 0026 sets each space's hold bound to cover its longest active hold, not only its policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import insert, text

from booking.extensions import db
from booking.models import Booking, BookingHold, User
from tests.test_migrations import empty_database_url, migration_app  # noqa: F401 (fixtures)

SPACE = """INSERT INTO spaces (slug, name_ja, name_en, description_ja, description_en, kind, unit_count, timezone,
  slot_minutes, min_minutes, max_minutes, setup_minutes, teardown_minutes, close_on_holidays, holiday_country,
  min_notice_minutes, max_days_ahead, requires_approval, pending_holds, created_at)
  VALUES (:slug, 'ルーム', 'Room', '', '', 'exclusive', 1, 'Asia/Tokyo', 30, 30, :max, 15, 15, :yes, 'JP', 0, 90,
  :no, :yes, :created)"""
START = datetime(2030, 6, 3, 1, 0, tzinfo=UTC)


def add_space(slug: str, max_minutes: int) -> int:
    with db.engine.begin() as conn:
        conn.execute(text(SPACE), {"slug": slug, "max": max_minutes, "yes": True, "no": False,
                                   "created": datetime(2026, 1, 1, tzinfo=UTC)})
        return int(conn.scalar(text("SELECT id FROM spaces WHERE slug = :slug"), {"slug": slug}))


def add_booking(space_id: int, user_id: int, start: datetime, hours: float, *, active: bool = True) -> None:
    """A booking and its hold with 15-minute buffers, written as rows (the ORM would read the new column)."""
    end = start + timedelta(hours=hours)
    with db.engine.begin() as conn:
        booking_id = conn.execute(insert(Booking.__table__).values(
            space_id=space_id, user_id=user_id, start_dt=start, end_dt=end, title="Old", seats=1,
            status="confirmed" if active else "cancelled")).inserted_primary_key[0]
        conn.execute(insert(BookingHold.__table__).values(
            booking_id=booking_id, space_id=space_id, unit_no=1, occupied_start=start - timedelta(minutes=15),
            occupied_end=end + timedelta(minutes=15), is_active=active))


def bounds() -> dict[str, int]:
    with db.engine.connect() as conn:
        return dict(conn.execute(text("SELECT slug, hold_bound_minutes FROM spaces")).all())


def test_the_bound_covers_the_longest_active_hold_or_else_the_policy(migration_app):  # noqa: F811
    upgrade(revision="0025")
    with db.engine.begin() as conn:
        member = conn.execute(insert(User.__table__).values(
            email="m@example.jp", name="M", organisation="Org", org_kind="company", role="member",
            locale="ja", password_hash="x")).inserted_primary_key[0]
    shortened, roomy = add_space("shortened", 120), add_space("roomy", 600)
    add_booking(shortened, member, START, 8)
    add_booking(roomy, member, START, 4)
    add_booking(shortened, member, START - timedelta(days=3650), 20, active=False)
    add_booking(roomy, member, START, 11, active=False)
    upgrade()
    # An active eight-hour booking with its buffers; an inactive longer one counts while it may be
    # restored (not over yet), and not once it is over.
    assert bounds() == {"shortened": 8 * 60 + 30, "roomy": 11 * 60 + 30}
