"""Feeds changed their text (FORMAT_VERSION 4: desks labelled デスク番号): raise every space's
feed counter and change time, so the feeds' validators change with the text.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29 21:30:00

The stored events are rebuilt on first use anyway (their stamps name the old format) and the
ETag digests FORMAT_VERSION, but Last-Modified comes from spaces.feed_changed_at alone: a
calendar app that revalidates with If-Modified-Since only would get 304 and keep the old text.
No schema change; the change time follows booking.services.feed_events.next_change_time
(the clock, but at least one whole second after the previous change).
"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def _aware(value):
    if isinstance(value, str):  # SQLite keeps naive UTC text
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def upgrade():
    bind = op.get_bind()
    clock = datetime.now(UTC)
    rows = bind.execute(sa.text('SELECT id, feed_changed_at FROM spaces ORDER BY id')).all()
    for space_id, previous in rows:
        previous = _aware(previous)
        changed = clock if previous is None else max(clock, previous.replace(microsecond=0) + timedelta(seconds=1))
        stored = changed.replace(tzinfo=None) if bind.dialect.name == 'sqlite' else changed
        bind.execute(sa.text('UPDATE spaces SET feed_version = feed_version + 1, feed_changed_at = :changed'
                             ' WHERE id = :id').bindparams(sa.bindparam('changed', type_=sa.DateTime(timezone=True))),
                     {'changed': stored, 'id': space_id})


def downgrade():
    # Counters only grow: going back leaves them raised, which costs one full fetch per client.
    pass
