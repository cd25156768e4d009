"""The week grid's HTML, rendered once per distinct grid and kept in a bounded cache.

Rendering the 196 cells of a week through Jinja cost more than computing them
(cProfile of GET /spaces/studio?week=…: `templates/spaces/week.html:84(block_content)`
about half the request). The fragment is a pure function of what it reads: the grid
itself (days, rows, every cell's instants, state and free count), the space's slug,
name, time zone and kind, the week, the language and the script root the links start
with. All of them form the key, so a cached fragment is never stale: a booking, a
closure or the clock moving on changes a cell, hence the key. No wall-clock expiry.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date

from flask import render_template, request
from markupsafe import Markup

from booking.caches import BoundedCache
from booking.domain.grid import WeekGrid
from booking.models import Space
from booking.views.helpers import locale_code

MAX_CACHED_CHARACTERS = 32_000_000  # per worker process: about 400 fully rendered weeks


rendered: BoundedCache[Markup] = BoundedCache(MAX_CACHED_CHARACTERS, size=len)


def grid_key(grid: WeekGrid) -> Hashable:
    """Everything of a grid the fragment shows (`time` ignores `fold` in ==, so it is added)."""
    return (grid.days, tuple((at, at.fold) for at in grid.times), tuple(grid.cells.items()))


def grid_html(space: Space, grid: WeekGrid, monday: date) -> Markup:
    """The free starts per day and the week table of `grid` (templates/spaces/_grid.html)."""
    locale = locale_code()
    key = (locale, request.script_root, space.slug, space.name(locale), space.timezone, space.is_pooled,
           monday, grid_key(grid))
    found = rendered.get(key)
    if found is None:
        found = Markup(render_template("spaces/_grid.html", space=space, grid=grid, monday=monday))
        rendered.put(key, found)
    return found
