"""attendee_list_changes: one row appended by triggers for every write to an event's registrations
or check-in passes, so that the staff's attendee list can be kept per (count, newest id) of them
instead of per the 150 rows it would otherwise read on every view (issue 21 point 4).

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 19:40:00

Appended, never updated: no writer waits on another's row (a counter on public_events would
make every check-in lock the event's row). A row removed with its event (ON DELETE CASCADE) is
not logged: the delete triggers only log a change of an event that still exists. Existing
events start with no rows; their first change after the upgrade starts their count.
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

TABLES = ("registrations", "attendee_passes")

PG_FUNCTION = """
CREATE FUNCTION attendee_list_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO attendee_list_changes (event_id)
        SELECT OLD.event_id WHERE EXISTS (SELECT 1 FROM public_events WHERE id = OLD.event_id);
    ELSE
        INSERT INTO attendee_list_changes (event_id) VALUES (NEW.event_id);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

SQLITE_TRIGGERS = {
    "insert": "INSERT INTO attendee_list_changes (event_id) VALUES (NEW.event_id);",
    "update": "INSERT INTO attendee_list_changes (event_id) VALUES (NEW.event_id);",
    "delete": ("INSERT INTO attendee_list_changes (event_id) SELECT OLD.event_id "
               "WHERE EXISTS (SELECT 1 FROM public_events WHERE id = OLD.event_id);"),
}


def upgrade():
    op.create_table(
        'attendee_list_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['public_events.id'],
                                name=op.f('fk_attendee_list_changes_event_id_public_events'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attendee_list_changes')),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_attendee_list_changes_event_id', 'attendee_list_changes', ['event_id', 'id'], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_list_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION attendee_list_changed()")
    elif dialect == "sqlite":
        for table in TABLES:
            for event, action in SQLITE_TRIGGERS.items():
                op.execute(f"CREATE TRIGGER {table}_list_changed_{event} AFTER {event.upper()} ON {table} "
                           f"BEGIN {action} END")
    else:
        raise NotImplementedError(f"no attendee list triggers for {dialect}; use PostgreSQL or SQLite")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_list_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS attendee_list_changed()")
    else:
        for table in TABLES:
            for event in SQLITE_TRIGGERS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_list_changed_{event}")
    op.drop_index('ix_attendee_list_changes_event_id', table_name='attendee_list_changes')
    op.drop_table('attendee_list_changes')
