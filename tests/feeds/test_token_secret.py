"""A feed token is derived from the application's secret key: a new key shows no old address again."""

from __future__ import annotations

from booking.services import feed_tokens


def test_a_new_secret_key_shows_no_feed_address_made_under_the_old_one(app, member):
    token = feed_tokens.renew_token(member, "member")
    assert feed_tokens.current_token(member, "member") == token

    app.config["SECRET_KEY"] = "another-secret"

    assert feed_tokens.current_token(member, "member") is None
