"""The approval queue finds the waiting requests by index: bookings (status, proposed_start_dt).

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29 21:30:00

The queue asks for pending requests and confirmed bookings with a proposed change; without
an index both engines read every booking of the history to find them (the profile's 10 ms
scan of 3,400 bookings behind each page of the queue, growing with the history).
"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_bookings_waiting', 'bookings', ['status', 'proposed_start_dt'])


def downgrade():
    op.drop_index('ix_bookings_waiting', table_name='bookings')
