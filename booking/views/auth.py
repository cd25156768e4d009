"""Register, log in, log out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking.forms import LoginForm, RegisterForm
from booking.services import accounts
from booking.views import sessions
from booking.views.redirects import safe_next

# Logout asks the browser to drop what it cached of signed-in pages (and any storage).
# Not "cookies": that would clear every cookie of the registrable domain, other sites
# of the same office included; the response itself replaces this site's cookies.
CLEAR_SITE_DATA = '"cache", "storage"'

bp = Blueprint("auth", __name__)


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response | tuple[str, int]:
    """Create a member account and sign in."""
    form = RegisterForm(locale=session.get("locale", "ja"))
    if not form.validate_on_submit():
        return render_template("auth/register.html", form=form), 422 if form.is_submitted() else 200
    try:
        user = accounts.register(accounts.Registration(
            email=form.email.data or "", password=form.password.data or "",
            name=form.name.data or "", organisation=form.organisation.data or "",
            org_kind=form.org_kind.data, locale=form.locale.data,
        ))
    except accounts.EmailTaken as error:
        form.email.errors = [_(error.message)]
        return render_template("auth/register.html", form=form), 409
    sessions.begin(user)
    flash(_("Welcome! Your account is ready."), "success")
    return redirect(url_for("main.index"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """Sign in with e-mail and password."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422 if form.is_submitted() else 200
    user = accounts.authenticate(form.email.data or "", form.password.data or "")
    if user is None:
        form.form_errors.append(_("The e-mail address or the password is wrong."))
        return render_template("auth/login.html", form=form), 401
    sessions.begin(user)
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Sign out here and in every other browser of this account."""
    accounts.sign_out_everywhere(current_user)
    sessions.end()
    flash(_("You are signed out."), "info")
    response = redirect(url_for("main.index"))
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response
