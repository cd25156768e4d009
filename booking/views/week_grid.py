"""The week grid's HTML with its week links, legend and subscribe links, rendered once per
distinct grid and kept in a bounded cache.

Rendering the 196 cells of a week through Jinja cost more than computing them
(cProfile of GET /spaces/studio?week=…: `templates/spaces/week.html:84(block_content)`
about half the request). The fragment is a pure function of what it reads: the grid
(whose key, `services.spaces.KeptWeek.key`, holds the data the grid is made of and
which of its slots the time window lets through), the space's slug, name, time zone
and kind, the week, the language, the script root the links start with and the
BASE_URL of the feed's address. All of them form the key, so a cached fragment is
never stale: a booking, a closure or the clock moving on changes a cell, hence the
key. No wall-clock expiry.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import render_template, request
from markupsafe import Markup

from booking.caches import BoundedCache
from booking.models import Space
from booking.services.spaces import KeptWeek
from booking.urls import base_url
from booking.views.helpers import locale_code

MAX_CACHED_CHARACTERS = 32_000_000  # per worker process: about 400 fully rendered weeks


rendered: BoundedCache[Markup] = BoundedCache(MAX_CACHED_CHARACTERS, size=len)


def week_html(space: Space, week: KeptWeek, monday: date) -> Markup:
    """The week links, legend, free starts per day, week table and feed links of `week`
    (templates/spaces/_week_body.html)."""
    locale = locale_code()
    # Keyed by the grid's data, not by its 196 cells (hashing them twice a request was most of
    # the profile line 'booking/views/week_grid.py:36(grid_html)'), so a kept fragment needs no grid built.
    key = (locale, request.script_root, base_url(), space.slug, space.name(locale), space.timezone,
           space.is_pooled, monday, week.key)
    found = rendered.get(key)
    if found is None:
        found = Markup(render_template("spaces/_week_body.html", space=space, grid=week.grid, monday=monday,
                                       previous=monday - timedelta(days=7), following=monday + timedelta(days=7)))
        rendered.put(key, found)
    return found
