"""Staff review public events members proposed on their bookings: the list, approve, reject with a note."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms.validators import DataRequired

from booking.fields import Form, TextField
from booking.models import PublicEvent
from booking.services import NotFound, ServiceError, event_review, public_events
from booking.views.staff import staff_required

bp = Blueprint("event_review", __name__, url_prefix="/staff/event-proposals")


class RejectEventForm(Form):
    note = TextField(
        _l("Note for the member"),
        validators=[DataRequired(message=_l("Write a note for the member: why the event is not published."))],
        max_length=event_review.NOTE_MAX,
    )


@bp.get("")
@staff_required
def index() -> str:
    """Events members proposed, oldest first, each with its details and the decision buttons."""
    return render_template("staff/event_proposals.html", proposals=event_review.proposals(), form=FlaskForm())


@bp.post("/<int:event_id>/approve")
@staff_required
def approve(event_id: int) -> Response:
    """Publish a proposed event: from now on visitors see it and can register."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        event = event_review.approve(current_user, event_id)
    except NotFound:
        raise
    except ServiceError as refusal:
        flash(_(refusal.message, **refusal.params), "error")
        return redirect(url_for("event_review.index"))
    flash(_("The event is published; the member has been told."), "success")
    return redirect(url_for("event_review.index", _anchor=f"proposal-{event.id}"))


@bp.route("/<int:event_id>/reject", methods=["GET", "POST"])
@staff_required
def reject(event_id: int) -> str | Response | tuple[str, int]:
    """Ask once more, then reject a proposed event with a note the member reads."""
    event = event_review.get_proposal(current_user, event_id)
    if event.status != "pending":
        flash(_(event_review.DECIDED), "error")
        return redirect(url_for("event_review.index"))
    form = RejectEventForm()
    if not form.validate_on_submit():
        return render_template("staff/event_reject.html", event=event, form=form), 422 if form.is_submitted() else 200
    try:
        event_review.reject(current_user, event_id, form.note.data or "")
    except ServiceError as refusal:
        flash(_(refusal.message, **refusal.params), "error")
        return redirect(url_for("event_review.index"))
    flash(_("The event was not published; the member can read your note."), "success")
    return redirect(url_for("event_review.index"))


@bp.app_template_global()
def event_proposal_count() -> int:
    """Proposals waiting for staff, for the notice on the staff queue."""
    return event_review.proposal_count() if current_user.is_authenticated and current_user.is_staff else 0


@bp.app_template_global()
def booking_public_event(booking_id: int) -> PublicEvent | None:
    """The public event on a booking, for its member's page."""
    return public_events.event_of(booking_id)


@bp.app_template_global()
def event_rejection_note(event: PublicEvent) -> str:
    """Staff's note on a rejected event proposal."""
    return event_review.rejection_note(event)
