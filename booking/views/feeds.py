"""iCalendar feeds for calendar apps, and one booking as a file to import."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from flask import Blueprint, Flask, Response, abort, request
from flask.globals import _cv_app
from flask_login import current_user, login_required
from werkzeug.http import http_date, parse_date, parse_etags
from werkzeug.middleware.proxy_fix import ProxyFix

from booking import HSTS_SECONDS, SECURITY_HEADERS
from booking.limits import hit_feed_limit
from booking.services import NotFound, bookings, feeds
from booking.views.errors import too_many_requests

bp = Blueprint("feeds", __name__)

ICS_TYPE = "text/calendar; charset=utf-8"
FEED_WAIT = "booking.feed_wait"  # environ: seconds to wait, set in front of Flask when RATELIMIT_FEED is used up


_http_date = lru_cache(maxsize=1024)(http_date)


def _is_fresh(feed: feeds.Feed) -> bool:
    return _is_fresh_for(feed, request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since"))


def _is_fresh_for(feed: feeds.Feed, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """RFC 9110: If-None-Match decides when present, else If-Modified-Since."""
    if if_none_match:
        # A calendar app sends back the one ETag it was given: no need to parse a list.
        return if_none_match == f'"{feed.etag}"' or parse_etags(if_none_match).contains_weak(feed.etag)
    since = parse_date(if_modified_since)
    return since is not None and feed.last_modified is not None and feed.last_modified <= since


def _validator_headers(feed: feeds.Feed) -> dict[str, str]:
    headers = {
        "ETag": f'"{feed.etag}"',
        "Cache-Control": "no-cache, public" if feed.is_public else "no-cache, private",
    }
    if feed.last_modified is not None:
        headers["Last-Modified"] = _http_date(feed.last_modified)
    return headers


def serve(find: Callable[[], feeds.Feed]) -> Response:
    """The feed inline and uncompressed, or 304 when the client's copy is current.

    Anything not found (space, token) gets the very page an unknown address gets.
    """
    try:
        feed = find()
    except NotFound:
        abort(404)
    headers = _validator_headers(feed)
    if _is_fresh(feed):
        return Response(status=304, headers=headers)
    body = feed.body()
    headers["ETag"] = f'"{body.etag}"'
    if body.last_modified is None:
        headers.pop("Last-Modified", None)
    return Response(body.data, headers=headers, content_type=ICS_TYPE)


# The feed addresses the fast path answers: nothing else (queries, odd characters) skips Flask.
FAST_PATHS = re.compile(
    r"^/(?:spaces/(?P<space>[a-z0-9-]{1,60})/calendar\.ics"
    r"|feeds/(?P<token>[A-Za-z0-9_-]{1,100})/(?:(?P<member>bookings)|(?P<staff>staff)(?:/(?P<slug>[a-z0-9-]{1,60}))?)\.ics)$"
)


def _find(match: re.Match[str]) -> feeds.Feed:
    if match["space"]:
        return feeds.space_feed(match["space"])
    if match["member"]:
        return feeds.member_feed(match["token"])
    return feeds.staff_feed(match["token"], match["slug"])


class _ValidatorsContext:
    """`app.app_context()` for the validators' query, without its teardown when nothing needs it.

    The validators read through the thread's own DBAPI connection (services.feeds._first_values), not
    the ORM session, and the app's teardowns (booking.resilience.remove_session, Flask-SQLAlchemy's)
    only end that session: popping the context ran both, each looking up a session never made,
    with Flask's blinker signals (profile line 'flask/ctx.py(pop)' under
    'flask/app.py(do_teardown_appcontext)': a fifth of the fast path's Python). Should anything
    have opened the session after all, the full teardown runs, as a popped context would.
    No receiver listens to the app context signals (tests/feeds check it). A class, not a
    @contextmanager generator: contextlib's wrapper and the generator's two resumptions were
    profile lines 'contextlib.py(__enter__)', '(__exit__)', '(helper)', '(__init__)'.
    """

    __slots__ = ("app", "token")

    def __init__(self, app: Flask) -> None:
        self.app = app

    def __enter__(self) -> None:
        self.token = _cv_app.set(self.app.app_context())

    def __exit__(self, *_exc: object) -> None:
        try:
            if feeds.session_was_opened():
                self.app.do_teardown_appcontext(None)
        finally:
            _cv_app.reset(self.token)


class Revalidation:
    """WSGI in front of Flask: a calendar app's poll of a feed this process has the answer to is answered here.

    Calendar apps poll every subscribed feed, and nearly every poll ends in 304. A feed
    needs no session, no signed-in user and no locale negotiation, so this answers from
    the validators' one query inside a bare app context, with the headers `serve`, the
    app's after_request hook and werkzeug would give it: a 304 when the client's copy
    is current, else the body when this process built it before for the same
    validators (the body cache, keyed by the ETag, so never a stale one). Anything else
    (a body not cached, an unknown space or token, a query string, a path of odd shape)
    goes on to Flask unchanged, which gives the body, the 404 or the 400. Every GET or
    HEAD of a feed address is counted here against RATELIMIT_FEED (booking.limits), once;
    over it, Flask answers with the 429 page.
    """

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.extra = [*SECURITY_HEADERS, *([] if app.debug else
                                           [("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")])]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method in ("GET", "HEAD"):
            path = environ.get("PATH_INFO", "")
            match = FAST_PATHS.match(path)
            if match is not None:
                # Every poll counts once, here, whoever answers it; over the limit Flask gives the 429 page.
                wait = hit_feed_limit(self.app, environ.get("REMOTE_ADDR") or "unknown", path)
                if wait is not None:
                    environ[FEED_WAIT] = wait
                elif not environ.get("QUERY_STRING"):
                    answer = self.answer(match, environ)
                    if answer is not None:
                        status, headers, body = answer
                        start_response(status, headers)
                        return [body] if body and method == "GET" else []
        return self.wsgi_app(environ, start_response)

    def answer(self, match: re.Match[str], environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """(status, headers, body) of a 304 or of a cached body, else None (Flask answers)."""
        if_none_match, if_modified_since = environ.get("HTTP_IF_NONE_MATCH"), environ.get("HTTP_IF_MODIFIED_SINCE")
        try:
            with _ValidatorsContext(self.app):
                feed = _find(match)
                if (if_none_match or if_modified_since) and _is_fresh_for(feed, if_none_match, if_modified_since):
                    headers = _validator_headers(feed)
                    headers.pop("Last-Modified", None)  # as werkzeug drops it from Flask's 304 (an entity header)
                    return "304 NOT MODIFIED", [*headers.items(), *self.extra], b""
                body = feed.cached()
        except Exception:  # not found, or the database unavailable: Flask gives the 404 or 503 page
            return None
        if body is None:
            return None
        headers = _validator_headers(feed)
        headers.update({"Content-Type": ICS_TYPE, "Content-Length": str(len(body))})
        return "200 OK", [*headers.items(), *self.extra], body


def register(app: Flask) -> None:
    """Put Revalidation in front of Flask, behind ProxyFix when proxies are trusted (client address, scheme)."""
    outer = app.wsgi_app
    if isinstance(outer, ProxyFix):
        outer.app = Revalidation(app, outer.app)
    else:
        app.wsgi_app = Revalidation(app, outer)  # type: ignore[method-assign]


@bp.before_request
def _over_feed_limit() -> tuple[str, int, dict[str, str]] | None:
    """The 429 page for a feed poll over RATELIMIT_FEED (counted in front of Flask, by Revalidation)."""
    wait = request.environ.get(FEED_WAIT)
    return too_many_requests(int(wait)) if wait is not None else None


@bp.get("/spaces/<slug>/calendar.ics")
def space(slug: str) -> Response:
    """A space's public feed."""
    return serve(lambda: feeds.space_feed(slug))


@bp.get("/feeds/<token>/bookings.ics")
def member(token: str) -> Response:
    """A member's private feed of their own bookings."""
    return serve(lambda: feeds.member_feed(token))


@bp.get("/feeds/<token>/staff.ics")
def staff_all(token: str) -> Response:
    """The staff feed of every space."""
    return serve(lambda: feeds.staff_feed(token))


@bp.get("/feeds/<token>/staff/<slug>.ics")
def staff_space(token: str, slug: str) -> Response:
    """The staff feed of one space."""
    return serve(lambda: feeds.staff_feed(token, slug))


@bp.get("/bookings/<int:booking_id>/calendar.ics")
@login_required
def booking(booking_id: int) -> Response:
    """One booking as a file to import into a calendar."""
    found = bookings.get_own_booking(current_user, booking_id)
    response = Response(feeds.booking_calendar(found), content_type=ICS_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="booking-{found.id}.ics"'
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response
