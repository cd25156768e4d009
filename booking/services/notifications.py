"""E-mail for every booking transition, recorded in the outbox from the audit trail.

Every service records its transitions with `audit.record`, so a session hook that
watches new BookingEvent rows gives every service (and any future one) its mail:
`after_flush` notes the events a flush wrote, and `after_flush_postexec` enqueues
what the mails will say (the recipients, their language, the booking facts, the
.ics) as outbox rows in the same transaction. A refused booking or a rolled-back
transaction leaves no message; a committed one is delivered by booking/delivery.py,
which renders it with the renderers registered here, in the recipient's language.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from datetime import datetime
from email.utils import parseaddr
from functools import lru_cache
from typing import Any

from flask import current_app, has_app_context
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from booking import itip
from booking.caches import BoundedCache
from booking.dates import format_span_in_zone
from booking.domain.undo import cancellation_is_final, undo_deadline
from booking.domain.values import N_
from booking.models import Booking, BookingEvent, PublicEvent, Space, User
from booking.services import audit, outbox
from booking.services.feed_events import event_values
from booking.urls import external_url

log = logging.getLogger(__name__)

NEW_EVENTS = "booking_mail_events"
SERIES_NOTICES = "booking_series_notices"
STAFF_ROLES = ("staff", "admin")
CREATED = ("requested", "overridden")
SUBJECTS = {
    "received": N_("Booking request received: %(title)s"),
    "waiting": N_("New booking request to approve: %(title)s"),
    "confirmed": N_("Booking confirmed: %(title)s"),
    "approved": N_("Booking approved: %(title)s"),
    "rejected": N_("Booking request rejected: %(title)s"),
    "cancelled": N_("Booking cancelled: %(title)s"),
    "updated": N_("Booking changed: %(title)s"),
    "change_received": N_("Change request received: %(title)s"),
    "change_waiting": N_("Change to approve: %(title)s"),
    "change_declined": N_("Change rejected: %(title)s"),
    "expired": N_("Booking request expired: %(title)s"),
}
# Who reads the link: members their own booking page, staff the staff page of it.
LINKS = {"waiting": "staff.booking", "change_waiting": "staff.booking"}
_muted: ContextVar[bool] = ContextVar("booking_mail_muted", default=False)


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    locale: str


@dataclass(frozen=True)
class Facts:
    """What a mail says about a booking, copied before the commit expires the rows."""

    booking_id: int
    title: str
    start_dt: datetime
    end_dt: datetime
    timezone: str
    space_ja: str
    space_en: str
    is_pooled: bool
    units: tuple[int, ...]
    member_name: str
    member_org: str
    purpose: str
    proposed_start_dt: datetime | None = None
    proposed_end_dt: datetime | None = None
    series_id: int | None = None


@dataclass(frozen=True)
class Notice:
    kind: str
    recipient: Recipient
    facts: Facts
    note: str = ""
    by_staff: bool = False
    calendar: bytes | None = None
    method: str = itip.REQUEST
    # Not sent before this instant (UTC): a member's own cancellation waits out its undo window.
    not_before: datetime | None = None


@contextmanager
def muted() -> Iterator[None]:
    """Send no mail for what happens inside (seeding demo data)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _recipient(user: User) -> Recipient:
    return Recipient(email=user.email, name=user.name, locale=user.locale or "ja")


def _facts(booking: Booking) -> Facts:
    space, member = booking.space, booking.user
    return Facts(
        booking_id=booking.id, title=booking.title, start_dt=booking.start_dt, end_dt=booking.end_dt,
        timezone=space.timezone, space_ja=space.name("ja"), space_en=space.name("en"),
        is_pooled=space.is_pooled, units=tuple(booking.unit_numbers), member_name=member.name,
        member_org=member.organisation, purpose=booking.purpose or "",
        proposed_start_dt=booking.proposed_start_dt, proposed_end_dt=booking.proposed_end_dt,
        series_id=booking.series_id,
    )


def _staff(session: Session, except_id: int) -> list[User]:
    rows = session.scalars(
        select(User).where(User.role.in_(STAFF_ROLES), User.is_enabled.is_(True), User.id != except_id)
        .order_by(User.id)
    )
    return list(rows)


def organizer() -> itip.Party:
    """The mailbox calendar messages come from: CALENDAR_ORGANIZER, else MAIL_DEFAULT_SENDER."""
    config = current_app.config
    return _organizer(str(config.get("CALENDAR_ORGANIZER") or config.get("MAIL_DEFAULT_SENDER") or ""),
                      str(config.get("CALENDAR_ORGANIZER_NAME") or ""))


# Kept per process by the settings it is made of (profile line 'notifications.py(organizer)' ->
# 'email/utils.py(parseaddr)': the same setting parsed again for every booking POST's confirmation).
@lru_cache(maxsize=16)
def _organizer(address: str, name_setting: str) -> itip.Party:
    name, email = parseaddr(address)
    return itip.Party(email or "no-reply@localhost", name_setting or name)


def calendar_message(booking: Booking, locale: str, space: Space | None = None,
                     member: User | None = None) -> tuple[str, bytes]:
    """(METHOD, bytes) of the booking's iTIP message to its member, as it stands, in `locale`.

    `space` and `member` default to the booking's own (a booking not yet stored passes them).
    """
    member = member or booking.user
    values = event_values(booking, space or booking.space, member, locale, "member")
    return itip.message(values, organizer(), itip.Party(member.email, member.name))


def _with_calendar(notice: Notice, booking: Booking) -> Notice:
    """The notice with the booking's iTIP message (RFC 5546) in the recipient's language.

    A booking whose calendar cannot be built still gets its mail, without one.
    """
    try:
        method, data = calendar_message(booking, notice.recipient.locale)
    except Exception:
        log.exception("could not build the calendar of booking %s for its e-mail", booking.id)
        return notice
    return replace(notice, calendar=data, method=method)


def new_booking_notices(booking: Booking, space: Space, member: User, staff: Sequence[User]) -> list[Notice]:
    """The mails of a booking just requested, built before it is stored (`booking.id` is filled in later).

    What `notices_for` gives for its `requested` entry: a confirmation with the calendar, or
    the receipt and one request to approve for each of `staff` (`staff_to_tell`).
    """
    facts = Facts(
        booking_id=0, title=booking.title, start_dt=booking.start_dt, end_dt=booking.end_dt,
        timezone=space.timezone, space_ja=space.name("ja"), space_en=space.name("en"),
        is_pooled=space.is_pooled, units=tuple(h.unit_no for h in booking.holds), member_name=member.name,
        member_org=member.organisation, purpose=booking.purpose or "",
    )
    notice = Notice(kind="", recipient=_recipient(member), facts=facts)
    if booking.status == "pending":
        return [replace(notice, kind="received"),
                *(replace(notice, kind="waiting", recipient=_recipient(s)) for s in staff)]
    try:
        method, data = calendar_message(booking, notice.recipient.locale, space, member)
    except Exception:
        log.exception("could not build the calendar of booking %s for its e-mail", booking.uid)
        return [replace(notice, kind="confirmed")]
    return [replace(notice, kind="confirmed", calendar=data, method=method)]


def staff_to_tell(session: Session, member_id: int) -> list[User]:
    """The staff told of a member's request waiting for approval (not the member)."""
    return _staff(session, member_id)


def outbox_values(notice: Notice) -> dict[str, Any]:
    """The outbox row of one notice as `enqueue` writes it (`payload["facts"]["booking_id"]` still to fill)."""
    attachments = [] if notice.calendar is None else [
        outbox.calendar_attachment(notice.calendar, method=notice.method, filename="booking.ics")]
    return {"kind": f"booking.{notice.kind}", "recipient": notice.recipient.email,
            "locale": notice.recipient.locale if notice.recipient.locale in ("ja", "en") else "ja",
            "payload": _payload(notice), "attachments": attachments}


def is_muted() -> bool:
    """Whether mail is off here (`muted`, or no app to render it with)."""
    return _muted.get() or not has_app_context()


def notices_for(session: Session, entry: BookingEvent) -> list[Notice]:
    """The mails one audit entry calls for (none for an unknown action)."""
    booking = entry.booking
    member = booking.user
    notice = Notice(kind="", recipient=_recipient(member), facts=_facts(booking))
    if entry.action in CREATED and entry.from_status is None:
        if entry.to_status == "pending":
            waiting = [replace(notice, kind="waiting", recipient=_recipient(staff))
                       for staff in _staff(session, member.id)]
            return [replace(notice, kind="received"), *waiting]
        if entry.to_status == "confirmed":
            return [_with_calendar(replace(notice, kind="confirmed"), booking)]
    if entry.action == "approved":
        return [_with_calendar(replace(notice, kind="approved"), booking)]
    if entry.action == "rejected":
        return [_with_calendar(replace(notice, kind="rejected", note=entry.note), booking)]
    if entry.action == "cancelled":
        by_staff = entry.actor is not None and entry.actor.id != member.id
        # A final cancellation (booking.domain.undo) cannot be undone, so its mail need not wait.
        final = cancellation_is_final(
            session.scalar(select(PublicEvent.id).where(PublicEvent.booking_id == booking.id)) is not None,
            entry.note == audit.SERIES_CANCEL_NOTE)
        cancelled = replace(notice, kind="cancelled", by_staff=by_staff, note=entry.note if by_staff else "",
                            not_before=None if by_staff or final else undo_deadline(entry.at))
        return [_with_calendar(cancelled, booking)]
    return _change_notices(session, entry, notice)


def _change_notices(session: Session, entry: BookingEvent, notice: Notice) -> list[Notice]:
    """Mails for changes (`edited`, `proposed`, `declined`) and for an `expired` request."""
    booking, member = entry.booking, entry.booking.user
    by_staff = entry.actor is not None and entry.actor.id != member.id
    if entry.action == "edited":
        if booking.status != "confirmed":
            return [replace(notice, kind="updated", by_staff=by_staff)]
        return [_with_calendar(replace(notice, kind="updated", by_staff=by_staff), booking)]
    if entry.action == "proposed":
        waiting = [replace(notice, kind="change_waiting", recipient=_recipient(staff))
                   for staff in _staff(session, member.id)]
        return [replace(notice, kind="change_received"), *waiting]
    if entry.action == "declined":
        return [replace(notice, kind="change_declined", note=entry.note)]
    if entry.action == "expired":
        return [_with_calendar(replace(notice, kind="expired", note=entry.note), booking)]
    return []


def _when(facts: Facts, locale: str) -> str:
    """The booking's time as the pages show it (booking.dates), with its time zone in （） or ()."""
    return format_span_in_zone(facts.start_dt, facts.end_dt, facts.timezone, locale)


def _link(kind: str, booking_id: int) -> str:
    return external_url(LINKS.get(kind, "bookings.detail"), booking_id=booking_id)


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# Facts' values are immutable (text, numbers, instants, a tuple of ints): read as they are, where
# dataclasses.asdict deep-copied each one (profile line 'dataclasses.py(asdict)', nearly all of
# _payload's time while a booking POST builds its mails).
_FACT_NAMES = tuple(f.name for f in fields(Facts))


def _payload(notice: Notice) -> dict[str, Any]:
    facts = {name: getattr(notice.facts, name) for name in _FACT_NAMES}
    facts.update(start_dt=notice.facts.start_dt.isoformat(), end_dt=notice.facts.end_dt.isoformat(),
                 units=list(notice.facts.units), proposed_start_dt=_iso(notice.facts.proposed_start_dt),
                 proposed_end_dt=_iso(notice.facts.proposed_end_dt))
    return {"name": notice.recipient.name, "facts": facts, "note": notice.note, "by_staff": notice.by_staff,
            "method": notice.method if notice.calendar is not None else ""}


def _notice(kind: str, payload: dict[str, Any], locale: str) -> Notice:
    stored = dict(payload["facts"])
    facts = Facts(**{**stored, "start_dt": datetime.fromisoformat(stored["start_dt"]),
                     "end_dt": datetime.fromisoformat(stored["end_dt"]), "units": tuple(stored["units"]),
                     "proposed_start_dt": _instant(stored.get("proposed_start_dt")),
                     "proposed_end_dt": _instant(stored.get("proposed_end_dt"))})
    recipient = Recipient(email="", name=str(payload["name"]), locale=locale)
    return Notice(kind=kind, recipient=recipient, facts=facts, note=str(payload["note"]),
                  by_staff=bool(payload["by_staff"]), method=str(payload.get("method") or ""))


def render(notice: Notice) -> tuple[str, str]:
    """(subject, body) of one notice, in its recipient's language (the locale in force)."""
    facts, locale = notice.facts, notice.recipient.locale
    note = _(notice.note) if notice.note in audit.SYSTEM_NOTES else notice.note
    proposed = ""
    if facts.proposed_start_dt is not None and facts.proposed_end_dt is not None:
        proposed = _when(replace(facts, start_dt=facts.proposed_start_dt, end_dt=facts.proposed_end_dt), locale)
    texts = {"name": notice.recipient.name, "title": facts.title, "member_name": facts.member_name,
             "member_org": facts.member_org, "purpose": facts.purpose, "note": note, "when": _when(facts, locale),
             "space": facts.space_en if locale == "en" else facts.space_ja,
             "link": _link(notice.kind, facts.booking_id), "proposed_when": proposed}
    subject = _(SUBJECTS[notice.kind], title=facts.title)
    return subject, _body(notice, texts).strip() + "\n"


def _template_body(notice: Notice, texts: dict[str, str]) -> str:
    """The mail template of the notice's kind rendered with `texts` (as `render` names them)."""
    facts = replace(notice.facts, title=texts["title"], member_name=texts["member_name"],
                    member_org=texts["member_org"], purpose=texts["purpose"])
    return current_app.jinja_env.get_template(f"mail/{notice.kind}.txt").render(
        notice=replace(notice, recipient=replace(notice.recipient, name=texts["name"]), facts=facts),
        facts=facts, note=texts["note"], when=texts["when"], space=texts["space"], link=texts["link"],
        proposed_when=texts["proposed_when"],
    )


# Each kind of booking mail rendered once with stand-ins for its texts (names, title, time, link, …), kept
# per process by everything else its template reads: the kind, the language in force, which texts are
# empty, by_staff, the calendar method, and the desks. A mail's body is that rendering with its texts
# written in, one pass, so a text is never read as a stand-in. A template that reads anything else of the
# booking (its instants, its id, …) meets `_Unread`, which refuses, and is rendered in full as before.
# Profile line 'jinja2/environment.py:1275(render)' under notifications.render (two includes and about
# ten gettext calls per mail) for every booking POST's confirmation. tests/mail/test_mail_bodies.py holds
# both ways equal for every kind.
MAX_KEPT_BODIES = 512
_kept_bodies: BoundedCache[tuple[str, ...]] = BoundedCache(MAX_KEPT_BODIES)
_STAND_IN = "\x00{}\x00"
_STAND_INS = re.compile("\x00([0-9]+)\x00")


class _Unread:
    """A stand-in for a value the kept bodies are not keyed by: any use of it in a template fails."""

    def _refuse(self, *_args: Any) -> Any:
        raise _NotKept()

    __str__ = __bool__ = __iter__ = __len__ = __html__ = __getattr__ = __eq__ = __hash__ = _refuse


class _NotKept(Exception):
    pass


_UNREAD = _Unread()
_UNREAD_FACTS: dict[str, Any] = {name: _UNREAD for name in (
    "booking_id", "start_dt", "end_dt", "timezone", "space_ja", "space_en", "proposed_start_dt", "proposed_end_dt",
    "series_id")}


def _body(notice: Notice, texts: dict[str, str]) -> str:
    names = tuple(texts)
    key = (notice.kind, str(get_locale()), notice.recipient.locale, tuple(bool(texts[n]) for n in names),
           notice.by_staff, notice.method, notice.calendar is not None, notice.facts.is_pooled, notice.facts.units)
    parts = _kept_bodies.get(key)
    if parts is None:
        stand_ins = {n: _STAND_IN.format(i) if texts[n] else "" for i, n in enumerate(names)}
        unread: Any = _UNREAD
        shown = replace(notice, facts=replace(notice.facts, **_UNREAD_FACTS), note=unread, not_before=unread,
                        calendar=None if notice.calendar is None else unread,
                        recipient=replace(notice.recipient, email=unread))
        try:
            parts = tuple(_STAND_INS.split(_template_body(shown, stand_ins)))
        except _NotKept:
            return _template_body(notice, texts)
        _kept_bodies.put(key, parts)
    # split() alternates text and the number of a stand-in.
    return "".join(part if index % 2 == 0 else texts[names[int(part)]] for index, part in enumerate(parts))


def _register(kind: str) -> None:
    @outbox.renderer(f"booking.{kind}")
    def _render(payload: dict[str, Any], locale: str) -> tuple[str, str]:
        return render(_notice(kind, payload, locale))


for _kind in SUBJECTS:
    _register(_kind)


def enqueue(session: Session, notices: list[Notice]) -> None:
    """Record the notices' mails in the session's transaction (booking/services/outbox.py)."""
    for notice in notices:
        attachments = [] if notice.calendar is None else [
            outbox.calendar_attachment(notice.calendar, method=notice.method, filename="booking.ics")]
        outbox.enqueue(session, kind=f"booking.{notice.kind}", to=notice.recipient.email,
                       locale=notice.recipient.locale, payload=_payload(notice), attachments=attachments,
                       now=notice.not_before)


@event.listens_for(Session, "after_flush")
def _note_new_events(session: Session, _context: Any) -> None:
    entries = [obj for obj in session.new if isinstance(obj, BookingEvent)]
    if entries:
        session.info.setdefault(NEW_EVENTS, []).extend(entries)


@event.listens_for(Session, "after_flush_postexec")
def _enqueue_notices(session: Session, _context: Any) -> None:
    entries = session.info.pop(NEW_EVENTS, None)
    if not entries or _muted.get() or not has_app_context():
        return
    try:
        with session.no_autoflush:
            notices = [notice for entry in entries for notice in notices_for(session, entry)]
    except Exception:
        log.exception("could not prepare the e-mail for %d booking change(s)", len(entries))
        return
    # Occurrences of a series wait for the commit: one series action is one mail (series_mail.py).
    session.info.setdefault(SERIES_NOTICES, []).extend(n for n in notices if n.facts.series_id is not None)
    enqueue(session, [n for n in notices if n.facts.series_id is None])


@event.listens_for(Session, "before_commit")
def _enqueue_series_notices(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the series' mails wait for the real commit
    session.flush()  # what the last changes call for is noted before the series' mails are made
    notices = session.info.pop(SERIES_NOTICES, None)
    if notices:
        from booking.services import series_mail  # it renders with this module's helpers

        series_mail.enqueue_grouped(session, notices)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: Any) -> None:
    session.info.pop(NEW_EVENTS, None)
    if not previous.nested:
        session.info.pop(SERIES_NOTICES, None)
