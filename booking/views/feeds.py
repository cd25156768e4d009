"""iCalendar feeds for calendar apps, and one booking as a file to import."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from flask import Blueprint, Response, abort, request
from flask_login import current_user, login_required
from werkzeug.http import http_date

from booking.services import NotFound, bookings, feeds

bp = Blueprint("feeds", __name__)

ICS_TYPE = "text/calendar; charset=utf-8"


_http_date = lru_cache(maxsize=1024)(http_date)


def _is_fresh(feed: feeds.Feed) -> bool:
    """RFC 9110: If-None-Match decides when present, else If-Modified-Since."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(feed.etag)
    since = request.if_modified_since
    return since is not None and feed.last_modified is not None and feed.last_modified <= since


def serve(find: Callable[[], feeds.Feed]) -> Response:
    """The feed inline and uncompressed, or 304 when the client's copy is current.

    Anything not found (space, token) gets the very page an unknown address gets.
    """
    try:
        feed = find()
    except NotFound:
        abort(404)
    headers = {
        "ETag": f'"{feed.etag}"',
        "Cache-Control": "no-cache, public" if feed.is_public else "no-cache, private",
    }
    if feed.last_modified is not None:
        headers["Last-Modified"] = _http_date(feed.last_modified)
    if _is_fresh(feed):
        return Response(status=304, headers=headers)
    body = feed.body()
    headers["ETag"] = f'"{body.etag}"'
    if body.last_modified is None:
        headers.pop("Last-Modified", None)
    return Response(body.data, headers=headers, content_type=ICS_TYPE)


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
