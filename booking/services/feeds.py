"""The calendar feeds: validators from one cheap query, the body only when needed.

Each feed function runs one query that finds what the URL names (space, token
owner) together with max(updated_at) and count of the bookings in scope, and
returns a `Feed` whose ETag and Last-Modified come from those values and the
window's day. The view answers 304 from them; only otherwise does it call
`Feed.build`, which concatenates the bookings' stored events between a header
and a footer.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, or_, select, true, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload, selectinload

from booking import ical
from booking.db import utcnow
from booking.extensions import db
from booking.models import Booking, FeedToken, Space, User
from booking.services import NotFound
from booking.services.feed_events import FORMAT_VERSION, Rendered, feed_locale, render_booking, stamp_of
from booking.services.feed_tokens import hash_token, is_well_formed
from booking.services.transactions import run_write

log = logging.getLogger(__name__)

GONE = ("cancelled", "rejected")
ACTIVE = ("pending", "confirmed")
COLUMNS = {"public": Booking.ics_public, "member": Booking.ics_member, "staff": Booking.ics_staff}


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


@dataclass(frozen=True)
class Window:
    """The bookings a feed shows: a span of local days, plus recently cancelled ones."""

    day: date
    day_start: datetime
    start_dt: datetime
    end_dt: datetime
    gone_since: datetime

    @classmethod
    def around(cls, now: datetime, zone: str) -> Window:
        tz = ZoneInfo(zone)
        day = now.astimezone(tz).date()
        midnight = datetime.combine(day, time(), tz).astimezone(UTC)
        return cls(
            day=day, day_start=midnight,
            start_dt=midnight - timedelta(days=_setting("FEED_DAYS_BACK", 60)),
            end_dt=midnight + timedelta(days=_setting("FEED_DAYS_AHEAD", 365) + 1),
            gone_since=midnight - timedelta(days=_setting("FEED_CANCELLED_DAYS", 30)),
        )


@dataclass(frozen=True)
class Feed:
    etag: str
    last_modified: datetime
    is_public: bool
    build: Callable[[], bytes]


def refresh_interval() -> timedelta:
    return timedelta(minutes=_setting("FEED_REFRESH_MINUTES", 60))


def _validators(window: Window, latest: datetime | None, count: int, key: Sequence[object]) -> tuple[str, datetime]:
    """A strong ETag and a Last-Modified that never goes backwards."""
    parts = (FORMAT_VERSION, feed_locale(), window.day, window.start_dt, window.end_dt, window.gone_since,
             refresh_interval(), latest, count, *key)
    etag = hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:32]
    # The window slides daily; the day's start counts as a change of the feed.
    last_modified = max(latest or window.day_start, window.day_start)
    return etag, last_modified.replace(microsecond=0)


def _aggregates(scope: ColumnElement[bool]) -> tuple[Any, Any]:
    return (select(func.max(Booking.updated_at)).where(scope).scalar_subquery(),
            select(func.count(Booking.id)).where(scope).scalar_subquery())


def _rerender(ids: list[int], locale: str) -> dict[int, Rendered]:
    bookings = db.session.scalars(
        select(Booking).where(Booking.id.in_(ids))
        .options(joinedload(Booking.space), joinedload(Booking.user), selectinload(Booking.holds))
    )
    return {b.id: render_booking(b, b.space, b.user, locale) for b in bookings}


def _write_back(rows: list[Any], renders: dict[int, Rendered]) -> None:
    """Store events rendered on the fly, unless the booking changed meanwhile (best effort)."""
    table = Booking.__table__

    def work(session: Any) -> None:
        for row in rows:
            rendered = renders[row.id]
            session.execute(
                update(table)
                .where(table.c.id == row.id, table.c.updated_at == row.updated_at,
                       table.c.sequence == row.sequence, table.c.status == row.status)
                .values(ics_public=rendered.public, ics_member=rendered.member,
                        ics_staff=rendered.staff, ics_stamp=rendered.stamp)
            )

    try:
        run_write(None, work)
    except DBAPIError:
        db.session.rollback()
        log.warning("could not store %d re-rendered feed events", len(rows), exc_info=True)


def _events(audience: str, scope: ColumnElement[bool], shown: ColumnElement[bool],
            window: Window) -> tuple[list[str], set[str]]:
    column = COLUMNS[audience]
    rows = db.session.execute(
        select(Booking.id, column.label("ics"), Booking.ics_stamp, Booking.updated_at, Booking.sequence,
               Booking.status, Space.timezone)
        .join(Space, Space.id == Booking.space_id)
        .where(scope, Booking.start_dt < window.end_dt, Booking.end_dt > window.start_dt,
               or_(shown, and_(Booking.status.in_(GONE), Booking.updated_at >= window.gone_since)))
        .order_by(Booking.start_dt, Booking.id)
    ).all()
    locale = feed_locale()
    stale = [r for r in rows if r.ics is None
             or r.ics_stamp != stamp_of(r.updated_at, r.sequence, r.status, locale)]
    renders = _rerender([r.id for r in stale], locale) if stale else {}
    events = [getattr(renders[r.id], audience) if r.id in renders else r.ics for r in rows]
    if stale:
        _write_back([r for r in stale if r.id in renders], renders)
    return events, {r.timezone for r in rows}


def _feed(audience: str, name: str, zone: str, scope: ColumnElement[bool], shown: ColumnElement[bool],
          window: Window, validators: tuple[str, datetime]) -> Feed:
    def build() -> bytes:
        events, zones = _events(audience, scope, shown, window)
        return ical.assemble(ical.calendar_header(name, zones, zone, refresh_interval()), events)

    return Feed(etag=validators[0], last_modified=validators[1], is_public=audience == "public", build=build)


def space_feed(slug: str, now: datetime | None = None) -> Feed:
    """A space's public feed: titles of public bookings only, never who booked or why."""
    latest, count = _aggregates(Booking.space_id == Space.id)
    row = db.session.execute(select(Space, latest, count).where(Space.slug == slug)).one_or_none()
    if row is None:
        raise NotFound()
    space, latest_dt, total = row
    statuses = ACTIVE if space.pending_holds else ("confirmed",)
    window = Window.around(now or utcnow(), space.timezone)
    name = space.name(feed_locale())
    validators = _validators(window, latest_dt, total, ("space", space.id, name, space.timezone, statuses))
    return _feed("public", name, space.timezone, Booking.space_id == space.id, Booking.status.in_(statuses),
                 window, validators)


def _owner_row(token: str, kind: str, scope: ColumnElement[bool], space_slug: str | None = None) -> Any:
    if not is_well_formed(token):
        raise NotFound()
    digest = hash_token(token)
    latest, count = _aggregates(scope)
    query = (select(FeedToken.token_hash, User, latest, count)
             .join(User, User.id == FeedToken.user_id)
             .where(FeedToken.token_hash == digest, FeedToken.kind == kind))
    if space_slug is not None:
        query = query.add_columns(Space).join(Space, Space.slug == space_slug)
    row = db.session.execute(query).one_or_none()
    if row is None or not hmac.compare_digest(row[0], digest) or not row[1].is_enabled:
        raise NotFound()
    return row


def member_feed(token: str, now: datetime | None = None) -> Feed:
    """A member's own bookings in every space, with their details."""
    _hash, user, latest, total = _owner_row(token, "member", Booking.user_id == User.id)
    zone = current_app.config["DEFAULT_TIMEZONE"]
    window = Window.around(now or utcnow(), zone)
    with force_locale(feed_locale()):
        name = _("My bookings")
    validators = _validators(window, latest, total, ("member", user.id, name))
    return _feed("member", name, zone, Booking.user_id == user.id, Booking.status.in_(ACTIVE),
                 window, validators)


def staff_feed(token: str, slug: str | None = None, now: datetime | None = None) -> Feed:
    """Every booking of every space (or of one), with the members' names; staff only."""
    scope = Booking.space_id == Space.id if slug is not None else true()
    row = _owner_row(token, "staff", scope, slug)
    user, latest, total = row[1], row[2], row[3]
    if not user.is_staff:
        raise NotFound()
    space: Space | None = row[4] if slug is not None else None
    zone = space.timezone if space else current_app.config["DEFAULT_TIMEZONE"]
    window = Window.around(now or utcnow(), zone)
    with force_locale(feed_locale()):
        name = (_("All bookings: %(space)s", space=space.name(feed_locale())) if space
                else _("All bookings"))
    validators = _validators(window, latest, total, ("staff", user.id, space.id if space else "all", name))
    return _feed("staff", name, zone, Booking.space_id == space.id if space else true(),
                 Booking.status.in_(ACTIVE), window, validators)


def booking_calendar(booking: Booking) -> bytes:
    """One booking as a calendar to import (what a confirmation e-mail attaches)."""
    locale = feed_locale()
    rendered = render_booking(booking, booking.space, booking.user, locale)
    zone = booking.space.timezone
    header = ical.calendar_header(booking.title, [zone], zone, refresh=None, method="PUBLISH")
    return ical.assemble(header, [rendered.member])
