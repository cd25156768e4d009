"""Helpers for the security tests: several browsers of one member, replayed cookies, the clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from booking.views import sessions
from tests.conftest import Client


def is_signed_in(client: Client) -> bool:
    """Whether this browser still opens a members-only page (else it is sent to sign in)."""
    return client.get("/bookings").status_code == 200


def session_cookie(client: Client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


@pytest.fixture
def browser(app: Flask, client: Client) -> Callable[[], Client]:
    """Factory: another browser (its own cookie jar) on the same app."""
    return lambda: app.test_client()  # type: ignore[return-value]


@pytest.fixture
def admin_client(browser: Callable[[], Client], create_user: Callable[..., Any]) -> Client:
    """An admin signed in in a browser of their own."""
    admin = create_user(role="admin", email="admin@example.jp")
    client = browser()
    client.login(admin.email)
    assert is_signed_in(client)
    return client


@pytest.fixture
def replay(browser: Callable[[], Client]) -> Callable[[str], Client]:
    """Factory: a fresh browser holding a copy of a saved session cookie."""

    def make(cookie: str) -> Client:
        other = browser()
        other.set_cookie("session", cookie, domain="localhost")
        return other

    return make


class Clock:
    """The session clock, moved by hand: `clock.advance(minutes=31)`."""

    def __init__(self, start: int) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, **minutes_or_hours: Any) -> None:
        self.now += int(minutes_or_hours.get("minutes", 0) * 60 + minutes_or_hours.get("hours", 0) * 3600)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(sessions.now_seconds())
    monkeypatch.setattr(sessions, "now_seconds", fake)
    return fake
