"""The visitor's registration fields are rendered once per language (views.events.visitor_fields): the kept
markup is what a fresh rendering gives, in the visitor's language, and a form posted with errors is never
answered from it."""

from __future__ import annotations

import re

from flask import Flask
from flask_babel import refresh

from tests.conftest import without_csrf_tokens

_HIDDEN_TOKEN = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*')


def without_any_csrf_token(page: str) -> str:
    """`without_csrf_tokens`, also for the hidden tag's order (id, name, type, value)."""
    return _HIDDEN_TOKEN.sub(r"\1TOKEN", without_csrf_tokens(page))


def forget_kept_fields(app: Flask) -> None:
    app.extensions.pop("booking_visitor_fields", None)


def test_the_kept_fields_are_what_a_fresh_rendering_gives(app, client, kick_off):
    path = f"/events/{kick_off.id}"
    forget_kept_fields(app)
    fresh = client.get(path).get_data(as_text=True)  # renders and keeps
    kept = client.get(path).get_data(as_text=True)  # from what was kept

    assert without_any_csrf_token(kept) == without_any_csrf_token(fresh)
    assert 'name="email"' in kept and "個人情報の取り扱い" in kept


def test_after_switching_to_english_the_fields_are_english_not_the_kept_japanese(app, client, kick_off):
    path = f"/events/{kick_off.id}"
    japanese = client.get(path).get_data(as_text=True)  # keeps the Japanese fields
    client.submit("/language", {"locale": "en", "next": "/"})
    refresh()

    english = client.get(path).get_data(as_text=True)

    assert "I agree to the privacy notice." not in japanese
    assert "I agree to the privacy notice." in english
    assert "Register for this event" in english


def test_a_registration_with_errors_shows_them_and_the_input_not_the_kept_empty_fields(client, kick_off):
    client.get(f"/events/{kick_off.id}")  # keeps the empty fields
    answer = client.submit(f"/events/{kick_off.id}/register",
                           {"name": "山田 花子", "email": "hanako@example.jp", "companions": "0"})
    page = answer.get_data(as_text=True)

    assert 'value="山田 花子"' in page
    assert 'aria-invalid="true"' in page
