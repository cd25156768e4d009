"""Session version: a per-user counter inside every session cookie; raising it ends all sessions.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-29 11:30:00

Existing accounts start at version 1. Cookies issued before this revision carry a
bare user id without a version and no longer sign anybody in: everybody signs in
once more after the upgrade.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default=sa.text('1'), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
