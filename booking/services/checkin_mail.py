"""Check-in codes in issue 18's registration mail: the confirmation carries the code and its QR.

Issue 18's services write their mail (booking/services/event_mail.py) without knowing
about check-in. Two small seams add it, so neither side calls into the other:

- before a flush, an outbox row of a registration mail whose registrant holds a seat
  (`registered`) gets the registration's code in its payload and the QR image as an
  attachment (the pass is made in the same flush, booking/services/attendance.py);
- the renderers of those kinds are wrapped: the body gains the code paragraph
  (templates/mail/_event_code.txt), in the recipient's language, before the footer.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from booking.domain.checkin import display_code
from booking.mail import Attachment
from booking.models import OutboxMessage, Registration
from booking.models_attendance import AttendeePass
from booking.services import event_mail, outbox
from booking.services.attendance import new_pass
from booking.services.checkin_qr import qr_png, qr_text

CODE_KINDS = ("registration.registered", "registration.promoted", "registration.changed", "registration.link",
              "event.updated")
FOOTER = "\n--\n"


def _registration(session: Session, payload: dict[str, Any]) -> Registration | None:
    wanted = (payload.get("event_id"), payload.get("email"))
    for obj in session.new:
        if isinstance(obj, Registration) and (obj.event_id, obj.email) == wanted:
            return obj
    with session.no_autoflush:
        return session.scalar(select(Registration).where(Registration.event_id == wanted[0],
                                                         Registration.email == wanted[1]))


def _pass(session: Session, registration: Registration) -> AttendeePass:
    for obj in session.new:
        if isinstance(obj, AttendeePass) and obj.registration is registration:
            return obj
    found = session.get(AttendeePass, registration.id) if registration.id is not None else None
    if found is None:
        found = new_pass(registration)
        session.add(found)
    return found


def qr_attachment(code: str) -> Attachment:
    """The QR image of a code, as a PNG attachment."""
    return Attachment("checkin-code.png", "image/png", qr_png(qr_text(code)))


@event.listens_for(Session, "before_flush")
def _add_codes(session: Session, _context: Any, _instances: Any) -> None:
    if not has_app_context():
        return
    for row in [obj for obj in session.new if isinstance(obj, OutboxMessage)]:
        payload = row.payload or {}
        if row.kind not in CODE_KINDS or payload.get("status") != "registered" or payload.get("checkin_code"):
            continue
        registration = _registration(session, payload)
        if registration is None:
            continue
        code = _pass(session, registration).code
        row.payload = {**payload, "checkin_code": display_code(code)}
        row.attachments = [*row.attachments, outbox.stored_attachment(qr_attachment(code))]


def with_code(subject: str, body: str, payload: dict[str, Any]) -> tuple[str, str]:
    """A registration mail with the payload's check-in code paragraph before its footer (unchanged
    when the payload carries no code)."""
    code = payload.get("checkin_code")
    if not code:
        return subject, body
    text = current_app.jinja_env.get_template("mail/_event_code.txt").render(p={"code": code}).strip()
    head, footer, tail = body.rpartition(FOOTER)
    return subject, (f"{head}\n\n{text}\n{footer}{tail}" if footer else f"{body}\n{text}\n")


# The wrapped renderers are made once, at import; they look up event_mail's renderer and call
# with_code each time (a closure made at import would keep whatever code it was made with).
_ORIGINALS: dict[str, outbox.Renderer] = {}


def _render_with_code(kind: str, payload: dict[str, Any], locale: str) -> tuple[str, str]:
    return with_code(*_ORIGINALS[kind](payload, locale), payload)


for _kind in CODE_KINDS:
    if _kind in event_mail.SUBJECTS:
        _ORIGINALS[_kind] = outbox.renderer_for(_kind)
        outbox.renderer(_kind)(functools.partial(_render_with_code, _kind))
