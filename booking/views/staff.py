"""Staff pages: the approval queue, decisions, and any booking with its history."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms.validators import DataRequired, Email, Optional, ValidationError

from booking.caches import BoundedCache, app_cache
from booking.dates import join_list
from booking.db import utcnow
from booking.extensions import login_manager
from booking.fields import EmailLineField, Form, LineField, TextField
from booking.forms import BookingForm, desk_count
from booking.forms_series import DecideSeriesForm
from booking.models import Booking, Space
from booking.services import ServiceError, Stale, audit, changes, spaces, staff
from booking.services.bookings import ALREADY, BookingInput
from booking.views import queue_page
from booking.views.helpers import conflict_message, error_message, local, locale_code, show_refusal, shown_at
from booking.views.params import page_arg

bp = Blueprint("staff", __name__, url_prefix="/staff")
F = TypeVar("F", bound=Callable[..., Any])
MAX_QUEUE_PAGE = 100_000  # page numbers past the last page show the last page


def staff_required(view: F) -> F:
    """Visitors are sent to sign in; signed-in members get 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapped)


ACTION_LABELS = {
    "requested": _l("Requested"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
    "overridden": _l("Booked with an exception"),
    "edited": _l("Edited"),
    "proposed": _l("Change asked for"),
    "declined": _l("Change rejected"),
    "expired": _l("Expired"),
    "restored": _l("Cancellation undone"),
    "exported": _l("Attendees exported"),
    "mailed": _l("Attendees mailed"),
    "withdrawn": _l("Event called off"),
    "published": _l("Proposed event approved and published"),
    "turned_down": _l("Proposed event rejected"),
}


FIELD_LABELS = {
    "start": _l("Start"), "end": _l("End"), "seats": _l("Desks"), "units": _l("Desk numbers"),
    "title": _l("Title"), "is_public": _l("Public title"), "purpose": _l("Purpose"),
    "attendees": _l("Expected attendees"),
}


def _shown_value(name: str, value: Any, zone: str) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if name in ("start", "end"):
        return local(datetime.fromisoformat(value), zone)
    if name == "is_public":
        return _("Yes") if value else _("No")
    if name == "units":
        return join_list(value, locale_code())
    return str(value)


# The note of an export or a message to attendees, as stored: "csv (12)", "Subject (12)"
# (services.attendee_exports, services.attendee_mail); shown through the catalogue.
_COUNTED_NOTE = re.compile(r"(.*) \((\d+)\)", re.S)


def _counted_note(note: str, action: str) -> str | None:
    """An export's or a message's note in the viewer's language, None for another note."""
    counted = _COUNTED_NOTE.fullmatch(note) if action in ("exported", "mailed") else None
    if counted is None:
        return None
    what, count = counted.group(1), int(counted.group(2))
    if action == "exported":
        return ngettext("%(format)s, %(count)s registration", "%(format)s, %(count)s registrations", count,
                        format=what, count=count)
    return ngettext("“%(subject)s” to %(count)s recipient", "“%(subject)s” to %(count)s recipients", count,
                    subject=what, count=count)


def shown_note(note: str, zone: str = "Asia/Tokyo", action: str = "") -> str:
    """A trail note as the viewer reads it: an edit's values before → after, system notes translated."""
    edit = changes.read_edit_note(note) if action in ("edited", "proposed") else None
    if edit is not None:
        before, after = edit
        return "; ".join(_("%(label)s: %(before)s → %(after)s", label=FIELD_LABELS.get(name, name),
                           before=_shown_value(name, before.get(name), zone), after=_shown_value(name, value, zone))
                         for name, value in after.items())
    counted = _counted_note(note, action)
    if counted is not None:
        return counted
    return _(note) if note in audit.SYSTEM_NOTES else note


@bp.app_template_global()
def rejection_note(booking: Booking) -> str:
    """The staff's note on a rejected booking, for the member's booking page."""
    return shown_note(audit.rejection_note(booking))


@bp.app_template_global()
def staff_menu() -> Markup:
    """The staff menu (templates/staff/_menu.html), rendered once per language and script root and kept per app.

    It shows nothing else: ten links and their labels (profile line 'templates/staff/_menu.html:4(root)',
    about a twentieth of the members list, the events list or the proposals page).
    """
    key = (locale_code(), request.script_root)
    # bounded: the script root can come from a proxy's header
    menus: BoundedCache[Markup] = app_cache("booking_staff_menus", 16)
    found = menus.get(key)
    if found is None:
        found = Markup(render_template("staff/_menu.html"))
        menus.put(key, found)
    return found


@bp.context_processor
def trail_helpers() -> dict[str, Any]:
    return {"action_label": ACTION_LABELS.get, "shown_note": shown_note}


class RejectForm(Form):
    note = TextField(
        _l("Note for the member"),
        validators=[DataRequired(message=_l("Write a note for the member: why the request is rejected."))],
        max_length=staff.NOTE_MAX,
    )


class DeclineChangeForm(Form):
    note = TextField(_l("Note for the member (optional)"), max_length=staff.NOTE_MAX)


class StaffBookingForm(BookingForm):
    member_email = EmailLineField(
        _l("Member's e-mail (leave empty to block the time for staff)"),
        validators=[Optional(), Email(check_deliverability=False)],
    )
    override_reason = LineField(_l("Reason (needed to block time or to override rules)"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, can_override=True, **kwargs)

    def validate_override_reason(self, field: LineField) -> None:
        super().validate_override_reason(field)
        if not (self.member_email.data or "").strip() and not (field.data or "").strip():
            raise ValidationError(_l("Say why the time is blocked."))

    def booking_input(self, space: Space) -> BookingInput:
        start_dt, end_dt = self.instants()
        return BookingInput(
            space_id=space.id, title=self.title.data or "", start_dt=start_dt, end_dt=end_dt,
            seats=(self.seats.data or 1) if space.is_pooled else 1,
            purpose=self.purpose.data or "", attendees=self.attendees.data or 0,
            is_public=bool(self.is_public.data), submit_token=self.submit_token.data,
        )


def _flash_refusal(error: ServiceError) -> None:
    if isinstance(error, staff.Refused):
        flash(_(error.message) + " " + " ".join(conflict_message(c) for c in error.conflicts), "error")
    else:
        flash(error_message(error), "error")


@bp.get("")
@bp.get("/requests")
@staff_required
def requests() -> str:
    """Pending requests, most urgent first, a page at a time, with what each competes with."""
    html = queue_page.queue_html(page_arg("page", MAX_QUEUE_PAGE), spaces.listed_spaces, _queue_hidden_tags)
    return render_template("staff/requests.html", content=html)


def _queue_hidden_tags() -> tuple[Markup, Markup, Markup]:
    """The hidden fields of the queue's reject, decline-change and series forms."""
    return (RejectForm(formdata=None).hidden_tag(), DeclineChangeForm(formdata=None).hidden_tag(),
            DecideSeriesForm(formdata=None).hidden_tag())


def _queue_page() -> int | None:
    """The queue's page a decision was taken on (?page=, carried by the decision's form); None for page 1."""
    number = page_arg("page", MAX_QUEUE_PAGE)
    return number if number > 1 else None


def _back_to_queue() -> Response:
    """Back to the queue's page the decision was taken on, so staff working through page 2 stay there."""
    return redirect(url_for("staff.requests", page=_queue_page()))


@bp.get("/bookings/<int:booking_id>")
@staff_required
def booking(booking_id: int) -> str:
    """One booking with its history, and the decision buttons while it is pending."""
    return _booking_page(booking_id)


def _booking_page(booking_id: int, decline_form: DeclineChangeForm | None = None) -> str:
    if decline_form is not None:  # refused: the note's field is the one on this page
        decline_form.note.id = f"decline-{booking_id}"
        shown_at(url_for("staff.booking", booking_id=booking_id))
    return render_template("staff/booking.html", booking=staff.get_booking(booking_id),
                           events=audit.trail(booking_id), now=utcnow(), form=RejectForm(formdata=None),
                           decline_form=decline_form or DeclineChangeForm(formdata=None))


@bp.post("/requests/<int:booking_id>/approve")
@staff_required
def approve(booking_id: int) -> Response:
    """Approve a pending request after re-checking every rule."""
    try:
        approval = staff.approve(current_user, booking_id, locale=locale_code())
    except (Stale, staff.Refused) as error:
        _flash_refusal(error)
        return redirect(url_for("staff.booking", booking_id=booking_id))
    flash(_("The request was approved."), "success")
    if approval.auto_rejected:
        flash(ngettext("%(count)s overlapping request was rejected automatically.",
                       "%(count)s overlapping requests were rejected automatically.",
                       len(approval.auto_rejected), count=len(approval.auto_rejected)), "info")
    return _back_to_queue()


@bp.route("/requests/<int:booking_id>/reject", methods=["GET", "POST"])
@staff_required
def reject(booking_id: int) -> str | Response | tuple[str, int]:
    """Reject a pending request with a note the member will read."""
    found = staff.get_booking(booking_id)
    if found.status != "pending":
        flash(_("Only a pending request can be rejected. %(state)s", state=_(ALREADY.get(found.status, ""))), "error")
        return redirect(url_for("staff.booking", booking_id=booking_id))
    form = RejectForm()
    if not form.validate_on_submit():
        return render_template("staff/reject.html", booking=found, form=form,
                               back_page=_queue_page()), (
            422 if form.is_submitted() else 200)
    try:
        staff.reject(current_user, booking_id, form.note.data or "")
    except ServiceError as error:
        _flash_refusal(error)
        return redirect(url_for("staff.booking", booking_id=booking_id))
    flash(_("The request was rejected; the member can read your note."), "success")
    return _back_to_queue()


@bp.post("/changes/<int:booking_id>/approve")
@staff_required
def approve_change(booking_id: int) -> Response:
    """Move a booking to the time its member asked for, after re-checking every rule."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        changes.approve_change(current_user, booking_id, locale=locale_code())
    except (Stale, staff.Refused) as error:
        _flash_refusal(error)
        return redirect(url_for("staff.booking", booking_id=booking_id))
    flash(_("The change was approved; the member gets the updated booking."), "success")
    return _back_to_queue()


# One rule for both methods (an id the converter refuses is 404, not 405); GET: the address opened
# again after a refusal (reloaded, or the language switched) leads to the form's page.
@bp.route("/changes/<int:booking_id>/decline", methods=["GET", "POST"])
@staff_required
def decline_change(booking_id: int) -> Response | tuple[str, int]:
    """Decline a proposed change; the booking stays as it was."""
    if request.method == "GET":
        return redirect(url_for("staff.booking", booking_id=booking_id))
    form = DeclineChangeForm()
    if not form.validate_on_submit():
        return _booking_page(booking_id, form), 422
    try:
        changes.decline_change(current_user, booking_id, form.note.data or "")
    except ServiceError as error:
        _flash_refusal(error)
        return redirect(url_for("staff.booking", booking_id=booking_id))
    flash(_("The change was rejected; the booking stays as it was."), "success")
    return _back_to_queue()


@bp.route("/spaces/<slug>/book", methods=["GET", "POST"])
@staff_required
def book(slug: str) -> str | Response | tuple[str, int]:
    """Book a space for a member, or block it for staff; confirmed at once."""
    space = spaces.get_space(slug)
    form = StaffBookingForm(zone=space.timezone, desks=desk_count(space))
    if not form.validate_on_submit():
        return render_template("staff/book.html", space=space, form=form), 422 if form.is_submitted() else 200
    try:
        outcome = staff.book_as_staff(current_user, form.booking_input(space), form.member_email.data or "",
                                      form.reason_text(), form.chosen_overrides(), locale=locale_code())
    except ServiceError as error:
        show_refusal(form, error)
        return render_template("staff/book.html", space=space, form=form), 422
    if not outcome.ok:
        form.form_errors.extend(conflict_message(c) for c in outcome.messages)
        taken = any(c.code in ("overlap", "capacity") for c in outcome.conflicts)
        return render_template("staff/book.html", space=space, form=form), 409 if taken else 422
    assert outcome.booking is not None
    if outcome.is_repeat:
        flash(_("This form was already sent: here is the booking it made."), "info")
    else:
        flash(_("The booking is confirmed."), "success")
    return redirect(url_for("staff.booking", booking_id=outcome.booking.id))
