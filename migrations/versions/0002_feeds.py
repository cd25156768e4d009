"""Feeds: secret feed tokens, each booking's serialized events, validator indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:00:00

Existing bookings get empty event caches; the feed service renders and stores
them the first time a feed includes them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('member', 'staff')", name=op.f('ck_feed_tokens_kind')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_feed_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_feed_tokens_token_hash')),
    sa.UniqueConstraint('user_id', 'kind', name='uq_feed_tokens_user_kind')
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ics_public', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('ics_member', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('ics_staff', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('ics_stamp', sa.String(length=120), nullable=True))
        batch_op.create_index('ix_bookings_space_updated', ['space_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_bookings_user_updated', ['user_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_bookings_updated', ['updated_at'], unique=False)
        batch_op.create_index('ix_bookings_space_newest', ['space_id', 'id'], unique=False)
        batch_op.create_index('ix_bookings_user_newest', ['user_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_user_newest')
        batch_op.drop_index('ix_bookings_space_newest')
        batch_op.drop_index('ix_bookings_updated')
        batch_op.drop_index('ix_bookings_user_updated')
        batch_op.drop_index('ix_bookings_space_updated')
        batch_op.drop_column('ics_stamp')
        batch_op.drop_column('ics_staff')
        batch_op.drop_column('ics_member')
        batch_op.drop_column('ics_public')
    op.drop_table('feed_tokens')
