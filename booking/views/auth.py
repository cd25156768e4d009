"""Register, log in, log out."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from booking.forms import LoginForm, RegisterForm
from booking.services import accounts
from booking.views.main import _safe_next

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
    login_user(user)
    flash(_("Welcome! Your account is ready."), "success")
    return redirect(url_for("main.index"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """Sign in with e-mail and password."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422 if form.is_submitted() else 200
    try:
        user = accounts.authenticate(form.email.data or "", form.password.data or "")
    except accounts.AccountDeactivated as error:
        contact = current_app.config.get("STAFF_CONTACT") or _("the floor's reception desk")
        form.form_errors.append(_(error.message, contact=contact))
        return render_template("auth/login.html", form=form), error.status_code
    if user is None:
        form.form_errors.append(_("The e-mail address or the password is wrong."))
        return render_template("auth/login.html", form=form), 401
    login_user(user)
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Sign out."""
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))
