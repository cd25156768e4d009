"""The public events feed and one event's .ics, by the same standards as the space feeds.

Stable UIDs (the event's own), SEQUENCE raised on every change registrants are told
about, DTSTAMP and LAST-MODIFIED from the last change, a real VTIMEZONE, an ended
event kept as CANCELLED within the window, no METHOD on the subscription feed, and
validators (ETag / Last-Modified) from one cheap aggregate query, so a poll of an
unchanged feed builds nothing.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from booking import ical, ical_text
from booking.dates import with_aside
from booking.db import utcnow
from booking.extensions import db
from booking.models import AgendaItem, Booking, PublicEvent, Space
from booking.services.feed_events import feed_locale
from booking.services.feeds import Body, Feed, Window, _etag, last_modified, refresh_interval
from booking.services.public_events import SHOWN, public_event
from booking.urls import external_url

DEFAULT_ZONE = "Asia/Tokyo"


def _agenda_line(item: AgendaItem, zone: tzinfo, locale: str) -> str:
    """17:00 開会セレモニー（各市町長） / 17:00 Opening ceremony (the mayors)."""
    return with_aside(f"{item.start_dt.astimezone(zone):%H:%M} {item.title(locale)}", item.speakers or "", locale)


def _values(event: PublicEvent, locale: str) -> ical.EventValues:
    booking, space = event.booking, event.booking.space
    zone = ical.zone_of(space.timezone)
    lines = [event.description(locale)] if event.description(locale) else []
    lines += [_agenda_line(item, zone, locale) for item in event.agenda_items]
    return ical.EventValues(
        uid=event.uid, start_dt=booking.start_dt, end_dt=booking.end_dt, timezone=space.timezone,
        status="cancelled" if event.is_cancelled else "confirmed", sequence=event.sequence,
        created_at=event.created_at, changed_at=max(event.updated_at, booking.updated_at),
        summary=event.title(locale), location=space.name(locale), description="\n".join(lines),
    )


def render_event(event: PublicEvent, locale: str) -> str:
    """The event's VEVENT with its page's URL, written by the feeds' one writer (ical.event_text)."""
    url = external_url("events.detail", event_id=event.id)
    return ical.event_text(_values(event, locale), [("URL", ical_text.uri(url))])


def _window_query(window: Window):  # type: ignore[no-untyped-def]
    is_live = (PublicEvent.status == "published") & (Booking.status == "confirmed")
    return (select(PublicEvent).join(Booking).where(
        PublicEvent.status.in_(SHOWN), Booking.status != "pending",
        Booking.end_dt > window.start_dt, Booking.start_dt < window.end_dt,
        is_live | (Booking.updated_at >= window.gone_since) | (PublicEvent.updated_at >= window.gone_since)))


def events_feed(now: datetime | None = None) -> Feed:
    """The feed of every published event in the window (ended ones as CANCELLED for a while).

    Its validators follow the last change of the events, their bookings and their spaces: a
    space's feed change time (Space.feed_changed_at, raised with every change its feeds show,
    booking.services.feed_events) moves with its name and time zone, which the events' LOCATION
    and TZID show, and also with its other bookings, so the ETag may change when the body does
    not (a poll then fetches the same events again), never the other way round.
    """
    now = now or utcnow()
    window = Window.around(now, DEFAULT_ZONE)
    ids = _window_query(window).with_only_columns(PublicEvent.id)
    count, changed_event, changed_booking, changed_space, sequences = db.session.execute(
        select(func.count(PublicEvent.id), func.max(PublicEvent.updated_at), func.max(Booking.updated_at),
               func.max(Space.feed_changed_at), func.coalesce(func.sum(PublicEvent.sequence), 0))
        .select_from(PublicEvent).join(Booking).join(Space, Space.id == Booking.space_id)
        .where(PublicEvent.id.in_(ids))).one()
    changed = max((c for c in (changed_event, changed_booking, changed_space) if c is not None), default=None)
    if changed is not None and changed.tzinfo is None:
        changed = changed.replace(tzinfo=now.tzinfo)
    parts = ("events", count, sequences, changed.isoformat() if changed else "")
    stamp = last_modified(changed, window, now)

    def body() -> Body:
        locale = feed_locale()
        rows = list(db.session.scalars(_window_query(window).order_by(Booking.start_dt)))
        zones = {row.booking.space.timezone for row in rows}
        with force_locale(locale):
            name = _("Public events")
            events = [render_event(row, locale) for row in rows]
        header = ical.calendar_header(name, zones, DEFAULT_ZONE, refresh_interval(), years=window.years)
        return Body(ical.assemble(header, events), _etag(window, 0, parts), stamp)

    return Feed(etag=_etag(window, 0, parts), last_modified=stamp, is_public=True, body=body)


def event_calendar(event_id: int) -> bytes:
    """One published event as a calendar to import (METHOD:PUBLISH)."""
    event = public_event(event_id)
    locale = feed_locale()
    space: Space = event.booking.space
    with force_locale(locale):
        rendered = render_event(event, locale)
    years = (event.booking.start_dt.year, event.booking.end_dt.year)
    header = ical.calendar_header(event.title(locale), [space.timezone], space.timezone, refresh=None,
                                  method="PUBLISH", years=years)
    return ical.assemble(header, [rendered])
