"""The member's own bookings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, get_template_attribute, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.wrappers import Response

from booking.caches import BoundedCache
from booking.db import utcnow
from booking.domain.statuses import cancel_refusal
from booking.domain.undo import UNDO_WINDOW, undo_deadline
from booking.forms import EditBookingForm, desk_count
from booking.models import Booking
from booking.services import ServiceError, bookings, changes, my_bookings, undo
from booking.services.my_bookings import BookingLine
from booking.views.helpers import conflict_message, error_message, locale_code, show_refusal

bp = Blueprint("bookings", __name__, url_prefix="/bookings")


# Each line of the my-bookings table (bookings/_line.html) per worker, keyed by the viewer's locale,
# the script root of its links, every value of the line and whether it offers Cancel: an equal key is
# an equal line, so a cancelled, approved or moved booking is rendered anew and nothing expires by the
# clock; a line shows its own booking only. Bounded by characters (a line is about 600).
# Profile line removed: 'templates/bookings/mine.html:16(macro)' (half the page's CPU).
MAX_CACHED_LINE_CHARS = 2_000_000
line_html_cache: BoundedCache[Markup] = BoundedCache(MAX_CACHED_LINE_CHARS, size=len)


def lines_html(lines: list[BookingLine], can_cancel: bool, now: datetime) -> Markup:
    """The rows of one my-bookings table: each line's bookings/_line.html in the viewer's language,
    rendered once per key, offering Cancel when `can_cancel` and the booking is active and not started."""
    locale, root = locale_code(), request.script_root
    rows = []
    for line in lines:
        cancellable = can_cancel and line.is_active and line.start_dt > now
        key = (locale, root, line, cancellable)
        found = line_html_cache.get(key)
        if found is None:
            found = Markup(get_template_attribute("bookings/_line.html", "booking_line")(line, cancellable))
            line_html_cache.put(key, found)
        rows.append(found)
    # Every row is Markup already (rendered with autoescape); the whitespace is the table's indentation.
    return Markup("".join(f"\n      {row}\n    " for row in rows))


@bp.app_template_global()
def undo_until(booking: Booking | BookingLine) -> datetime | None:
    """Until when the member may undo this cancellation (see booking.domain.undo)."""
    return undo_deadline(booking.cancelled_at) if booking.cancelled_at is not None else None


@bp.get("")
@login_required
def mine() -> str:
    """Upcoming and past bookings of the signed-in member."""
    now = utcnow()
    upcoming, past, undoable = my_bookings.my_bookings(current_user, now)
    return render_template("bookings/mine.html", upcoming=upcoming, past=past, now=now, undoable=undoable,
                           lines_html=lines_html)


@bp.get("/<int:booking_id>")
@login_required
def detail(booking_id: int) -> str:
    """One booking of the member."""
    booking = bookings.get_own_booking(current_user, booking_id)
    return render_template("bookings/detail.html", booking=booking, now=utcnow(), form=FlaskForm())


# One rule for both methods: with two, an id the converter refuses would answer 405, not 404.
@bp.route("/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id: int) -> str | Response:
    """GET: ask once more and say what will happen; POST: cancel (the member may undo it for a few minutes)."""
    if request.method == "GET":
        booking, now = bookings.get_own_booking(current_user, booking_id), utcnow()
        return render_template("bookings/cancel.html", booking=booking, now=now, form=FlaskForm(),
                               reason=cancel_refusal(booking.status_at(now), booking.start_dt, booking.end_dt, now),
                               undo_minutes=int(UNDO_WINDOW.total_seconds() // 60),
                               can_undo=undo.can_undo_later(current_user, booking),
                               registrants=undo.told_with_event(booking.id))
    form = FlaskForm()
    if not form.validate_on_submit():
        return redirect(url_for("bookings.detail", booking_id=booking_id))
    # Promise an undo only to whom it is offered (booking.domain.undo): never staff, never for an event.
    can_undo = undo.can_undo_later(current_user, bookings.get_own_booking(current_user, booking_id))
    bookings.cancel_booking(current_user, booking_id)
    if not can_undo:  # otherwise "My bookings" says it once, beside its undo button
        flash(_("The booking was cancelled."), "success")
    return redirect(url_for("bookings.mine"))


@bp.post("/<int:booking_id>/undo")
@login_required
def undo_cancel(booking_id: int) -> Response:
    """Take back one's own cancellation while the window is open and the time still free."""
    if not FlaskForm().validate_on_submit():
        return redirect(url_for("bookings.mine"))
    try:
        undo.undo_cancellation(current_user, booking_id)
    except undo.CannotUndo as error:
        flash(error_message(error), "error")
        return redirect(url_for("bookings.mine"))
    flash(_("The cancellation was undone; your booking is back."), "success")
    return redirect(url_for("bookings.detail", booking_id=booking_id))


def _filled(booking: Booking) -> EditBookingForm:
    zone = ZoneInfo(booking.space.timezone)
    start, end = booking.start_dt.astimezone(zone), booking.end_dt.astimezone(zone)
    return EditBookingForm(formdata=None, desks=desk_count(booking.space), day=start.date(), start_time=start.time(),
                           end_time=end.time(), seats=booking.seats, title=booking.title, purpose=booking.purpose,
                           attendees=booking.attendees, is_public=booking.is_public,
                           units=", ".join(str(u) for u in booking.unit_numbers))


def _change(form: EditBookingForm, booking: Booking) -> changes.BookingChange:
    space = booking.space
    zone = ZoneInfo(space.timezone)
    return changes.BookingChange(
        start_dt=datetime.combine(form.day.data, form.start_time.data, zone),
        end_dt=datetime.combine(form.day.data, form.end_time.data, zone),
        title=(form.title.data or "").strip(), is_public=bool(form.is_public.data),
        seats=(form.seats.data or 1) if space.is_pooled else 1,
        units=form.unit_numbers() if space.is_pooled else (),
        purpose=(form.purpose.data or "").strip(), attendees=form.attendees.data or 0,
    )


@bp.route("/<int:booking_id>/edit", methods=["GET", "POST"])
@login_required
def edit(booking_id: int) -> str | Response | tuple[str, int]:
    """Change the time, desks, title or public flag of a future booking; refusals keep the input."""
    booking = bookings.get_own_booking(current_user, booking_id)
    form = EditBookingForm(desks=desk_count(booking.space)) if request.method == "POST" else _filled(booking)
    page = {"booking": booking, "space": booking.space, "form": form}
    if not form.validate_on_submit():
        return render_template("bookings/edit.html", **page), 422 if form.is_submitted() else 200
    try:
        outcome = changes.change_booking(current_user, booking_id, _change(form, booking), locale=locale_code())
    except ServiceError as error:
        show_refusal(form, error)
        return render_template("bookings/edit.html", **page), error.status_code
    if not outcome.ok:
        form.form_errors.extend(conflict_message(c) for c in outcome.messages)
        taken = any(c.code in ("overlap", "capacity") for c in outcome.conflicts)
        return render_template("bookings/edit.html", **page), 409 if taken else 422
    if outcome.is_proposal:
        flash(_("Your change was sent to the staff. Your booking stays as it is until they approve it."), "success")
    else:
        flash(_("Your booking was changed."), "success")
    return redirect(url_for("bookings.detail", booking_id=booking_id))
