"""Each booking's serialized VEVENTs, one per feed audience, kept fresh on every flush.

Rendering an event with `icalendar` costs about half a millisecond, far too much to
repeat for every event of every feed request. So whenever a booking is created or
changed, a `before_flush` hook renders its three views (public, member, staff) and
stores them on the row with a stamp of what they were built from; a feed is then
assembled by concatenation. The hook also raises SEQUENCE and `updated_at` when a
change a subscriber would see did not raise them itself, so every service (and any
future one) keeps the calendars right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from booking import ical
from booking.db import utcnow
from booking.models import Booking, Space, User, new_uid

# Bump when the rendering changes: every stored event is then rebuilt on first use.
FORMAT_VERSION = "2"  # 2: events in a repeated hour written in UTC
# Changes to these are what a subscriber sees (times, status, texts, place).
VISIBLE = ("start_dt", "end_dt", "status", "title", "purpose", "attendees", "is_public",
           "space_id", "seats", "user_id")


@dataclass(frozen=True)
class Rendered:
    public: str
    member: str
    staff: str
    stamp: str


def feed_locale() -> str:
    """The language of every feed: the deployment's (the spaces') language."""
    config = current_app.config
    return str(config.get("FEED_LOCALE") or config.get("BABEL_DEFAULT_LOCALE") or "ja")


def stamp_of(updated_at: datetime, sequence: int, status: str, locale: str) -> str:
    """What a stored rendering was built from; a different stamp means it is stale."""
    instant = updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%f")
    return f"{FORMAT_VERSION}|{locale}|{instant}|{sequence}|{status}"


def _status_word(status: str) -> str:
    words = {
        "pending": _("pending approval"),
        "confirmed": _("confirmed"),
        "cancelled": _("cancelled"),
        "rejected": _("rejected"),
        "expired": _("expired (not decided in time)"),
    }
    return words[status]


def _member_lines(booking: Booking, space: Space) -> list[str]:
    lines = [_("Status: %(status)s", status=_status_word(booking.status))]
    if booking.purpose:
        lines.append(_("Purpose: %(purpose)s", purpose=booking.purpose))
    if booking.attendees:
        lines.append(_("Expected attendees: %(count)s", count=booking.attendees))
    if space.is_pooled and booking.holds:
        desks = ", ".join(str(hold.unit_no) for hold in booking.holds)
        lines.append(_("Desks: %(desks)s", desks=desks))
    return lines


def _staff_lines(user: User) -> list[str]:
    who = f"{user.name} ({user.organisation})" if user.organisation else user.name
    return [_("Member: %(name)s", name=who), _("E-mail: %(email)s", email=user.email)]


def render_booking(booking: Booking, space: Space, user: User, locale: str) -> Rendered:
    """The public, member and staff VEVENTs of one booking, in the feeds' language."""
    with force_locale(locale):
        base = dict(
            uid=booking.uid, start_dt=booking.start_dt, end_dt=booking.end_dt,
            timezone=space.timezone, status=booking.status, sequence=booking.sequence,
            created_at=booking.created_at, changed_at=booking.updated_at,
            location=space.name(locale),
        )
        public_title = booking.title if booking.is_public else _("Reserved")
        member_lines = _member_lines(booking, space)
        staff_lines = _staff_lines(user) + member_lines
    return Rendered(
        public=ical.render_event(ical.EventValues(summary=public_title, **base)),
        member=ical.render_event(
            ical.EventValues(summary=booking.title, description="\n".join(member_lines), **base)),
        staff=ical.render_event(ical.EventValues(
            summary=f"{booking.title} — {user.name}", description="\n".join(staff_lines), **base)),
        stamp=stamp_of(booking.updated_at, booking.sequence, booking.status, locale),
    )


def store(booking: Booking, rendered: Rendered) -> None:
    booking.ics_public = rendered.public
    booking.ics_member = rendered.member
    booking.ics_staff = rendered.staff
    booking.ics_stamp = rendered.stamp


def _fill_defaults(booking: Booking, now: datetime) -> None:
    # Column defaults apply at INSERT, after this hook; the events need them now.
    for name, value in (("uid", new_uid()), ("sequence", 0), ("purpose", ""), ("attendees", 0),
                        ("is_public", False), ("seats", 1), ("created_at", now)):
        if getattr(booking, name) is None:
            setattr(booking, name, value)
    if booking.updated_at is None:
        booking.updated_at = booking.created_at


def _raise_for_subscribers(booking: Booking, now: datetime) -> bool:
    """Raise SEQUENCE and updated_at when a visible change did not; False if nothing visible changed."""
    attrs = inspect(booking).attrs
    visible = any(attrs[name].history.has_changes() for name in VISIBLE)
    if not visible and not attrs.holds.history.has_changes():
        return False
    if not attrs.sequence.history.has_changes():
        booking.sequence = (booking.sequence or 0) + 1
    if not attrs.updated_at.history.has_changes():
        booking.updated_at = now
    return True


def refresh(session: Session, booking: Booking, now: datetime, is_new: bool) -> None:
    """Bring one booking's stored events up to date with its values."""
    if is_new:
        _fill_defaults(booking, now)
    elif not _raise_for_subscribers(booking, now):
        return
    space = booking.space or session.get(Space, booking.space_id)
    user = booking.user or session.get(User, booking.user_id)
    if space is None or user is None:
        return  # the insert fails on its foreign key anyway
    store(booking, render_booking(booking, space, user, feed_locale()))


@event.listens_for(Session, "before_flush")
def _refresh_changed_bookings(session: Session, _context: Any, _instances: Any) -> None:
    now = utcnow()
    for booking in [obj for obj in session.new if isinstance(obj, Booking)]:
        refresh(session, booking, now, is_new=True)
    for booking in [obj for obj in session.dirty if isinstance(obj, Booking)]:
        refresh(session, booking, now, is_new=False)
