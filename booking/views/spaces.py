"""A space's week grid and its booking form."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking.db import utcnow
from booking.domain.grid import neighbour_weeks
from booking.domain.wallclock import NonexistentTime, wall_instant
from booking.forms import BookingForm, booking_form, desk_count
from booking.models import Space
from booking.services import bookings, public_events, spaces
from booking.views.form_html import booking_form_body
from booking.views.helpers import conflict_message, locale_code
from booking.views.params import day_arg, suggested_instant_arg
from booking.views.week_grid import week_page

bp = Blueprint("spaces", __name__, url_prefix="/spaces")


@bp.get("/<slug>")
def week(slug: str) -> bytes | str:
    """Seven days of one space: from the day asked for (`?week=`), else from its first day with a free start."""
    read = spaces.read_space(slug)
    space, now = read.space, utcnow()
    today = now.astimezone(read.policy.zone).date()
    first = day_arg("week")  # None when none is asked, or it is no date (params.day_arg)
    glance = None if first is not None else spaces.availabilities([space], now, locale_code(), [read.policy])[space.id]
    if glance is not None:
        start = glance.next_start
        first = start.astimezone(read.policy.zone).date() if start is not None else glance.today
    assert first is not None
    viewer = current_user.id if current_user.is_authenticated else None
    kept = spaces.week_of(space, first, viewer, now, locale_code(), read.policy)
    events = public_events.upcoming_in(space, now) if kept.has_events else []
    return week_page(read, kept, first, neighbour_weeks(first, today), glance, events)


def _prefill(form: BookingForm, space: Space) -> None:
    start = suggested_instant_arg("start")
    if start is None:
        return
    fold = 1 if request.args.get("fold") == "1" else 0
    zone = ZoneInfo(space.timezone)
    try:
        start_dt = wall_instant(start.date(), start.time(), zone, fold)
    except NonexistentTime:
        return
    end = (start_dt + timedelta(minutes=space.min_minutes)).astimezone(zone)
    form.day.data, form.start_time.data, form.start_fold.data = start.date(), start.time(), fold
    form.end_time.data, form.end_fold.data = end.time().replace(fold=0), end.fold
    if end.date() != start.date():
        form.end_day.data = end.date()


def _booking_input(form: BookingForm, space: Space) -> bookings.BookingInput:
    start, end = form.instants()
    return bookings.BookingInput(
        space_id=space.id, start_dt=start, end_dt=end, title=form.title.data or "",
        seats=(form.seats.data or 1) if space.is_pooled else 1,
        purpose=form.purpose.data or "", attendees=form.attendees.data or 0,
        is_public=bool(form.is_public.data), submit_token=form.submit_token.data,
    )


@bp.route("/<slug>/book", methods=["GET", "POST"])
@login_required
def book(slug: str) -> str | Response | tuple[str, int]:
    """Request a booking; refusals come back as form errors with the input kept."""
    # A POST reads the space's row alone: its rules read the opening hours with the space under the write
    # lock (transactions.write_transaction), which expires what was read here (profile line
    # 'spaces.py(get_space)': seven opening periods joined and made ORM rows for nothing). A GET reads the
    # space as the week page does, plain rows and a shared read-only space built once per worker for them
    # (profile line 'booking/services/spaces.py:205(get_space_settings)': the ORM's loading of the row).
    space = spaces.get_space_settings(slug) if request.method == "POST" else spaces.read_space(slug).space
    if not current_user.is_verified:
        return render_template("bookings/verify_first.html"), 403
    form = booking_form(current_user.is_staff, zone=space.timezone, desks=desk_count(space))
    if request.method == "GET":
        _prefill(form, space)
    if not form.validate_on_submit():
        return render_template("bookings/form.html", space=space, form=form,
                               body=booking_form_body(form, space)), 422 if form.is_submitted() else 200
    # The member itself, not the proxy: the service reads its fields about 60 times (feed events, mails,
    # the values kept for the lock), each through Flask-Login's lookup (profile line 'flask_login/utils.py(_get_user)').
    outcome = bookings.request_booking(
        current_user._get_current_object(), _booking_input(form, space), locale=locale_code(),
        overrides=form.chosen_overrides(), override_reason=form.reason_text(),
    )
    if not outcome.ok:
        form.form_errors.extend(conflict_message(c) for c in outcome.messages)
        taken = any(c.code in ("overlap", "capacity") for c in outcome.conflicts)
        return render_template("bookings/form.html", space=space, form=form,
                               body=booking_form_body(form, space)), 409 if taken else 422
    assert outcome.booking is not None
    if outcome.is_repeat:
        flash(_("This form was already sent: here is the booking it made."), "info")
    elif outcome.booking.status == "pending":
        flash(_("Your request was sent. Staff will review it."), "success")
    else:
        flash(_("Your booking is confirmed."), "success")
    return redirect(url_for("bookings.detail", booking_id=outcome.booking.id))
