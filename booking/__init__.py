"""Booking for public–private co-creation floors."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, session
from flask_login import current_user

from booking.config import Config, database_url
from booking.extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


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


def select_locale() -> str:
    if current_user.is_authenticated:
        return str(current_user.locale)
    chosen = session.get("locale")
    return chosen if chosen in ("ja", "en") else "ja"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; `test_config` overrides the environment."""
    app = Flask(
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
    app.config["SESSION_COOKIE_SECURE"] = _secure_cookies(app, test_config or {})
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    # Errors go to our error pages, never to a traceback or the debugger.
    app.config["PROPAGATE_EXCEPTIONS"] = app.config.get("PROPAGATE_EXCEPTIONS_IN_TESTS", False)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A copy: the default dict is Config's own, shared by every app of the process.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {"timeout": 30})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    _init_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    from booking.cli import register_cli

    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from booking.db import install_sqlite_hooks

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(ROOT / "booking" / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    from booking import mail
    from booking.services import notifications  # noqa: F401 (its session hooks send mail after commits)

    mail.init_app(app)
    with app.app_context():
        install_sqlite_hooks(db.engine)

    from booking.models import User

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.is_enabled else None


def _register_blueprints(app: Flask) -> None:
    from booking.views import (
        DatabaseIdConverter,
        account,
        auth,
        bookings,
        errors,
        feeds,
        main,
        spaces,
        staff,
        staff_admin,
    )

    app.url_map.converters["int"] = DatabaseIdConverter

    for module in (main, auth, spaces, bookings, staff, staff_admin, account, feeds):
        app.register_blueprint(module.bp)
    errors.register(app)
    from booking.views import helpers, params

    helpers.register(app)
    params.register(app)


def _register_hooks(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'",
        )
        return response
