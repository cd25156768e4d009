"""The session cookie's signing serializer is made once per set of keys
(booking.views.sessions.CookieSessions): a new SECRET_KEY is used at once, old cookies are
refused unless the old key is among SECRET_KEY_FALLBACKS."""

from __future__ import annotations

from tests.security.conftest import is_signed_in


def test_a_new_secret_key_refuses_the_cookies_signed_with_the_old_one(app, client, create_user):
    client.login(create_user().email)
    assert is_signed_in(client)  # the serializer of "test-secret" is kept now

    app.secret_key = "another-secret"
    assert not is_signed_in(client)


def test_the_old_key_among_the_fallbacks_keeps_its_cookies_valid_and_new_ones_use_the_new_key(
        app, client, create_user):
    member = create_user()
    client.login(member.email)
    assert is_signed_in(client)

    app.secret_key = "rotated-secret"
    assert not is_signed_in(client)  # the cookie of "test-secret", no fallback: refused (and ended)
    client.login(member.email)  # a new cookie, signed with the rotated key
    assert is_signed_in(client)

    app.secret_key = "test-secret"
    assert not is_signed_in(client)
    app.config["SECRET_KEY_FALLBACKS"] = ["rotated-secret"]  # only the fallbacks change
    assert is_signed_in(client)
