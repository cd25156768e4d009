"""Booking for public–private co-creation floors."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel import Locale
from flask import Flask, g, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from booking.config import Config, database_url
from booking.db import POSTGRESQL_SESSION_OPTIONS
from booking.extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
HSTS_SECONDS = 365 * 24 * 3600  # one year; no includeSubDomains: other sites may share the domain
# On every response (the feeds' bare 304s in booking/views/feeds.py send them too).
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                                "frame-ancestors 'none'"),
)


def _secret_key(app: Flask) -> str:
    """SECRET_KEY from the environment, else instance/secret_key; random only when testing."""
    if app.config.get("SECRET_KEY"):
        return str(app.config["SECRET_KEY"])
    key_file = Path(app.instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    if app.debug or app.testing:
        return secrets.token_hex(32)
    raise RuntimeError("SECRET_KEY is not set: export SECRET_KEY or write instance/secret_key")


def _secure_cookies(app: Flask, test_config: Mapping[str, Any]) -> bool:
    """Secure cookies outside debug and tests; SESSION_COOKIE_SECURE=0 allows plain-http benchmarks."""
    if "SESSION_COOKIE_SECURE" in test_config:
        return bool(test_config["SESSION_COOKIE_SECURE"])
    override = os.environ.get("SESSION_COOKIE_SECURE")
    if override is not None:
        return override.strip().lower() in {"1", "true", "yes", "on"}
    return not (app.debug or app.testing)


def _cookie_settings(app: Flask, test_config: Mapping[str, Any]) -> None:
    """Secure cookies carry the `__Host-` prefix: only over https, for this host, path / (V3.4)."""
    secure = _secure_cookies(app, test_config)
    app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = secure
    if secure:
        for setting, name in (("SESSION_COOKIE_NAME", "session"), ("REMEMBER_COOKIE_NAME", "remember_token")):
            if setting not in test_config:
                app.config[setting] = "__Host-" + name
        app.config["SESSION_COOKIE_DOMAIN"] = app.config["REMEMBER_COOKIE_DOMAIN"] = None
        app.config["SESSION_COOKIE_PATH"] = app.config["REMEMBER_COOKIE_PATH"] = "/"


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client address and scheme from their headers.

    Only X-Forwarded-For and X-Forwarded-Proto: the host never comes from a request
    (links are built from BASE_URL).
    """
    count = int(app.config.get("TRUSTED_PROXIES") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


# Parsed once per process: Flask-Babel parses the code the selector returns into a new babel Locale on
# every request (profile line 'babel/core.py:293(parse)' under flask_babel's get_locale), but takes a
# Locale as it is.
_LOCALES = {code: Locale.parse(code) for code in ("ja", "en")}


def select_locale() -> Locale | str:
    """The request's language: the member's own, else the visitor's choice in the session, else Japanese.

    A language switch that replays a refused form (booking.views.language) chose it in this request.
    """
    replayed = g.get("language_replay")
    if replayed:
        return _LOCALES[replayed]
    if current_user.is_authenticated:
        code = str(current_user.locale)
        return _LOCALES.get(code) or code
    chosen = session.get("locale")
    return _LOCALES[chosen if chosen in ("ja", "en") else "ja"]


# At most this many functions keep their answer in BookingFlask.ensure_sync (hooks and views: about 60).
MAX_SYNC_CHECKED = 1024


class BookingFlask(Flask):
    """Flask, with each hook's and view's "is it a coroutine?" answered once per function.

    Flask asks `inspect.iscoroutinefunction` of every before/after/teardown hook and the view
    on every request (profile line 'inspect.py:391(_has_code_flag)': 23 calls per booking
    POST). A function's kind never changes, so the answer is kept per function (bounded).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Any, Any] = {}

    def ensure_sync(self, func: Any) -> Any:
        try:
            found = self._synced.get(func)
        except TypeError:  # an unhashable callable: asked every time, as Flask does
            return super().ensure_sync(func)
        if found is None:
            found = super().ensure_sync(func)
            if len(self._synced) < MAX_SYNC_CHECKED:
                self._synced[func] = found
        return found


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; `test_config` overrides the environment."""
    app = BookingFlask(
        __name__,
        instance_path=os.environ.get("BOOKING_INSTANCE_PATH", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", database_url(app.instance_path))
    app.config["SECRET_KEY"] = _secret_key(app)
    _cookie_settings(app, test_config or {})
    if not (app.debug or app.testing) and not os.environ.get("BASE_URL") and "BASE_URL" not in (test_config or {}):
        app.logger.warning("BASE_URL is not set: links in pages, feeds and e-mail point to %s", app.config["BASE_URL"])
    # Errors go to our error pages, never to a traceback or the debugger.
    app.config["PROPAGATE_EXCEPTIONS"] = app.config.get("PROPAGATE_EXCEPTIONS_IN_TESTS", False)
    # A copy: the default dict is Config's own, shared by every app of the process.
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 1.5})  # the busy timeout; see booking/db.py
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # An unreachable server gives a 503 within seconds, not a worker hung in connect().
        options.setdefault("connect_args", {"connect_timeout": 3, "options": POSTGRESQL_SESSION_OPTIONS})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    _trust_proxies(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    from booking.cli import register_cli

    register_cli(app)
    from booking import jobs

    jobs.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from booking.db import install_postgresql_hooks, install_sqlite_hooks
    from booking.resilience import install_commit_mark, remove_session

    db.init_app(app)
    app.teardown_appcontext(remove_session)  # runs before Flask-SQLAlchemy's (teardowns run last first)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(ROOT / "booking" / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    # booking.views.sessions binds the session to the browser, not to its network address.
    login_manager.session_protection = None
    from booking import (
        delivery,  # noqa: F401 (outbox rows are delivered after their commit)
        event_jobs,  # noqa: F401 (registers the reminder and retention jobs of events)
        mail,
        schedules,  # noqa: F401 (registers the scheduled booking jobs)
    )

    mail.init_app(app)
    with app.app_context():
        install_sqlite_hooks(db.engine)
        install_postgresql_hooks(db.engine)
        install_commit_mark(db.engine)  # before the tests' and benchmarks' own listeners

    from booking.services.accounts import user_for_session

    login_manager.user_loader(user_for_session)


def _register_blueprints(app: Flask) -> None:
    from booking.views import (
        DatabaseIdConverter,
        account,
        attendance,
        auth,
        bookings,
        errors,
        event_privacy,
        event_review,
        events,
        feeds,
        main,
        reports,
        second_factor,
        series,
        spaces,
        staff,
        staff_admin,
        staff_mail,
    )

    app.url_map.converters["int"] = DatabaseIdConverter

    for module in (main, auth, second_factor, spaces, bookings, series, staff, staff_admin, staff_mail, reports,
                   account, feeds, events, attendance, event_privacy, event_review):
        app.register_blueprint(module.bp)
    errors.register(app)
    from booking.views import helpers, params, sessions

    helpers.register(app)
    feeds.register(app)
    params.register(app)
    sessions.register(app)
    second_factor.register(app)
    from booking import limits

    limits.init_app(app)
    from booking.views import language

    language.register(app)  # after the CSRF, session and limit checks


def _register_hooks(app: Flask) -> None:
    # Added unless the response has its own: SECURITY_HEADERS, and HSTS outside debug (V9.1.1, V14.4.5).
    with_hsts = (*SECURITY_HEADERS, ("Strict-Transport-Security", f"max-age={HSTS_SECONDS}"))

    @app.after_request
    def security_headers(response: Any) -> Any:
        """The default headers, each added unless the response sets its own.

        The names present are read once: `Headers.setdefault` looked each up by raising and
        catching a KeyError when absent, as it always is (profile line
        'werkzeug/exceptions.py:214(__init__)', five of the eleven exceptions a page made).
        """
        headers = response.headers
        present = {name.lower() for name, _value in headers}
        for name, value in SECURITY_HEADERS if app.debug else with_hsts:
            if name.lower() not in present:
                headers.add(name, value)
        _cache_headers(response)
        return response


def _cache_headers(response: Any) -> None:
    """no-store on pages for a signed-in member (V8.2.1).

    "Signed in" is read from the session cookie, not from the database, so an error
    page (the database unreachable, say) gets its headers as well.
    """
    if response.mimetype == "text/html" and "_user_id" in session:
        response.headers["Cache-Control"] = "no-store"
