"""The member's account page: secret feed addresses, made and renewed here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from booking.models import FEED_KINDS
from booking.services import feed_tokens, spaces
from booking.urls import external_url

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


@bp.post("/feed-token")
@login_required
def renew_feed() -> Response:
    """Create or replace a secret feed address; the previous one stops working at once."""
    kind = request.form.get("kind", "")
    if not FlaskForm().validate_on_submit() or kind not in FEED_KINDS:
        abort(400)
    feed_tokens.renew_token(current_user, kind)
    flash(_("Your feed address is ready. Any previous address no longer works."), "success")
    return redirect(url_for("account.show") + ("#staff-feed" if kind == "staff" else "#my-feed"))
