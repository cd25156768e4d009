"""Error pages: a clear message in the viewer's language, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, g, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from booking.dates import format_duration
from booking.extensions import login_manager
from booking.limits import retry_after_seconds
from booking.resilience import discard_failed_session, is_dead_connection, may_have_committed
from booking.services import ServiceError
from booking.services.transactions import is_unavailable
from booking.views.helpers import error_message

log = logging.getLogger(__name__)

MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have permission to open this page."),
    404: _l("This page does not exist, or you cannot see it."),
    405: _l("This address does not accept that kind of request."),
    409: _l("This changed in the meantime. Please reload and try again."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Please wait a moment and try again."),
    503: _l("The service is busy or under maintenance for a moment. Please try again in a few seconds."),
}
RETRY_AFTER_S = 5


def render_error(code: int, message: str | None = None,
                 next_step: tuple[str, str] | None = None) -> tuple[str, int]:
    """The error page: `message` (or the code's own), and `next_step` (address, link text), the
    one thing to do next, offered before the way back to the spaces."""
    text = message or MESSAGES.get(code, _l("Something went wrong on our side. Please try again."))
    return render_template("errors.html", code=code, message=text, next_step=next_step), code


def too_many_requests(seconds: int) -> tuple[str, int, dict[str, str]]:
    """The 429 page (translated) with Retry-After: `seconds` until the broken limit lets the client in."""
    log.warning("rate limit reached: %s %s from %s", request.method, request.path, request.remote_addr)
    minutes = max(1, -(-seconds // 60))
    message = _l("Too many attempts. Please wait %(duration)s and try again.",
                  duration=format_duration(minutes, str(get_locale() or "ja")))
    return (*render_error(429, message), {"Retry-After": str(seconds)})


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> tuple[str, int]:
        return render_error(400, _l("The form expired or was not sent from this site. "
                                    "Please reload the page and try again."))

    @app.errorhandler(RateLimitExceeded)
    def too_many(_error: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
        return too_many_requests(retry_after_seconds())

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        original = getattr(error, "original_exception", None)
        if isinstance(error, InternalServerError) and original is not None and is_unavailable(original):
            return unavailable()  # raised where no handler runs (a hook, another handler)
        return render_error(error.code or 500)

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError) -> tuple[str, int]:

        return render_error(error.status_code, error_message(error))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return http_error(error)
        if is_unavailable(error):
            return _retry_or_unavailable(error)
        log.exception("unhandled error", exc_info=error)
        discard_failed_session()
        try:
            return render_error(InternalServerError.code)
        except Exception:
            login_manager._update_request_context_with_user()  # the page without the account
            return render_error(InternalServerError.code)


def _retry_or_unavailable(error: Exception) -> Any:
    """Run the request once more on a fresh connection when a pooled one was dead, else 503.

    A retry is safe only while this request has sent no COMMIT (booking.resilience); SQLAlchemy has
    already invalidated the pool's stale connections, so no per-request ping is needed.
    The retry loads the signed-in account again, as a new request would: the one Flask-Login
    keeps from the first run belongs to the failed session (expired, or detached if that
    session had to be closed, when reading it raised DetachedInstanceError: a 500).
    """
    discard_failed_session()
    if is_dead_connection(error) and not may_have_committed() and not g.get("db_retried"):
        g.db_retried = True
        g.pop("_login_user", None)  # Flask-Login's cache of the account (flask_login.utils._get_user)
        log.warning("retrying %s once on a fresh database connection: %s", type(error).__name__,
                    getattr(error, "orig", error))
        try:
            return current_app.preprocess_request() or current_app.dispatch_request()
        except Exception as again:
            return current_app.handle_user_exception(again)
    log.warning("database unavailable, answering 503: %s", getattr(error, "orig", error))
    return unavailable()


def unavailable() -> tuple[str, int, dict[str, str]]:
    """The translated 503 page with Retry-After, rendered without touching the database."""
    try:
        get_locale()  # the viewer's language, while their account may still be at hand
    except Exception:
        pass  # it needed the database: the session's or the default language then
    login_manager._update_request_context_with_user()  # anonymous: loading the user needs the database
    try:
        page, code = render_error(503)
    except Exception:
        log.exception("could not render the 503 page")
        page, code = "Service unavailable. Please try again in a few seconds.", 503
    return page, code, {"Retry-After": str(RETRY_AFTER_S)}
