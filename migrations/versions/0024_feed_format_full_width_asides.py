"""Feeds changed their text (FORMAT_VERSION 6: in Japanese, a member's organisation in a staff
feed's description is written in full-width brackets, 利用者：山田（県庁）): move every feed's
validators with the text.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 14:10:00

As 0021 and 0023 did for the space, member and staff feeds: the stored events are rebuilt on
first use (their stamps name the old format) and the ETags digest FORMAT_VERSION, but
Last-Modified comes from the data alone, so a calendar app that revalidates with
If-Modified-Since only would get 304 and keep the old text. Every space's feed counter and
change time is raised. The public events feed names no member, so its change times are left
alone. No schema change; a change time follows booking.services.feed_events.next_change_time
(the clock, but at least one whole second after the previous change).
"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def _aware(value):
    if isinstance(value, str):  # SQLite keeps naive UTC text
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _later(previous, clock):
    previous = _aware(previous)
    return clock if previous is None else max(clock, previous.replace(microsecond=0) + timedelta(seconds=1))


def upgrade():
    bind = op.get_bind()
    clock = datetime.now(UTC)
    changed = sa.bindparam('changed', type_=sa.DateTime(timezone=True))
    for space_id, previous in bind.execute(sa.text('SELECT id, feed_changed_at FROM spaces ORDER BY id')).all():
        instant = _later(previous, clock)
        bind.execute(sa.text('UPDATE spaces SET feed_version = feed_version + 1, feed_changed_at = :changed'
                             ' WHERE id = :id').bindparams(changed),
                     {'changed': instant.replace(tzinfo=None) if bind.dialect.name == 'sqlite' else instant,
                      'id': space_id})


def downgrade():
    # Counters and change times only grow: going back leaves them raised (one full fetch per client).
    pass
