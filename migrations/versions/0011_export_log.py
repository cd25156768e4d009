"""Export log: who downloaded which export (bookings or usage figures), with its filters, when.

Revision ID: 0011
Revises: 0005
Create Date: 2026-11-29 13:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('file_format', sa.String(length=5), nullable=False),
    sa.Column('filters', sa.Text(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('bookings', 'figures')", name=op.f('ck_export_log_kind')),
    sa.CheckConstraint("file_format IN ('csv', 'xlsx')", name=op.f('ck_export_log_file_format')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_export_log_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_log'))
    )
    with op.batch_alter_table('export_log', schema=None) as batch_op:
        batch_op.create_index('ix_export_log_at', ['at'], unique=False)


def downgrade():
    with op.batch_alter_table('export_log', schema=None) as batch_op:
        batch_op.drop_index('ix_export_log_at')
    op.drop_table('export_log')
