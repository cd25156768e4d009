"""Mail to an event's registrants: staff's message to all, the reminder of the day before, withdrawal.

Each goes through the outbox in the registrant's language (the renderer runs in
it at delivery), with the event's calendar object for that person (METHOD:REQUEST,
or CANCEL when the event is withdrawn) and, for those with a seat, the check-in
code as text and as a QR image. Staff's message to all and a withdrawal are
written to the booking's audit trail (`mailed`, `withdrawn`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from booking.dates import format_span_in_zone
from booking.db import utcnow
from booking.domain.checkin import display_code, is_reminder_due
from booking.domain.values import N_
from booking.extensions import db
from booking.mail import Attachment
from booking.models import Booking, PublicEvent, Registration, User
from booking.models_attendance import AttendeePass
from booking.services import NotFound, ServiceError, audit, event_mail, outbox
from booking.services.attendance import new_pass
from booking.services.bookings import mark_cancelled
from booking.services.checkin_mail import qr_attachment
from booking.services.transactions import run_write
from booking.urls import external_url

SUBJECTS = {
    "reminder": N_("Reminder: %(title)s is tomorrow"),
    "withdrawn": N_("Event cancelled: %(title)s"),
}
PUBLIC_PAGE = "events.detail"  # issue 18's event page
SEATED = ("registered", "offered")
TOLD_OF_WITHDRAWAL = ("registered", "offered", "waiting")
NOT_PUBLISHED = N_("This event has already been cancelled.")
STARTED = N_("An event that has started can no longer be cancelled.")
REMINDER_HORIZON = timedelta(days=2)  # only events this close are looked at by the reminder job


@dataclass(frozen=True)
class Audience:
    """Who a message to all registrants reaches."""

    include_waiting: bool = False

    @property
    def statuses(self) -> tuple[str, ...]:
        return (*SEATED, "waiting") if self.include_waiting else SEATED


def calendar_for(found: PublicEvent, registration: Registration, status: str = "confirmed") -> tuple[str, bytes]:
    """(METHOD, bytes) of the event's calendar object for one registrant (issue 18's iTIP message)."""
    return event_mail.calendar_message(found, registration, cancelled=status == "cancelled")


def _facts(found: PublicEvent, registration: Registration, code: str) -> dict[str, Any]:
    booking = found.booking
    return {"event_id": found.id, "title_ja": found.title("ja"), "title_en": found.title("en"),
            "start_dt": booking.start_dt.isoformat(), "end_dt": booking.end_dt.isoformat(),
            "timezone": booking.space.timezone, "space_ja": booking.space.name("ja"),
            "space_en": booking.space.name("en"), "name": registration.name, "party_size": registration.party_size,
            "code": display_code(code) if code else ""}


def _code(session: Session, registration: Registration) -> str:
    attendee_pass = session.get(AttendeePass, registration.id)
    if attendee_pass is None:
        attendee_pass = new_pass(registration)
        session.add(attendee_pass)
    return attendee_pass.code


def _attachments(found: PublicEvent, registration: Registration, code: str, status: str) -> list[Attachment]:
    method, data = calendar_for(found, registration, status)
    files = [outbox.calendar_attachment(data, method=method, filename="event.ics")]
    if code and status != "cancelled":
        files.append(qr_attachment(code))
    return files


def enqueue_to(session: Session, kind: str, found: PublicEvent, registration: Registration,
               extra: dict[str, Any] | None = None, status: str = "confirmed", now: datetime | None = None) -> bool:
    """One message of `kind` to one registrant, with the calendar object (and code, if seated); whether it was
    queued (never to a forgotten registrant, event_mail.is_reachable)."""
    if not event_mail.is_reachable(registration):
        return False
    code = _code(session, registration) if registration.status in SEATED and status != "cancelled" else ""
    outbox.enqueue(session, kind=f"events.{kind}", to=registration.email, locale=registration.locale,
                   payload={**_facts(found, registration, code), **(extra or {})},
                   attachments=_attachments(found, registration, code, status), now=now)
    return True


def _when(payload: dict[str, Any], locale: str) -> str:
    zone = str(payload["timezone"])
    start = datetime.fromisoformat(payload["start_dt"])
    end = datetime.fromisoformat(payload["end_dt"])
    return format_span_in_zone(start, end, zone, locale)


def render(kind: str, payload: dict[str, Any], locale: str) -> tuple[str, str]:
    """(subject, body) of an event message in `locale` (the locale in force)."""
    title = payload["title_en"] if locale == "en" else payload["title_ja"]
    body = current_app.jinja_env.get_template(f"mail/event_{kind}.txt").render(
        p=payload, title=title, when=_when(payload, locale),
        space=payload["space_en"] if locale == "en" else payload["space_ja"],
        link=_public_link(int(payload["event_id"])),
    )
    subject = str(payload.get("subject") or "") if kind == "message" else _(SUBJECTS[kind], title=title)
    return " ".join(subject.split()), body.strip() + "\n"


def _public_link(event_id: int) -> str:
    """The event's public page, where the app has one."""
    try:
        return external_url(PUBLIC_PAGE, event_id=event_id)
    except BuildError:
        return ""


def _register(kind: str) -> None:
    @outbox.renderer(f"events.{kind}")
    def _render(payload: dict[str, Any], locale: str) -> tuple[str, str]:
        return render(kind, payload, locale)


for _kind in ("message", *SUBJECTS):
    _register(_kind)


def _event_for_update(session: Session, event_id: int) -> PublicEvent:
    found = session.get(PublicEvent, event_id, with_for_update=session.get_bind().dialect.name == "postgresql")
    if found is None:
        raise NotFound()
    return found


def mail_registrants(event_id: int, staff: User, subject: str, body: str, audience: Audience) -> int:
    """Staff's message to everyone registered (and waiting, if asked); returns how many. Audited."""

    def work(session: Session) -> int:
        found = _event_for_update(session, event_id)
        now = utcnow()
        people = list(session.scalars(select(Registration).where(
            Registration.event_id == event_id, Registration.status.in_(audience.statuses), ~event_mail.FORGOTTEN)
            .order_by(Registration.id)))
        for registration in people:
            enqueue_to(session, "message", found, registration, {"subject": subject, "body": body})
        audit.record(session, found.booking, "mailed", session.merge(staff), now, found.booking.status,
                     f"{subject} ({len(people)})")
        return len(people)

    return run_write(None, work)


def withdraw_event(event_id: int, staff: User, note: str, release_booking: bool) -> int:
    """Cancel the event: every registration cancelled and told (calendar CANCEL); the booking
    released or kept as staff choose. Returns how many people were told. Audited."""
    space_id = get_booking(event_id).space_id

    def work(session: Session) -> int:
        found = _event_for_update(session, event_id)
        now = utcnow()
        if found.status == "withdrawn":
            raise ServiceError(NOT_PUBLISHED)
        if found.booking.start_dt <= now:
            raise ServiceError(STARTED)
        actor = session.merge(staff)
        found.status, found.sequence, found.updated_at = "withdrawn", found.sequence + 1, now
        people = list(session.scalars(select(Registration).where(
            Registration.event_id == event_id, Registration.status.in_(TOLD_OF_WITHDRAWAL))))
        told = 0
        for registration in people:
            registration.status, registration.cancelled_at, registration.updated_at = "cancelled", now, now
            told += enqueue_to(session, "withdrawn", found, registration, {"note": note}, status="cancelled")
        audit.record(session, found.booking, "withdrawn", actor, now, found.booking.status,
                     note or str(told))
        if release_booking and found.booking.is_active:
            mark_cancelled(session, found.booking, actor, now, note)
        return told

    return run_write(space_id, work)


def get_booking(event_id: int) -> Booking:
    found = db.session.get(PublicEvent, event_id)
    if found is None:
        raise NotFound()
    return found.booking


def send_reminders(now: datetime) -> int:
    """Reminders for every seated registration whose event starts tomorrow (local) and which has had
    none; returns how many were queued. Safe to run any time: each pass is marked when reminded."""

    def work(session: Session) -> int:
        rows = session.execute(
            select(Registration, PublicEvent)
            .join(PublicEvent, PublicEvent.id == Registration.event_id)
            .join(Booking, Booking.id == PublicEvent.booking_id)
            .outerjoin(AttendeePass, AttendeePass.registration_id == Registration.id)
            .where(PublicEvent.status == "published", Booking.status == "confirmed",
                   Registration.status.in_(SEATED), ~event_mail.FORGOTTEN, AttendeePass.reminded_at.is_(None),
                   Booking.start_dt > now, Booking.start_dt <= now + REMINDER_HORIZON)
        ).all()
        sent = 0
        for registration, found in rows:
            booking = found.booking
            if not is_reminder_due(booking.start_dt, booking.space.timezone, registration.created_at, now):
                continue
            enqueue_to(session, "reminder", found, registration)
            attendee_pass = session.get(AttendeePass, registration.id)
            assert attendee_pass is not None
            attendee_pass.reminded_at = now
            sent += 1
        return sent

    return run_write(None, work)

