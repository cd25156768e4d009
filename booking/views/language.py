"""Switching the language on a page that came back from a failed form, without losing what was typed.

After a refused POST the page shows the typed values and their messages. The header's language
switch (templates/_site_header.html) is then a form to the same address as the refused one,
carrying every typed value but secrets (the fields that are `booking.fields.Secret`: passwords,
codes, tokens), each under its
name prefixed with `_kept_` (so that the page's own fields stay the only ones of their name), and
the language chosen as `_language`. Before the view runs, `replay_in_language` remembers the
language (in the session and the member's account), gives the form its values under their own
names again and marks the request as a replay: the view reads them and answers in the new
language, the same form with the same messages.

A replay reads no secret (its secret fields ask for it again) and writes nothing: any INSERT, UPDATE
or DELETE it would issue is refused before it reaches the database (booking.db.refuse_writes_while).
When the form would now succeed (the time came free meanwhile), the view runs once more and every
form refuses (booking.fields.Form): the same form, its values kept, with a word that it was not sent
(`replay_would_write`). A refusal shows as a refusal.

A replay never counts against a rate limit (booking.limits counts no replay), yet a limit already
used up refuses it as any POST: the switch is no way around a limit.
"""

from __future__ import annotations

import re

from flask import Flask, current_app, flash, g, has_request_context, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf
from markupsafe import Markup, escape
from werkzeug.datastructures import ImmutableMultiDict

from booking.db import WriteRefused, refuse_writes_while
from booking.fields import secret_names
from booking.resilience import discard_failed_session, refuse_writes_from_now
from booking.services import accounts
from booking.views.redirects import safe_next

LANGUAGES = ("ja", "en")
# The switch's own fields on a replay: the language chosen and the page it was pressed on.
LANGUAGE_FIELD, NEXT_FIELD, KEPT_PREFIX = "_language", "_next", "_kept_"
CSRF_FIELD = "csrf_token"  # Flask-WTF's, checked by CSRFProtect before any view
_OWN_FIELDS = (CSRF_FIELD, LANGUAGE_FIELD, NEXT_FIELD)
_FIELD_NAME = re.compile(r'\bname="([^"]+)"')
# A password input the page shows, whatever built it (a form's SecretField is noted when bound).
_PASSWORD_INPUT = re.compile(r'<input\b(?=[^>]*\btype="password")[^>]*\bname="([^"]+)"')


def is_secret(name: str) -> bool:
    """Whether this request's field `name` must never be written into a page again: a secret field
    of a form it bound (booking.fields.Secret: passwords, codes, tokens) or the CSRF token."""
    return name == CSRF_FIELD or name in secret_names()


def is_replay() -> bool:
    return has_request_context() and bool(g.get("language_replay"))



def kept_inputs(page: str) -> Markup:
    """Hidden inputs with this POST's values of the fields `page` shows (but secrets), for the switch."""
    shown = set(_FIELD_NAME.findall(page)) - set(_PASSWORD_INPUT.findall(page))
    return Markup("").join(
        Markup('<input type="hidden" name="{}{}" value="{}">').format(KEPT_PREFIX, name, value)
        for name, value in request.form.items(multi=True)
        if str(escape(name)) in shown and not is_secret(name)
    )


def switch_action() -> str:
    """Where the switch on a failed form posts: the address the form was sent to."""
    return request.script_root + request.full_path.rstrip("?")


def replay_in_language() -> None:
    """before_request: a POST carrying `_language` switches the language and becomes a replay."""
    if request.method != "POST" or LANGUAGE_FIELD not in request.form:
        return
    try:
        validate_csrf(request.form.get(CSRF_FIELD))
    except ValidationError:
        return  # the view's form refuses it as any stale form
    locale = request.form[LANGUAGE_FIELD] if request.form[LANGUAGE_FIELD] in LANGUAGES else "ja"
    session["locale"] = locale
    if current_user.is_authenticated:
        accounts.set_locale(current_user, locale)
    g.language_replay = locale
    refuse_writes_from_now()
    refresh()
    current = request._get_current_object()  # type: ignore[attr-defined]
    # The kept values under their own names; a forged replay cannot try a password or a code
    # either: the view never sees one.
    # (booking.fields.Secret reads no secret on a replay), nor is a value of the switch's own taken.
    kept = [(name.removeprefix(KEPT_PREFIX), value) for name, value in request.form.items(multi=True)
            if name.startswith(KEPT_PREFIX) and name.removeprefix(KEPT_PREFIX) not in _OWN_FIELDS]
    own = [(name, value) for name, value in request.form.items(multi=True) if name in _OWN_FIELDS]
    current.form = ImmutableMultiDict(own + kept)


def replay_would_write(_error: WriteRefused) -> ResponseReturnValue:
    """The same form in the new language, its values kept and a word that it was not sent: the view
    runs once more, rolled back, and every form refuses (booking.fields.Form). Should it write all
    the same (a view without a form), the page the switch was pressed on opens with that word."""
    discard_failed_session()
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and not g.get("language_unsent"):
        g.language_unsent = True
        try:
            return current_app.ensure_sync(view)(**(request.view_args or {}))  # type: ignore[no-any-return]
        except WriteRefused:
            discard_failed_session()
    flash(_("The language was changed. Your form was not sent again: please check it and send it once more."),
          "info")
    return redirect(safe_next(request.form.get(NEXT_FIELD)), 303)


def header_switch(failed_form: str, next_url: Markup, plain_action: str) -> dict[str, Markup]:
    """The slots of the header's language switch: a plain switch to `plain_action` (/language), or,
    on a page that shows a refused POST's form (`failed_form`: the page's content), a replay of it."""
    if failed_form and request.method == "POST":
        back = Markup('<input type="hidden" name="{}" value="{}">').format(NEXT_FIELD, next_url)
        hidden = kept_inputs(failed_form) + back
        return {"action": escape(switch_action()), "kept": hidden, "field": Markup(LANGUAGE_FIELD)}
    hidden = Markup('<input type="hidden" name="next" value="{}">').format(next_url)
    return {"action": escape(plain_action), "kept": hidden, "field": Markup("locale")}


def register(app: Flask) -> None:
    """After CSRFProtect's, the limits' and the sessions' checks: a replay is a POST like any other."""
    app.before_request(replay_in_language)
    app.register_error_handler(WriteRefused, replay_would_write)
    refuse_writes_while(is_replay)
