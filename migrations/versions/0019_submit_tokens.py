"""One creation per rendered form: submit_token on bookings, booking_series and closures.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 18:45:00

A double click, or a browser re-posting after a slow answer, sent the same booking,
series or closure form twice and created it twice. Each form now carries a random
token (booking.fields.SubmitTokenField), stored with what it created; the unique
indexes (per member for bookings and series, alone for closures, which have no
owner) make a second creation with the same token impossible, and the services
answer a repeat with the first one. Existing rows keep NULL, which never clashes.
ADD COLUMN and CREATE INDEX only: no table is rebuilt on SQLite.
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

INDEXES = (
    ('uq_bookings_user_submit_token', 'bookings', ['user_id', 'submit_token']),
    ('uq_booking_series_user_submit_token', 'booking_series', ['user_id', 'submit_token']),
    ('uq_closures_submit_token', 'closures', ['submit_token']),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.add_column(table, sa.Column('submit_token', sa.String(length=64), nullable=True))
        op.create_index(name, table, columns, unique=True)


def downgrade():
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE {table} DROP COLUMN submit_token')
        else:
            op.drop_column(table, 'submit_token')
