"""The front page and the language switch."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session
from flask_login import current_user
from werkzeug.wrappers import Response

from booking.db import utcnow
from booking.services import accounts, spaces
from booking.views.helpers import locale_code
from booking.views.redirects import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    """The spaces of the floor with their descriptions and today's and tomorrow's availability."""
    listed = spaces.list_spaces()
    glance = spaces.availabilities(listed, utcnow(), locale_code())
    return render_template("spaces/index.html", spaces=listed, glance=glance)


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
