"""SQLite's overlap guard compares a new hold with one neighbour, found by index, not with the history.

Revision ID: 0018
Revises: 0014
Create Date: 2026-11-29 18:20:00

The guard's trigger (0001) looked for any active hold of the same unit with
`occupied_start < NEW.occupied_end AND NEW.occupied_start < occupied_end`. Searching
by (space_id, occupied_start) with only an upper bound, SQLite walked every earlier hold
of the space: about 0.45 s per insert in a studio with 100,000 bookings of history
(24 s for a 52-date series). No index on one bound helps both ways (the end is
unbounded the other side too).

The trigger itself keeps a unit's active holds from overlapping one another, so they
are ordered alike by start and by end: a new hold [s, e) overlaps some active hold
exactly when it overlaps the one with the latest start before e. The new trigger reads
only that one, by (space_id, unit_no, occupied_start): one index seek, whatever the
history. PostgreSQL's exclusion constraint is untouched; the index is made there too,
so both engines keep one schema. Triggers are dropped and created, no table rebuilt.
"""
from alembic import op

revision = '0018'
down_revision = '0014'
branch_labels = None
depends_on = None

NEIGHBOUR_GUARD = """
CREATE TRIGGER booking_holds_no_overlap_{event}
BEFORE {event} ON booking_holds
WHEN NEW.is_active
BEGIN
    SELECT RAISE(ABORT, 'booking_holds_overlap')
    WHERE (
        SELECT other.occupied_end FROM booking_holds AS other
        WHERE other.space_id = NEW.space_id
          AND other.unit_no = NEW.unit_no
          AND other.is_active
          AND other.id IS NOT NEW.id
          AND other.occupied_start < NEW.occupied_end
        ORDER BY other.occupied_start DESC
        LIMIT 1
    ) > NEW.occupied_start;
END
"""

SCAN_GUARD = """
CREATE TRIGGER booking_holds_no_overlap_{event}
BEFORE {event} ON booking_holds
WHEN NEW.is_active
BEGIN
    SELECT RAISE(ABORT, 'booking_holds_overlap')
    WHERE EXISTS (
        SELECT 1 FROM booking_holds AS other
        WHERE other.space_id = NEW.space_id
          AND other.unit_no = NEW.unit_no
          AND other.is_active
          AND other.id IS NOT NEW.id
          AND other.occupied_start < NEW.occupied_end
          AND NEW.occupied_start < other.occupied_end
    );
END
"""


def _replace_guard(guard):
    if op.get_bind().dialect.name != 'sqlite':
        return
    for event in ('INSERT', 'UPDATE'):
        op.execute(f'DROP TRIGGER IF EXISTS booking_holds_no_overlap_{event}')
        op.execute(guard.format(event=event))


def upgrade():
    op.create_index('ix_booking_holds_unit_start', 'booking_holds', ['space_id', 'unit_no', 'occupied_start'])
    _replace_guard(NEIGHBOUR_GUARD)


def downgrade():
    _replace_guard(SCAN_GUARD)
    op.drop_index('ix_booking_holds_unit_start', table_name='booking_holds')
