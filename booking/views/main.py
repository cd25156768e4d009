"""The front page and the language switch."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from booking.caches import BoundedCache
from booking.db import utcnow
from booking.models import Space
from booking.services import accounts, spaces
from booking.views.helpers import locale_code
from booking.views.redirects import safe_next

bp = Blueprint("main", __name__)

# A space's policy in plain words (spaces/_policy.html) per worker, keyed by the locale and
# every column of the space, so an edited space is rendered anew; nothing expires by the clock.
MAX_CACHED_POLICIES = 256
policy_html_cache: BoundedCache[Markup] = BoundedCache(MAX_CACHED_POLICIES)


def policy_html(space: Space) -> Markup:
    """spaces/_policy.html for one space in the viewer's language, rendered once per space and locale."""
    key = (locale_code(), *spaces.settings_of(space))
    found = policy_html_cache.get(key)
    if found is None:
        found = Markup(render_template("spaces/_policy.html", space=space))
        policy_html_cache.put(key, found)
    return found


@bp.get("/")
def index() -> str:
    """The spaces of the floor with their descriptions and today's and tomorrow's availability."""
    listed = spaces.list_spaces()
    glance = spaces.availabilities(listed, utcnow(), locale_code())
    return render_template("spaces/index.html", spaces=listed, glance=glance, policy_html=policy_html)


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
