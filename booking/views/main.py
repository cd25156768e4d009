"""The front page and the language switch."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session
from flask_login import current_user
from werkzeug.wrappers import Response

from booking.services import accounts, spaces
from booking.views.redirects import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    """The spaces of the floor with their descriptions."""
    return render_template("spaces/index.html", spaces=spaces.list_spaces())


@bp.post("/language")
def set_language() -> Response:
    """Switch the interface language (remembered for signed-in members)."""
    locale = request.form.get("locale", "ja")
    if locale not in ("ja", "en"):
        locale = "ja"
    session["locale"] = locale
    if current_user.is_authenticated:
        accounts.set_locale(current_user, locale)
    return redirect(safe_next(request.form.get("next")))
