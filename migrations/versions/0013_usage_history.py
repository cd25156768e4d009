"""Usage history: space_versions (opening rules in force from a time on), closure_removals,
the members export in export_log, and the indexes the usage figures read by (cancellations
of a space by time, decisions by time).

Every existing space gets one version holding its current rules, in force since the
epoch: figures of past periods keep today's rules until the first change is recorded.

Revision ID: 0013
Revises: 0017
Create Date: 2026-11-29 14:30:00
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0017'
branch_labels = None
depends_on = None

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _hhmm(value):
    """A time column as "HH:MM" (SQLite returns text, PostgreSQL a time)."""
    return value.strftime("%H:%M") if hasattr(value, "strftime") else str(value)[:5]


def _backfill():
    bind = op.get_bind()
    epoch = EPOCH.replace(tzinfo=None) if bind.dialect.name == "sqlite" else EPOCH
    versions = sa.table(
        'space_versions', sa.column('space_id', sa.Integer), sa.column('valid_from', sa.DateTime(timezone=True)),
        sa.column('timezone', sa.String), sa.column('kind', sa.String), sa.column('unit_count', sa.Integer),
        sa.column('max_minutes', sa.Integer), sa.column('close_on_holidays', sa.Boolean),
        sa.column('holiday_country', sa.String), sa.column('opening', sa.JSON),
        sa.column('holiday_openings', sa.JSON),
    )
    spaces = bind.execute(sa.text(
        "SELECT id, timezone, kind, unit_count, max_minutes, close_on_holidays, holiday_country FROM spaces"
    )).all()
    rows = []
    for space_id, zone, kind, units, max_minutes, closes, country in spaces:
        periods = bind.execute(sa.text(
            "SELECT weekday, open_time, close_time FROM opening_periods WHERE space_id = :id "
            "ORDER BY weekday, open_time"), {"id": space_id}).all()
        days = bind.execute(sa.text(
            "SELECT day_date FROM holiday_openings WHERE space_id = :id ORDER BY day_date"), {"id": space_id}).all()
        rows.append({
            "space_id": space_id, "valid_from": epoch, "timezone": zone, "kind": kind, "unit_count": units,
            "max_minutes": max_minutes, "close_on_holidays": bool(closes), "holiday_country": country,
            "opening": [[weekday, _hhmm(a), _hhmm(b)] for weekday, a, b in periods],
            "holiday_openings": [str(day)[:10] for (day,) in days],
        })
    if rows:
        op.bulk_insert(versions, rows)


def upgrade():
    op.create_table(
        'space_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('unit_count', sa.Integer(), nullable=False),
        sa.Column('max_minutes', sa.Integer(), nullable=False),
        sa.Column('close_on_holidays', sa.Boolean(), nullable=False),
        sa.Column('holiday_country', sa.String(length=2), nullable=False),
        sa.Column('opening', sa.JSON(), nullable=False),
        sa.Column('holiday_openings', sa.JSON(), nullable=False),
        sa.CheckConstraint('unit_count >= 1', name=op.f('ck_space_versions_unit_count_positive')),
        sa.CheckConstraint('max_minutes > 0', name=op.f('ck_space_versions_max_minutes_positive')),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_space_versions_space_id_spaces'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_space_versions')),
        sa.UniqueConstraint('space_id', 'valid_from', name='uq_space_versions_space_from'),
    )
    op.create_table(
        'closure_removals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('closure_id', sa.Integer(), nullable=False),
        sa.Column('space_id', sa.Integer(), nullable=True),
        sa.Column('start_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('end_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('end_dt > start_dt', name=op.f('ck_closure_removals_end_after_start')),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_closure_removals_space_id_spaces'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_closure_removals')),
    )
    with op.batch_alter_table('closure_removals', schema=None) as batch_op:
        batch_op.create_index('ix_closure_removals_space_start', ['space_id', 'start_dt'], unique=False)
    with op.batch_alter_table('export_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_export_log_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_export_log_kind'),
                                         "kind IN ('bookings', 'figures', 'members', 'attendees')")
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_space_cancelled', ['space_id', 'cancelled_at'], unique=False)
        batch_op.create_index('ix_bookings_usage', ['space_id', 'start_dt', 'end_dt', 'status', 'seats', 'user_id'],
                              unique=False)
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.create_index('ix_booking_events_action_at', ['action', 'at'], unique=False)
    _backfill()


def downgrade():
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_events_action_at')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_usage')
        batch_op.drop_index('ix_bookings_space_cancelled')
    op.execute("DELETE FROM export_log WHERE kind = 'members'")
    with op.batch_alter_table('export_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_export_log_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_export_log_kind'), "kind IN ('bookings', 'figures', 'attendees')")
    with op.batch_alter_table('closure_removals', schema=None) as batch_op:
        batch_op.drop_index('ix_closure_removals_space_start')
    op.drop_table('closure_removals')
    op.drop_table('space_versions')
