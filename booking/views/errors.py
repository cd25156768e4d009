"""Error pages: a clear message in the viewer's language, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from booking.limits import retry_after_seconds
from booking.services import ServiceError

log = logging.getLogger(__name__)

MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have permission to open this page."),
    404: _l("This page does not exist, or you cannot see it."),
    405: _l("This address does not accept that kind of request."),
    409: _l("This changed in the meantime. Please reload and try again."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Please wait a moment and try again."),
}


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    text = message or MESSAGES.get(code, _l("Something went wrong on our side. Please try again."))
    return render_template("errors.html", code=code, message=text), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> tuple[str, int]:
        return render_error(400, _l("The form expired or was not sent from this site. "
                                    "Please reload the page and try again."))

    @app.errorhandler(RateLimitExceeded)
    def too_many(_error: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
        seconds = retry_after_seconds()
        log.warning("rate limit reached: %s %s from %s", request.method, request.path, request.remote_addr)
        message = _l("Too many attempts. Please wait %(minutes)d minute(s) and try again.",
                     minutes=max(1, -(-seconds // 60)))
        return (*render_error(429, message), {"Retry-After": str(seconds)})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        return render_error(error.code or 500)

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError) -> tuple[str, int]:
        from flask_babel import gettext

        return render_error(error.status_code, gettext(error.message, **error.params))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[str, int]:
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error", exc_info=error)
        return render_error(InternalServerError.code)
