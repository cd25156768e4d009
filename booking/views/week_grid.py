"""A space's week page, rendered once per distinct page and kept in a bounded cache, with the
parts that differ per request filled in.

Rendering the page cost most of a request once its data was read (cProfile of GET
/spaces/studio?week=…, signed in: 'flask/templating.py:139(render_template)' with the
layout around the grid, 'templates/base.html:4(root)'). The page is a pure function of
what it reads: the space's row and opening hours, the week's grid (whose key,
`services.spaces.KeptWeek.key`, holds the rows the grid is made of, the space's change
counter standing for its holds, and which of its starts the clock lets through), the
week, the glance at its first free time, the language, the script root its links start
with, the BASE_URL of the feed's address, and whether the viewer is signed in and staff.
All of them form the key, so a kept page is never stale: a booking, a closure, an edit
of the space or the clock passing a slot's boundary changes the key. No wall-clock expiry.

What differs per request is left out of the kept page as slots, filled in on each GET:
the CSRF token, the signed-in person's name, the address the language switch returns
to, and the space's public events not yet ended (their seats left change with every
registration: rendered on each request, read only when there are some). The layout is
rendered with stand-ins for `current_user` and `request` that know only those values
and refuse any other: a layout that starts to show something else of either fails
loudly instead of showing the first viewer's value to the next. A page with a message
to flash is rendered as it is, not kept.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

from flask import render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from booking.caches import BoundedCache
from booking.models import PublicEvent
from booking.services.spaces import Availability, KeptWeek, SpaceRead
from booking.urls import base_url
from booking.views.helpers import locale_code
from booking.views.main import policy_html

# Per worker process: about 500 fully rendered desk weeks (60 kB each), more studio weeks.
MAX_CACHED_BYTES = 32_000_000

# A slot in a kept page: characters no page text carries, with a per-process secret so that no
# text a person typed can pose as one.
_SECRET = secrets.token_hex(8)
_SLOT = re.compile("\ue000" + _SECRET + r"([a-z]+)\ue001")


def _slot(name: str) -> Markup:
    return Markup(f"\ue000{_SECRET}{name}\ue001")


# Kept as UTF-8 bytes: encoding a 60 kB page of Japanese text on every GET cost about a third of a
# millisecond (profile line "{method 'encode' of 'str' objects}" under werkzeug's response).
pages: BoundedCache[tuple[bytes | str, ...]] = BoundedCache(
    MAX_CACHED_BYTES, size=lambda parts: sum(map(len, parts)))


class _StandIn:
    """Stands in for `current_user` or `request` while a kept page is rendered: the values given
    and nothing else (an AttributeError would render as empty text, so anything else raises)."""

    def __init__(self, what: str, **known: object) -> None:
        self.__dict__.update(known, _what=what)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise RuntimeError(f"the kept week page does not know {self._what}.{name}: make it a slot or part of the key")


def week_page(read: SpaceRead, week: KeptWeek, first: date, steps: tuple[date | None, date],
              glance: Availability | None, events: list[PublicEvent]) -> bytes | str:
    """spaces/week.html for this request: kept per distinct page, per-request parts filled in.

    `first` is the first of the seven days shown; `steps` the first days of the seven days
    before (None: none offered) and after (`domain.grid.neighbour_weeks`).
    """
    events_html = Markup(render_template("spaces/_events.html", events=events)) if events else Markup("")
    if "_flashes" in session:
        return _render(read, week, first, steps, glance, events_html)
    is_signed_in = bool(current_user.is_authenticated)
    is_staff = is_signed_in and bool(current_user.is_staff)
    # The steps are part of the key: the one back depends on today, not only on the first day shown.
    key = (locale_code(), request.script_root, base_url(), read.key, first, steps, week.key, glance, is_signed_in,
           is_staff)
    parts = pages.get(key)
    if parts is None:
        viewer = _StandIn("current_user", is_authenticated=is_signed_in, is_staff=is_staff, name=_slot("name"))
        page = _render(read, week, first, steps, glance, _slot("events"), current_user=viewer,
                       request=_StandIn("request", full_path=_slot("next")), csrf_token=lambda: _slot("csrf"))
        # Text between slots as bytes, slot names (every second part) as they are.
        parts = tuple(part if n % 2 else part.encode() for n, part in enumerate(_SLOT.split(page)))
        pages.put(key, parts)
    values = {"csrf": escape(generate_csrf()), "next": escape(request.full_path), "events": events_html,
              "name": escape(current_user.name) if is_signed_in else ""}
    return b"".join(values[part].encode() if isinstance(part, str) else part for part in parts)


def _render(read: SpaceRead, week: KeptWeek, first: date, steps: tuple[date | None, date],
            glance: Availability | None, events_html: Markup, **layout: object) -> str:
    grid = week.grid
    return render_template("spaces/week.html", space=read.space, grid=grid, first=first, last=grid.days[-1],
                           previous=steps[0], following=steps[1], glance=glance, events_html=events_html,
                           policy_html=policy_html, **layout)
