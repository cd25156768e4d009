"""E-mail for every booking transition, built from the audit trail and sent after the commit.

Every service records its transitions with `audit.record`, so a session hook that
watches new BookingEvent rows gives every service (and any future one) its mail:
`after_flush` notes the events a flush wrote, `after_flush_postexec` copies what
the mails will say (the recipients, the booking, the .ics), `after_commit` renders
the mails in each recipient's language and hands them to `booking.mail`, and a
rollback forgets them. So a refused booking or a rolled-back transaction sends
nothing, and a failing mail server can never undo a booking.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from booking import mail
from booking.domain.values import N_
from booking.domain.wallclock import is_repeated_instant, utc_offset_label
from booking.models import Booking, BookingEvent, User
from booking.services import audit
from booking.services.feeds import booking_calendar

log = logging.getLogger(__name__)

NEW_EVENTS = "booking_mail_events"
PENDING = "booking_mail_notices"
STAFF_ROLES = ("staff", "admin")
CREATED = ("requested", "overridden")
SUBJECTS = {
    "received": N_("Booking request received: %(title)s"),
    "waiting": N_("New booking request to approve: %(title)s"),
    "confirmed": N_("Booking confirmed: %(title)s"),
    "approved": N_("Booking approved: %(title)s"),
    "rejected": N_("Booking request declined: %(title)s"),
    "cancelled": N_("Booking cancelled: %(title)s"),
}
# Who reads the link: members their own booking page, staff the staff page of it.
LINKS = {"waiting": "staff.booking"}
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


@dataclass(frozen=True)
class Notice:
    kind: str
    recipient: Recipient
    facts: Facts
    note: str = ""
    by_staff: bool = False
    calendar: bytes | None = None


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
    )


def _staff(session: Session, except_id: int) -> list[User]:
    rows = session.scalars(
        select(User).where(User.role.in_(STAFF_ROLES), User.is_enabled.is_(True), User.id != except_id)
        .order_by(User.id)
    )
    return list(rows)


def notices_for(session: Session, entry: BookingEvent) -> list[Notice]:
    """The mails one audit entry calls for (none for an edit or an unknown action)."""
    booking = entry.booking
    member = booking.user
    notice = Notice(kind="", recipient=_recipient(member), facts=_facts(booking))
    if entry.action in CREATED and entry.from_status is None:
        if entry.to_status == "pending":
            waiting = [replace(notice, kind="waiting", recipient=_recipient(staff))
                       for staff in _staff(session, member.id)]
            return [replace(notice, kind="received"), *waiting]
        if entry.to_status == "confirmed":
            return [replace(notice, kind="confirmed", calendar=booking_calendar(booking))]
    if entry.action == "approved":
        return [replace(notice, kind="approved", calendar=booking_calendar(booking))]
    if entry.action == "rejected":
        return [replace(notice, kind="rejected", note=entry.note)]
    if entry.action == "cancelled":
        by_staff = entry.actor is not None and entry.actor.id != member.id
        return [replace(notice, kind="cancelled", by_staff=by_staff, note=entry.note if by_staff else "")]
    return []


def _when(facts: Facts, locale: str) -> str:
    zone = ZoneInfo(facts.timezone)
    start, end = facts.start_dt.astimezone(zone), facts.end_dt.astimezone(zone)
    first = format_date(start.date(), "full", locale=locale)
    # A wall time the clocks show twice gets its UTC offset, so nobody has to guess which one.
    begins, ends = (f"{t:%H:%M}" + (f" {utc_offset_label(t, zone)}" if is_repeated_instant(t, zone) else "")
                    for t in (start, end))
    if end.date() == start.date():
        return f"{first} {begins}–{ends} ({facts.timezone})"
    last = format_date(end.date(), "full", locale=locale)
    return f"{first} {begins} – {last} {ends} ({facts.timezone})"


def _link(kind: str, booking_id: int) -> str:
    base = str(current_app.config.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    path = current_app.url_map.bind("localhost").build(
        LINKS.get(kind, "bookings.detail"), {"booking_id": booking_id})
    return base + path


def render(notice: Notice) -> mail.Mail:
    """The mail of one notice, in its recipient's language."""
    facts, locale = notice.facts, notice.recipient.locale
    with force_locale(locale):
        note = _(notice.note) if notice.note in audit.SYSTEM_NOTES else notice.note
        body = current_app.jinja_env.get_template(f"mail/{notice.kind}.txt").render(
            notice=notice, facts=facts, note=note, when=_when(facts, locale),
            space=facts.space_en if locale == "en" else facts.space_ja,
            link=_link(notice.kind, facts.booking_id),
        )
        subject = _(SUBJECTS[notice.kind], title=facts.title)
    attachments: tuple[mail.Attachment, ...] = ()
    if notice.calendar is not None:
        attachments = (mail.Attachment("booking.ics", "text/calendar", notice.calendar, (("method", "PUBLISH"),)),)
    return mail.Mail(to=notice.recipient.email, subject=subject, body=body.strip() + "\n", attachments=attachments)


def deliver(notices: list[Notice]) -> None:
    """Render and send; a mail that cannot be rendered is logged and the others still go."""
    mails = []
    for notice in notices:
        try:
            mails.append(render(notice))
        except Exception:
            log.exception("could not render the %s e-mail for booking %s", notice.kind, notice.facts.booking_id)
    mail.send(mails)


def _inside(tag: SessionTransaction | None, transaction: SessionTransaction) -> bool:
    while tag is not None:
        if tag is transaction:
            return True
        tag = tag.parent
    return False


@event.listens_for(Session, "after_flush")
def _note_new_events(session: Session, _context: Any) -> None:
    entries = [obj for obj in session.new if isinstance(obj, BookingEvent)]
    if entries:
        session.info.setdefault(NEW_EVENTS, []).extend(entries)


@event.listens_for(Session, "after_flush_postexec")
def _copy_notices(session: Session, _context: Any) -> None:
    entries = session.info.pop(NEW_EVENTS, None)
    if not entries or _muted.get() or not has_app_context():
        return
    try:
        with session.no_autoflush:
            notices = [notice for entry in entries for notice in notices_for(session, entry)]
    except Exception:
        log.exception("could not prepare the e-mail for %d booking change(s)", len(entries))
        return
    tag = session.get_nested_transaction()
    session.info.setdefault(PENDING, []).extend((tag, notice) for notice in notices)


@event.listens_for(Session, "after_commit")
def _send_committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released; the enclosing transaction decides
    pending = session.info.pop(PENDING, None)
    if pending and has_app_context():
        deliver([notice for _tag, notice in pending])


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    session.info.pop(NEW_EVENTS, None)
    pending = session.info.get(PENDING)
    if not pending:
        return
    savepoint: SessionTransaction | None = previous
    while savepoint is not None and not savepoint.nested:
        savepoint = savepoint.parent
    if savepoint is None:
        session.info.pop(PENDING, None)
    else:
        session.info[PENDING] = [(tag, n) for tag, n in pending if not _inside(tag, savepoint)]
