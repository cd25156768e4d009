"""Recurring series: the form, the preview with a checkbox per date, booking, and cancelling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking.domain.undo import UNDO_WINDOW
from booking.forms import desk_count
from booking.forms_series import (
    CancelSeriesForm,
    ChangeSeriesForm,
    DecideSeriesForm,
    SeriesForm,
    date_times_form,
    moved_dates,
)
from booking.models import Space
from booking.services import ServiceError, bookings, series, series_changes, spaces, undo
from booking.views.helpers import locale_code, show_refusal
from booking.views.series_groups import refusal_groups, table_items
from booking.views.staff import staff_required

bp = Blueprint("series", __name__, url_prefix="/series")


def _input(form: SeriesForm, space: Space) -> series.SeriesInput:
    """The series the form describes, with the dates given other times in the preview moved."""
    assert form.parsed_rule is not None
    start, end = form.start_time.data, form.end_time.data
    data = series.SeriesInput(
        space_id=space.id, title=(form.title.data or "").strip(), first_day=form.day.data,
        start_time=start, end_time=end, rule=form.parsed_rule, end_days=1 if end <= start else 0,
        seats=(form.seats.data or 1) if space.is_pooled else 1, purpose=form.purpose.data or "",
        attendees=form.attendees.data or 0, is_public=bool(form.is_public.data),
        submit_token=form.submit_token.data,
    )
    days = series.movable_days(data, space)
    form.times = date_times_form(days)
    return replace(data, moved=moved_dates(form.times, days, start, end))


def _render(space: Space, form: SeriesForm, items: Sequence[Any] | None, status: int,
            lost: bool = False) -> tuple[str, int]:
    if not hasattr(form, "times"):
        form.times = date_times_form([])
    groups = refusal_groups(items)
    return render_template("series/form.html", space=space, form=form, items=items, lost=lost,
                           rows=table_items(items, groups), refusal_groups=groups), status


def _preview(form: SeriesForm, space: Space, data: series.SeriesInput) -> tuple[str, int]:
    items = series.preview_series(current_user, data, locale=locale_code(), overrides=form.chosen_overrides(),
                                  override_reason=form.reason_text())
    form.dates.data = [i.day.isoformat() for i in items if i.is_free]
    return _render(space, form, items, 200)


def _days(values: list[str] | tuple[str, ...]) -> set[date]:
    chosen = set()
    for value in values:
        try:
            chosen.add(date.fromisoformat(value))
        except ValueError:
            continue  # not a date of this series: booking ignores it like any other
    return chosen


@bp.route("/<slug>/new", methods=["GET", "POST"])
@login_required
def new(slug: str) -> str | Response | tuple[str, int]:
    """Describe a series, preview every date (other times for single dates), then book the ticked ones."""
    space = spaces.get_space(slug)
    form = SeriesForm(can_override=current_user.is_staff, desks=desk_count(space))
    form.dates.choices = [(d, d) for d in request.form.getlist("dates")]
    if not form.validate_on_submit():
        return _render(space, form, None, 422 if form.is_submitted() else 200)
    data = _input(form, space)
    if "book" not in request.form:
        return _preview(form, space, data)
    chosen = _days(form.dates.data or ())
    if not chosen:
        form.form_errors.append(_("Choose at least one date to book."))
        return _render(space, form, None, 422)
    outcome = series.book_series(current_user, data, chosen, locale=locale_code(),
                                 overrides=form.chosen_overrides(), override_reason=form.reason_text())
    if outcome.is_repeat:
        flash(_("This form was already sent: the series it made is listed here."), "info")
        return redirect(url_for("bookings.mine"))
    lost = [i for i in outcome.items if i.booking is None]
    flash(ngettext("%(count)s date was booked.", "%(count)s dates were booked.", len(outcome.booked),
                   count=len(outcome.booked)), "success")
    if lost:
        return _render(space, form, lost, 409, lost=True)
    return redirect(url_for("bookings.mine"))


# One rule for both methods, as for single bookings: GET asks, POST cancels.
@bp.route("/cancel/<int:booking_id>", methods=["GET", "POST"])
@login_required
def cancel(booking_id: int) -> str | Response:
    """GET: the dates a scope would cancel and what follows; POST: cancel them (several dates for good)."""
    form = CancelSeriesForm(request.args) if request.method == "GET" else CancelSeriesForm()
    if form.scope.data not in {value for value, _label in form.scope.choices}:
        form.scope.data = "one"
    scope = series.Scope(form.scope.data)
    if request.method == "GET":
        booking = bookings.get_own_booking(current_user, booking_id)
        dates = series.occurrences_to_cancel(current_user, booking_id, scope)
        return render_template("series/cancel.html", booking=booking, dates=dates, form=form, scope=scope.value,
                               undo_minutes=int(UNDO_WINDOW.total_seconds() // 60),
                               can_undo=len(dates) == 1 and undo.can_undo_later(current_user, dates[0]))
    if not form.validate_on_submit():
        return redirect(url_for("bookings.detail", booking_id=booking_id))
    done = series.cancel_occurrences(current_user, booking_id, scope)
    # One date the member may undo: "My bookings" says it once, beside its undo button.
    if len(done) != 1 or not undo.can_undo_later(current_user, done[0]):
        flash(ngettext("%(count)s date was cancelled.", "%(count)s dates were cancelled.", len(done),
                       count=len(done)), "success")
    if len(done) > 1:
        flash(_("Dates cancelled together cannot be undone; the e-mail listing them is sent now."), "info")
    return redirect(url_for("bookings.mine"))


def _change(form: ChangeSeriesForm) -> series_changes.SeriesChange:
    start, end = form.start_time.data, form.end_time.data
    return series_changes.SeriesChange(start, end, form.title.data or "", end_days=1 if end <= start else 0)


@bp.route("/change/<int:booking_id>", methods=["GET", "POST"])
@login_required
def change(booking_id: int) -> str | Response | tuple[str, int]:
    """Change the time or title of this date and all following ones: preview, then confirm."""
    booking = bookings.get_own_booking(current_user, booking_id)
    form = ChangeSeriesForm(obj=booking) if request.method == "GET" else ChangeSeriesForm()
    if request.method == "GET":
        zone = ZoneInfo(booking.space.timezone)
        form.start_time.data = booking.start_dt.astimezone(zone).time()
        form.end_time.data = booking.end_dt.astimezone(zone).time()
    if not form.validate_on_submit():
        return render_template("series/change.html", booking=booking, form=form, items=None), (
            422 if form.is_submitted() else 200)
    if "confirm" not in request.form:
        items = series_changes.preview_change(current_user, booking_id, _change(form), locale=locale_code())
        return render_template("series/change.html", booking=booking, form=form, items=items), 200
    items = series_changes.change_following(current_user, booking_id, _change(form), locale=locale_code())
    kept = [i for i in items if i.conflicts]
    flash(ngettext("%(count)s date was changed.", "%(count)s dates were changed.", len(items) - len(kept),
                   count=len(items) - len(kept)), "success")
    if kept:
        return render_template("series/change.html", booking=booking, form=form, items=kept, done=True), 409
    return redirect(url_for("bookings.detail", booking_id=booking_id))


@bp.route("/<int:series_id>/decide", methods=["GET", "POST"])
@staff_required
def decide(series_id: int) -> str | Response:
    """Staff: approve some dates of a series (each re-checked) and reject the others with a note."""
    pending = series.pending_occurrences(current_user, series_id)
    if not pending:
        flash(_("No date of this series waits for a decision any more."), "info")
        return redirect(url_for("staff.requests"))
    form = DecideSeriesForm()
    form.approve.choices = [(b.id, b.id) for b in pending]
    if not form.validate_on_submit():
        return render_template("series/decide.html", form=form, pending=pending, series_id=series_id)
    approve = set() if "reject_all" in request.form else set(form.approve.data or ())
    try:
        decisions = series.decide_series(current_user, series_id, approve, form.note.data or "", locale=locale_code())
    except ServiceError as error:
        show_refusal(form, error)
        return render_template("series/decide.html", form=form, pending=pending, series_id=series_id)
    counts = {r: sum(d.result == r for d in decisions) for r in ("approved", "rejected", "refused")}
    flash(_("Approved %(approved)s, rejected %(rejected)s, could not approve %(refused)s.", **counts), "success")
    return redirect(url_for("staff.requests"))
