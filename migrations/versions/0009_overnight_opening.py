"""Opening periods up to 24:00 and across midnight: close_next_day.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 11:30:00

A period closes on its own day (close after open, as before) or on the next day
(close at or before open: 09:00-24:00 is 09:00 to 00:00 next day, 22:00-02:00 runs
into the next morning). Existing rows all close on their own day.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SAME_DAY = 'close_time > open_time'
EITHER = ('(close_next_day AND close_time <= open_time) OR '
          '(NOT close_next_day AND close_time > open_time)')


def upgrade():
    with op.batch_alter_table('opening_periods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('close_next_day', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('opening_periods', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_opening_periods_close_after_open'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_opening_periods_close_after_open'), EITHER)
        batch_op.alter_column('close_next_day', server_default=None)


def downgrade():
    op.execute("DELETE FROM opening_periods WHERE close_next_day")
    with op.batch_alter_table('opening_periods', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_opening_periods_close_after_open'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_opening_periods_close_after_open'), SAME_DAY)
        batch_op.drop_column('close_next_day')
