"""Settings read from the environment; SQLite under instance/ by default."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(instance_path: str) -> str:
    """The configured database, or a SQLite file under the instance folder."""
    url = os.environ.get("DATABASE_URL")
    if url:
        # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url
    return "sqlite:///" + str(Path(instance_path) / "booking.sqlite")


class Config:
    """Defaults; every value can be overridden from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    DEBUG = _bool("FLASK_DEBUG", False)
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("BOOKING_TIMEZONE", "Asia/Tokyo")
    LANGUAGES = ("ja", "en")
    DEFAULT_TIMEZONE = os.environ.get("BOOKING_TIMEZONE", "Asia/Tokyo")
    MAX_CONTENT_LENGTH = 1024 * 1024
    # E-mail (booking/mail.py): without MAIL_SERVER, messages are written to the log.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT") or 0)  # 0: 465 with SSL, else 25
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "no-reply@localhost")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT") or 5)
    MAIL_BACKGROUND = _bool("MAIL_BACKGROUND", True)  # send in a thread, so a slow server never delays a page
    # Job runner (booking/jobs.py): a thread in the serving process under `make run`.
    JOBS_THREAD = _bool("BOOKING_JOBS_THREAD", False)
    JOBS_TICK_SECONDS = float(os.environ.get("BOOKING_JOBS_TICK") or 1)
    OUTBOX_BACKOFF_SECONDS = float(os.environ.get("OUTBOX_BACKOFF_SECONDS") or 30)  # doubles per attempt
    # Calendar feeds (booking/services/feeds.py): the window of local days they show, how long a
    # cancelled booking stays in them, and how often apps are asked to poll. At these values
    # the demo desk feed at full load stays well under Google Calendar's 1 MB (README).
    FEED_DAYS_BACK = int(os.environ.get("FEED_DAYS_BACK") or 14)
    FEED_DAYS_AHEAD = int(os.environ.get("FEED_DAYS_AHEAD") or 365)
    FEED_CANCELLED_DAYS = int(os.environ.get("FEED_CANCELLED_DAYS") or 14)
    FEED_REFRESH_MINUTES = int(os.environ.get("FEED_REFRESH_MINUTES") or 60)
    # ORGANIZER of the calendar objects in e-mail (RFC 5546); default: MAIL_DEFAULT_SENDER.
    CALENDAR_ORGANIZER = os.environ.get("CALENDAR_ORGANIZER", "")
    # The site's public address: every absolute link (pages, feeds, e-mail) starts with it,
    # never with the Host header of a request.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (0: none).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES") or 0)
    # Signed-in sessions end after this long without a request, and this long after sign-in.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES") or 30)
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS") or 12)
    REMEMBER_COOKIE_DURATION = timedelta(days=30)  # ASVS V3.3.2 L1; no page sets one today
    # Whom a deactivated member is told to contact (an address or a desk); empty: the floor's reception.
    STAFF_CONTACT = os.environ.get("STAFF_CONTACT", "")
    # Abuse limits (booking/limits.py, README "Abuse limits"): Flask-Limiter's notation.
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "booking")
    RATELIMIT_SIGN_IN_ACCOUNT = os.environ.get("RATELIMIT_SIGN_IN_ACCOUNT", "5 per minute;20 per hour")
    RATELIMIT_SIGN_IN_ADDRESS = os.environ.get("RATELIMIT_SIGN_IN_ADDRESS", "60 per minute;600 per hour")
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "20 per hour")
    RATELIMIT_PASSWORD_RESET = os.environ.get("RATELIMIT_PASSWORD_RESET", "20 per hour")
    RATELIMIT_MAIL_PER_ACCOUNT = os.environ.get("RATELIMIT_MAIL_PER_ACCOUNT", "3 per hour")
    RATELIMIT_SECOND_FACTOR = os.environ.get("RATELIMIT_SECOND_FACTOR", "5 per minute;20 per hour")
    RATELIMIT_ANONYMOUS_FORM = os.environ.get("RATELIMIT_ANONYMOUS_FORM", "30 per minute;300 per hour")
    # Polls of one feed address from one client address (a calendar app polls every few minutes at most).
    RATELIMIT_FEED = os.environ.get("RATELIMIT_FEED", "60 per minute;600 per hour")
    # Public events (issue 19): attendees' personal data is removed this many days after the event.
    EVENT_DATA_RETENTION_DAYS = int(os.environ.get("EVENT_DATA_RETENTION_DAYS") or 30)
    # Lifetimes of the links mailed for verification and password reset.
    VERIFY_LINK_HOURS = int(os.environ.get("VERIFY_LINK_HOURS") or 72)
    RESET_LINK_MINUTES = int(os.environ.get("RESET_LINK_MINUTES") or 60)
