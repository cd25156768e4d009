"""The calendar feeds: validators from one cheap query, the body only when needed.

Each feed function runs one query that finds what the URL names (space, token
owner) together with max(updated_at) and max(id) of the bookings in scope (two
index look-ups: any change raises the first, any new booking the second), and
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
from functools import cache, lru_cache
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, vCalAddress, vText
from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, true, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload, selectinload

from booking import ical
from booking.db import utcnow
from booking.domain.values import N_
from booking.extensions import db
from booking.models import Booking, FeedToken, Space, User
from booking.services import NotFound
from booking.services.feed_events import FORMAT_VERSION, Rendered, feed_locale, render_booking, stamp_of
from booking.services.feed_tokens import hash_token, is_well_formed
from booking.services.transactions import run_write

log = logging.getLogger(__name__)

GONE = ("cancelled", "rejected", "expired")
STAFF_ROLES = ("staff", "admin")
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
        day = now.astimezone(ZoneInfo(zone)).date()
        return _window(day, zone, _setting("FEED_DAYS_BACK", 60), _setting("FEED_DAYS_AHEAD", 365),
                       _setting("FEED_CANCELLED_DAYS", 30))


@lru_cache(maxsize=256)
def _window(day: date, zone: str, days_back: int, days_ahead: int, cancelled_days: int) -> Window:
    midnight = datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC)
    return Window(
        day=day, day_start=midnight,
        start_dt=midnight - timedelta(days=days_back),
        end_dt=midnight + timedelta(days=days_ahead + 1),
        gone_since=midnight - timedelta(days=cancelled_days),
    )


@dataclass(frozen=True)
class Feed:
    etag: str
    last_modified: datetime
    is_public: bool
    build: Callable[[], bytes]


def refresh_interval() -> timedelta:
    return timedelta(minutes=_setting("FEED_REFRESH_MINUTES", 60))


def _validators(window: Window, latest: datetime | None, newest: int | None, key: Sequence[object]
                ) -> tuple[str, datetime]:
    """A strong ETag and a Last-Modified that never goes backwards."""
    parts = (FORMAT_VERSION, feed_locale(), window, refresh_interval(), latest, newest, *key)
    return _validators_of(parts, window.day_start, latest)


@lru_cache(maxsize=4096)
def _validators_of(parts: tuple[object, ...], day_start: datetime, latest: datetime | None) -> tuple[str, datetime]:
    # Calendar apps poll an unchanged feed with the same values over and over.
    etag = hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:32]
    # The window slides daily; the day's start counts as a change of the feed.
    last_modified = max(latest or day_start, day_start)
    return etag, last_modified.replace(microsecond=0)


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


@dataclass(frozen=True)
class Scope:
    """Which bookings a feed covers: of one space or member (or all), in these statuses."""

    space_id: int | None = None
    user_id: int | None = None
    statuses: tuple[str, ...] = ACTIVE

    def where(self) -> ColumnElement[bool]:
        if self.space_id is not None:
            return Booking.space_id == self.space_id
        if self.user_id is not None:
            return Booking.user_id == self.user_id
        return true()


def _events(audience: str, scope: Scope, window: Window) -> tuple[list[str], set[str]]:
    column = COLUMNS[audience]
    rows = db.session.execute(
        select(Booking.id, column.label("ics"), Booking.ics_stamp, Booking.updated_at, Booking.sequence,
               Booking.status, Space.timezone)
        .join(Space, Space.id == Booking.space_id)
        .where(scope.where(), Booking.start_dt < window.end_dt, Booking.end_dt > window.start_dt,
               or_(Booking.status.in_(scope.statuses),
                   and_(Booking.status.in_(GONE), Booking.updated_at >= window.gone_since)))
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


def _feed(audience: str, name: Callable[[], str], zone: str, scope: Scope, window: Window,
          validators: tuple[str, datetime]) -> Feed:
    def build() -> bytes:
        events, zones = _events(audience, scope, window)
        return ical.assemble(ical.calendar_header(name(), zones, zone, refresh_interval()), events)

    return Feed(etag=validators[0], last_modified=validators[1], is_public=audience == "public", build=build)


BOOKINGS, SPACES, USERS, TOKENS = (Booking.__table__, Space.__table__, User.__table__,
                                   FeedToken.__table__)


def _aggregate_columns(scope: ColumnElement[bool]) -> tuple[Any, Any]:
    return (select(func.max(BOOKINGS.c.updated_at)).where(scope).scalar_subquery(),
            select(func.max(BOOKINGS.c.id)).where(scope).scalar_subquery())


@cache
def _space_query() -> Select[Any]:
    latest, newest = _aggregate_columns(BOOKINGS.c.space_id == SPACES.c.id)
    return (select(SPACES.c.id, SPACES.c.name_ja, SPACES.c.name_en, SPACES.c.timezone,
                   SPACES.c.pending_holds, latest.label("latest"), newest.label("newest"))
            .where(SPACES.c.slug == bindparam("slug")))


@cache
def _owner_query(kind: str, per_space: bool) -> Select[Any]:
    if kind == "member":
        scope = BOOKINGS.c.user_id == USERS.c.id
    else:
        scope = BOOKINGS.c.space_id == SPACES.c.id if per_space else true()
    latest, newest = _aggregate_columns(scope)
    query = (select(TOKENS.c.token_hash, USERS.c.id, USERS.c.is_enabled, USERS.c.role,
                    latest.label("latest"), newest.label("newest"))
             .join_from(TOKENS, USERS, USERS.c.id == TOKENS.c.user_id)
             .where(TOKENS.c.token_hash == bindparam("digest"), TOKENS.c.kind == kind))
    if per_space:
        query = (query.add_columns(SPACES.c.id.label("space_id"), SPACES.c.name_ja, SPACES.c.name_en,
                                   SPACES.c.timezone)
                 .join(SPACES, SPACES.c.slug == bindparam("slug")))
    return query


@cache
def _compiled(query: Select[Any], dialect: str) -> Any:
    return query.compile(dialect=db.engine.dialect)


def _instant(value: datetime | str | None) -> datetime | None:
    """A driver's timestamp as an aware UTC instant (SQLite hands back naive UTC text)."""
    if value is None:
        return None
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def _first(query: Select[Any], **params: str) -> SimpleNamespace | None:
    """The validators' one query, straight on a pooled DBAPI connection.

    Every poll of every subscribed calendar app runs this, and most end in 304, so
    it skips the ORM session and SQLAlchemy's execution layer (which cost several
    times the query itself); the SQL is still compiled from the statement, once.
    """
    compiled = _compiled(query, db.engine.dialect.name)
    values = {**compiled.params, **params}
    args = tuple(values[name] for name in compiled.positiontup) if compiled.positional else values
    connection = db.engine.raw_connection()
    # On PostgreSQL, autocommit leaves no transaction open, so handing the connection
    # back to the pool needs no ROLLBACK round trip: one round trip per poll.
    autocommit = db.engine.dialect.name == "postgresql"
    try:
        if autocommit:
            connection.dbapi_connection.autocommit = True  # type: ignore[union-attr]
        cursor = connection.cursor()
        cursor.execute(compiled.string, args)
        row = cursor.fetchone()
        names = [column[0] for column in cursor.description]
    finally:
        if autocommit:
            connection.dbapi_connection.autocommit = False  # type: ignore[union-attr]
        connection.close()
    if row is None:
        return None
    found = SimpleNamespace(**dict(zip(names, row, strict=True)))
    found.latest = _instant(found.latest)
    return found


def _name(row: Any, locale: str) -> str:
    return str(row.name_en if locale == "en" and row.name_en else row.name_ja)


def space_feed(slug: str, now: datetime | None = None) -> Feed:
    """A space's public feed: titles of public bookings only, never who booked or why."""
    row = _first(_space_query(), slug=slug)
    if row is None:
        raise NotFound()
    statuses = ACTIVE if row.pending_holds else ("confirmed",)
    window = Window.around(now or utcnow(), row.timezone)
    name = _name(row, feed_locale())
    validators = _validators(window, row.latest, row.newest, ("space", row.id, name, row.timezone, statuses))
    return _feed("public", lambda: name, row.timezone, Scope(space_id=row.id, statuses=statuses), window,
                 validators)


def _owner(token: str, kind: str, slug: str | None = None) -> Any:
    """The enabled owner of this token with the validators of their feed, or NotFound."""
    if not is_well_formed(token):
        raise NotFound()
    digest = hash_token(token)
    params = {"digest": digest} if slug is None else {"digest": digest, "slug": slug}
    row = _first(_owner_query(kind, slug is not None), **params)
    if row is None or not hmac.compare_digest(row.token_hash, digest) or not row.is_enabled:
        raise NotFound()
    if kind == "staff" and row.role not in STAFF_ROLES:
        raise NotFound()
    return row


def _translated(message: str, **params: str) -> Callable[[], str]:
    def name() -> str:
        with force_locale(feed_locale()):
            return _(message, **params)

    return name


def member_feed(token: str, now: datetime | None = None) -> Feed:
    """A member's own bookings in every space, with their details."""
    row = _owner(token, "member")
    zone = current_app.config["DEFAULT_TIMEZONE"]
    window = Window.around(now or utcnow(), zone)
    validators = _validators(window, row.latest, row.newest, ("member", row.id))
    return _feed("member", _translated(N_("My bookings")), zone, Scope(user_id=row.id), window, validators)


def staff_feed(token: str, slug: str | None = None, now: datetime | None = None) -> Feed:
    """Every booking of every space (or of one), with the members' names; staff only."""
    row = _owner(token, "staff", slug)
    if slug is None:
        zone, scope, key = current_app.config["DEFAULT_TIMEZONE"], Scope(), "all"
        name = _translated(N_("All bookings"))
    else:
        zone, scope, key = row.timezone, Scope(space_id=row.space_id), f"{row.space_id}|{row.timezone}"
        space_name = _name(row, feed_locale())
        key += f"|{space_name}"
        name = _translated(N_("All bookings: %(space)s"), space=space_name)
    window = Window.around(now or utcnow(), zone)
    validators = _validators(window, row.latest, row.newest, ("staff", row.id, key))
    return _feed("staff", name, zone, scope, window, validators)


def booking_update(booking: Booking, organizer: str, organizer_name: str = "") -> bytes:
    """One booking as an iTIP REQUEST (RFC 5546 §3.2.2): what an update e-mail attaches.

    The same UID and the booking's current (raised) SEQUENCE, so calendar clients
    replace the event they have; ORGANIZER is the system's sender address and
    ATTENDEE the member, as RFC 5546 requires for METHOD:REQUEST.
    """
    calendar = Calendar.from_ical(booking_calendar(booking))
    calendar.pop("method", None)
    calendar.add("method", "REQUEST")
    for event in calendar.walk("VEVENT"):
        sender = vCalAddress(f"mailto:{organizer}")
        if organizer_name:
            sender.params["CN"] = vText(ical.clean_text(organizer_name))
        event.add("organizer", sender)
        attendee = vCalAddress(f"mailto:{booking.user.email}")
        attendee.params["CN"] = vText(ical.clean_text(booking.user.name))
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "ACCEPTED" if booking.status == "confirmed" else "TENTATIVE"
        event.add("attendee", attendee)
    return bytes(calendar.to_ical())


def booking_calendar(booking: Booking) -> bytes:
    """One booking as a calendar to import (what a confirmation e-mail attaches)."""
    locale = feed_locale()
    rendered = render_booking(booking, booking.space, booking.user, locale)
    zone = booking.space.timezone
    header = ical.calendar_header(booking.title, [zone], zone, refresh=None, method="PUBLISH")
    return ical.assemble(header, [rendered.member])
