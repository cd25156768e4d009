"""Switching the language on a page that came back from a failed form, without losing what was typed.

After a refused POST the page shows the typed values and their messages. The header's language
switch (templates/_site_header.html) is then a form to the same address as the refused one,
carrying every typed value but secrets (passwords, codes, tokens: `is_secret`), each under its
name prefixed with `_kept_` (so that the page's own fields stay the only ones of their name), and
the language chosen as `_language`. Before the view runs, `replay_in_language` remembers the
language (in the session and the member's account), gives the form its values under their own
names again and marks the request as a replay: the view reads them and answers in the new
language, the same form with the same messages.

A replay writes nothing: any INSERT, UPDATE or DELETE it would issue is refused before it reaches
the database (booking.db.refuse_writes_while), and the page the switch was pressed on opens again, in the new
language, with a word that the form was not sent (`replay_would_write`). That happens only when the
form would now succeed (the time came free meanwhile); a refusal shows as a refusal.
"""

from __future__ import annotations

import re

from flask import Flask, flash, g, has_request_context, redirect, request, session
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf
from markupsafe import Markup, escape
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.wrappers import Response

from booking.db import WriteRefused, refuse_writes_while
from booking.services import accounts
from booking.views.redirects import safe_next

LANGUAGES = ("ja", "en")
# The switch's own fields on a replay: the language chosen and the page it was pressed on.
LANGUAGE_FIELD, NEXT_FIELD, KEPT_PREFIX = "_language", "_next", "_kept_"
CSRF_FIELD = "csrf_token"  # Flask-WTF's, checked by CSRFProtect before any view
# Values a page never writes back: passwords (password, current, confirm), one-time and check-in
# codes, the CSRF and submission tokens. tests/views/test_language_switch.py checks every form's
# SecretField, SubmitTokenField and code field against it.
_FIELD_NAME = re.compile(r'\bname="([^"]+)"')
_SECRET = re.compile(r"password|passcode|secret|token|code|^current$|^confirm$", re.IGNORECASE)


def is_secret(name: str) -> bool:
    """Whether a form field's value must never be written into a page again."""
    return bool(_SECRET.search(name))


def is_replay() -> bool:
    return has_request_context() and bool(g.get("language_replay"))



def kept_inputs(page: str) -> Markup:
    """Hidden inputs with this POST's values of the fields `page` shows (but secrets), for the switch."""
    shown = set(_FIELD_NAME.findall(page))
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
    refresh()
    current = request._get_current_object()  # type: ignore[attr-defined]
    # The kept values under their own names; a forged replay cannot try a password or a code
    # either: the view never sees one.
    kept = [(name.removeprefix(KEPT_PREFIX), value) for name, value in request.form.items(multi=True)
            if name.startswith(KEPT_PREFIX)]
    own = [(name, value) for name, value in request.form.items(multi=True)
           if name in (CSRF_FIELD, LANGUAGE_FIELD, NEXT_FIELD)]
    current.form = ImmutableMultiDict(own + [(name, value) for name, value in kept if not is_secret(name)])


def replay_would_write(_error: WriteRefused) -> Response:
    """The page the switch was pressed on, in the new language: the form was not sent again (the
    request's transaction is rolled back when its session is removed)."""
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
