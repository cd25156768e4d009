"""Where URL input enters: one hook for the shape of every request, and bounded query values.

`refuse_malformed` runs before every view: a request whose path or form holds bytes that
are not UTF-8, a NUL in the path or a form's name, any other control character in the path,
or that uploads a file, is a 400 before any view sees it (a NUL in a form value is dropped:
its field then says so). The query string is what a person types or edits in the address bar:
it is never refused, only cleaned of control characters (`_clean_query`).

The `*_arg` helpers read one query value each and never refuse the request either (issue 16):
sent twice, the first counts; a date that is no date or outside the supported range
(booking.domain.bounds) gives the page's usual dates and a message saying so; a page number
is clamped; a search longer than its limit is cut, with a message.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from datetime import date, datetime
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, flash, g, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict

from booking.dates import format_day
from booking.domain.bounds import (
    FIRST_DAY,
    LAST_DAY,
    MAX_INTEGER,
    is_single_line,
    is_supported_day,
    one_line,
    typed_day,
)
from booking.views.helpers import locale_code

# Werkzeug decodes the path and multipart fields with errors="replace": a U+FFFD there stands
# for bytes that were not UTF-8 (nobody types the replacement character). Percent-escapes in a
# urlencoded body that are not UTF-8 it keeps as literal "%FF" text, so those raw bytes are
# checked before parsing.
REPLACEMENT = "\ufffd"
URLENCODED = "application/x-www-form-urlencoded"
FORM_TYPES = (URLENCODED, "multipart/form-data")  # the bodies werkzeug parses into request.form and .files
MAX_QUERY_TEXT = 200


def is_utf8_urlencoded(raw: bytes) -> bool:
    """True when every key and value of `raw` (k=v&k=v, percent-encoded) decodes as UTF-8.

    The body is unquoted and decoded whole: no escape spans a literal "&", and UTF-8 is valid
    exactly when each piece between its ASCII "&" and "=" bytes is (profile line
    'urllib/parse.py:659(unquote_to_bytes)', once per key and value of a booking POST before).
    """
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_clean(text: str, *, single_line: bool) -> bool:
    if "\x00" in text or REPLACEMENT in text:
        return False
    return is_single_line(text) if single_line else True


def refuse_malformed() -> None:
    """before_request: 400 for input no form or page of ours sends (see the module docstring)."""
    if not _is_clean(request.path, single_line=True):
        abort(400)
    if request.query_string:
        _clean_query()
    mimetype = request.mimetype
    if mimetype not in FORM_TYPES:
        # Werkzeug parses no form and no file out of any other body: nothing below could be found
        # (skipping it saves loading the empty form data on every GET: profile line
        # 'flask/wrappers.py:197(_load_form_data)' under request.files).
        return
    if mimetype == URLENCODED and not is_utf8_urlencoded(request.get_data(cache=True)):
        abort(400)
    if request.files:
        abort(400)
    # Form values may hold line breaks (multi-line fields); the fields judge the rest.
    # A NUL in a form value (issue 16): the value reaches its field without it, and the field says
    # so beside itself (booking.fields.OneValue reads `g.nul_fields`), keeping the rest of the input.
    with_nul: set[str] = set()
    for key, value in request.form.items(multi=True):
        if "\x00" in value:
            with_nul.add(key)
            value = _no_nul(value)
        if not (_is_clean(key, single_line=True) and _is_clean(value, single_line=False)):
            abort(400)
    if with_nul:
        g.nul_fields = frozenset(with_nul)
        current = request._get_current_object()
        current.form = ImmutableMultiDict([(key, _no_nul(value)) for key, value in current.form.items(multi=True)])


def _clean_query() -> None:
    """The query as the views read it: every key and value on one line, without control characters.

    A query is what a person types or edits in the address bar, so nothing in it is refused
    (issue 16): a line break becomes a space, other controls (a NUL among them) are dropped, and the
    view reads what is left ("a\x00b" is a search for "ab"; a week that is then no date is
    not understood, and the page says so). `next` keeps its line breaks: a hostile `next` falls
    back to the home page (safe_next, issue 12), so a member who followed a doctored sign-in link
    can still sign in. Escapes that are not UTF-8 werkzeug keeps as the text "%FF".
    """
    pairs = list(request.args.items(multi=True))
    cleaned = [(one_line(key), _no_nul(value) if key == "next" else one_line(value)) for key, value in pairs]
    if cleaned != pairs:
        current = request._get_current_object()
        current.args = ImmutableMultiDict(cleaned)


def _no_nul(value: str) -> str:
    return value.replace("\x00", "")


# What an address said that its page could not use. The page opens as it would without the value,
# and says so above its content (a flash: shown on this page, or on the page a redirect leads to).
DAY_NOT_UNDERSTOOD = _l("The address asked for the date “%(value)s”, which was not understood, "
                        "so the page shows its usual dates.")
DAY_OUT_OF_YEARS = _l("The address asked for the date %(value)s, but dates from %(first)s to %(last)s "
                      "can be shown, so the page shows its usual dates.")
START_NOT_UNDERSTOOD = _l("The address suggested the start “%(value)s”, which was not understood, "
                          "so the form starts empty.")
SEARCH_SHORTENED = _l("The search in the address was longer than %(max)s characters; its first %(max)s are used.")
SHOWN_CHARACTERS = 40


def _shown(raw: str) -> str:
    """What the address held, for a message: one line, without controls, at most 40 characters."""
    text = one_line(raw).strip()
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS] + "…"


def _say_once(name: str, message: str) -> None:
    said = g.setdefault("unread_args", set())
    if name not in said:
        said.add(name)
        flash(message, "info")


def _one(name: str) -> str | None:
    """The value of `name`; sent twice, the first (as a form read from the query takes it)."""
    return request.args.get(name)


def day_arg(name: str) -> date | None:
    """A YYYY-MM-DD query value within the supported range; None when absent, empty or not one.

    Never refuses the request: a value that is no date (2026-02-30, 2026-13-01, "tomorrow") or
    a date outside the supported years gives None, the page's usual dates, and a message that says
    so. Full-width digits are read (bounds.typed_day).
    """
    raw = _one(name)
    if raw is None or not raw.strip():
        return None
    chosen = typed_day(raw)
    if chosen is None:
        _say_once(name, gettext(DAY_NOT_UNDERSTOOD, value=_shown(raw)))
        return None
    if not is_supported_day(chosen):
        locale = locale_code()
        _say_once(name, gettext(DAY_OUT_OF_YEARS, value=format_day(chosen, locale), first=format_day(FIRST_DAY, locale),
                                last=format_day(LAST_DAY, locale)))
        return None
    return chosen


def suggested_instant_arg(name: str) -> datetime | None:
    """A naive local YYYY-MM-DDTHH:MM query value meant as a suggestion (a form's prefill).

    Malformed or out of range gives None and a message: the form then starts empty.
    """
    raw = _one(name)
    if raw is None or not raw.strip():
        return None
    text = unicodedata.normalize("NFKC", raw).strip() if len(raw) <= 40 else ""
    try:
        chosen = datetime.fromisoformat(text) if text.isascii() and 0 < len(text) <= 32 else None
    except ValueError:
        chosen = None
    if chosen is None or chosen.tzinfo is not None or not is_supported_day(chosen.date()):
        _say_once(name, gettext(START_NOT_UNDERSTOOD, value=_shown(raw)))
        return None
    return chosen


def page_arg(name: str, last: int) -> int:
    """A page number, 1 when absent or malformed, clamped to 1..last (full-width digits are read)."""
    raw = _one(name) or ""
    raw = unicodedata.normalize("NFKC", raw).strip() if len(raw) <= 40 else ""
    if not (raw.isascii() and raw.isdigit()):
        return 1
    if len(raw.lstrip("0")) > len(str(last)):
        return last
    return min(max(int(raw), 1), last)


def id_arg(name: str) -> int | None:
    """A row id (ASCII digits, 1..MAX_INTEGER); None when absent or anything else."""
    raw = (_one(name) or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_INTEGER)):
        return None
    number = int(raw)
    return number if 1 <= number <= MAX_INTEGER else None


def choice_arg(name: str, choices: Collection[str]) -> str | None:
    """The value of `name` when it is one of `choices`, else None."""
    raw = _one(name)
    return raw if raw in choices else None


def text_arg(name: str, max_length: int = MAX_QUERY_TEXT, *, is_search: bool = True) -> str:
    """A free-text query value (a search), stripped; "" when absent.

    A longer one is cut to its first `max_length` characters, and a search's page says so (a name,
    such as a space's, is then simply one nothing has).
    """
    raw = _one(name) or ""
    if len(raw) > max_length:
        if is_search:
            _say_once(name, gettext(SEARCH_SHORTENED, max=max_length))
        raw = raw[:max_length]
    return raw.strip()


def register(app: Flask) -> None:
    """Run `refuse_malformed` first of all hooks: it must read the raw body before CSRF parses the form."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_malformed)
