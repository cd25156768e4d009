"""Staff review a member's proposed public event: the event status `rejected`, the trail
actions `published` and `turned_down`.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 18:00:00

Only CHECK lists are loosened. As in 0014, SQLite's stored CREATE TABLE text is edited
(writable_schema, schema_version bumped): rebuilding public_events would cascade into
registrations and agenda items.
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

OLD_ACTIONS = ('requested', 'approved', 'rejected', 'cancelled', 'overridden', 'edited',
               'proposed', 'declined', 'expired', 'exported', 'mailed', 'withdrawn', 'restored')
NEW_ACTIONS = (*OLD_ACTIONS, 'published', 'turned_down')
OLD_STATUSES = ('pending', 'published', 'withdrawn')
NEW_STATUSES = (*OLD_STATUSES, 'rejected')
CHECKS = (
    ('booking_events', 'action', 'action', OLD_ACTIONS, NEW_ACTIONS),
    ('public_events', 'status', 'status', OLD_STATUSES, NEW_STATUSES),
)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _swap(pairs):
    """Replace each CHECK's IN list: (table, name, column, from, to)."""
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
        bind.exec_driver_sql('PRAGMA writable_schema=ON')
        for table, _name, column, old, new in pairs:
            sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type='table' AND name=?",
                                       (table,)).scalar()
            if _in(column, old) not in sql:
                raise RuntimeError(f'{table}.{column} CHECK is not the expected list')
            bind.exec_driver_sql("UPDATE sqlite_master SET sql=? WHERE type='table' AND name=?",
                                 (sql.replace(_in(column, old), _in(column, new)), table))
        bind.exec_driver_sql(f'PRAGMA schema_version={version + 1}')
        bind.exec_driver_sql('PRAGMA writable_schema=OFF')
        return
    for table, name, column, _old, new in pairs:
        op.drop_constraint(op.f(f'ck_{table}_{name}'), table, type_='check')
        op.create_check_constraint(op.f(f'ck_{table}_{name}'), table, _in(column, new))


def upgrade():
    _swap(CHECKS)


def downgrade():
    # A rejected proposal reads as one still waiting; its decisions as plain edits.
    op.execute("UPDATE public_events SET status = 'pending' WHERE status = 'rejected'")
    op.execute("UPDATE booking_events SET action = 'edited' WHERE action IN ('published', 'turned_down')")
    _swap([(table, name, column, new, old) for table, name, column, old, new in CHECKS])
