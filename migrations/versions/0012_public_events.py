"""Public events (SPEC §9): public_events on bookings, agenda_items, registrations; spaces.max_people.

The seats an event has given are counted by the database itself: triggers on
registrations keep public_events.seats_taken equal to the party sizes of the
registrations holding seats (registered, offered), and the CHECK
seats_within_capacity refuses any write that would pass the capacity, however
many processes register at once.

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-29 14:10:56
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('public_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('title_ja', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('description_ja', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('organiser', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('seats_taken', sa.Integer(), server_default='0', nullable=False),
    sa.Column('fee_ja', sa.String(length=100), nullable=False),
    sa.Column('fee_en', sa.String(length=100), nullable=False),
    sa.Column('registration_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registration_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepts_walk_ins', sa.Boolean(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'published', 'withdrawn')", name=op.f('ck_public_events_status')),
    sa.CheckConstraint('capacity >= 1', name=op.f('ck_public_events_capacity_positive')),
    sa.CheckConstraint('registration_closes_at > registration_opens_at', name=op.f('ck_public_events_registration_window')),
    sa.CheckConstraint('seats_taken >= 0 AND seats_taken <= capacity', name=op.f('ck_public_events_seats_within_capacity')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_public_events_sequence_non_negative')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_public_events_booking_id_bookings'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_public_events_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_events')),
    sa.UniqueConstraint('booking_id', name=op.f('uq_public_events_booking_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_public_events_uid'))
    )
    op.create_table('agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('start_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('title_ja', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('speakers', sa.String(length=300), nullable=False),
    sa.CheckConstraint('minutes >= 1', name=op.f('ck_agenda_items_minutes_positive')),
    sa.ForeignKeyConstraint(['event_id'], ['public_events.id'], name=op.f('fk_agenda_items_event_id_public_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_items'))
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_index('ix_agenda_items_event_start', ['event_id', 'start_dt'], unique=False)

    op.create_table('registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('org_kind', sa.String(length=20), nullable=False),
    sa.Column('party_size', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('passed_over_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("locale IN ('ja', 'en')", name=op.f('ck_registrations_locale')),
    sa.CheckConstraint("org_kind IN ('company', 'npo', 'research', 'public', 'individual')", name=op.f('ck_registrations_org_kind')),
    sa.CheckConstraint("status IN ('registered', 'offered', 'waiting', 'cancelled', 'expired')", name=op.f('ck_registrations_status')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_registrations_email_lowercase')),
    sa.CheckConstraint('party_size >= 1', name=op.f('ck_registrations_party_size_positive')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_registrations_sequence_non_negative')),
    sa.ForeignKeyConstraint(['event_id'], ['public_events.id'], name=op.f('fk_registrations_event_id_public_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_registrations_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations')),
    sa.UniqueConstraint('event_id', 'email', name='uq_registrations_event_email'),
    sa.UniqueConstraint('token_hash', name=op.f('uq_registrations_token_hash'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index('ix_registrations_event_status_queued', ['event_id', 'status', 'queued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_user_id'), ['user_id'], unique=False)

    # Never a batch rebuild of `spaces` on SQLite: dropping the old table under
    # PRAGMA foreign_keys=ON cascades into opening periods, bookings and holds (see 0008).
    # SQLite's ALTER TABLE ADD COLUMN takes the CHECK with the column instead.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE spaces ADD COLUMN max_people INTEGER '
                   'CONSTRAINT ck_spaces_max_people_positive CHECK (max_people IS NULL OR max_people >= 1)')
        op.add_column('spaces', sa.Column('members_may_host_events', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    else:
        op.add_column('spaces', sa.Column('max_people', sa.Integer(), nullable=True))
        op.add_column('spaces', sa.Column('members_may_host_events', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
        op.create_check_constraint(op.f('ck_spaces_max_people_positive'), 'spaces',
                                   'max_people IS NULL OR max_people >= 1')

    _create_seat_counter()


SEATS = "('registered', 'offered')"

PG_COUNTER = f"""
CREATE FUNCTION registrations_count_seats() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN {SEATS} THEN
        UPDATE public_events SET seats_taken = seats_taken - OLD.party_size WHERE id = OLD.event_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN {SEATS} THEN
        UPDATE public_events SET seats_taken = seats_taken + NEW.party_size WHERE id = NEW.event_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

SQLITE_COUNTERS = (
    f"""
CREATE TRIGGER registrations_seats_insert AFTER INSERT ON registrations
WHEN NEW.status IN {SEATS}
BEGIN
    UPDATE public_events SET seats_taken = seats_taken + NEW.party_size WHERE id = NEW.event_id;
END
""",
    f"""
CREATE TRIGGER registrations_seats_update AFTER UPDATE ON registrations
BEGIN
    UPDATE public_events SET seats_taken = seats_taken - OLD.party_size
    WHERE id = OLD.event_id AND OLD.status IN {SEATS};
    UPDATE public_events SET seats_taken = seats_taken + NEW.party_size
    WHERE id = NEW.event_id AND NEW.status IN {SEATS};
END
""",
    f"""
CREATE TRIGGER registrations_seats_delete AFTER DELETE ON registrations
WHEN OLD.status IN {SEATS}
BEGIN
    UPDATE public_events SET seats_taken = seats_taken - OLD.party_size WHERE id = OLD.event_id;
END
""",
)


def _create_seat_counter():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_COUNTER)
        op.execute(
            "CREATE TRIGGER registrations_count_seats AFTER INSERT OR UPDATE OR DELETE ON registrations "
            "FOR EACH ROW EXECUTE FUNCTION registrations_count_seats()"
        )
    elif dialect == "sqlite":
        for statement in SQLITE_COUNTERS:
            op.execute(statement)
    else:
        raise NotImplementedError(f"no seat counter for {dialect}; use PostgreSQL or SQLite")


def _drop_seat_counter():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS registrations_count_seats ON registrations")
        op.execute("DROP FUNCTION IF EXISTS registrations_count_seats()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS registrations_seats_{name}")


def downgrade():
    _drop_seat_counter()
    with op.batch_alter_table('spaces', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_spaces_max_people_positive'), type_='check')
        batch_op.drop_column('members_may_host_events')
        batch_op.drop_column('max_people')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrations_user_id'))
        batch_op.drop_index('ix_registrations_event_status_queued')

    op.drop_table('registrations')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_index('ix_agenda_items_event_start')

    op.drop_table('agenda_items')
    op.drop_table('public_events')
