"""The invariant the database guards, as a count anyone can check (tests, benchmarks, operators)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

# Pairs of active holds of one unit whose occupied intervals overlap (half-open,
# the same predicate as booking.domain.intervals.overlaps). Always 0 while the
# exclusion constraint (PostgreSQL) or the triggers (SQLite) are in place.
_OVERLAPPING_ACTIVE_HOLDS = text("""
    SELECT count(*) FROM booking_holds AS a
    JOIN booking_holds AS b
      ON a.space_id = b.space_id AND a.unit_no = b.unit_no AND a.id < b.id
    WHERE a.is_active AND b.is_active
      AND a.occupied_start < b.occupied_end AND b.occupied_start < a.occupied_end
""")


def count_double_bookings(session: Session) -> int:
    """How many pairs of active holds of one unit overlap in time."""
    return int(session.execute(_OVERLAPPING_ACTIVE_HOLDS).scalar_one())
