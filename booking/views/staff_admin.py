"""Staff management pages: spaces and their hours, closures, members, and the all-spaces calendar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.wrappers import Response

from booking.caches import BoundedCache, app_cache
from booking.db import utcnow
from booking.extensions import login_manager
from booking.forms_staff import (
    ROLE_LABELS,
    CancelHitForm,
    CancelMemberBookingsForm,
    ClosureForm,
    DeactivateForm,
    HolidayOpeningForm,
    HoursForm,
    RoleForm,
    SpaceForm,
    resolution_from,
)
from booking.services import NotFound, ServiceError, Stale, admin_members, admin_spaces, calendar, policy_changes
from booking.services.admin_spaces import InvalidInput
from booking.services.policy_changes import VictimsToResolve
from booking.views.helpers import error_message, locale_code, message, show_refusal, shown_at
from booking.views.params import day_arg, page_arg, text_arg
from booking.views.staff import staff_required

bp = Blueprint("staff_admin", __name__, url_prefix="/staff")
F = TypeVar("F", bound=Callable[..., Any])
MAX_PAGE = 100_000
Page = str | Response | tuple[str, int]


def admin_required(view: F) -> F:
    """Visitors are sent to sign in; members and staff get 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role != "admin":
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapped)


@bp.context_processor
def menu_helpers() -> dict[str, Any]:
    return {"role_label": ROLE_LABELS.get, "one_day": timedelta(days=1), "one_week": timedelta(weeks=1)}


def _refused(template: str, form: FlaskForm, **context: Any) -> tuple[str, int]:
    return render_template(template, form=form, **context), 422 if form.is_submitted() else 200


def _space_names() -> list[tuple[int, str]]:
    return [(s.id, s.name(locale_code())) for s in admin_spaces.list_spaces()]


@bp.get("/spaces")
@staff_required
def spaces() -> str:
    """Every space with its main policy and links to edit it."""
    return render_template("staff/spaces.html", spaces=admin_spaces.list_spaces())


@bp.route("/spaces/new", methods=["GET", "POST"])
@staff_required
def new_space() -> Page:
    """Create a space with its booking policy."""
    form = SpaceForm()
    if not form.validate_on_submit():
        return _refused("staff/space_form.html", form, space=None)
    try:
        space = admin_spaces.create_space(form.space_input())
    except InvalidInput as error:
        form.show_errors(error)
        return render_template("staff/space_form.html", form=form, space=None), 422
    flash(_("The space was created. Set its opening hours next: it is closed until then."), "success")
    return redirect(url_for("staff_admin.hours", space_id=space.id))


@bp.route("/spaces/<int:space_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_space(space_id: int) -> Page:
    """Change every policy field of a space."""
    space = admin_spaces.get_space(space_id)
    form = SpaceForm(obj=space)
    if not form.validate_on_submit():
        return _refused("staff/space_form.html", form, space=space)
    try:
        admin_spaces.update_space(current_user, space_id, form.space_input(), resolution_from(request.form))
    except VictimsToResolve as error:
        return _with_victims("staff/space_form.html", error, form=form, space=space)
    except InvalidInput as error:
        form.show_errors(error)
        return render_template("staff/space_form.html", form=form, space=space), 422
    flash(_("The space was saved."), "success")
    return redirect(url_for("staff_admin.spaces"))


def _with_victims(template: str, error: VictimsToResolve, **context: Any) -> tuple[str, int]:
    """The change's page again, listing the bookings it breaks with a choice for each."""
    return render_template(template, victims=policy_changes.victim_rows(error.victims),
                           victims_error=error_message(error),
                           victims_field_errors=error.field_errors, **context), error.status_code


def _hours_page(space: Any, form: HoursForm | None = None, holiday_form: HolidayOpeningForm | None = None,
                status: int = 200, victims: VictimsToResolve | None = None) -> tuple[str, int]:
    form = form or HoursForm(formdata=None, data=admin_spaces.hours_texts(space))
    holiday_form = holiday_form or HolidayOpeningForm(formdata=None)
    context = dict(space=space, form=form, holiday_form=holiday_form, openings=admin_spaces.holiday_openings(space),
                   holiday_name=admin_spaces.holiday_name)
    if victims is not None:
        return _with_victims("staff/hours.html", victims, **context)
    if status != 200:
        shown_at(url_for("staff_admin.hours", space_id=space.id))
    return render_template("staff/hours.html", **context), status


@bp.route("/spaces/<int:space_id>/hours", methods=["GET", "POST"])
@staff_required
def hours(space_id: int) -> Page:
    """Weekly opening hours (several periods a day) and the holidays the space opens anyway."""
    space = admin_spaces.get_space(space_id)
    form = HoursForm(data=admin_spaces.hours_texts(space))
    if not form.validate_on_submit():
        return _hours_page(space, form, status=422 if form.is_submitted() else 200)
    try:
        admin_spaces.set_opening_hours(current_user, space_id, form.texts(), resolution_from(request.form))
    except VictimsToResolve as error:
        return _hours_page(space, form, victims=error)
    except InvalidInput as error:
        form.show_errors(error)
        return _hours_page(space, form, status=422)
    flash(_("The opening hours were saved."), "success")
    return redirect(url_for("staff_admin.hours", space_id=space_id))


# One rule for both methods (an id the converter refuses is 404, not 405); GET: the address opened
# again after a refusal (reloaded, or the language switched) leads to the form's page.
@bp.route("/spaces/<int:space_id>/holidays", methods=["GET", "POST"])
@staff_required
def add_holiday_opening(space_id: int) -> Page:
    """Open the space on one national holiday."""
    if request.method == "GET":
        return redirect(url_for("staff_admin.hours", space_id=space_id))
    space = admin_spaces.get_space(space_id)
    form = HolidayOpeningForm()
    if not form.validate_on_submit():
        return _hours_page(space, holiday_form=form, status=422)
    try:
        admin_spaces.add_holiday_opening(space_id, form.day.data)
    except InvalidInput as error:
        form.day.errors = [message(m, p) for m, p in error.errors.values()]
        return _hours_page(space, holiday_form=form, status=422)
    flash(_("The space opens on that holiday."), "success")
    return redirect(url_for("staff_admin.hours", space_id=space_id))


@bp.route("/spaces/<int:space_id>/holidays/<int:opening_id>/delete", methods=["GET", "POST"])
@staff_required
def remove_holiday_opening(space_id: int, opening_id: int) -> Page:
    """Close the space again on that holiday, after saying what happens to the bookings on it."""
    if request.method == "GET":
        return redirect(url_for("staff_admin.hours", space_id=space_id))
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        admin_spaces.remove_holiday_opening(current_user, space_id, opening_id, resolution_from(request.form))
    except VictimsToResolve as error:
        shown_at(url_for("staff_admin.hours", space_id=space_id))
        return _with_victims("staff/holiday_removal.html", error, form=form,
                             space=admin_spaces.get_space(space_id))
    flash(_("The space is closed on that holiday again."), "success")
    return redirect(url_for("staff_admin.hours", space_id=space_id))


@bp.route("/closures", methods=["GET", "POST"])
@staff_required
def closures() -> Page:
    """Upcoming closures, and a form to add one for a space or for all."""
    form = ClosureForm(spaces=_space_names())
    context = dict(closures=admin_spaces.upcoming_closures(), spaces={s.id: s for s in admin_spaces.list_spaces()},
                   action_form=FlaskForm(formdata=None))
    if not form.validate_on_submit():
        return _refused("staff/closures.html", form, **context)
    try:
        closure = admin_spaces.add_closure(form.closure_input())
    except InvalidInput as error:
        form.show_errors(error)
        return render_template("staff/closures.html", form=form, **context), 422
    flash(_("The closure was added."), "success")
    return redirect(url_for("staff_admin.closure_bookings", closure_id=closure.id))


@bp.post("/closures/<int:closure_id>/delete")
@staff_required
def delete_closure(closure_id: int) -> Response:
    """Remove a closure."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    admin_spaces.delete_closure(closure_id)
    flash(_("The closure was removed."), "success")
    return redirect(url_for("staff_admin.closures"))


@bp.route("/closures/<int:closure_id>/bookings", methods=["GET", "POST"])
@staff_required
def closure_bookings(closure_id: int) -> Page:
    """The active bookings a closure hits: cancel the chosen ones with a message, or keep them."""
    closure = admin_spaces.get_closure(closure_id)
    hit = admin_spaces.bookings_hit(closure)
    form = CancelHitForm(booking_ids=[b.id for b in hit])
    context = dict(closure=closure, hit=hit, space=closure.space_id and admin_spaces.get_space(closure.space_id))
    if not form.validate_on_submit():
        return _refused("staff/closure_bookings.html", form, **context)
    try:
        report = admin_spaces.cancel_hit_bookings(current_user, closure_id, form.booking_ids.data, form.message.data)
    except (InvalidInput, Stale) as error:
        show_refusal(form, error)
        return render_template("staff/closure_bookings.html", form=form, **context), error.status_code
    flash(ngettext("%(count)s booking was cancelled; the members get your message.",
                   "%(count)s bookings were cancelled; the members get your message.",
                   len(report.cancelled), count=len(report.cancelled)),
          "success")
    if report.skipped:
        flash(ngettext("%(count)s booking had changed meanwhile and was left as it is.",
                       "%(count)s bookings had changed meanwhile and were left as they are.",
                       len(report.skipped), count=len(report.skipped)),
              "info")
    return redirect(url_for("staff_admin.closure_bookings", closure_id=closure_id))


@bp.get("/members")
@staff_required
def members() -> str:
    """Search members by name, e-mail or organisation."""
    query, page = text_arg("q"), page_arg("page", MAX_PAGE)
    return render_template("staff/members.html", body=members_html(query, admin_members.search_members(query, page)))


# Rendered member lists per app and worker, in characters (a list of 25 accounts is about 9,000).
MEMBER_LIST_CHARACTERS = 2_000_000


def members_html(query: str, result: admin_members.MemberPage) -> Markup:
    """The members list's content (menu, search form, the page of accounts, pager), rendered once per
    language, script root of its links, search words and page of rows read.

    The rows shown (every column the list shows) and the number found are in the key: a kept list
    is never stale, and nothing expires by the clock; it shows nothing of the viewer. Rendering the
    rows with their links was half the list's own time (profile line
    'templates/staff/members.html:28(block_content)').
    """
    key = (locale_code(), request.script_root, query, result)
    cache: BoundedCache[Markup] = app_cache("booking_member_lists", MEMBER_LIST_CHARACTERS, size=len)
    found = cache.get(key)
    if found is None:
        found = Markup(render_template("staff/_members_body.html", query=query, result=result))
        cache.put(key, found)
    return found


@bp.get("/members/<int:user_id>")
@staff_required
def member(user_id: int) -> str:
    """One account: details, future bookings, and (for admins) role and activation."""
    return _member_page(user_id)[0]


def _member_page(user_id: int, deactivate_form: DeactivateForm | None = None, status: int = 200,
                 template: str = "staff/member.html") -> tuple[str, int]:
    user = admin_members.get_member(user_id)
    return render_template(template, user=user, bookings=admin_members.future_bookings(user_id),
                           role_form=RoleForm(formdata=None, role=user.role), action_form=FlaskForm(formdata=None),
                           deactivate_form=deactivate_form or DeactivateForm(formdata=None)), status


@bp.post("/members/<int:user_id>/role")
@admin_required
def change_role(user_id: int) -> Response:
    """Make an account a member, staff or admin."""
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the roles."), "error")
        return redirect(url_for("staff_admin.member", user_id=user_id))
    _apply(lambda: admin_members.change_role(current_user, user_id, form.role.data), _("The role was changed."))
    return redirect(url_for("staff_admin.member", user_id=user_id))


@bp.post("/members/<int:user_id>/reactivate")
@admin_required
def set_enabled(user_id: int) -> Response:
    """Reactivate an account."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    _apply(lambda: admin_members.set_enabled(current_user, user_id, True), _("The account was reactivated."))
    return redirect(url_for("staff_admin.member", user_id=user_id))


@bp.route("/members/<int:user_id>/deactivate", methods=["GET", "POST"])
@admin_required
def deactivate(user_id: int) -> Response | tuple[str, int]:
    """GET: what deactivating does, with the choice for future bookings; POST: deactivate (and cancel them)."""
    if request.method == "GET":
        return _member_page(user_id, template="staff/deactivate.html")
    form = DeactivateForm()
    if not form.validate_on_submit():
        return _member_page(user_id, form, 422, template="staff/deactivate.html")
    try:
        report = admin_members.deactivate(current_user, user_id, bool(form.cancel_future.data), form.message.data or "")
    except InvalidInput as error:
        form.show_errors(error)
        return _member_page(user_id, form, 422)
    except ServiceError as error:
        if error.status_code in (403, 404):
            raise
        flash(error_message(error), "error")
        return redirect(url_for("staff_admin.member", user_id=user_id))
    flash(_("The account was deactivated; it can no longer sign in."), "success")
    if report.cancelled:
        flash(ngettext("%(count)s booking was cancelled; the member gets your message.",
                   "%(count)s bookings were cancelled; the member gets your message.",
                   len(report.cancelled), count=len(report.cancelled)),
              "success")
    if report.skipped:
        flash(ngettext("%(count)s booking had changed meanwhile and was left as it is.",
                       "%(count)s bookings had changed meanwhile and were left as they are.",
                       len(report.skipped), count=len(report.skipped)),
              "info")
    return redirect(url_for("staff_admin.member", user_id=user_id))


def _apply(change: Callable[[], object], done: str) -> None:
    try:
        change()
    except ServiceError as error:
        if error.status_code in (403, 404):
            raise
        flash(error_message(error), "error")
    else:
        flash(done, "success")


@bp.get("/attention")
@staff_required
def attention() -> str:
    """Future bookings of deactivated accounts, for staff to keep or cancel."""
    return _attention_page()[0]


def _attention_page(form: CancelMemberBookingsForm | None = None, user_id: int | None = None,
                    status: int = 200) -> tuple[str, int]:
    if status != 200:
        shown_at(url_for("staff_admin.attention"))
    if form is not None and user_id is not None:  # the message field of this member's form on the page
        form.message.id = f"message-{user_id}"
    by_member: dict[int, list[Any]] = {}
    for booking in admin_members.deactivated_members_bookings():
        by_member.setdefault(booking.user_id, []).append(booking)
    return render_template("staff/attention.html", groups=list(by_member.values()),
                           form=form or CancelMemberBookingsForm(formdata=None), failed_user_id=user_id), status


# One rule for both methods (an id the converter refuses is 404, not 405); GET: the address opened
# again after a refusal (reloaded, or the language switched) leads to the form's page.
@bp.route("/attention/members/<int:user_id>/cancel", methods=["GET", "POST"])
@staff_required
def cancel_member_bookings(user_id: int) -> Response | tuple[str, int]:
    """Cancel every future booking of a (deactivated) member, with a message to them."""
    if request.method == "GET":
        return redirect(url_for("staff_admin.attention"))
    form = CancelMemberBookingsForm()
    if not form.validate_on_submit():
        return _attention_page(form, user_id, 422)
    try:
        report = admin_members.cancel_future_bookings(current_user, user_id, form.message.data or "")
    except InvalidInput as error:
        form.show_errors(error)
        return _attention_page(form, user_id, 422)
    flash(ngettext("%(count)s booking was cancelled; the member gets your message.",
                   "%(count)s bookings were cancelled; the member gets your message.",
                   len(report.cancelled), count=len(report.cancelled)),
          "success")
    if report.skipped:
        flash(ngettext("%(count)s booking had changed meanwhile and was left as it is.",
                       "%(count)s bookings had changed meanwhile and were left as they are.",
                       len(report.skipped), count=len(report.skipped)),
              "info")
    return redirect(url_for("staff_admin.attention"))


# Rendered calendars per app and worker, in characters: about 100 fully booked desk day lists.
CALENDAR_CACHE_CHARACTERS = 16_000_000


def _calendar_cache() -> BoundedCache[Markup]:
    """This app's rendered calendars (per app, as the feed bodies are: its keys count on its database)."""
    return app_cache("booking_staff_calendars", CALENDAR_CACHE_CHARACTERS, size=len)


def calendar_html(scope: calendar.CalendarScope) -> Markup:
    """The calendar's content (menu, links, table), rendered once per distinct calendar.

    Keyed by the language, the script root of its links and `scope.key`, which holds all
    the calendar is made of (its bookings by the spaces' change counters): a kept calendar
    is never stale, and nothing expires by the clock. Rendering each booking's entry was
    most of the page (profile line 'templates/staff/_calendar_entry.html:25(macro)').
    """
    key = (locale_code(), request.script_root, scope.key)
    cache = _calendar_cache()
    found = cache.get(key)
    if found is None:
        if scope.is_week:
            found = Markup(render_template("staff/_calendar_week_body.html", cal=calendar.week_calendar_of(scope)))
        else:
            found = Markup(render_template("staff/_calendar_day_body.html", cal=calendar.day_calendar_of(scope)))
        cache.put(key, found)
    return found


@bp.get("/calendar")
@staff_required
def calendar_page() -> str:
    """Every space side by side for a day, or for a week with view=week; one space's day list with space=slug."""
    is_week = request.args.get("view") == "week" or "week" in request.args
    chosen, slug, now = day_arg("week") or day_arg("day"), text_arg("space", is_search=False) or None, utcnow()
    try:
        scope = calendar.calendar_scope(chosen, now, slug, is_week)
    except NotFound:
        flash(_("No space has the address name “%(value)s”, so every space is shown.", value=slug), "info")
        scope = calendar.calendar_scope(chosen, now, None, is_week)
    return render_template(f"staff/calendar_{'week' if is_week else 'day'}.html", day=scope.day,
                           body=calendar_html(scope))
