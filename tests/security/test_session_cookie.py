"""The session cookie written by booking.views.sessions.CookieSessions is Flask's own cookie:
the same signature over Flask's tagged JSON, readable by Flask's interface and the other way round."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup

from booking.views.sessions import CookieSessions

SESSIONS: list[dict[str, Any]] = [
    {},
    {"_user_id": "12:3", "_fresh": True, "_id": "a" * 128, "csrf_token": "b" * 40, "_auth_at": 1_700_000_000,
     "_seen_at": 1_700_000_060, "_browser": "c" * 32, "locale": "ja"},
    {"_flashes": [("success", "予約が確定しました。"), ("info", "x")], "n": None, "f": 1.5, "l": [1, [2, (3,)]]},
    {"nested": {"a": {"b": [("c", "d")]}}, "empty": {}, "e": [], "t": ()},
    {"markup": Markup("<b>x</b>")},  # not plain: Flask's own walk
    {"flash": [("info", Markup("<i>y</i>"))]},
    {"bytes": b"\x00\xff", "uuid": uuid.UUID(int=5), "at": datetime(2026, 11, 30, 12, 0, tzinfo=UTC)},
    {"looks_tagged": {" t": ["a"]}, "also": {" di": {"x": 1}}},
]


@pytest.mark.parametrize("values", SESSIONS)
def test_a_cookie_of_ours_is_flasks_cookie_and_flasks_is_ours(app: Flask, values: dict[str, Any]) -> None:
    ours = CookieSessions().get_signing_serializer(app)
    flasks = SecureCookieSessionInterface().get_signing_serializer(app)
    assert ours is not None and flasks is not None
    assert flasks.loads(ours.dumps(values)) == values
    assert ours.loads(flasks.dumps(values)) == values
    # The same signature over the same bytes: the signer and its key are Flask's.
    payload = ours.dump_payload(values)
    assert ours.make_signer().get_signature(payload) == flasks.make_signer().get_signature(payload)


def test_a_derived_key_follows_the_secret_key(app: Flask) -> None:
    sessions = CookieSessions()
    before = sessions.get_signing_serializer(app)
    assert before is not None
    cookie = before.dumps({"a": 1})
    app.secret_key = "another-secret"
    after = sessions.get_signing_serializer(app)
    assert after is not None
    flasks = SecureCookieSessionInterface().get_signing_serializer(app)
    assert flasks is not None
    assert after.make_signer().get_signature(b"x") == flasks.make_signer().get_signature(b"x")
    with pytest.raises(Exception, match="Signature"):
        after.loads(cookie)
