"""space_hold_bound: spaces.hold_bound_minutes, an upper bound on every active hold's length in
the space, read as the lower margin of the index-bounded hold range queries.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 03:10:00

Before, the reads used the current policy's longest duration and buffers, so lowering them hid
the older, longer holds from the rules, the week grid and the quotas. The column is a high-water
mark (models.Space): set here to the larger of the policy's bound and the longest hold each space
has that is active or not over yet (an undone cancellation reactivates a hold as it was), raised
by every later write of the policy or of a longer hold, never lowered.
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

NOT_OVER_SQL = {"postgresql": "h.occupied_end > now()", "sqlite": "julianday(h.occupied_end) > julianday('now')"}
# Minutes between two instants, per dialect (SQLite stores them as naive UTC text).
LONGEST_SQL = {
    "postgresql": "CAST(CEIL(EXTRACT(EPOCH FROM (h.occupied_end - h.occupied_start)) / 60) AS INTEGER)",
    # No CEIL in every SQLite build: round up by hand (a bound one minute too long costs nothing).
    "sqlite": "CAST((julianday(h.occupied_end) - julianday(h.occupied_start)) * 1440 + 0.999 AS INTEGER)",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # A plain ADD COLUMN with a default: rebuilding `spaces` (batch mode) would drop it under
    # PRAGMA foreign_keys=ON (see 0008).
    op.add_column("spaces", sa.Column("hold_bound_minutes", sa.Integer(), nullable=False, server_default="0"))
    longest = LONGEST_SQL[dialect]
    # The active holds, and the inactive ones not yet over: a member may restore a cancelled booking
    # (services.undo) without its length being judged again.
    counted = f"h.space_id = spaces.id AND (h.is_active OR {NOT_OVER_SQL[dialect]})"
    op.execute("""
        UPDATE spaces SET hold_bound_minutes = max_minutes + setup_minutes + teardown_minutes
    """)
    op.execute(f"""
        UPDATE spaces SET hold_bound_minutes = (
            SELECT MAX({longest}) FROM booking_holds h WHERE {counted}
        )
        WHERE hold_bound_minutes < (
            SELECT MAX({longest}) FROM booking_holds h WHERE {counted}
        )
    """)


def downgrade() -> None:
    op.execute("ALTER TABLE spaces DROP COLUMN hold_bound_minutes")
