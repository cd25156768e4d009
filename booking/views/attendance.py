"""Staff pages of an event's day: attendees (list, exports, message, cancel) and the door."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from booking.caches import BoundedCache
from booking.db import utcnow
from booking.domain.checkin import Outcome, normalise_code
from booking.forms_attendance import CodeForm, MessageForm, TapForm, WalkInForm, WithdrawForm
from booking.services import NotFound, ServiceError, attendance, attendee_exports, attendee_mail
from booking.services.attendee_exports import AttendeeRow
from booking.services.exports import CSV_TYPE, XLSX_TYPE
from booking.views.helpers import ORG_KIND_LABELS, locale_code
from booking.views.params import text_arg
from booking.views.staff import staff_required

bp = Blueprint("attendance", __name__, url_prefix="/staff/events")
FORMATS = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}
EXPORT_HEADER = (
    _l("Registration no."), _l("Name"), _l("E-mail"), _l("Organisation"), _l("Organisation kind"), _l("Persons"),
    _l("Accompanying"), _l("Status"), _l("Registered at"), _l("Check-in code"), _l("Checked in at"),
)
STATUS_LABELS = {
    "registered": _l("Registered (has a seat)"), "offered": _l("Seat offered"), "waiting": _l("Waiting list"),
    "cancelled": _l("Cancelled"), "expired": _l("Offer expired"),
}
OUTCOME_MESSAGES = {
    Outcome.ACCEPTED: _l("Checked in"),
    Outcome.ALREADY: _l("Already checked in"),
    Outcome.CANCELLED: _l("Refused: this registration was cancelled"),
    Outcome.WAITING: _l("Refused: no seat (waiting list)"),
    Outcome.UNKNOWN: _l("Not a code of this event"),
    Outcome.NOT_TODAY: _l("Refused: check-in opens on the event's day, 3 hours before the start"),
}


def translated(labels: Mapping[str, Any]) -> dict[str, str]:
    """Lazy labels in the viewer's language, translated once per page instead of once per row."""
    return {key: str(label) for key, label in labels.items()}


@bp.route("/")
@staff_required
def index() -> str:
    """Public events, latest first, with the way to their attendees and door."""
    return render_template("attendance/index.html", events=attendance.events_for_staff())


@bp.route("/<int:event_id>/attendees")
@staff_required
def attendees(event_id: int) -> str:
    """The attendee list with search and counts, exports, a message to all, and cancelling."""
    found, query = attendance.get_event(event_id), text_arg("q")
    table = attendee_table(attendance.attendees(event_id, query), found.booking.space.timezone, bool(query))
    return render_template("attendance/attendees.html", event=found, query=query, attendee_table=table,
                           counts=attendance.counts(event_id),
                           record=attendance.record_of(event_id), message_form=MessageForm(),
                           withdraw_form=WithdrawForm())


# Rendered attendee tables per app and worker, in characters: about 200 lists of 150 people.
ATTENDEE_TABLE_CHARACTERS = 8_000_000


def attendee_table(rows: list[AttendeeRow], zone: str, is_search: bool) -> Markup:
    """The attendee list's table, rendered once per distinct list (templates/attendance/_attendee_table.html).

    Keyed by the language, the zone, whether it is a search's answer and every row shown,
    all read on every request, so a kept table is never stale and nothing expires by the
    clock. Rendering 150 rows was half of the page (profile line
    'templates/attendance/attendees.html:39(block_content)').
    """
    key = (locale_code(), zone, is_search, tuple(rows))
    extensions = current_app.extensions
    cache = extensions.get("booking_attendee_tables")
    if cache is None:
        cache = extensions["booking_attendee_tables"] = BoundedCache(ATTENDEE_TABLE_CHARACTERS, size=len)
    found = cache.get(key)
    if found is None:
        found = Markup(render_template("attendance/_attendee_table.html", rows=rows, zone=zone, query=is_search,
                                       kind_label=translated(ORG_KIND_LABELS).get,
                                       status_label=translated(STATUS_LABELS).get))
        cache.put(key, found)
    return cast(Markup, found)


@bp.route("/<int:event_id>/attendees.<any(csv, xlsx):file_format>")
@staff_required
def export(event_id: int, file_format: str) -> Response:
    """Download the attendees as CSV (UTF-8 with BOM) or xlsx; logged and on the audit trail."""
    found, query = attendance.get_event(event_id), text_arg("q")
    data = attendee_exports.export_event(
        current_user.id, found.id, file_format, query, [str(h) for h in EXPORT_HEADER],
        {k: str(v) for k, v in STATUS_LABELS.items()}, {k: str(v) for k, v in ORG_KIND_LABELS.items()})
    return Response(data, content_type=FORMATS[file_format],
                    headers={"Content-Disposition": f'attachment; filename="attendees-{found.id}.{file_format}"'})


@bp.route("/<int:event_id>/message", methods=["POST"])
@staff_required
def message(event_id: int) -> Response:
    """Send staff's message to every registrant (through the outbox)."""
    form = MessageForm()
    if not form.validate():
        flash(_("Please write a subject and a message."), "error")
        return redirect(url_for(".attendees", event_id=event_id))
    count = attendee_mail.mail_registrants(event_id, current_user, form.subject.data or "", form.body.data or "",
                                        attendee_mail.Audience(include_waiting=bool(form.include_waiting.data)))
    flash(_("The message goes to %(count)s people.", count=count), "success")
    return redirect(url_for(".attendees", event_id=event_id))


@bp.route("/<int:event_id>/withdraw", methods=["POST"])
@staff_required
def withdraw(event_id: int) -> Response:
    """Cancel the event: everyone is told; the booking is kept or released as chosen."""
    form = WithdrawForm()
    if not form.validate():
        flash(_("Tick the box to confirm cancelling the event."), "error")
        return redirect(url_for(".attendees", event_id=event_id))
    try:
        told = attendee_mail.withdraw_event(event_id, current_user, form.note.data or "",
                                            release_booking=form.booking.data == "release")
    except ServiceError as error:
        flash(_(error.message), "error")
        return redirect(url_for(".attendees", event_id=event_id))
    flash(_("The event is cancelled; %(count)s people are told.", count=told), "success")
    return redirect(url_for(".attendees", event_id=event_id))


@bp.route("/<int:event_id>/door")
@staff_required
def door(event_id: int) -> str:
    """The door page (phone-sized): scan or type a code, find a name, count walk-ins."""
    return _door_page(event_id, WalkInForm())


def _door_page(event_id: int, walk_in_form: WalkInForm) -> str:
    found, query = attendance.get_event(event_id), text_arg("q")
    code_form = CodeForm()
    typed = text_arg("code")
    if typed and normalise_code(typed):
        code_form.code.data = typed
    last = _last_scan(event_id)
    return render_template("attendance/door.html", event=found, query=query, code_form=code_form,
                           tap_form=TapForm(), walk_in_form=walk_in_form, counts=attendance.counts(event_id),
                           rows=attendance.attendees(event_id, query) if query else [], last=last,
                           walk_ins=attendance.recent_walk_ins(event_id, 5), now=utcnow(),
                           outcome_message=OUTCOME_MESSAGES.get, status_label=translated(STATUS_LABELS).get)


def _last_scan(event_id: int) -> attendance.Scan | None:
    outcome, registration = text_arg("outcome", 20), text_arg("r", 12)
    if outcome not in {o.value for o in Outcome}:
        return None
    return attendance.describe(event_id, Outcome(outcome), int(registration) if registration.isdigit() else None)


def _back(event_id: int, scan: attendance.Scan) -> Response:
    return redirect(url_for(".door", event_id=event_id, outcome=scan.outcome.value, r=scan.registration_id or ""))


@bp.route("/<int:event_id>/door/code", methods=["POST"])
@staff_required
def scan_code(event_id: int) -> Response:
    """Check in the party whose code was typed or scanned."""
    attendance.get_event(event_id)
    form = CodeForm()
    if not form.validate():
        return _back(event_id, attendance.Scan(Outcome.UNKNOWN))
    return _back(event_id, attendance.check_in_code(event_id, form.code.data or "", current_user.id))


@bp.route("/<int:event_id>/door/<int:registration_id>/in", methods=["POST"])
@staff_required
def tap_in(event_id: int, registration_id: int) -> Response:
    """Check in a party found by name (one tap)."""
    if not TapForm().validate():
        abort(400)
    return _back(event_id, attendance.check_in(event_id, registration_id, current_user.id))


@bp.route("/<int:event_id>/door/<int:registration_id>/undo", methods=["POST"])
@staff_required
def undo(event_id: int, registration_id: int) -> Response:
    """Take a check-in back."""
    if not TapForm().validate():
        abort(400)
    attendance.undo_check_in(event_id, registration_id)
    flash(_("The check-in was taken back."), "success")
    return redirect(url_for(".door", event_id=event_id))


@bp.route("/<int:event_id>/walk-ins", methods=["POST"])
@staff_required
def walk_in(event_id: int) -> Response | tuple[str, int]:
    """Count one walk-in (name and organisation optional); a refusal is shown next to the walk-in form."""
    form = WalkInForm()
    if not form.validate():
        flash(_("Name and organisation must be one line each."), "error")
        return redirect(url_for(".door", event_id=event_id))
    try:
        attendance.add_walk_in(event_id, current_user.id, form.name.data or "", form.organisation.data or "")
    except ServiceError as error:
        if isinstance(error, NotFound):
            raise
        form.form_errors.append(_(error.message, **error.params))
        return _door_page(event_id, form), 422
    flash(_("Walk-in counted."), "success")
    return redirect(url_for(".door", event_id=event_id))


@bp.route("/<int:event_id>/walk-ins/undo", methods=["POST"])
@staff_required
def undo_walk_in(event_id: int) -> Response:
    """Take back the last walk-in counted."""
    if not TapForm().validate():
        abort(400)
    try:
        attendance.undo_walk_in(event_id)
    except ServiceError as error:
        flash(_(error.message), "error")
    else:
        flash(_("The last walk-in was taken back."), "success")
    return redirect(url_for(".door", event_id=event_id))
