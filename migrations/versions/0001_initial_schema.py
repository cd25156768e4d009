"""Initial schema: users, spaces, hours, closures, bookings and their unit holds.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 09:08:20.242902

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('spaces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name_ja', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('description_ja', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('unit_count', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('min_minutes', sa.Integer(), nullable=False),
    sa.Column('max_minutes', sa.Integer(), nullable=False),
    sa.Column('setup_minutes', sa.Integer(), nullable=False),
    sa.Column('teardown_minutes', sa.Integer(), nullable=False),
    sa.Column('close_on_holidays', sa.Boolean(), nullable=False),
    sa.Column('holiday_country', sa.String(length=2), nullable=False),
    sa.Column('min_notice_minutes', sa.Integer(), nullable=False),
    sa.Column('max_days_ahead', sa.Integer(), nullable=False),
    sa.Column('requires_approval', sa.Boolean(), nullable=False),
    sa.Column('quota_active_bookings', sa.Integer(), nullable=True),
    sa.Column('quota_hours_per_week', sa.Integer(), nullable=True),
    sa.Column('pending_holds', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind = 'pooled' OR unit_count = 1", name=op.f('ck_spaces_exclusive_has_one_unit')),
    sa.CheckConstraint("kind IN ('exclusive', 'pooled')", name=op.f('ck_spaces_kind')),
    sa.CheckConstraint('max_days_ahead >= 1', name=op.f('ck_spaces_horizon')),
    sa.CheckConstraint('min_minutes > 0 AND max_minutes >= min_minutes', name=op.f('ck_spaces_duration_range')),
    sa.CheckConstraint('min_notice_minutes >= 0', name=op.f('ck_spaces_notice')),
    sa.CheckConstraint('setup_minutes >= 0 AND teardown_minutes >= 0', name=op.f('ck_spaces_buffers')),
    sa.CheckConstraint('slot_minutes > 0', name=op.f('ck_spaces_slot_positive')),
    sa.CheckConstraint('unit_count >= 1', name=op.f('ck_spaces_unit_count_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spaces')),
    sa.UniqueConstraint('slug', name=op.f('uq_spaces_slug'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('org_kind', sa.String(length=20), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("locale IN ('ja', 'en')", name=op.f('ck_users_locale')),
    sa.CheckConstraint("org_kind IN ('company', 'npo', 'research', 'public', 'individual')", name=op.f('ck_users_org_kind')),
    sa.CheckConstraint("role IN ('member', 'staff', 'admin')", name=op.f('ck_users_role')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_users_email_lowercase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('start_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'confirmed', 'rejected', 'cancelled')", name=op.f('ck_bookings_status')),
    sa.CheckConstraint('attendees >= 0', name=op.f('ck_bookings_attendees_non_negative')),
    sa.CheckConstraint('end_dt > start_dt', name=op.f('ck_bookings_end_after_start')),
    sa.CheckConstraint('seats >= 1', name=op.f('ck_bookings_seats_positive')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_bookings_sequence_non_negative')),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_bookings_space_id_spaces'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bookings_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('uid', name=op.f('uq_bookings_uid'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_space_start', ['space_id', 'start_dt'], unique=False)
        batch_op.create_index('ix_bookings_user_start', ['user_id', 'start_dt'], unique=False)

    op.create_table('closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=True),
    sa.Column('start_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_dt > start_dt', name=op.f('ck_closures_end_after_start')),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_closures_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closures'))
    )
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closures_space_id'), ['space_id'], unique=False)

    op.create_table('holiday_openings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('day_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_holiday_openings_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holiday_openings')),
    sa.UniqueConstraint('space_id', 'day_date', name='uq_holiday_openings_day')
    )
    op.create_table('opening_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('open_time', sa.Time(), nullable=False),
    sa.Column('close_time', sa.Time(), nullable=False),
    sa.CheckConstraint('close_time > open_time', name=op.f('ck_opening_periods_close_after_open')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_opening_periods_weekday')),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_opening_periods_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_periods'))
    )
    with op.batch_alter_table('opening_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_periods_space_id'), ['space_id'], unique=False)

    op.create_table('booking_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('unit_no', sa.Integer(), nullable=False),
    sa.Column('occupied_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('occupied_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('occupied_end > occupied_start', name=op.f('ck_booking_holds_end_after_start')),
    sa.CheckConstraint('unit_no >= 1', name=op.f('ck_booking_holds_unit_positive')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_holds_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_booking_holds_space_id_spaces'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_holds')),
    sa.UniqueConstraint('booking_id', 'unit_no', name='uq_booking_holds_booking_unit')
    )
    with op.batch_alter_table('booking_holds', schema=None) as batch_op:
        batch_op.create_index('ix_booking_holds_space_start', ['space_id', 'occupied_start'], unique=False)

    _create_overlap_guard()


# Two active holds of one unit must never overlap: [start, end) half-open, the
# same predicate as booking.domain.intervals.overlaps.
SQLITE_GUARD = """
CREATE TRIGGER booking_holds_no_overlap_{event}
BEFORE {event} ON booking_holds
WHEN NEW.is_active
BEGIN
    SELECT RAISE(ABORT, 'booking_holds_overlap')
    WHERE EXISTS (
        SELECT 1 FROM booking_holds AS other
        WHERE other.space_id = NEW.space_id
          AND other.unit_no = NEW.unit_no
          AND other.is_active
          AND other.id IS NOT NEW.id
          AND other.occupied_start < NEW.occupied_end
          AND NEW.occupied_start < other.occupied_end
    );
END
"""


def _create_overlap_guard():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE booking_holds ADD CONSTRAINT ex_booking_holds_no_overlap "
            "EXCLUDE USING gist (space_id WITH =, unit_no WITH =, "
            "tstzrange(occupied_start, occupied_end, '[)') WITH &&) WHERE (is_active)"
        )
    elif dialect == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(SQLITE_GUARD.format(event=event))
    else:
        raise NotImplementedError(f"no overlap guard for {dialect}; use PostgreSQL or SQLite")


def _drop_overlap_guard():
    if op.get_bind().dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(f"DROP TRIGGER IF EXISTS booking_holds_no_overlap_{event}")


def downgrade():
    _drop_overlap_guard()
    with op.batch_alter_table('booking_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_holds_space_start')

    op.drop_table('booking_holds')
    with op.batch_alter_table('opening_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_periods_space_id'))

    op.drop_table('opening_periods')
    op.drop_table('holiday_openings')
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closures_space_id'))

    op.drop_table('closures')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_user_start')
        batch_op.drop_index('ix_bookings_space_start')

    op.drop_table('bookings')
    op.drop_table('users')
    op.drop_table('spaces')
