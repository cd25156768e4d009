"""Feed change counters: spaces.feed_version and spaces.feed_changed_at.

Revision ID: 0005
Revises: 0007
Create Date: 2026-11-29 11:30:00

Every change a feed shows raises its space's counter in the same write
transaction; the feeds' validators come from these counters. Existing stored
events are rebuilt on first use (their stamps no longer match).
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('feed_changed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.drop_column('feed_changed_at')
        batch_op.drop_column('feed_version')
