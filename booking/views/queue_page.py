"""The approval queue's requests, rendered once per data version and kept, with the parts that
differ per request filled in.

Profile of GET /staff/requests (212 waiting requests, cProfile, SQLite): about 40 % in
'booking/services/staff.py:191(approval_queue_page)' (every waiting booking's ids and times,
their deadlines, the page's entries and rivals) and 45 % in 'templates/staff/requests.html:53(block_content)'
(ten cards with their decision forms, 'jinja2/runtime.py:262(call)' of the row macros,
'flask_babel/__init__.py:447(format_timedelta)'). Both are pure functions of the data:

- the bookings, their holds and trail, the members and the spaces, read as one version
  (booking.services.queue_version.queue_version);
- the page asked for, the language and the script root its links start with;
- which requests' deadlines have passed by now (a request past its deadline has expired, even
  before the expiry job writes it, and leaves the queue: its count, its pages and its cards) and
  which of the page's bookings have started: the kept rendering records those instants (every
  waiting request's deadline and the page's starts) and how many had passed, and is used only
  while the same number has passed, so the clock enters through the next boundary it crosses,
  never as a time to live.

What differs per request is left out as slots, filled in on each GET: the CSRF token of the
decision forms, and the "… left" and "Waiting for …" durations, formatted through a table keyed
by the language and the unit and number Babel shows (`shown_duration`), not by the clock.
"""

from __future__ import annotations

import re
import secrets
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.dates import TIMEDELTA_UNITS
from flask import render_template, request
from flask_babel import format_timedelta
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from booking.caches import BoundedCache, app_cache
from booking.dates import format_duration
from booking.db import utcnow
from booking.services import series, staff
from booking.services.queue_version import queue_version
from booking.services.spaces import Listing
from booking.views.helpers import locale_code

# Per app (each app has its own database): a page of the queue is about 15 kB.
MAX_CACHED_BYTES = 4_000_000
MAX_CACHED_DURATIONS = 2_000  # (language, unit, number): a few hundred ever occur
# Babel's defaults, as the `timedeltaformat` filter uses them.
_THRESHOLD = 0.85
_GRANULARITY = "second"

# A slot in a kept page: characters no page text carries, with a per-process secret so that no
# text a person typed can pose as one (as in booking.views.week_grid).
_SECRET = secrets.token_hex(8)
_SLOT = re.compile("\ue000" + _SECRET + r"([a-z]+[0-9]*)\ue001")


def _slot(name: str) -> Markup:
    return Markup(f"\ue000{_SECRET}{name}\ue001")


@dataclass(frozen=True)
class KeptQueue:
    """A rendered queue page: `parts` alternate text and slot names; `instants` are the POSIX seconds
    the `u<n>`/`s<n>` slots count to or from; `boundaries` the sorted instants (UTC) at which the page
    changes (the deadlines of every waiting request, the starts of the page's bookings), of which
    `passed` had passed when it was rendered."""

    parts: tuple[str, ...]
    instants: tuple[float, ...]
    boundaries: tuple[datetime, ...]
    passed: int

    def size(self) -> int:
        # The boundaries are one instant per waiting request (a few hundred): counted like 64 characters each.
        return sum(map(len, self.parts)) + 64 * len(self.boundaries)


def queue_html(number: int, listing: Callable[[], Listing],
               hidden_tags: Callable[[], tuple[Markup, Markup, Markup]]) -> Markup:
    """templates/staff/_queue.html (the queue page's content) for page `number` of the approval queue
    (clamped as staff.approval_queue_page clamps it), kept per data version. `listing` reads the
    spaces (spaces.listed_spaces), `hidden_tags` makes the reject, decline-change and series forms'
    hidden fields: both are called only when the page is rendered."""
    now = utcnow()
    version = queue_version()
    key = (locale_code(), request.script_root, number, version)
    pages: BoundedCache[KeptQueue] = app_cache("booking_kept_queues", MAX_CACHED_BYTES, KeptQueue.size)
    kept = pages.get(key)
    if not isinstance(kept, KeptQueue) or kept.passed != bisect_right(kept.boundaries, now):
        kept = _render(number, now, listing(), version.proposals, hidden_tags)
        if queue_version() == version:  # kept only if nothing changed while it was rendered
            pages.put(key, kept)
    return Markup("".join(_fill(kept, now)))


def _render(number: int, now: datetime, listing: Listing, proposals: int,
            hidden_tags: Callable[[], tuple[Markup, Markup, Markup]]) -> KeptQueue:
    page = staff.approval_queue_page(number, now=now)
    instants: list[float] = []

    def counted(kind: str) -> Callable[[datetime], Markup]:
        def slot(instant: datetime) -> Markup:
            instants.append(instant.timestamp())
            return _slot(f"{kind}{len(instants) - 1}")
        return slot

    hidden, decline_hidden, series_hidden = hidden_tags()
    html = render_template("staff/_queue.html", queue=series.grouped_queue(page.entries), page=page,
                           back_page=page.number if page.number > 1 else None, now=now, until=counted("u"),
                           since=counted("s"), hidden=hidden, decline_hidden=decline_hidden,
                           series_hidden=series_hidden, spaces=listing.spaces, event_proposal_count=lambda: proposals)
    html = html.replace(generate_csrf(), _slot("csrf"))
    boundaries = tuple(sorted((*page.deadlines, *(entry.booking.start_dt for entry in page.entries))))
    return KeptQueue(tuple(_SLOT.split(html)), tuple(instants), boundaries, bisect_right(boundaries, now))


def _fill(kept: KeptQueue, now: datetime) -> list[str]:
    language, moment, token = locale_code(), now.timestamp(), str(escape(generate_csrf()))
    texts: BoundedCache[object] = app_cache("booking_duration_texts", MAX_CACHED_DURATIONS)
    filled = list(kept.parts)
    for n in range(1, len(filled), 2):
        name = filled[n]
        if name == "csrf":
            filled[n] = token
        else:
            instant = kept.instants[int(name[1:])]
            seconds = instant - moment if name[0] == "u" else moment - instant
            filled[n] = str(escape(_shown_duration(texts, language, max(0.0, seconds))))
    return filled


def duration_shown(seconds: float) -> tuple[str, int]:
    """The unit and the number Babel's format_timedelta shows for `seconds` (≥ 0) at the
    `timedeltaformat` filter's threshold and granularity: its text is a function of these and
    the language only (babel.dates.format_timedelta picks the first unit whose count reaches
    the threshold, and rounds)."""
    for unit, seconds_per_unit in TIMEDELTA_UNITS:
        value = seconds / seconds_per_unit
        if value >= _THRESHOLD or unit == _GRANULARITY:
            if unit == _GRANULARITY and value > 0:
                value = max(1, value)
            return unit, int(round(value))
    raise AssertionError("the granularity is one of the units")


def shown_duration(language: str, seconds: float) -> str:
    """`timedelta(seconds=seconds) | timedeltaformat` in the request's language (`language`; `seconds` ≥ 0),
    formatted once per (language, unit, number) and kept per app."""
    return _shown_duration(app_cache("booking_duration_texts", MAX_CACHED_DURATIONS), language, seconds)


def _shown_duration(texts: BoundedCache[object], language: str, seconds: float) -> str:
    delta = timedelta(seconds=seconds)
    key = (language, *duration_shown(delta.total_seconds()))
    text = texts.get(key)
    if not isinstance(text, str):
        text = _duration_text(language, *key[1:], delta)
        texts.put(key, text)
    return text


# Babel's rounded units that are whole minutes: written as every length is (booking.dates.format_duration).
_UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 24 * 60}


def _duration_text(language: str, unit: str, number: int, delta: timedelta) -> str:
    """5時間 / 5 h, 2日 / 2 days (format_duration); seconds, weeks and beyond as Babel words them,
    a number glued to its Japanese counter (2週間, never 2 週間: glossary.toml [punctuation])."""
    if unit in _UNIT_MINUTES:
        return format_duration(number * _UNIT_MINUTES[unit], language)
    text = format_timedelta(delta)
    return re.sub(r"(\d) (?=[^\x00-\x7f])", r"\1", text) if language == "ja" else text
