"""E-mail to people registered for a public event, each with the event's calendar object.

Kinds: `registration.registered` (seated), `.waiting`, `.promoted` (moved up from the
waiting list), `.offered` (moved up within 48 h of the start: confirm by a deadline),
`.offer_moved` (an open offer's deadline pulled in because the event moved earlier),
`.passed_over` (seats came free, too few for the party), `.changed`, `.cancelled`,
`.expired` (an offer not confirmed in time), `.link` (registered again: the existing
link), and `event.updated` / `event.cancelled` when the booking behind the event moves
or ends. The calendar part is the event as this person should have it (RFC 5546):
METHOD:REQUEST while they hold seats, METHOD:CANCEL once they do not, with the event's
UID and a SEQUENCE (the event's plus the registration's) that rises with every change.

The outbox row keeps no working link: the renderer derives it again from the
registration's stamp with the application's secret key.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import event as sa_event
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from booking import ical, itip
from booking.dates import format_span_in_zone, format_when, with_aside
from booking.domain.checkin import FORGOTTEN_PREFIX, FORGOTTEN_SUFFIX, is_forgotten
from booking.domain.values import N_
from booking.models import Booking, PublicEvent, Registration
from booking.services import outbox
from booking.urls import external_url

log = logging.getLogger(__name__)

SUBJECTS = {
    "registration.registered": N_("Registration confirmed: %(title)s"),
    "registration.waiting": N_("On the waiting list: %(title)s"),
    "registration.promoted": N_("A seat for you: %(title)s"),
    "registration.offered": N_("A seat is free – please confirm: %(title)s"),
    "registration.offer_moved": N_("The event moved – please confirm sooner: %(title)s"),
    "registration.passed_over": N_("Waiting list: %(title)s"),
    "registration.changed": N_("Registration changed: %(title)s"),
    "registration.cancelled": N_("Registration cancelled: %(title)s"),
    "registration.expired": N_("Seat offer lapsed: %(title)s"),
    "registration.link": N_("Your registration: %(title)s"),
    "event.updated": N_("Event changed: %(title)s"),
    "event.cancelled": N_("Event cancelled: %(title)s"),
}
MOVED = "public_event_moves"
# session.info: registrations already sent a mail of their own about the move being written (an open offer's
# deadline pulled in: registration.offer_moved), so the generic event.updated does not tell them twice.
TOLD_OF_MOVE = "public_event_told_of_move"
WATCHED = ("start_dt", "end_dt", "space_id")


def calendar_values(event: PublicEvent, registration: Registration, locale: str, cancelled: bool) -> ical.EventValues:
    """The event's VEVENT as `registration` should have it, in `locale`."""
    booking, space = event.booking, event.booking.space
    lines = [event.description(locale)] if event.description(locale) else []
    lines += [f"{item.start_dt.astimezone(ical.zone_of(space.timezone)):%H:%M} {item.title(locale)}"
              for item in event.agenda_items]
    changed = max(event.updated_at, registration.updated_at, booking.updated_at)
    return ical.EventValues(
        uid=event.uid, start_dt=booking.start_dt, end_dt=booking.end_dt, timezone=space.timezone,
        status="cancelled" if cancelled else "confirmed", sequence=event.sequence + registration.sequence,
        created_at=event.created_at, changed_at=changed, summary=event.title(locale),
        location=space.name(locale), description="\n".join(lines),
    )


def calendar_message(event: PublicEvent, registration: Registration, cancelled: bool) -> tuple[str, bytes]:
    """(METHOD, bytes) of the iTIP message for this registrant."""
    from booking.services.notifications import organizer

    values = calendar_values(event, registration, registration.locale, cancelled)
    if cancelled:
        values = replace(values, status="cancelled")
    return itip.message(values, organizer(), itip.Party(registration.email, registration.name))


def _calendar_for(kind: str, registration: Registration) -> tuple[str, bytes] | None:
    event = registration.event
    if kind in ("registration.cancelled", "registration.expired", "event.cancelled"):
        return calendar_message(event, registration, cancelled=True)
    if registration.holds_seats:
        return calendar_message(event, registration, cancelled=False)
    return None


def _payload(kind: str, registration: Registration) -> dict[str, Any]:
    event = registration.event
    booking, space = event.booking, event.booking.space
    return {
        "name": registration.name, "title_ja": event.title("ja"), "title_en": event.title("en"),
        "start_dt": booking.start_dt.isoformat(), "end_dt": booking.end_dt.isoformat(),
        "timezone": space.timezone, "space_ja": space.name("ja"), "space_en": space.name("en"),
        "party_size": registration.party_size, "status": registration.status,
        "offer_expires_at": registration.offer_expires_at.isoformat() if registration.offer_expires_at else "",
        "event_id": event.id, "email": registration.email, "created_at": registration.created_at.isoformat(),
    }


# A forgotten registration (checkin.is_forgotten) keeps a placeholder address under the reserved TLD: no mail
# of any kind is written to it (SQL form for the statements choosing whom to mail, so counts say who was told).
FORGOTTEN = Registration.email.like(f"{FORGOTTEN_PREFIX}%{FORGOTTEN_SUFFIX}")


def is_reachable(registration: Registration) -> bool:
    """Whether mail to this registrant has an address to go to (not a forgotten person's placeholder)."""
    return not is_forgotten(registration.email)


def enqueue(session: Session, kind: str, registration: Registration, key: str = "") -> None:
    """Add this registrant's mail of `kind` to the session's transaction (with its calendar part); nothing
    for a forgotten registrant (is_reachable)."""
    if not is_reachable(registration):
        return
    attachments = []
    try:
        calendar = _calendar_for(kind, registration)
    except Exception:
        log.exception("could not build the calendar of event %s for registration %s",
                      registration.event_id, registration.id)
        calendar = None
    if calendar is not None:
        method, data = calendar
        attachments.append(outbox.calendar_attachment(data, method=method, filename="event.ics"))
    outbox.enqueue(session, kind=kind, to=registration.email, locale=registration.locale,
                   payload=_payload(kind, registration), attachments=attachments)


def told_of_move(session: Session, registration: Registration) -> None:
    """Note (in the caller's transaction) that `registration` got its own mail about the event's move."""
    session.info.setdefault(TOLD_OF_MOVE, set()).add(registration.id)


def _when(payload: dict[str, Any], locale: str) -> str:
    zone = str(payload["timezone"])
    start = datetime.fromisoformat(str(payload["start_dt"]))
    end = datetime.fromisoformat(str(payload["end_dt"]))
    return format_span_in_zone(start, end, zone, locale)


def render(kind: str, payload: dict[str, Any], locale: str) -> tuple[str, str]:
    """(subject, body) of one registrant's mail, in `locale` (in force at delivery)."""
    from booking.services.registrations import link_secret

    title = str(payload["title_en"] if locale == "en" else payload["title_ja"])
    secret = link_secret(str(current_app.config["SECRET_KEY"]), int(payload["event_id"]), str(payload["email"]),
                         datetime.fromisoformat(str(payload["created_at"])))
    deadline = ""
    if payload.get("offer_expires_at"):
        expires_at = datetime.fromisoformat(str(payload["offer_expires_at"]))
        zone = str(payload["timezone"])
        deadline = with_aside(format_when(expires_at, zone, locale), zone, locale)  # named as the event's time
    body = current_app.jinja_env.get_template("mail/registration.txt").render(
        kind=kind.split(".", 1)[1] if kind.startswith("registration.") else kind, payload=payload, title=title,
        when=_when(payload, locale), space=payload["space_en"] if locale == "en" else payload["space_ja"],
        link=external_url("events.registration", secret=secret), deadline=deadline,
        event_link=external_url("events.detail", event_id=int(payload["event_id"])),
    )
    return _(SUBJECTS[kind], title=title), body.strip() + "\n"


def _register(kind: str) -> None:
    @outbox.renderer(kind)
    def _render(payload: dict[str, Any], locale: str) -> tuple[str, str]:
        return render(kind, payload, locale)


for _kind in SUBJECTS:
    _register(_kind)


# The booking behind an event: a change of time or place, or its end, is mailed to everyone
# registered or waiting, in the same transaction as the change.

@sa_event.listens_for(Session, "after_flush")
def _note_moves(session: Session, _context: Any) -> None:
    moved = []
    for booking in session.dirty:
        if not isinstance(booking, Booking):
            continue
        state: Any = inspect(booking)
        is_moved = any(state.attrs[name].history.has_changes() for name in WATCHED)
        is_ended = state.attrs.status.history.has_changes() and booking.status not in ("confirmed", "pending")
        if is_moved or is_ended:
            moved.append(booking.id)
    if moved:
        session.info.setdefault(MOVED, set()).update(moved)


@sa_event.listens_for(Session, "after_flush_postexec")
def _mail_registrants(session: Session, _context: Any) -> None:
    moved = session.info.pop(MOVED, None)
    if not moved:
        return
    told = session.info.pop(TOLD_OF_MOVE, set())
    if not has_app_context():
        return
    from booking.services.notifications import _muted

    if _muted.get():
        return
    with session.no_autoflush:
        events = list(session.scalars(select(PublicEvent).where(PublicEvent.booking_id.in_(moved))))
    for public_event in events:
        _tell_everyone(session, public_event, told)


def _tell_everyone(session: Session, public_event: PublicEvent, told: Collection[int] = ()) -> None:
    booking = public_event.booking
    ended = booking.status not in ("confirmed", "pending")
    public_event.sequence += 1
    public_event.updated_at = booking.updated_at
    with session.no_autoflush:
        people = list(session.scalars(select(Registration).where(
            Registration.event_id == public_event.id, ~FORGOTTEN,
            Registration.status.in_(("registered", "offered", "waiting")))))
    for registration in people:
        if registration.id not in told:  # one mail a person per change: theirs says what is true for them
            enqueue(session, "event.cancelled" if ended else "event.updated", registration)
