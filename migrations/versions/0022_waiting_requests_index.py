"""The approval queue finds the waiting requests by a partial index: ix_bookings_waiting.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 21:30:00

The queue asks for pending requests and confirmed bookings with a proposed change; without
an index both engines read every booking of the history to find them (the profile's 10 ms
scan of 3,400 bookings behind each page of the queue, growing with the history). The index
holds only those bookings, and only a query that states its condition word for word
(booking.services.staff.WAITING) can use it: an index on `status` changed the plans of
other queries (the staff calendar's went from 3 to 220 ms on SQLite).
"""
from alembic import op
from sqlalchemy import text

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

WAITING = "status = 'pending' OR proposed_start_dt IS NOT NULL"


def upgrade():
    op.create_index('ix_bookings_waiting', 'bookings', ['created_at'],
                    sqlite_where=text(WAITING), postgresql_where=text(WAITING))


def downgrade():
    op.drop_index('ix_bookings_waiting', table_name='bookings')
