"""The error summary at the top of a page after a failed submit (templates/_error_summary.html).

Every form of a page that comes back with errors is found in the template's context, whatever
its name, and its errors are listed in the order their fields appear on the page: the summary
is drawn after the content, and each field's place is where its `id="…"` is in that markup
(errors of no field, such as a refused rule, come first). An error of no field is said here
only: the summary is the one place for it (templates/_forms.html has no box repeating it). A series
preview's refused dates are there too, one line per refusal (booking/views/series_groups.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any

from flask_babel import gettext as _
from jinja2 import pass_context
from jinja2.runtime import Context
from wtforms import Form


@dataclass(frozen=True)
class SummaryItem:
    """One line of the summary; `not_booked`: a rule's refusal of a new booking (the form's `says_not_booked`),
    which gives the summary its heading "This could not be booked"."""

    message: str
    anchor: str = ""
    label: str = ""
    not_booked: bool = False


def _messages(errors: Any) -> Iterator[str]:
    if isinstance(errors, Mapping):
        for nested in errors.values():
            yield from _messages(nested)
    elif isinstance(errors, list | tuple):
        for error in errors:
            yield from _messages(error)
    else:
        yield str(errors)


def failed_forms(values: Mapping[str, Any]) -> list[Form]:
    """The forms among a template's values that came back with errors (each once)."""
    found: list[Form] = []
    for value in values.values():
        if isinstance(value, Form) and value.errors and all(value is not seen for seen in found):
            found.append(value)
    return found


def _victims_items(values: Mapping[str, Any]) -> Iterator[tuple[str, SummaryItem]]:
    """A policy change's page listing the bookings it breaks (templates/staff/_victims.html)."""
    if values.get("victims_error"):
        yield "victims", SummaryItem(str(values["victims_error"]), "victims")
    for name, messages in (values.get("victims_field_errors") or {}).items():
        for message in messages:
            yield name, SummaryItem(str(message), name)


def _items(form: Form) -> Iterator[tuple[str, SummaryItem]]:
    for name, errors in form.errors.items():
        for message in _messages(errors):
            if name == "csrf_token":
                yield "", SummaryItem(_("This form expired or was not sent from this site. Please send it again."))
            elif name and name in form:
                field = form[name]
                # A tick box's label is a sentence (「…に同意します。」): its full stop would stand before the colon.
                yield field.id, SummaryItem(message, field.id, str(field.label.text).rstrip("。."))
            elif anchor := getattr(form, "refusal_anchor", ""):  # said beside the form's button: linked to
                yield anchor, SummaryItem(message, anchor)
            else:  # a refusal of no field: said here only (no box above the form repeats it)
                yield "", SummaryItem(message, not_booked=getattr(form, "says_not_booked", False) is True)


def form_summary(form: Form) -> list[SummaryItem]:
    """The errors of one form, in the order of its fields: for a page part rendered apart from its
    page (the usage figures' kept body), where the page's content is not at hand."""
    order = {field.id: n for n, field in enumerate(form)}
    items = list(_items(form))
    return [item for _, item in sorted(items, key=lambda pair: (order.get(pair[0], -1) if pair[0] else -1))]


@pass_context
def summary_items(context: Context, content: str) -> list[SummaryItem]:
    """The errors of the page's forms, in the order their fields appear in `content` (its markup)."""
    values = context.get_all()
    groups = ((group.anchor, SummaryItem(group.text, group.anchor)) for group in values.get("refusal_groups") or ())
    pairs = chain((pair for form in failed_forms(values) for pair in _items(form)), _victims_items(values), groups)
    placed: list[tuple[int, int, SummaryItem]] = []
    for anchor, item in pairs:
        where = content.find(f'id="{anchor}"') if anchor else -1
        placed.append((where if where >= 0 or not anchor else len(content), len(placed), item))
    return [item for _where, _order, item in sorted(placed, key=lambda entry: entry[:2])]
