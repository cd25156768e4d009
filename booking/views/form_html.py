"""The booking fields of a form not yet sent, rendered once per worker for the same values.

The fields (`_forms.html`'s `booking_fields`: title, date, times, desks, purpose, attendees,
public) were a fifth of the booking form's CPU (profile lines 'templates/_forms.html:12(macro)'
and 'wtforms/widgets/core.py:46(html_params)', 18 fields a page), the same for every member
who opens a space's form. What they show is a function of the key: the viewer's language, the
form's class and prefix, every column of the space (zone, grid step, desks), whether its zone
changes its clocks this year (the fold fields), and each field's value and raw input. Only a
form that was not submitted is kept: errors and what a member typed are rendered afresh. The
CSRF and submit tokens are outside the fields (`form.hidden_tag()`), fresh on every page.
"""

from __future__ import annotations

from typing import Any

from flask import get_template_attribute
from markupsafe import Markup
from wtforms import HiddenField

from booking.caches import BoundedCache
from booking.models import Space
from booking.services import spaces
from booking.views.helpers import locale_code

MAX_CACHED_FIELDS = 256
booking_fields_cache: BoundedCache[Markup] = BoundedCache(MAX_CACHED_FIELDS)


def _fields_key(form: Any, space: Space) -> tuple[object, ...]:
    # Hidden fields (the CSRF and submit tokens, new on every page) are form.hidden_tag()'s, not these.
    values = tuple((name, repr(field.data), repr(field.raw_data)) for name, field in form._fields.items()
                   if not isinstance(field, HiddenField))
    return (locale_code(), type(form), form._prefix, spaces.settings_of(space), form.has_clock_changes, values)


def booking_fields_html(form: Any, space: Space) -> Markup:
    """`booking_fields(form, space)` of `_forms.html`; kept per worker for a form not yet submitted."""
    macro = get_template_attribute("_forms.html", "booking_fields")
    if form.is_submitted() or form.errors:
        return Markup(macro(form, space))
    key = _fields_key(form, space)
    found = booking_fields_cache.get(key)
    if found is None:
        found = Markup(macro(form, space))
        booking_fields_cache.put(key, found)
    return found
