"""The admins' second factor: the code after the password, and setting up an authenticator."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking.forms import OneTimeCodeForm, ReplaceAuthenticatorForm
from booking.limits import limited
from booking.models import User
from booking.services import second_factor
from booking.views import sessions
from booking.views.redirects import safe_next

bp = Blueprint("second_factor", __name__)

PENDING_USER, PENDING_AT, PENDING_NEXT, ENROL_SECRET = "totp_user_id", "totp_at", "totp_next", "totp_enrol_secret"
PENDING_SECONDS = 300  # the password step is good for five minutes
# What an admin without an authenticator may still open: setting one up, and leaving.
OPEN_BEFORE_ENROLMENT = {"second_factor.enrol", "auth.login", "auth.logout", "main.set_language", "static"}


def await_code(user: User, next_url: str | None) -> Response:
    """After the right password: remember who is half signed in, and ask for the code."""
    session[PENDING_USER], session[PENDING_AT] = user.id, int(time.time())
    session[PENDING_NEXT] = next_url or ""
    return redirect(url_for("second_factor.code"))


def _pending_user_id() -> int | None:
    user_id, since = session.get(PENDING_USER), session.get(PENDING_AT)
    if not isinstance(user_id, int) or not isinstance(since, int) or time.time() - since > PENDING_SECONDS:
        return None
    return user_id


@bp.route("/login/code", methods=["GET", "POST"])
@limited("second_factor")
def code() -> str | Response | tuple[str, int]:
    """The second step of an admin's sign-in: a code from the authenticator app, or a recovery code."""
    user_id = _pending_user_id()
    if user_id is None:
        return redirect(url_for("auth.login"))
    form = OneTimeCodeForm()
    if not form.validate_on_submit():
        return render_template("auth/code.html", form=form), 422 if form.is_submitted() else 200
    user = second_factor.check(user_id, form.code.data or "", time.time())
    if user is None:
        form.code.errors = [_("This code is not right, or was already used. Wait for the next code and try again.")]
        return render_template("auth/code.html", form=form), 401
    next_url = session.get(PENDING_NEXT)
    sessions.start(user)  # a fresh session: the half-signed-in state goes with the old one
    return redirect(safe_next(next_url))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def enrol() -> str | Response | tuple[str, int]:
    """Set up (or, with the password and a current code, replace) the authenticator app."""
    secret = session.get(ENROL_SECRET) or second_factor.new_secret()
    session[ENROL_SECRET] = secret
    form = ReplaceAuthenticatorForm() if current_user.totp_secret else OneTimeCodeForm()
    uri = second_factor.enrolment_uri(secret, current_user.email)
    page = {"form": form, "secret": secret, "qr": second_factor.qr_code(uri),
            "left": second_factor.recovery_codes_left(current_user) if current_user.totp_secret else None}
    if not form.validate_on_submit():
        return render_template("account/two_factor.html", **page), 422 if form.is_submitted() else 200
    try:
        proof = form if isinstance(form, ReplaceAuthenticatorForm) else None
        codes = second_factor.enrol(current_user, secret, form.code.data or "", time.time(),
                                    current_code=(proof.current_code.data or "") if proof else "",
                                    password=(proof.password.data or "") if proof else "")
    except second_factor.WrongCode as error:
        form[error.field].errors = [_(error.message)]
        return render_template("account/two_factor.html", **page), 422
    session.pop(ENROL_SECRET, None)
    return render_template("account/recovery_codes.html", codes=codes)


def require_enrolment() -> Response | None:
    """Before each request: an admin without an authenticator is sent to set one up."""
    if not current_user.is_authenticated or not current_user.needs_totp or current_user.totp_secret:
        return None
    if request.endpoint in OPEN_BEFORE_ENROLMENT:
        return None
    flash(_("Admins sign in with a code from an authenticator app as well. Please set one up now."), "info")
    return redirect(url_for("second_factor.enrol"))


def register(app: Flask) -> None:
    app.before_request(require_enrolment)
