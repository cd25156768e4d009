"""Running an event (issue 19): check-in passes, walk-ins, the counts kept after the data goes.

Revision ID: 0017
Revises: 0012
Create Date: 2026-11-29 14:20:00

- attendee_passes: one per registration (its check-in code; checked in when, by whom;
  reminded when). Registrations made before this revision get theirs here.
- walk_ins: people let in at the door without a registration.
- event_records: an event's attendance counts, kept when its personal data is removed.
- export_log.kind `attendees`; booking_events actions `exported`, `mailed`, `withdrawn`.

CHECK constraints are loosened on SQLite by editing the stored CREATE TABLE text, as
0008 does (rebuilding booking_events would be fine, but export_log and the trail
keep one way of doing it).
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0012'
branch_labels = None
depends_on = None

OLD_ACTIONS = ('requested', 'approved', 'rejected', 'cancelled', 'overridden', 'edited', 'proposed', 'declined',
               'expired')
NEW_ACTIONS = (*OLD_ACTIONS, 'exported', 'mailed', 'withdrawn')
OLD_KINDS = ('bookings', 'figures')
NEW_KINDS = (*OLD_KINDS, 'attendees')
CHECKS = (
    ('booking_events', 'action', 'action', OLD_ACTIONS, NEW_ACTIONS),
    ('export_log', 'kind', 'kind', OLD_KINDS, NEW_KINDS),
)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # booking.domain.checkin, copied: migrations stay as written
WEIGHTS = (1, 3, 5, 7, 9, 11, 13)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _code():
    data = "".join(secrets.choice(ALPHABET) for _ in range(7))
    return data + ALPHABET[sum(w * ALPHABET.index(c) for w, c in zip(WEIGHTS, data, strict=True)) % 32]


def _swap_checks(pairs):
    """Replace each CHECK's IN list: (table, name, column, from, to)."""
    if op.get_bind().dialect.name == 'sqlite':
        bind = op.get_bind()
        version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
        bind.exec_driver_sql('PRAGMA writable_schema=ON')
        for table, _name, column, old, new in pairs:
            sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table,)).scalar()
            bind.exec_driver_sql("UPDATE sqlite_master SET sql=? WHERE type='table' AND name=?",
                                 (sql.replace(_in(column, old), _in(column, new)), table))
        bind.exec_driver_sql(f'PRAGMA schema_version={version + 1}')
        bind.exec_driver_sql('PRAGMA writable_schema=OFF')
        return
    for table, name, column, _old, new in pairs:
        op.drop_constraint(op.f(f'ck_{table}_{name}'), table, type_='check')
        op.create_check_constraint(op.f(f'ck_{table}_{name}'), table, _in(column, new))


def upgrade():
    op.create_table('attendee_passes',
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_in_by_id', sa.Integer(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(code) = 8', name=op.f('ck_attendee_passes_code_length')),
    sa.ForeignKeyConstraint(['checked_in_by_id'], ['users.id'], name=op.f('fk_attendee_passes_checked_in_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['public_events.id'], name=op.f('fk_attendee_passes_event_id_public_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_attendee_passes_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', name=op.f('pk_attendee_passes')),
    sa.UniqueConstraint('code', name=op.f('uq_attendee_passes_code'))
    )
    with op.batch_alter_table('attendee_passes', schema=None) as batch_op:
        batch_op.create_index('ix_attendee_passes_event_checked_in', ['event_id', 'checked_in_at'], unique=False)

    op.create_table('walk_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['public_events.id'], name=op.f('fk_walk_ins_event_id_public_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_walk_ins_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walk_ins'))
    )
    with op.batch_alter_table('walk_ins', schema=None) as batch_op:
        batch_op.create_index('ix_walk_ins_event_at', ['event_id', 'at'], unique=False)

    op.create_table('event_records',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('registered', sa.Integer(), nullable=False),
    sa.Column('companions', sa.Integer(), nullable=False),
    sa.Column('waiting', sa.Integer(), nullable=False),
    sa.Column('checked_in', sa.Integer(), nullable=False),
    sa.Column('walk_ins', sa.Integer(), nullable=False),
    sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('registered >= 0 AND companions >= 0 AND waiting >= 0 AND checked_in >= 0 AND walk_ins >= 0', name=op.f('ck_event_records_counts_non_negative')),
    sa.ForeignKeyConstraint(['event_id'], ['public_events.id'], name=op.f('fk_event_records_event_id_public_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_event_records'))
    )
    _swap_checks(CHECKS)

    bind = op.get_bind()
    for registration_id, event_id in bind.execute(sa.text('SELECT id, event_id FROM registrations')).all():
        bind.execute(sa.text('INSERT INTO attendee_passes (registration_id, event_id, code) VALUES (:r, :e, :c)'),
                     {'r': registration_id, 'e': event_id, 'c': _code()})


def downgrade():
    op.execute("DELETE FROM booking_events WHERE action IN ('exported', 'mailed', 'withdrawn')")
    op.execute("DELETE FROM export_log WHERE kind = 'attendees'")
    _swap_checks([(table, name, column, new, old) for table, name, column, old, new in CHECKS])
    op.drop_table('event_records')
    with op.batch_alter_table('walk_ins', schema=None) as batch_op:
        batch_op.drop_index('ix_walk_ins_event_at')
    op.drop_table('walk_ins')
    with op.batch_alter_table('attendee_passes', schema=None) as batch_op:
        batch_op.drop_index('ix_attendee_passes_event_checked_in')
    op.drop_table('attendee_passes')
