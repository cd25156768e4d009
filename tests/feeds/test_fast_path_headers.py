"""The feed fast path's answers are the Flask path's, header for header, and it leaves no ORM session behind."""

from __future__ import annotations

import pytest
from flask import appcontext_popped, appcontext_pushed, appcontext_tearing_down

from booking.extensions import db
from booking.services import feeds
from booking.views import feeds as feed_views
from tests.feeds.conftest import next_second

URL = "/spaces/studio/calendar.ics"

# Every header a public feed's 200 and 304 carry (testing: HSTS is sent as outside debug).
HEADERS_200 = ["Cache-Control", "Content-Length", "Content-Security-Policy", "Content-Type", "ETag", "Last-Modified",
               "Referrer-Policy", "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options"]
HEADERS_304 = ["Cache-Control", "Content-Security-Policy", "ETag", "Referrer-Policy", "Strict-Transport-Security",
               "X-Content-Type-Options", "X-Frame-Options"]


def _through_flask(monkeypatch):
    monkeypatch.setattr(feed_views.Revalidation, "__call__", lambda self, environ, start: self.wsgi_app(environ, start))


def _headers(response):
    return sorted((name, value) for name, value in response.headers.items() if name != "Date")


def _without_vary(response):
    return [header for header in _headers(response) if header != ("Vary", "Cookie")]


def test_the_200_and_the_304_carry_exactly_the_same_headers_on_the_fast_path_and_through_flask(
        client, space, member, book, monkeypatch):
    book(space, member)
    next_second()
    built = client.get(URL)  # by Flask; the body is kept for the fast path
    etag = built.headers["ETag"]
    fast_200, fast_304 = client.get(URL), client.get(URL, headers={"If-None-Match": etag})
    _through_flask(monkeypatch)
    slow_200, slow_304 = client.get(URL), client.get(URL, headers={"If-None-Match": etag})

    assert (fast_200.status_code, fast_304.status_code, slow_200.status_code, slow_304.status_code) == (
        200, 304, 200, 304)
    assert sorted({name for name, _ in _headers(fast_200)}) == HEADERS_200
    assert sorted({name for name, _ in _headers(fast_304)}) == HEADERS_304
    # Flask's path reads the session (the locale), so its answers add "Vary: Cookie"; nothing else differs.
    assert ("Vary", "Cookie") in _headers(slow_200)
    assert _headers(fast_200) == _without_vary(slow_200) == _without_vary(built)
    assert ("Vary", "Cookie") in _headers(slow_304)
    assert _headers(fast_304) == _without_vary(slow_304)
    assert fast_200.data == slow_200.data == built.data and fast_304.data == slow_304.data == b""


def test_the_fast_path_leaves_no_app_context_and_no_session(client, app, space, member, book):
    book(space, member)
    etag = client.get(URL).headers["ETag"]
    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 304
    with app.app_context():
        assert not db.session.registry.has()


def test_a_session_opened_inside_the_fast_paths_context_is_ended_by_the_app_teardown(app, monkeypatch):
    ended = []
    remove = db.session.remove
    monkeypatch.setattr(db.session, "remove", lambda: ended.append(True) or remove())
    with feed_views._ValidatorsContext(app):
        db.session()  # opens the context's session
    assert ended  # the app's teardown ran
    ended.clear()
    with feed_views._ValidatorsContext(app):
        pass
    assert not ended


def test_nothing_listens_to_the_app_context_signals_the_fast_path_does_not_send(app):
    assert not appcontext_pushed.receivers and not appcontext_popped.receivers
    assert not appcontext_tearing_down.receivers


def test_a_validator_query_reads_the_same_row_through_libpq_as_through_the_cursor(app, space, member, book):
    book(space, member)
    statement = feeds._compiled(feeds._space_query(), db.engine.dialect.name)
    if db.engine.dialect.name != "postgresql":
        assert statement.libpq is None  # SQLite's validators go through its cursor only
        return
    assert statement.libpq is not None
    values = {**statement.params, "slug": "studio"}
    connection, cursor = feeds._validator_connection()
    cursor.execute(statement.sql, values)
    through_cursor = cursor.fetchall()
    for _ in range(2):  # prepared at the first, reused at the second
        assert feeds._rows_through_libpq(connection, statement, values) == through_cursor != []
    assert feeds._rows_through_libpq(connection, statement, {**values, "slug": "nowhere"}) == []


def test_the_libpq_form_numbers_each_name_once_in_its_first_place():
    name, sql, order = feeds._libpq_form("SELECT %(a)s::INTEGER, 100%% FROM t WHERE x = %(b)s AND y = %(a)s")
    assert sql == b"SELECT $1::INTEGER, 100% FROM t WHERE x = $2 AND y = $1"
    assert order == ("a", "b") and name.startswith(b"booking_validators_")
    with pytest.raises(TypeError):
        feeds._libpq_text(True)


def test_a_libpq_statement_is_named_by_a_16_hex_digest_of_its_numbered_sql():
    import hashlib

    name, sql, _order = feeds._libpq_form("SELECT %(a)s WHERE b = 'あ'")
    assert sql == "SELECT $1 WHERE b = 'あ'".encode()
    assert name == b"booking_validators_" + hashlib.sha256(sql).hexdigest()[:16].encode("ascii")
    assert feeds._libpq_form("SELECT %(a)s")[0] == feeds._libpq_form("SELECT %(b)s")[0] != name


@pytest.mark.parametrize(("value", "sent"), [
    ("studio", b"studio"), ("スタジオ", "スタジオ".encode()), (42, b"42"), (None, None),
])
def test_a_validator_query_sends_text_and_integers_to_libpq_as_utf8_text_and_none_as_null(value, sent):
    assert feeds._libpq_text(value) == sent


@pytest.mark.parametrize("value", [True, False, 1.5, b"studio"])
def test_a_validator_query_refuses_any_value_but_text_and_integers_and_names_its_type(value):
    with pytest.raises(TypeError, match=f"text and integers only, not {type(value).__name__}$"):
        feeds._libpq_text(value)
