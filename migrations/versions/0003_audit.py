"""Audit trail: one booking_events row per transition of a booking.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:00:00

Bookings made before this revision have no history; their trail starts with the
next change.
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('booking_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("action IN ('requested', 'approved', 'rejected', 'cancelled', 'overridden', 'edited')", name=op.f('ck_booking_events_action')),
    sa.CheckConstraint("from_status IN ('pending', 'confirmed', 'rejected', 'cancelled')", name=op.f('ck_booking_events_from_status')),
    sa.CheckConstraint("to_status IN ('pending', 'confirmed', 'rejected', 'cancelled')", name=op.f('ck_booking_events_to_status')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_booking_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_events_booking_id_bookings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_events'))
    )
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.create_index('ix_booking_events_booking_at', ['booking_id', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_events_booking_at')
    op.drop_table('booking_events')
