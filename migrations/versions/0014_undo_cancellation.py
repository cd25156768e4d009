"""A member may undo their own cancellation: the trail action `restored`.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 15:00:00

Only the CHECK of booking_events.action changes. SQLite cannot alter a CHECK, and
rebuilding booking_events is not needed for a loosened list: as in 0008, the stored
CREATE TABLE text is edited (writable_schema, schema_version bumped).
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OLD_ACTIONS = ('requested', 'approved', 'rejected', 'cancelled', 'overridden', 'edited',
               'proposed', 'declined', 'expired', 'exported', 'mailed', 'withdrawn')
NEW_ACTIONS = (*OLD_ACTIONS, 'restored')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _swap_sqlite(old, new):
    bind = op.get_bind()
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type='table' AND name='booking_events'").scalar()
    if _in('action', old) not in sql:
        raise RuntimeError('booking_events.action CHECK is not the expected list')
    bind.exec_driver_sql('PRAGMA writable_schema=ON')
    bind.exec_driver_sql("UPDATE sqlite_master SET sql=? WHERE type='table' AND name='booking_events'",
                         (sql.replace(_in('action', old), _in('action', new)),))
    bind.exec_driver_sql(f'PRAGMA schema_version={version + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema=OFF')


def _swap(old, new):
    if op.get_bind().dialect.name == 'sqlite':
        _swap_sqlite(old, new)
        return
    op.drop_constraint(op.f('ck_booking_events_action'), 'booking_events', type_='check')
    op.create_check_constraint(op.f('ck_booking_events_action'), 'booking_events', _in('action', new))


def upgrade():
    _swap(OLD_ACTIONS, NEW_ACTIONS)


def downgrade():
    # An undone cancellation reads as an edit in the old trail.
    op.execute("UPDATE booking_events SET action = 'edited' WHERE action = 'restored'")
    _swap(NEW_ACTIONS, OLD_ACTIONS)
