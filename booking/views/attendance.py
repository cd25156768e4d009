"""Staff pages of an event's day: attendees (list, exports, message, cancel) and the door."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from booking.domain.checkin import Outcome, can_undo_check_in, normalise_code, standing
from booking.forms_attendance import CodeForm, MessageForm, TapForm, WalkInForm, WithdrawForm
from booking.services import NotFound, ServiceError, attendance, attendee_exports, attendee_mail
from booking.services.exports import CSV_TYPE, XLSX_TYPE
from booking.views.helpers import ORG_KIND_LABELS, shown_at
from booking.views.kept import csrf_input, kept_body
from booking.views.params import choice_arg, id_arg, text_arg
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
# What a row of the attendee list and of the door's search says of a party (booking.domain.checkin.standing):
# whether a registered party is in, else its status.
STANDING_LABELS = {
    **STATUS_LABELS, "checked_in": _l("Checked in"), "expected": _l("Registered, not checked in yet"),
}
OUTCOME_MESSAGES = {
    Outcome.ACCEPTED: _l("Checked in"),
    Outcome.ALREADY: _l("Already checked in"),
    Outcome.CANCELLED: _l("Refused: this registration was cancelled"),
    Outcome.WAITING: _l("Refused: no seat (waiting list)"),
    Outcome.UNKNOWN: _l("Not a code of this event"),
    Outcome.NOT_TODAY: _l("Refused: check-in opens on the event's day, 3 hours before the start"),
    Outcome.UNDONE: _l("The check-in was taken back."),
}
# Said where a checked-in party has no Undo (checkin.can_undo_check_in): why, so the door does not try again.
KEPT_IN_NOTE = _l("This party deleted its personal data: its check-in stays and cannot be undone.")


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
    return _attendees_page(event_id)


def _attendees_page(event_id: int, message_form: MessageForm | None = None,
                    withdraw_form: WithdrawForm | None = None) -> str:
    """The attendee list for this request; kept per distinct data unless a form comes back with errors."""
    event, query = attendance.event_page(event_id), text_arg("q")

    def render(csrf: Markup) -> str:
        return render_template(
            "attendance/_attendees_body.html", event=event, counts=event.counts, query=query,
            rows=attendance.attendees(event_id, query), zone=event.timezone, csrf=csrf,
            message_form=message_form or MessageForm(formdata=None),
            withdraw_form=withdraw_form or WithdrawForm(formdata=None), kind_label=translated(ORG_KIND_LABELS).get,
            standing=standing, standing_label=translated(STANDING_LABELS).get)

    if message_form is None and withdraw_form is None:
        body = kept_body("booking_attendee_pages", KEPT_CHARACTERS, (event, query), render)
        return render_template("attendance/attendees.html", event=event, body=body)
    shown_at(url_for(".attendees", event_id=event_id))
    return render_template("attendance/attendees.html", event=event, body=Markup(render(csrf_input())),
                           failed=message_form or withdraw_form)


# Kept bodies of the attendee list and of the door, per app and worker, in characters each: about 200
# lists of 150 people. Keyed by the event's row, its counts and list version (the count and newest id
# of the writes to its registrations and passes, which triggers log) and the search, all read in one
# statement on every request (booking/views/kept.py); the rows are read only to render a body not kept
# yet. Rendering the body was nine tenths of the page once its data was read (profile lines
# 'templates/attendance/attendees.html:39(block_content)' with 'templates/_forms.html:12(macro)', and
# 'templates/attendance/door.html:32(block_content)'); then reading the 150 rows for the key was
# ('sqlite3.Cursor.fetchall', 'engine/result.py:970(all)', 'collections/__init__.py:442(_make)').
KEPT_CHARACTERS = 8_000_000
OUTCOMES = frozenset(o.value for o in Outcome)


@bp.route("/<int:event_id>/attendees.<any(csv, xlsx):file_format>")
@staff_required
def export(event_id: int, file_format: str) -> Response:
    """Download the attendees as CSV (UTF-8 with BOM) or xlsx; logged and on the audit trail."""
    found, query = attendance.get_event(event_id), text_arg("q")
    data = attendee_exports.export_event(
        current_user.id, found.id, file_format, query, [str(h) for h in EXPORT_HEADER],
        {k: str(v) for k, v in STATUS_LABELS.items()}, {k: str(v) for k, v in ORG_KIND_LABELS.items()},
        sheet_title=_("Attendee list"))
    return Response(data, content_type=FORMATS[file_format],
                    headers={"Content-Disposition": f'attachment; filename="attendees-{found.id}.{file_format}"'})


# One rule for both methods (an id the converter refuses is 404, not 405); GET: the address opened
# again after a refusal (reloaded, or the language switched) leads to the form's page.
@bp.route("/<int:event_id>/message", methods=["GET", "POST"])
@staff_required
def message(event_id: int) -> Response | tuple[str, int]:
    """Send staff's message to every registrant (through the outbox)."""
    if request.method == "GET":
        return redirect(url_for(".attendees", event_id=event_id, q=text_arg("q") or None))
    form = MessageForm()
    if not form.validate():
        return _attendees_page(event_id, message_form=form), 422
    count = attendee_mail.mail_registrants(event_id, current_user, form.subject.data or "", form.body.data or "",
                                        attendee_mail.Audience(include_waiting=bool(form.include_waiting.data)))
    flash(ngettext("The message goes to %(count)s person.", "The message goes to %(count)s people.", count,
                   count=count), "success")
    return redirect(url_for(".attendees", event_id=event_id, q=text_arg("q") or None))


@bp.route("/<int:event_id>/withdraw", methods=["GET", "POST"])
@staff_required
def withdraw(event_id: int) -> Response | tuple[str, int]:
    """Cancel the event: everyone is told; the booking is kept or released as chosen."""
    if request.method == "GET":
        return redirect(url_for(".attendees", event_id=event_id, q=text_arg("q") or None))
    form = WithdrawForm()
    if not form.validate():
        return _attendees_page(event_id, withdraw_form=form), 422
    try:
        told = attendee_mail.withdraw_event(event_id, current_user, form.note.data or "",
                                            release_booking=form.booking.data == "release")
    except ServiceError as error:
        form.form_errors.append(_(error.message, **error.params))
        return _attendees_page(event_id, withdraw_form=form), 409
    flash(ngettext("The event is cancelled; %(count)s person is told.",
                   "The event is cancelled; %(count)s people are told.", told, count=told), "success")
    return redirect(url_for(".attendees", event_id=event_id, q=text_arg("q") or None))


@bp.route("/<int:event_id>/door")
@staff_required
def door(event_id: int) -> str:
    """The door page (phone-sized): scan or type a code, find a name, count walk-ins."""
    return _door_page(event_id)


def _door_page(event_id: int, walk_in_form: WalkInForm | None = None) -> str:
    """The door for this request; kept per distinct data unless `walk_in_form` comes back with a refusal."""
    event, query, typed = attendance.event_page(event_id), text_arg("q"), text_arg("code")
    typed = typed if typed and normalise_code(typed) else ""
    last = _last_scan(event_id)

    def render(csrf: Markup) -> str:
        code_form = CodeForm()
        if typed:
            code_form.code.data = typed
        return render_template("attendance/_door_body.html", event=event, counts=event.counts, query=query,
                               code_form=code_form, walk_in_form=walk_in_form or WalkInForm(), csrf=csrf,
                               rows=attendance.attendees(event_id, query) if query else [], last=last,
                               outcome_message=OUTCOME_MESSAGES.get,
                               standing=standing, standing_label=translated(STANDING_LABELS).get,
                               can_undo=can_undo_check_in, kept_in_note=str(KEPT_IN_NOTE))

    if walk_in_form is None:
        body = kept_body("booking_door_pages", KEPT_CHARACTERS, (event, query, typed, last), render)
    else:
        body = Markup(render(csrf_input()))
        shown_at(url_for(".door", event_id=event_id))
    return render_template("attendance/door.html", event=event, body=body, failed=walk_in_form)


def _last_scan(event_id: int) -> attendance.Scan | None:
    """The banner of the outcome in the address, as far as it is still true (never taken on trust)."""
    outcome = choice_arg("outcome", OUTCOMES)
    if outcome is None:
        return None
    return attendance.describe(event_id, Outcome(outcome), id_arg("r"))


def _back(event_id: int, scan: attendance.Scan) -> Response:
    """The door with the outcome of a check-in or an undo, said in its banner; one from a name search comes
    back to the same search (`q` of the form's address), the banner next to its results, for the next person
    of a group."""
    return redirect(url_for(".door", event_id=event_id, outcome=scan.outcome.value, r=scan.registration_id or "",
                            q=text_arg("q") or None))


@bp.route("/<int:event_id>/door/code", methods=["GET", "POST"])
@staff_required
def scan_code(event_id: int) -> Response:
    """Check in the party whose code was typed or scanned."""
    if request.method == "GET":
        return redirect(url_for(".door", event_id=event_id, q=text_arg("q") or None))
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
    return _back(event_id, attendance.undo_check_in(event_id, registration_id))


@bp.route("/<int:event_id>/walk-ins", methods=["GET", "POST"])
@staff_required
def walk_in(event_id: int) -> Response | tuple[str, int]:
    """Count one walk-in (name and organisation optional); a refusal is shown next to the walk-in form."""
    if request.method == "GET":
        return redirect(url_for(".door", event_id=event_id, q=text_arg("q") or None))
    form = WalkInForm()
    if not form.validate():
        return _door_page(event_id, form), 422
    try:
        attendance.add_walk_in(event_id, current_user.id, form.name.data or "", form.organisation.data or "")
    except ServiceError as error:
        if isinstance(error, NotFound):
            raise
        form.form_errors.append(_(error.message, **error.params))
        return _door_page(event_id, form), 422
    flash(_("Walk-in counted."), "success")
    return redirect(url_for(".door", event_id=event_id, q=text_arg("q") or None))


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
    return redirect(url_for(".door", event_id=event_id, q=text_arg("q") or None))
