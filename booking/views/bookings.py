"""The member's own bookings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from booking.db import utcnow
from booking.services import bookings

bp = Blueprint("bookings", __name__, url_prefix="/bookings")


@bp.get("")
@login_required
def mine() -> str:
    """Upcoming and past bookings of the signed-in member."""
    upcoming, past = bookings.my_bookings(current_user)
    return render_template("bookings/mine.html", upcoming=upcoming, past=past, now=utcnow(),
                           form=FlaskForm())


@bp.get("/<int:booking_id>")
@login_required
def detail(booking_id: int) -> str:
    """One booking of the member."""
    booking = bookings.get_own_booking(current_user, booking_id)
    return render_template("bookings/detail.html", booking=booking, now=utcnow(), form=FlaskForm())


@bp.post("/<int:booking_id>/cancel")
@login_required
def cancel(booking_id: int) -> Response:
    """Cancel one booking before it starts."""
    form = FlaskForm()
    if not form.validate_on_submit():
        return redirect(url_for("bookings.detail", booking_id=booking_id))
    bookings.cancel_booking(current_user, booking_id)
    flash(_("The booking was cancelled."), "success")
    return redirect(url_for("bookings.mine"))
