"""A page's body rendered once per distinct data and kept per app, the CSRF token filled in per request.

For pages whose body is a pure function of what the request reads anyway (the staff's attendee
list and door of an event): the caller gives a key holding all of it, and this adds the language
and the script root that the body's text and links depend on. A kept body is therefore never
stale, and nothing expires by the clock; the cache is bounded in characters, least recently
used out first. The one per-request value inside such a body is the forms' CSRF token: the
body is rendered with `CSRF_SLOT` where each form's hidden CSRF field goes, and each request
puts its own field (`csrf_input`, what `FlaskForm.hidden_tag()` renders) there.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable

from flask import request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from booking.caches import BoundedCache, app_cache
from booking.views.helpers import locale_code

# Characters no page text carries, with a per-process secret so that no text a person typed can pose as it.
CSRF_SLOT = Markup(f"\ue000{secrets.token_hex(8)}csrf\ue001")
_CSRF_INPUT = Markup('<input id="csrf_token" name="csrf_token" type="hidden" value="{}">')


def csrf_input() -> Markup:
    """The request's hidden CSRF field, as `FlaskForm.hidden_tag()` renders it for a form without other
    hidden fields (tests/events/running/test_kept_pages.py holds the two equal)."""
    return _CSRF_INPUT.format(generate_csrf())


def kept_body(cache_name: str, max_characters: int, key: Hashable, render: Callable[[Markup], str]) -> Markup:
    """The body for `key` in this request's language and script root, with this request's CSRF field.

    `render(csrf_field)` renders the body with `csrf_field` wherever a form's hidden CSRF field
    goes; it is called with `CSRF_SLOT` when the body is not kept yet. `key` must hold every
    value the body shows besides the language, the script root and the token. Each cache
    (`app.extensions[cache_name]`) keeps at most `max_characters` of bodies per app and worker.
    """
    cache: BoundedCache[tuple[str, ...]] = app_cache(cache_name, max_characters,
                                                     size=lambda parts: sum(map(len, parts)))
    full_key = (locale_code(), request.script_root, key)
    parts = cache.get(full_key)
    if parts is None:
        parts = tuple(render(CSRF_SLOT).split(CSRF_SLOT))
        cache.put(full_key, parts)
    if len(parts) == 1:
        return Markup(parts[0])
    return Markup(str(csrf_input()).join(parts))
