"""Each booking's serialized VEVENTs, one per feed audience, and the feeds' change counters.

Rendering an event with `icalendar` costs about half a millisecond, far too much to
repeat for every event of every feed request. So whenever a booking is created or
changed, a `before_flush` hook renders its three views (public, member, staff) and
stores them on the row with a stamp of what they were built from (the booking's
change, the language, and a digest of the space's and member's rendered values);
a feed is then assembled by concatenation. The hook also raises SEQUENCE and
`updated_at` when a change a subscriber would see did not raise them itself, so
every service (and any future one) keeps the calendars right.

The same hook raises the change counter (`Space.feed_version`) of every space whose
feeds the flush changes: a booking's visible change, the space's name, time zone,
kind or pending-holds rule, a member's name, organisation or e-mail. It locks those
space rows (in id order) and reads the clock only then, so counters and change
times follow commit order; the feeds' validators come from them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from babel import support
from flask import current_app, has_app_context
from flask_babel import force_locale, get_babel, get_translations
from sqlalchemy import bindparam, event, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from booking import ical
from booking.dates import join_list, with_aside
from booking.db import utcnow
from booking.domain.values import N_
from booking.models import Booking, Space, User, new_uid
from booking.services.transactions import LOCKED_SPACE

# Bump when the rendering changes: every stored event is then rebuilt on first use.
# The feeds' validators follow it: the ETag digests it, and a migration raising every space's
# counter and change time moves Last-Modified with each bump (4: migrations/versions/0021, 5: 0023, 6: 0024).
# 2: a repeated hour in UTC; 3: stamps carry what the event renders; 4: デスク番号;
# 5: a backslash in text escaped as itself (`\N` no longer a line break), none in parameters;
# 6: in Japanese, a member's organisation in full-width brackets (booking.dates.with_aside).
FORMAT_VERSION = "6"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# Changes to these are what a subscriber sees (times, status, texts, place).
VISIBLE = ("start_dt", "end_dt", "status", "title", "purpose", "attendees", "is_public",
           "space_id", "seats", "user_id")
# What a space's or member's feeds show of them (names, zone, desk lines, statuses shown).
SPACE_RENDERED = ("name_ja", "name_en", "timezone", "kind", "pending_holds")
USER_RENDERED = ("name", "organisation", "email")


@dataclass(frozen=True)
class Rendered:
    public: str
    member: str
    staff: str
    stamp: str


def feed_locale(config: Mapping[str, Any] | None = None) -> str:
    """The language of every feed: the deployment's (the spaces') language (`config`: the app's, when read already)."""
    config = current_app.config if config is None else config
    return str(config.get("FEED_LOCALE") or config.get("BABEL_DEFAULT_LOCALE") or "ja")


def render_key(space_name: str, timezone: str, kind: str, user_name: str, organisation: str, email: str) -> str:
    """A 16-hex digest of what an event shows of its space (in the feeds' language) and member."""
    text = "\0".join((space_name, timezone, kind, user_name, organisation, email))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def key_of(space: Space, user: User, locale: str) -> str:
    return render_key(space.name(locale), space.timezone, space.kind, user.name, user.organisation or "",
                      user.email)


def stamp_of(updated_at: datetime, sequence: int, status: str, locale: str, key: str) -> str:
    """What a stored rendering was built from; a different stamp means it is stale (at most 80 chars).

    The change time as integer microseconds since 1970 (strftime costs several times more,
    and every row of every feed body is checked).
    """
    instant = (updated_at - EPOCH) // MICROSECOND
    return f"{FORMAT_VERSION}|{locale}|{instant}|{sequence}|{status}|{key}"


# Translated one at a time (profile line 'feed_events.py(_status_word)' under a booking POST's
# renders: all five were translated to show one, 40 % of the feed events' translation).
_STATUS_WORDS = {
    "pending": N_("pending approval"),
    "confirmed": N_("confirmed"),
    "cancelled": N_("cancelled"),
    "rejected": N_("rejected"),
    "expired": N_("expired (not decided in time)"),
}


@lru_cache(maxsize=32)
def _catalogue(locale: str, directories: tuple[str, ...], domain: str) -> Any:
    with force_locale(locale):
        return get_translations()


def _translations(locale: str) -> Any:
    """What flask_babel's gettext reads in `locale`, fetched once per locale and catalogue
    (its directories and domain) instead of a locale switch and a lookup per text (profile lines
    'flask_babel/__init__.py(force_locale)' and '(get_translations)' under _shown_values). Texts
    are then formatted as flask_babel formats them: `translated % variables`."""
    if not has_app_context():
        return support.NullTranslations()  # what flask_babel translates with outside an app
    babel = get_babel()
    return _catalogue(locale, tuple(babel.translation_directories), str(babel.default_domain))


def _status_word(texts: Any, status: str) -> str:
    return str(texts.ugettext(_STATUS_WORDS[status]))


def _member_lines(texts: Any, status: str, purpose: str, attendees: int, units: tuple[int, ...],
                  locale: str) -> list[str]:
    lines = [texts.ugettext("Status: %(status)s") % {"status": _status_word(texts, status)}]
    if purpose:
        lines.append(texts.ugettext("Purpose: %(purpose)s") % {"purpose": purpose})
    if attendees:
        lines.append(texts.ugettext("Expected attendees: %(count)s") % {"count": attendees})
    if units:
        lines.append(texts.ungettext("Desk number: %(desks)s", "Desk numbers: %(desks)s", len(units))
                     % {"desks": join_list(units, locale), "num": len(units)})
    return lines


def _staff_lines(texts: Any, name: str, organisation: str, email: str, locale: str) -> list[str]:
    who = with_aside(name, organisation, locale)
    return [texts.ugettext("Member: %(name)s") % {"name": who}, texts.ugettext("E-mail: %(email)s") % {"email": email}]


def _shown(booking: Booking, space: Space, user: User, locale: str, audience: str) -> ical.EventValues:
    """event_values with the template's change times, kept per process by everything the event shows.

    Profile line 'feed_events.py(event_values)' inside the space's lock: the texts were
    translated again (about 24 gettext calls per booking POST) for a booking whose events
    were rendered before the lock; now those renders leave the values here.
    """
    return _shown_all(booking, space, user, locale)[_AUDIENCES[audience]]


def _shown_all(booking: Booking, space: Space, user: User,
               locale: str) -> tuple[ical.EventValues, ical.EventValues, ical.EventValues]:
    units = tuple(hold.unit_no for hold in booking.holds) if space.is_pooled else ()
    return _shown_values(
        booking.uid, booking.start_dt, booking.end_dt, space.timezone, booking.status, booking.sequence,
        space.name(locale), booking.title, booking.purpose or "", booking.attendees or 0, bool(booking.is_public),
        units, user.name, user.organisation or "", user.email, locale,
    )


_AUDIENCES = {"public": 0, "member": 1, "staff": 2}


# The three audiences' values of one booking at once, kept per process by everything they show: a
# booking POST renders all three (render_booking), and one entry a booking took per audience had
# three locale switches and the member's lines translated twice (profile lines
# 'flask_babel/__init__.py(force_locale)' and 'feed_events.py(_member_lines)' under _shown_values).
@lru_cache(maxsize=1024)
def _shown_values(
    uid: str, start_dt: datetime, end_dt: datetime, timezone: str, status: str, sequence: int, location: str,
    title: str, purpose: str, attendees: int, is_public: bool, units: tuple[int, ...], name: str,
    organisation: str, email: str, locale: str,
) -> tuple[ical.EventValues, ical.EventValues, ical.EventValues]:
    """The public, member and staff event values (as `_AUDIENCES` orders them) with the template's change times."""
    texts = _translations(locale)
    base = ical.EventValues(
        uid=uid, start_dt=start_dt, end_dt=end_dt, timezone=timezone, status=status, sequence=sequence,
        created_at=ical.TEMPLATE_TIME, changed_at=ical.TEMPLATE_TIME, location=location, summary=title,
    )
    public = base if is_public else replace(base, summary=texts.ugettext("Reserved"))
    member_lines = _member_lines(texts, status, purpose, attendees, units, locale)
    member = replace(base, description="\n".join(member_lines))
    staff_lines = _staff_lines(texts, name, organisation, email, locale) + member_lines
    staff = replace(base, summary=f"{title} — {name}", description="\n".join(staff_lines))
    return public, member, staff


def event_values(booking: Booking, space: Space, user: User, locale: str, audience: str) -> ical.EventValues:
    """What one audience's VEVENT of a booking shows ("public", "member" or "staff")."""
    return replace(_shown(booking, space, user, locale, audience), created_at=booking.created_at,
                   changed_at=booking.updated_at)


def render_one(booking: Booking, space: Space, user: User, locale: str, audience: str) -> str:
    """One audience's VEVENT of a booking, in the feeds' language (as ical.render_event renders it)."""
    template = ical.event_template(_shown(booking, space, user, locale, audience))
    return ical.with_times(template, booking.created_at, booking.updated_at)


def render_booking(booking: Booking, space: Space, user: User, locale: str) -> Rendered:
    """The public, member and staff VEVENTs of one booking, in the feeds' language (each as render_one renders it)."""
    public, member, staff = (ical.with_times(template, booking.created_at, booking.updated_at)
                             for template in _audience_templates(_shown_all(booking, space, user, locale)))
    return Rendered(
        public=public, member=member, staff=staff,
        stamp=stamp_of(booking.updated_at, booking.sequence, booking.status, locale, key_of(space, user, locale)),
    )


# The three audiences' VEVENTs rendered together, their shared lines once (ical.event_texts), kept per process
# by the values they show, as ical.event_template keeps one (profile line 'feed_events.py(render_one)',
# three per booking POST).
@lru_cache(maxsize=1024)
def _audience_templates(audiences: tuple[ical.EventValues, ical.EventValues, ical.EventValues]) -> tuple[str, ...]:
    return ical.event_texts(audiences)


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


def _is_visibly_changed(booking: Booking) -> bool:
    attrs: Any = inspect(booking).attrs
    return any(attrs[name].history.has_changes() for name in VISIBLE) or attrs.holds.history.has_changes()


def _raise_for_subscribers(booking: Booking, now: datetime) -> None:
    """Raise SEQUENCE and updated_at when a visible change did not raise them itself."""
    attrs: Any = inspect(booking).attrs
    if not attrs.sequence.history.has_changes():
        booking.sequence = (booking.sequence or 0) + 1
    if not attrs.updated_at.history.has_changes():
        booking.updated_at = now


def refresh(session: Session, booking: Booking, now: datetime, is_new: bool) -> None:
    """Bring one booking's stored events up to date with its values.

    `now` is the clock read under the space's lock: no change time of the
    booking may lie after it (a caller's `now` from before the lock, or a demo's
    invented one, is pulled back to it). A new booking whose service stored events
    rendered before the lock keeps them when their stamp is the one it would get.
    """
    if is_new:
        _fill_defaults(booking, now)
    else:
        _raise_for_subscribers(booking, now)
    if booking.updated_at > now:
        booking.updated_at = now
    if booking.created_at > booking.updated_at:
        booking.created_at = booking.updated_at
    space = booking.space or session.get(Space, booking.space_id)
    user = booking.user or session.get(User, booking.user_id)
    if space is None or user is None:
        return  # the insert fails on its foreign key anyway
    locale = feed_locale()
    if is_new and booking.ics_stamp is not None and booking.ics_stamp == stamp_of(
            booking.updated_at, booking.sequence, booking.status, locale, key_of(space, user, locale)):
        return  # its service stored the events rendered before the lock from these very values
    store(booking, render_booking(booking, space, user, locale))


def _space_ids(booking: Booking) -> set[int]:
    ids = {booking.space.id if booking.space is not None else booking.space_id}
    ids.update(inspect(booking).attrs.space_id.history.deleted or ())
    return {i for i in ids if i is not None}


def _has_changes(obj: object, names: Iterable[str]) -> bool:
    attrs: Any = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def next_change_time(previous: datetime | None, clock: datetime) -> datetime:
    """A space's next change time: the clock, but at least one whole second after the last one.

    HTTP dates have whole seconds (RFC 9110 §5.6.7), so two changes must never share
    one; under a burst of changes the time may run ahead of the clock, and the feeds
    then send no Last-Modified until the clock has passed it.
    """
    if previous is None:
        return clock
    return max(clock, previous.replace(microsecond=0) + timedelta(seconds=1))


# Built once (profile line 'feed_events.py(raise_feed_versions)': update() composed on every write, in the lock).
_SPACES = Space.__table__
RAISE_FEED = (update(_SPACES).where(_SPACES.c.id == bindparam("space_id"))
              .values(feed_version=_SPACES.c.feed_version + 1, feed_changed_at=bindparam("changed_at")))


def raise_feed_versions(session: Session, space_ids: set[int],
                        deferred: list[dict[str, Any]] | None = None,
                        read: dict[int, datetime | None] | None = None) -> datetime:
    """Lock the spaces (in id order), raise their counters; the clock read under the locks (UTC).

    With `deferred`, the counters' UPDATEs are not run but appended there as the parameters
    of `RAISE_FEED` ({"space_id", "changed_at"}): the caller runs them in this transaction
    (booking/services/new_booking.py makes them part of its one INSERT statement).

    The space whose lock the write transaction holds (transactions.LOCKED_SPACE) is not
    read again when the session has its row from this transaction, or raised it already
    in this transaction: its last change time is known (profile line
    'feed_events.py(raise_feed_versions)': one SELECT … FOR UPDATE less inside the lock).
    `read` gives the change times of locked spaces as read in this transaction
    (transactions.locked_space), used unless this transaction raised them since.
    """
    table = Space.__table__
    known: dict[int, datetime | None] = {}
    locked = session.info.get(LOCKED_SPACE)
    if locked in space_ids:
        previous = _locked_change_time(session, locked)
        if previous is _UNKNOWN and read is not None and locked in read:
            previous = read[locked]
        if previous is not _UNKNOWN:
            known[locked] = previous  # type: ignore[assignment]
    others = sorted(space_ids - known.keys())
    rows: list[tuple[int, Any]] = []
    if others:
        rows = [(row.id, row.feed_changed_at) for row in session.execute(
            select(table.c.id, table.c.feed_changed_at).where(table.c.id.in_(others))
            .order_by(table.c.id).with_for_update()
        )]
    clock = utcnow()
    raised = _raised_here(session)
    for space_id, previous in sorted([*known.items(), *rows], key=lambda pair: pair[0]):
        if isinstance(previous, str):  # SQLite through a Core select of the bare column
            previous = datetime.fromisoformat(previous)
        if previous is not None and previous.tzinfo is None:
            previous = previous.replace(tzinfo=UTC)
        changed_at = next_change_time(previous, clock)
        if deferred is None:
            session.execute(RAISE_FEED, {"space_id": space_id, "changed_at": changed_at})
        else:
            deferred.append({"space_id": space_id, "changed_at": changed_at})
        raised[space_id] = changed_at
    return clock


_UNKNOWN = object()
_RAISED = "feed_changed_at_raised"


def _raised_here(session: Session) -> dict[int, datetime]:
    """The change times this session's current transaction wrote, by space id."""
    transaction = session.get_transaction()
    held = session.info.get(_RAISED)
    if held is None or held[0] is not transaction:
        held = session.info[_RAISED] = (transaction, {})
    raised: dict[int, datetime] = held[1]
    return raised


def _locked_change_time(session: Session, space_id: int) -> object:
    """The locked space's feed_changed_at as this transaction knows it, or _UNKNOWN (then it is read)."""
    raised = _raised_here(session)
    if space_id in raised:
        return raised[space_id]
    space = session.identity_map.get(identity_key(Space, space_id))
    if space is None:
        return _UNKNOWN
    state: Any = inspect(space)
    # Loaded in this transaction (a commit or rollback expires every row) and not changed in memory.
    if "feed_changed_at" not in state.dict or state.attrs.feed_changed_at.history.has_changes():
        return _UNKNOWN
    return state.dict["feed_changed_at"]


def _spaces_of_member(session: Session, user: User) -> set[int]:
    if user.id is None:
        return set()
    return set(session.scalars(select(Booking.space_id).where(Booking.user_id == user.id).distinct()))


@event.listens_for(Session, "before_flush")
def _refresh_changed_bookings(session: Session, _context: Any, _instances: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, Booking)]
    dirty = [obj for obj in session.dirty if isinstance(obj, Booking) and _is_visibly_changed(obj)]
    space_ids: set[int] = set()
    with session.no_autoflush:
        for booking in new + dirty:
            space_ids |= _space_ids(booking)
        for obj in session.dirty:
            if isinstance(obj, Space) and obj.id is not None and _has_changes(obj, SPACE_RENDERED):
                space_ids.add(obj.id)
            elif isinstance(obj, User) and _has_changes(obj, USER_RENDERED):
                space_ids |= _spaces_of_member(session, obj)
        clock = raise_feed_versions(session, space_ids) if space_ids else utcnow()
        for booking in new:
            refresh(session, booking, clock, is_new=True)
        for booking in dirty:
            refresh(session, booking, clock, is_new=False)
