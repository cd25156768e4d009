"""Feeds changed their text (FORMAT_VERSION 5: a backslash in a title, a name or a description is
written as itself; a literal `\\N` was a line break): move every feed's validators with the text.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 07:00:00

As 0021 did: the stored events are rebuilt on first use anyway (their stamps name the old
format) and the ETags digest FORMAT_VERSION, but Last-Modified comes from the data alone, so a
calendar app that revalidates with If-Modified-Since only would get 304 and keep the old text.
Every space's feed counter and change time is raised (space, member and staff feeds), and so
is the change time of every shown public event (the events feed's Last-Modified is the latest
change of its events and their bookings; pending events are left alone, the review queue is
ordered by it). No schema change; a change time follows
booking.services.feed_events.next_change_time (the clock, but at least one whole second after
the previous change).
"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

SHOWN = ('published', 'withdrawn')  # booking.domain.events.SHOWN_STATUSES


def _aware(value):
    if isinstance(value, str):  # SQLite keeps naive UTC text
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _later(previous, clock):
    previous = _aware(previous)
    return clock if previous is None else max(clock, previous.replace(microsecond=0) + timedelta(seconds=1))


def _stored(bind, instant):
    return instant.replace(tzinfo=None) if bind.dialect.name == 'sqlite' else instant


def upgrade():
    bind = op.get_bind()
    clock = datetime.now(UTC)
    instant = sa.DateTime(timezone=True)
    rows = bind.execute(sa.text('SELECT id, feed_changed_at FROM spaces ORDER BY id')).all()
    for space_id, previous in rows:
        bind.execute(sa.text('UPDATE spaces SET feed_version = feed_version + 1, feed_changed_at = :changed'
                             ' WHERE id = :id').bindparams(sa.bindparam('changed', type_=instant)),
                     {'changed': _stored(bind, _later(previous, clock)), 'id': space_id})
    events = bind.execute(sa.text('SELECT id, updated_at FROM public_events WHERE status IN :shown ORDER BY id')
                          .bindparams(sa.bindparam('shown', expanding=True)), {'shown': list(SHOWN)}).all()
    for event_id, previous in events:
        bind.execute(sa.text('UPDATE public_events SET updated_at = :changed WHERE id = :id')
                     .bindparams(sa.bindparam('changed', type_=instant)),
                     {'changed': _stored(bind, _later(previous, clock)), 'id': event_id})


def downgrade():
    # Counters and change times only grow: going back leaves them raised (one full fetch per client).
    pass
