"""Visitors' side of attendee privacy: the privacy notice, and deleting a registration by its link."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from booking.db import utcnow
from booking.domain.checkin import display_code
from booking.forms_attendance import TapForm
from booking.models import Registration
from booking.services import NotFound, attendance, retention
from booking.services.checkin_qr import qr_svg_data_uri, qr_text

bp = Blueprint("event_privacy", __name__)


@bp.get("/events/privacy")
def notice() -> str:
    """The privacy notice of event registration (linked from every registration form)."""
    return render_template("attendance/privacy.html", days=current_app.config["EVENT_DATA_RETENTION_DAYS"])


@bp.post("/events/r/<secret>/delete")
def delete(secret: str) -> Response:
    """Delete one's registration and personal data through the personal link."""
    if not TapForm().validate():
        abort(400)
    try:
        event_id = retention.delete_registration(secret, str(current_app.config["SECRET_KEY"]))
    except NotFound:
        abort(404)
    flash(_("Your registration and your personal data have been deleted."), "success")
    return redirect(url_for("events.detail", event_id=event_id))


def checkin_of(registration: Registration) -> dict[str, Any] | None:
    """The code and QR to show on the personal page of a registration with a seat, else None."""
    if registration.status != "registered" or registration.event.booking.end_dt <= utcnow():
        return None
    found = attendance.pass_for(registration.id)
    if found is None:
        return None
    return {"code": display_code(found.code), "qr": qr_svg_data_uri(qr_text(found.code))}


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"checkin_of": checkin_of, "delete_form": TapForm}
