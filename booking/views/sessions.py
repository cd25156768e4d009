"""Signed-in sessions: started fresh at sign-in, ended everywhere at logout, limited in time.

The session is Flask's signed cookie. Besides Flask-Login's user id ("<id>:<version>",
see `booking.services.accounts.end_sessions`) it carries when the member signed in
(`_auth_at`), when they were last seen (`_seen_at`, rewritten at most once a minute)
and a digest of the browser's User-Agent (`_browser`). Every request checks them from
the cookie alone, without a database write (OWASP ASVS 4.0.3 V3.3.2; the limits are
ASVS's L2 figures, 30 minutes idle and 12 hours in all, by default):

- more than SESSION_IDLE_MINUTES since `_seen_at`, or SESSION_MAX_HOURS since `_auth_at`,
  or another browser → signed out, with a message on the next page;
- the network address is deliberately not part of it: a phone that moves from Wi-Fi to
  mobile data keeps its session (Flask-Login's "strong" protection would end it).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from flask import Flask, current_app, flash, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import login_user, logout_user, user_loaded_from_cookie
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.signer import HMACAlgorithm

from booking.models import User

AUTH_AT, SEEN_AT, BROWSER = "_auth_at", "_seen_at", "_browser"
SEEN_RESOLUTION_SECONDS = 60  # `_seen_at` is rewritten at most this often (one cookie, no database)
KEPT_ACROSS_SIGN_IN = ("locale",)


def now_seconds() -> int:
    """The clock sessions are measured with: whole seconds since the epoch (UTC)."""
    return int(time.time())


def _browser() -> str:
    agent = request.headers.get("User-Agent", "")
    return hashlib.sha256(agent.encode("utf-8", "replace")).hexdigest()[:32]


def _stamp() -> None:
    now = now_seconds()
    session[AUTH_AT] = now
    session[SEEN_AT] = now
    session[BROWSER] = _browser()


def _clear_keeping(*names: str) -> None:
    kept = {name: session[name] for name in (*KEPT_ACROSS_SIGN_IN, *names) if name in session}
    session.clear()
    session.update(kept)
    g.pop("csrf_token", None)  # Flask-WTF caches the token of the old session here


def start(user: User) -> None:
    """Sign `user` in with a new session: nothing of the previous one is kept but the language.

    The CSRF token is new too (V3.2.1: a new session token at authentication).
    """
    _clear_keeping()
    login_user(user)
    _stamp()


def finish() -> None:
    """Forget the signed-in user in this browser; the remember cookie is deleted too."""
    logout_user()
    _clear_keeping("_remember")  # Flask-Login deletes the remember cookie when it sees "clear"


def _is_expired() -> bool:
    config = current_app.config
    now = now_seconds()
    auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
    if not isinstance(auth_at, int) or not isinstance(seen_at, int):
        return True
    return (now - seen_at > int(config["SESSION_IDLE_MINUTES"]) * 60
            or now - auth_at > int(config["SESSION_MAX_HOURS"]) * 3600
            or session.get(BROWSER) != _browser())


def enforce_limits() -> None:
    """Before each request: end a signed-in session that is too old, idle or in another browser."""
    if "_user_id" not in session:
        return
    if _is_expired():
        finish()
        flash(_("Your session has ended. Please sign in again."), "info")
        return
    now = now_seconds()
    if now - int(session[SEEN_AT]) >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_AT] = now


class _Sha1HMAC(HMACAlgorithm):
    """HMAC-SHA1 in one call of the C implementation: the same signature as itsdangerous's.

    Flask and itsdangerous name SHA-1 by a Python function (`_lazy_sha1`), which sends
    `hmac.new` down its pure-Python path (profile line 'hmac.py:71(_init_old)': two per cookie
    read or written, the key derivation and the signature).
    """

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, "sha1")


# Derived signing keys per (secret key, salt): at most a few keys (SECRET_KEY and its fallbacks).
MAX_DERIVED_KEYS = 16
_derived_keys: dict[tuple[bytes, bytes, str], bytes] = {}


class _KeptKeySigner(TimestampSigner):
    """itsdangerous's TimestampSigner with each secret key's derived key computed once per process.

    The signer derives the key again for every cookie read or written (an HMAC of the salt);
    the derived key is a function of the secret key, the salt and the derivation alone, and is
    kept under those (a new SECRET_KEY derives its own).
    """

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        raw = self.secret_keys[-1] if secret_key is None else secret_key
        key = (raw.encode("utf-8") if isinstance(raw, str) else raw, self.salt, self.key_derivation)
        found = _derived_keys.get(key)
        if found is None:
            found = super().derive_key(secret_key)
            if len(_derived_keys) < MAX_DERIVED_KEYS:
                _derived_keys[key] = found
        return found


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, with the signing serializer made once per set of keys.

    Flask builds a new URLSafeTimedSerializer for every request (profile line
    'flask/sessions.py:303(get_signing_serializer)' under open_session, about a fifth of it).
    The serializer holds nothing but its keys and settings, so one serves every request with
    the same SECRET_KEY and SECRET_KEY_FALLBACKS; a change of either makes a new one. It
    signs with `_KeptKeySigner` and `_Sha1HMAC`: the same cookies as Flask's, read by Flask's
    as well. The values are written by Flask's own tagged JSON serializer.
    """

    def __init__(self) -> None:
        self._kept: tuple[tuple[Any, ...], Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        if not app.secret_key:
            return None
        fallbacks = tuple(app.config.get("SECRET_KEY_FALLBACKS") or ())
        key = (app.secret_key, fallbacks, self.salt)
        kept = self._kept
        if kept is not None and kept[0] == key:
            return kept[1]
        is_sha1 = self.digest_method().name == "sha1"
        made = URLSafeTimedSerializer(
            [*fallbacks, app.secret_key],  # the current key last, as Flask orders them
            salt=self.salt, serializer=self.serializer, signer=_KeptKeySigner,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method,
                           **({"algorithm": _Sha1HMAC(self.digest_method)} if is_sha1 else {})},
        )
        self._kept = (key, made)
        return made


def register(app: Flask) -> None:
    app.session_interface = CookieSessions()
    app.before_request(enforce_limits)
    # A remember cookie (Flask-Login) signs in anew: the limits count from there.
    user_loaded_from_cookie.connect(lambda _app, user=None: _stamp(), app, weak=False)
