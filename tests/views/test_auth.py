"""Registering, signing in and out, session cookies and forged posts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking import create_app
from booking.extensions import db
from booking.models import User
from tests.conftest import PASSWORD
from tests.views.conftest import form_errors

WRONG_LOGIN = "メールアドレスまたはパスワードが正しくありません。"


def registration(**overrides):
    values = {
        "email": "Hanako@Example.JP", "name": "山田 花子", "organisation": "NPO Sample",
        "org_kind": "npo", "locale": "ja", "password": PASSWORD, "confirm": PASSWORD,
    }
    values.update(overrides)
    return values


def user_count() -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(User)) or 0)


def is_signed_in(client) -> bool:
    response = client.get("/bookings")
    return response.status_code == 200


def test_registering_signs_the_new_member_in(client):
    response = client.submit("/register", registration())
    assert response.status_code == 302
    assert is_signed_in(client)
    assert "山田 花子" in client.get("/").get_data(as_text=True)
    user = db.session.scalar(select(User))
    assert (user.email, user.org_kind) == ("hanako@example.jp", "npo")


def test_registering_a_taken_email_in_other_letters_is_refused(client, create_user):
    create_user(email="hanako@example.jp")
    response = client.submit("/register", registration(email="HANAKO@example.jp"))
    assert response.status_code == 409
    assert form_errors(response.get_data(as_text=True))
    assert user_count() == 1
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    "changes",
    [{"password": "short", "confirm": "short"}, {"confirm": "something else"}, {"email": "not-an-email"}],
    ids=["short password", "passwords differ", "bad e-mail"],
)
def test_a_bad_registration_shows_errors_and_creates_nobody(client, changes):
    response = client.submit("/register", registration(**changes))
    assert response.status_code == 422
    assert form_errors(response.get_data(as_text=True))
    assert user_count() == 0


def test_a_member_can_sign_in_and_out(client, create_user):
    user = create_user(name="佐藤 一郎")
    assert not is_signed_in(client)
    response = client.login(user.email)
    assert response.status_code == 302
    assert "佐藤 一郎" in client.get("/").get_data(as_text=True)
    assert client.submit("/logout").status_code == 302
    assert not is_signed_in(client)
    assert "佐藤 一郎" not in client.get("/").get_data(as_text=True)


def test_signing_in_returns_to_the_page_asked_for_but_never_to_another_site(client, create_user):
    user = create_user()
    response = client.submit("/login?next=/bookings", {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/bookings"
    client.submit("/logout")
    response = client.submit("/login?next=//evil.example/", {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_a_failed_login_says_the_same_whether_or_not_the_email_exists(client, create_user):
    user = create_user()
    wrong_password = client.login(user.email, "not the password")
    unknown_email = client.login("nobody@example.jp", PASSWORD)
    assert wrong_password.status_code == unknown_email.status_code == 401
    errors = form_errors(wrong_password.get_data(as_text=True))
    assert errors == form_errors(unknown_email.get_data(as_text=True))
    assert any(WRONG_LOGIN in error for error in errors)
    assert not is_signed_in(client)


def test_the_session_cookie_is_http_only_and_same_site_lax(client, create_user):
    response = client.login(create_user().email)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_the_session_cookie_is_secure_outside_debug_and_testing(database_url, tmp_path):
    app = create_app({"TESTING": False, "DEBUG": False, "SECRET_KEY": "a-real-secret",
                      "SQLALCHEMY_DATABASE_URI": database_url})
    app.instance_path = str(tmp_path)
    try:
        response = app.test_client().get("/login")
        cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("__Host-session="))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_post_without_csrf_token_is_refused_and_writes_nothing(client):
    response = client.post("/register", data=registration())
    assert response.status_code == 400
    assert user_count() == 0
    assert not is_signed_in(client)


def test_a_login_without_csrf_token_does_not_sign_in(client, create_user):
    user = create_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert not is_signed_in(client)
