"""Abuse limits (ASVS V2.2.1) in memory and in the machine's real Redis, and when Redis is down."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask

from booking import create_app
from booking.config import Config
from booking.extensions import db
from tests.conftest import PASSWORD, Client

REDIS_URL = "redis://127.0.0.1:6379/0"
LIMITS = {"RATELIMIT_SIGN_IN_ACCOUNT": "3 per minute;5 per hour", "RATELIMIT_SIGN_IN_ADDRESS": "6 per minute",
          "RATELIMIT_REGISTER": "4 per hour", "RATELIMIT_PASSWORD_RESET": "10 per hour",
          "RATELIMIT_MAIL_PER_ACCOUNT": "2 per hour"}
OFFICE = {"REMOTE_ADDR": "203.0.113.7"}
HOME = {"REMOTE_ADDR": "198.51.100.20"}


@pytest.fixture(params=["memory", "redis"])
def app_config(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """Low limits, counted in memory or in Redis under a key prefix of this test alone."""
    prefix = f"wt13-test-{uuid.uuid4().hex}"
    storage = REDIS_URL if request.param == "redis" else "memory://"
    yield {**LIMITS, "RATELIMIT_STORAGE_URI": storage, "RATELIMIT_KEY_PREFIX": prefix}
    if request.param == "redis":
        connection = redis.Redis.from_url(REDIS_URL)
        keys = list(connection.scan_iter(match=f"*{prefix}*"))
        if keys:
            connection.delete(*keys)
        connection.close()


def wrong(client: Client, email: str, environ: dict[str, str] = OFFICE, **headers: str) -> Any:
    return client.submit("/login", {"email": email, "password": "wrong guess number"},
                         environ_base=environ, headers=headers)


def right(client: Client, email: str, environ: dict[str, str] = OFFICE) -> Any:
    response = client.submit("/login", {"email": email, "password": PASSWORD}, environ_base=environ)
    client.submit("/logout", environ_base=environ)
    return response


def test_guessing_one_password_ends_in_429_with_a_translated_page_and_retry_after(client, create_user):
    member = create_user()
    assert [wrong(client, member.email).status_code for _ in range(3)] == [401, 401, 401]
    blocked = wrong(client, member.email)
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert "試行回数が多すぎます" in blocked.get_data(as_text=True)
    assert right(client, member.email).status_code == 429  # the right password waits too


def test_a_stranger_guessing_elsewhere_never_locks_the_owner_out(client, create_user):
    member = create_user()
    for _ in range(4):
        wrong(client, member.email, OFFICE)
    assert wrong(client, member.email, OFFICE).status_code == 429
    assert right(client, member.email, HOME).status_code == 302


def test_signing_in_successfully_uses_up_nothing(client, create_user):
    member = create_user()
    assert [right(client, member.email).status_code for _ in range(5)] == [302] * 5
    assert wrong(client, member.email).status_code == 401


def test_a_forged_forwarded_for_header_does_not_start_a_fresh_count(client, create_user):
    member = create_user()
    for n in range(3):
        wrong(client, member.email, **{"X-Forwarded-For": f"192.0.2.{n}", "X-Real-IP": f"192.0.2.{n}"})
    assert wrong(client, member.email, **{"X-Forwarded-For": "192.0.2.99"}).status_code == 429


def test_one_address_trying_many_accounts_meets_the_address_limit(client, create_user):
    emails = [create_user().email for _ in range(3)]
    codes = [wrong(client, email).status_code for email in emails for _ in range(2)]
    assert codes == [401] * 6
    assert wrong(client, "someone.else@example.jp").status_code == 429
    assert wrong(client, "someone.else@example.jp", HOME).status_code == 401


def test_registering_is_limited_per_address(client):
    def register(n: int) -> int:
        data = {"email": f"new{n}@example.jp", "name": "New", "org_kind": "individual", "locale": "ja",
                "password": "a long enough secret", "confirm": "a long enough secret"}
        return int(client.submit("/register", data, environ_base=OFFICE).status_code)

    assert [register(n) for n in range(5)] == [302, 302, 302, 302, 429]


def test_reset_mails_to_one_address_are_capped(client, create_user):
    member = create_user()
    codes = [client.submit("/password/forgot", {"email": member.email}, environ_base=env).status_code
             for env in (OFFICE, HOME, {"REMOTE_ADDR": "192.0.2.50"})]
    assert codes == [302, 302, 429]


def test_failed_sign_ins_are_logged_with_address_and_client_but_never_the_password(client, create_user, caplog):
    member = create_user()
    with caplog.at_level(logging.WARNING, logger="booking"):
        wrong(client, member.email, **{"User-Agent": "GuessBot/1.0"})
    text = caplog.text
    assert member.email in text and "203.0.113.7" in text and "GuessBot/1.0" in text
    assert "wrong guess number" not in text


def test_the_default_limits_let_an_office_behind_one_address_work():
    assert Config.RATELIMIT_SIGN_IN_ACCOUNT == "5 per minute;20 per hour"
    assert Config.RATELIMIT_SIGN_IN_ADDRESS == "60 per minute;600 per hour"
    assert Config.RATELIMIT_STORAGE_URI == "memory://"


def other_app(database_url: str, tmp_path: Any, config: dict[str, Any]) -> Flask:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret",
                      **config})
    app.instance_path = str(tmp_path)
    app.test_client_class = Client
    return app


def test_workers_sharing_redis_share_the_counts(app, client, create_user, app_config, database_url, tmp_path):
    member = create_user()
    for _ in range(3):
        wrong(client, member.email)
    second_worker = other_app(database_url, tmp_path, app_config)
    with second_worker.app_context():
        status = wrong(second_worker.test_client(), member.email).status_code
        db.engine.dispose()
    in_redis = app_config["RATELIMIT_STORAGE_URI"].startswith("redis")
    assert status == (429 if in_redis else 401)
    if in_redis:
        connection = redis.Redis.from_url(REDIS_URL)
        assert list(connection.scan_iter(match=f"*{app_config['RATELIMIT_KEY_PREFIX']}*"))
        connection.close()


def test_with_limits_disabled_nothing_is_refused(database_url, tmp_path, create_user):
    create_user(email="bench@example.jp")
    app = other_app(database_url, tmp_path, {**LIMITS, "RATELIMIT_ENABLED": False})
    with app.app_context():
        codes = {wrong(app.test_client(), "bench@example.jp").status_code for _ in range(8)}
        db.engine.dispose()
    assert codes == {401}
