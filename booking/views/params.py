"""Where URL input enters: one hook for the shape of every request, and bounded query values.

`refuse_malformed` runs before every view: a request whose path, query or form holds
bytes that are not UTF-8, a NUL in the path or a name, or (in the path or the query) any other
control character (a NUL in a value is dropped: a form's field then says so),
or that uploads a file, is a 400 before any view sees it. The `*_arg` helpers read one
query value each: sent twice, malformed or outside the supported range is a 400
(booking.domain.bounds has the range).
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, g, request
from werkzeug.datastructures import ImmutableMultiDict

from booking.domain.bounds import is_single_line, is_supported_day

# Werkzeug decodes the path and multipart fields with errors="replace": a U+FFFD there stands
# for bytes that were not UTF-8 (nobody types the replacement character). Percent-escapes in a
# query or a urlencoded body that are not UTF-8 it keeps as literal "%FF" text, so those raw
# bytes are checked before parsing.
REPLACEMENT = "\ufffd"
URLENCODED = "application/x-www-form-urlencoded"
FORM_TYPES = (URLENCODED, "multipart/form-data")  # the bodies werkzeug parses into request.form and .files
MAX_QUERY_TEXT = 200


def is_utf8_urlencoded(raw: bytes) -> bool:
    """True when every key and value of `raw` (k=v&k=v, percent-encoded) decodes as UTF-8."""
    try:
        for pair in raw.split(b"&"):
            unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_clean(text: str, *, single_line: bool) -> bool:
    if "\x00" in text or REPLACEMENT in text:
        return False
    return is_single_line(text) if single_line else True


def refuse_malformed() -> None:
    """before_request: 400 for input no form or page of ours sends (see the module docstring)."""
    if not _is_clean(request.path, single_line=True) or not is_utf8_urlencoded(request.query_string):
        abort(400)
    if request.query_string:
        for key, value in request.args.items(multi=True):
            # A hostile `next` falls back to the home page instead (safe_next, issue 12), so a
            # member who followed a doctored sign-in link can still sign in.
            if not (_is_clean(key, single_line=True) and _is_clean(_no_nul(value), single_line=key != "next")):
                abort(400)
        # A NUL in a value is dropped (a search for "a\x00b" is a search for "ab"), never a 400 page.
        if any("\x00" in value for _key, value in request.args.items(multi=True)):
            current = request._get_current_object()
            current.args = ImmutableMultiDict([(key, _no_nul(value)) for key, value in current.args.items(multi=True)])
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
    for key, value in request.form.items(multi=True):
        if not (_is_clean(key, single_line=True) and _is_clean(_no_nul(value), single_line=False)):
            abort(400)
    # A NUL in a form value (issue 16): the value reaches its field without it, and the field says
    # so beside itself (booking.fields.OneValue reads `g.nul_fields`), keeping the rest of the input.
    with_nul = {key for key, value in request.form.items(multi=True) if "\x00" in value}
    if with_nul:
        g.nul_fields = frozenset(with_nul)
        current = request._get_current_object()
        current.form = ImmutableMultiDict([(key, _no_nul(value)) for key, value in current.form.items(multi=True)])


def _no_nul(value: str) -> str:
    return value.replace("\x00", "")


def _one(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        abort(400)
    return values[0] if values else None


def day_arg(name: str) -> date | None:
    """A YYYY-MM-DD query value within the supported range; None when absent or empty.

    Raises a 400 (werkzeug HTTPException) when it is malformed, out of range or sent twice.
    """
    raw = _one(name)
    if not raw:
        return None
    if len(raw) != 10:
        abort(400)
    try:
        chosen = date.fromisoformat(raw)
    except ValueError:
        abort(400)
    if not is_supported_day(chosen):
        abort(400)
    return chosen


def suggested_instant_arg(name: str) -> datetime | None:
    """A naive local YYYY-MM-DDTHH:MM query value meant as a suggestion (a form's prefill).

    Malformed or out of range gives None: the form then starts empty. Sent twice is a 400.
    """
    raw = _one(name)
    if not raw or len(raw) > 32:
        return None
    try:
        chosen = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if chosen.tzinfo is not None or not is_supported_day(chosen.date()):
        return None
    return chosen


def page_arg(name: str, last: int) -> int:
    """A page number, 1 when absent or malformed, clamped to 1..last. Sent twice is a 400."""
    raw = (_one(name) or "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return 1
    if len(raw.lstrip("0")) > len(str(last)):
        return last
    return min(max(int(raw), 1), last)


def text_arg(name: str, max_length: int = MAX_QUERY_TEXT) -> str:
    """A free-text query value (a search), stripped; "" when absent; longer or sent twice is a 400."""
    raw = _one(name) or ""
    if len(raw) > max_length:
        abort(400)
    return raw.strip()


def register(app: Flask) -> None:
    """Run `refuse_malformed` first of all hooks: it must read the raw body before CSRF parses the form."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_malformed)
