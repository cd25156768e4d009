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

from flask import get_template_attribute, render_template, request
from markupsafe import Markup
from wtforms import HiddenField

from booking.caches import BoundedCache, app_cache
from booking.models import Space
from booking.services import spaces
from booking.views.helpers import locale_code
from booking.views.kept import CSRF_SLOT, csrf_input

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


# The whole content of a booking form not yet sent (templates/bookings/_form_body.html), kept per app by
# the fields' key, whether it has the staff's override fields and the script root; its hidden fields
# (the submit and CSRF tokens, new on every page) filled in per request. Rendering it on every GET was
# profile line 'templates/bookings/form.html:40(block_content)' with 'flask_wtf/form.py:88(hidden_tag)'
# (WTForms' widgets for two hidden inputs) and eight gettext calls under it: a sixth of the page.
MAX_KEPT_FORM_BODIES = 256
_HIDDEN_INPUT = Markup('<input id="{}" name="{}" type="hidden" value="{}">')


def hidden_fields(form: Any) -> Markup:
    """`form.hidden_tag()` of a booking form: its submit token, then its CSRF field (tests hold the two equal)."""
    token = form.submit_token
    return Markup("\n").join((_HIDDEN_INPUT.format(token.id, token.name, token._value()), csrf_input()))


def booking_form_body(form: Any, space: Space) -> Markup:
    """The booking form's content for this request; kept per app while the form is not submitted."""
    if form.is_submitted() or form.errors or form.form_errors:
        return Markup(render_template("bookings/_form_body.html", form=form, space=space, hidden=form.hidden_tag(),
                                      booking_fields_html=booking_fields_html))
    cache: BoundedCache[tuple[str, ...]] = app_cache("booking_form_bodies", MAX_KEPT_FORM_BODIES)
    key = (_fields_key(form, space), bool(form.can_override), request.script_root)
    parts = cache.get(key)
    if parts is None:
        parts = tuple(render_template("bookings/_form_body.html", form=form, space=space, hidden=CSRF_SLOT,
                                      booking_fields_html=booking_fields_html).split(CSRF_SLOT))
        cache.put(key, parts)
    return Markup(str(hidden_fields(form)).join(parts))
