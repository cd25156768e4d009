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

# Each space's card (spaces/_card.html: availability at a glance and the policy in plain
# words) per worker, keyed by the locale, every column of the space and its availability
# (which holds the local date), so an edited space or a changed availability is rendered
# anew; nothing expires by the clock. Profile line removed: 'templates/spaces/index.html:28(block_content)'.
MAX_CACHED_CARDS = 512
card_html_cache: BoundedCache[Markup] = BoundedCache(MAX_CACHED_CARDS)


def card_html(space: Space, seen: spaces.Availability, settings: tuple[object, ...]) -> Markup:
    """spaces/_card.html for one space in the viewer's language, rendered once per space, locale and
    availability; `settings` stands for every column of the space (`spaces.Listing.keys`)."""
    key = (locale_code(), seen, settings)
    found = card_html_cache.get(key)
    if found is None:
        found = Markup(render_template("spaces/_card.html", space=space, seen=seen))
        card_html_cache.put(key, found)
    return found


# The policy in plain words (spaces/_policy.html) on a space's week page, per worker, keyed by the
# locale and every column of the space.
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
    listing, glance = spaces.spaces_at_a_glance(utcnow(), locale_code())
    return render_template("spaces/index.html", spaces=listing.spaces, glance=glance, settings=listing.keys,
                           card_html=card_html)


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
