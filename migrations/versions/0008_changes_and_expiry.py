"""Bookings that change and requests that expire.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-29 11:30:00

- spaces.request_deadline_hours: a request still pending this many hours before
  its start expires (default 24).
- bookings.proposed_*: a change of time waiting for staff in spaces that need approval.
- The status `expired` (bookings, booking_events) and the trail actions
  `proposed`, `declined`, `expired`.

SQLite cannot alter a CHECK constraint, and rebuilding `bookings` or `spaces`
(batch mode) would drop the table under `PRAGMA foreign_keys=ON`, which cascades
into holds and events. SQLite's documented alternative for loosening or adding a
CHECK (https://www.sqlite.org/lang_altertable.html, "otheralter") is to edit the
stored CREATE TABLE text with `writable_schema` and bump `schema_version`; only
constraints the existing rows already satisfy are written that way.
"""
import re

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0006'  # chained after main's last migration when merging main
branch_labels = None
depends_on = None

OLD_STATUSES = ('pending', 'confirmed', 'rejected', 'cancelled')
NEW_STATUSES = (*OLD_STATUSES, 'expired')
OLD_ACTIONS = ('requested', 'approved', 'rejected', 'cancelled', 'overridden', 'edited')
NEW_ACTIONS = (*OLD_ACTIONS, 'proposed', 'declined', 'expired')

# (table, constraint name without the ck_<table>_ prefix, column, old values, new values)
CHECKS = (
    ('bookings', 'status', 'status', OLD_STATUSES, NEW_STATUSES),
    ('booking_events', 'from_status', 'from_status', OLD_STATUSES, NEW_STATUSES),
    ('booking_events', 'to_status', 'to_status', OLD_STATUSES, NEW_STATUSES),
    ('booking_events', 'action', 'action', OLD_ACTIONS, NEW_ACTIONS),
)
ADDED_CHECKS = (
    ('spaces', 'request_deadline', 'request_deadline_hours >= 0'),
    ('bookings', 'proposal_end_after_start', 'proposed_end_dt > proposed_start_dt'),
)

PROPOSAL_COLUMNS = (
    sa.Column('proposed_start_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('proposed_end_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('proposed_seats', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=True),
)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _sqlite_rewrite(edits):
    """Apply text edits to stored CREATE TABLE statements: {table: function(sql) -> sql}."""
    bind = op.get_bind()
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
    bind.exec_driver_sql('PRAGMA writable_schema=ON')
    for table, edit in edits.items():
        sql = bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table,)).scalar()
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql=? WHERE type='table' AND name=?", (edit(sql), table))
    bind.exec_driver_sql(f'PRAGMA schema_version={version + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema=OFF')


def _sqlite_edits(checks, added, removed):
    """Per table: swap each IN list, append the `added` CHECKs, drop the `removed` ones."""
    edits = {}

    def chain(table, step):
        previous = edits.get(table, lambda sql: sql)
        edits[table] = lambda sql: step(previous(sql))

    for table, _name, column, old, new in checks:
        chain(table, lambda sql, c=column, o=old, n=new: sql.replace(_in(c, o), _in(c, n)))
    for table, name, condition in added:
        clause = f', CONSTRAINT ck_{table}_{name} CHECK ({condition})'
        chain(table, lambda sql, c=clause: sql.rstrip()[:-1].rstrip() + c + '\n)')
    for table, name, condition in removed:
        pattern = re.compile(r',\s*CONSTRAINT ck_' + table + '_' + name + r' CHECK \(' + re.escape(condition) + r'\)')
        chain(table, lambda sql, p=pattern: p.sub('', sql))
    return edits


def upgrade():
    # Plain ALTER TABLE … ADD/DROP COLUMN on both engines: no table rebuild (see above).
    op.add_column('spaces', sa.Column('request_deadline_hours', sa.Integer(), nullable=False,
                                      server_default='24'))
    for column in PROPOSAL_COLUMNS:
        op.add_column('bookings', column)
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_rewrite(_sqlite_edits(CHECKS, ADDED_CHECKS, ()))
        return
    for table, name, column, _old, new in CHECKS:
        op.drop_constraint(op.f(f'ck_{table}_{name}'), table, type_='check')
        op.create_check_constraint(op.f(f'ck_{table}_{name}'), table, _in(column, new))
    for table, name, condition in ADDED_CHECKS:
        op.create_check_constraint(op.f(f'ck_{table}_{name}'), table, condition)


def downgrade():
    # Expired requests become rejected ones, and the new trail entries go: the old schema has neither.
    op.execute("UPDATE bookings SET status = 'rejected' WHERE status = 'expired'")
    op.execute("DELETE FROM booking_events WHERE action IN ('proposed', 'declined', 'expired')")
    op.execute("UPDATE booking_events SET from_status = 'rejected' WHERE from_status = 'expired'")
    op.execute("UPDATE booking_events SET to_status = 'rejected' WHERE to_status = 'expired'")
    reverted = tuple((t, n, c, new, old) for t, n, c, old, new in CHECKS)
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_rewrite(_sqlite_edits(reverted, (), ADDED_CHECKS))
    else:
        for table, name, column, _old, new in reverted:
            op.drop_constraint(op.f(f'ck_{table}_{name}'), table, type_='check')
            op.create_check_constraint(op.f(f'ck_{table}_{name}'), table, _in(column, new))
        for table, name, _condition in ADDED_CHECKS:
            op.drop_constraint(op.f(f'ck_{table}_{name}'), table, type_='check')
    for column in reversed(PROPOSAL_COLUMNS):
        op.drop_column('bookings', column.name)
    op.drop_column('spaces', 'request_deadline_hours')
