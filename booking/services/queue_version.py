"""A value that changes whenever the approval queue's page could: the key of the kept queue pages.

The queue page shows waiting bookings, the bookings they compete with (found through the holds),
their members' name, organisation and e-mail, the spaces (names, time zones, kinds, deadlines,
and the links to book each), and the number of event proposals waiting. Read in one query of
indexed maxima, small counts and the spaces' rows:

- bookings: the latest `updated_at` (every visible change of a booking sets it to the time of the
  change: booking.services.feed_events.refresh; rows changed by plain SQL, as the seeds and tests do);
- the trail: the newest entry. Every insert of a booking, change of status, decision, expiry and
  proposal writes one (a second proposal changes nothing else the version reads);
- not the newest booking or hold, nor the count of waiting bookings: each moves only with a trail
  entry or a raised `feed_version` (a booking's insert writes both; holds are only ever added to a
  booking as a visible change; the count moves with a status, which is visible, or a proposal);
- no column of the members: a member shows on the page only through a booking, and members are never
  deleted; a change of a name, organisation or e-mail raises the `feed_version` of the spaces of
  their bookings (booking.services.feed_events.USER_RENDERED);
- every column of every space, as one string;
- the event proposals waiting (event_review.WAITING_COUNT).

No count of all bookings or of the whole trail: those grow with the history (a count of 3,400
bookings cost 0.5 ms on SQLite, more than the rest together). So a change is seen when it
raises one of the maxima: rows written with an `updated_at` ahead of the clock (seeded data)
hide later edits that write no trail entry, as they do from the feeds' validators. Nothing
expires by the clock.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Select, select

from booking.extensions import db
from booking.models import Booking, BookingEvent
from booking.services.event_review import WAITING_COUNT
from booking.services.report_cache import highest, spaces_text


class QueueVersion(NamedTuple):
    """`data`: the latest change, newest trail entry and spaces string of the module docstring; `proposals`: how
    many event proposals wait (the page's notice shows it)."""

    data: tuple[object, ...]
    proposals: int


def _version_query() -> Select[Any]:
    """The version's statement; built only when compiled, once per dialect (building it cost more than running it)."""
    return select(highest(Booking.updated_at), highest(BookingEvent.id), spaces_text(), WAITING_COUNT.scalar_subquery())


_SQL: dict[str, str] = {}  # the version's text per dialect, with its few constants written in


def queue_version() -> QueueVersion:
    """The version of the queue page's data (see the module docstring): equal for equal data and
    different after any change the page shows. One query; raises what the database raises.

    Run as SQL text compiled once per dialect and read as the driver returns it (profile line
    'sqlalchemy/engine/base.py:1664(_execute_clauseelement)': executing the statement through
    SQLAlchemy and converting its instant cost three times the query; a key needs no conversion).
    """
    connection = db.session.connection()
    name = connection.dialect.name
    sql = _SQL.get(name)
    if sql is None:
        sql = _SQL[name] = str(_version_query().compile(dialect=connection.dialect,
                                                         compile_kwargs={"literal_binds": True}))
    row = tuple(connection.exec_driver_sql(sql).one())
    return QueueVersion(row[:-1], row[-1] or 0)
