"""Register, verify the e-mail, sign in and out, forgotten passwords."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking.forms import ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm
from booking.limits import limited
from booking.services import accounts
from booking.views import second_factor, sessions
from booking.views.errors import render_error
from booking.views.helpers import error_message
from booking.views.redirects import safe_next

# Logout asks the browser to drop what it cached of signed-in pages (and any storage).
# Not "cookies": that would clear every cookie of the registrable domain, other sites
# of the same office included; the response itself replaces this site's cookies.
CLEAR_SITE_DATA = '"cache", "storage"'

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


@bp.route("/register", methods=["GET", "POST"])
@limited("register")
def register() -> str | Response | tuple[str, int]:
    """Sign up; the answer is the same whether or not the address already has an account."""
    form = RegisterForm(locale=session.get("locale", "ja"))
    if not form.validate_on_submit():
        return render_template("auth/register.html", form=form), 422 if form.is_submitted() else 200
    accounts.register(accounts.Registration(
        email=form.email.data or "", password=form.password.data or "",
        name=form.name.data or "", organisation=form.organisation.data or "",
        org_kind=form.org_kind.data, locale=form.locale.data,
    ))
    return redirect(url_for("auth.mail_sent", reason="register"))


@bp.get("/mail-sent/<any(register, reset):reason>")
def mail_sent(reason: str) -> str:
    """Tell the visitor to look in their mailbox."""
    return render_template("auth/mail_sent.html", reason=reason)


@bp.get("/verify/<token>")
def verify_email(token: str) -> Response | tuple[str, int]:
    """Open the link mailed at registration: the address is confirmed, booking opens."""
    if not accounts.verify_email(token):
        return render_error(400, _("This link does not work: it was already used, has expired, "
                                   "or a newer one was sent. Sign in to ask for a new one."),
                            next_step=(url_for("auth.login"), _("Sign in")))
    flash(_("Thank you: your e-mail address is confirmed. You can book now."), "success")
    return redirect(url_for("main.index") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@limited("sign_in")
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
        log.warning("failed sign-in for %r from %s (client %r)", (form.email.data or "")[:254],
                    request.remote_addr, request.user_agent.string[:200])
        form.form_errors.append(_("The e-mail address or the password is wrong."))
        return render_template("auth/login.html", form=form), 401
    if user.needs_totp and user.totp_secret:
        return second_factor.await_code(user, request.args.get("next"))
    sessions.start(user)
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Sign out here and in every other browser of this account."""
    accounts.sign_out_everywhere(current_user)
    sessions.finish()
    flash(_("You are signed out."), "info")
    response = redirect(url_for("main.index"))
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/password/forgot", methods=["GET", "POST"])
@limited("password_reset")
def forgot_password() -> str | Response | tuple[str, int]:
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot.html", form=form), 422 if form.is_submitted() else 200
    accounts.request_password_reset(form.email.data or "")
    return redirect(url_for("auth.mail_sent", reason="reset"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limited("anonymous_form")
def reset_password(token: str) -> str | Response | tuple[str, int]:
    """Choose a new password with the mailed link (once, before it expires)."""
    if not accounts.reset_link_works(token):
        return _dead_reset_link()
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/reset.html", form=form), 422 if form.is_submitted() else 200
    try:
        changed = accounts.reset_password(token, form.password.data or "")
    except accounts.WeakPassword as error:
        form.password.errors = [error_message(error)]
        return render_template("auth/reset.html", form=form), 422
    if not changed:
        return _dead_reset_link()
    sessions.finish()
    flash(_("Your password was changed. Please sign in with the new one."), "success")
    return redirect(url_for("auth.login"))


def _dead_reset_link() -> tuple[str, int]:
    return render_error(400, _("This reset link does not work: it was already used, has expired, "
                               "or a newer one was sent. Please ask for a new link."),
                        next_step=(url_for("auth.forgot_password"), _("Ask for a new link")))
