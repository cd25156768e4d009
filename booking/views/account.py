"""The member's account page: secret feed addresses, made and renewed here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from booking.forms import ChangePasswordForm
from booking.limits import limited
from booking.models import FEED_KINDS
from booking.services import accounts, feed_tokens, spaces
from booking.urls import external_url
from booking.views import sessions

bp = Blueprint("account", __name__, url_prefix="/account")


def _links(tokens: dict[str, str | None]) -> dict[str, Any]:
    member, staff = tokens.get("member"), tokens.get("staff")
    links: dict[str, Any] = {
        "member": external_url("feeds.member", token=member) if member else None,
        "staff": external_url("feeds.staff_all", token=staff) if staff else None,
        "staff_spaces": [],
    }
    if staff:
        links["staff_spaces"] = [
            {"space": s, "url": external_url("feeds.staff_space", token=staff, slug=s.slug)}
            for s in spaces.list_spaces()
        ]
    return links


@bp.get("")
@login_required
def show() -> str:
    """The signed-in member's account and their calendar feed addresses."""
    links = _links(feed_tokens.tokens_of(current_user))
    return render_template("account/show.html", links=links, form=FlaskForm())


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response | tuple[str, int]:
    """Change the password; the current one is required."""
    form = ChangePasswordForm()
    form.known_words = (current_user.email, current_user.name)
    if not form.validate_on_submit():
        return render_template("account/password.html", form=form), 422 if form.is_submitted() else 200
    try:
        accounts.change_password(current_user, form.current.data or "", form.password.data or "")
    except accounts.WrongPassword as error:
        form.current.errors = [_(error.message)]
        return render_template("account/password.html", form=form), 422
    sessions.start(current_user._get_current_object())  # every other session ended with the change
    flash(_("Your password was changed. Every other browser was signed out."), "success")
    return redirect(url_for("account.show"))


@bp.post("/verify")
@login_required
@limited("account_mail")
def resend_verification() -> Response:
    """Send the e-mail verification link again."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    accounts.resend_verification(current_user)
    flash(_("We sent a new link to %(email)s. Links sent before no longer work.", email=current_user.email), "success")
    return redirect(url_for("account.show"))


@bp.post("/feed-token")
@login_required
def renew_feed() -> Response:
    """Create or replace a secret feed address; the previous one stops working at once."""
    kind = request.form.get("kind", "")
    if not FlaskForm().validate_on_submit() or kind not in FEED_KINDS:
        abort(400)
    had_one = feed_tokens.current_token(current_user, kind) is not None
    feed_tokens.renew_token(current_user, kind)
    if had_one:
        flash(_("Your new feed address is ready. The previous address no longer works."), "success")
    else:
        flash(_("Your feed address is ready."), "success")
    return redirect(url_for("account.show") + ("#staff-feed" if kind == "staff" else "#my-feed"))
