"""Changing and resetting passwords (ASVS V2.1.1, V2.1.7, V2.5.x): single-use, expiring, hashed links."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from booking.db import utcnow
from booking.extensions import db
from booking.models import AccountToken, OutboxMessage, User
from booking.services import accounts
from booking.services.account_tokens import digest
from tests.accounts.conftest import NEW_PASSWORD, link_in
from tests.conftest import PASSWORD
from tests.mail.conftest import text_of
from tests.views.conftest import form_errors


def ask_for_reset(client, inbox, email: str, count: int = 1) -> str:
    response = client.submit("/password/forgot", {"email": email})
    assert response.headers["Location"] == "/mail-sent/reset"
    return link_in(inbox.wait_for(count)[count - 1])


def choose(client, link: str, password: str = NEW_PASSWORD):
    return client.submit(link, {"password": password, "confirm": password})


def signs_in(client, email: str, password: str) -> bool:
    response = client.login(email, password)
    client.submit("/logout")
    return response.status_code == 302


def test_a_forgotten_password_is_replaced_through_the_mailed_link(client, inbox, create_user):
    member = create_user(locale="en")
    link = ask_for_reset(client, inbox, member.email.upper())
    assert inbox.messages[0]["Subject"] == "Reset your password"
    assert client.get(link).status_code == 200
    response = choose(client, link)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert signs_in(client, member.email, NEW_PASSWORD)
    assert not signs_in(client, member.email, PASSWORD)
    assert inbox.wait_for(2)[1]["Subject"] == "Your password was changed"


def test_a_reset_link_works_only_once(client, inbox, create_user):
    member = create_user()
    link = ask_for_reset(client, inbox, member.email)
    choose(client, link)
    dead = client.get(link)
    assert dead.status_code == 400
    assert 'href="/password/forgot"' in dead.get_data(as_text=True), "the page offers a new link"
    assert choose(client, link, "another fine passphrase here").status_code == 400
    assert signs_in(client, member.email, NEW_PASSWORD)


def test_a_newer_reset_link_makes_the_older_one_stop_working(client, inbox, create_user):
    member = create_user()
    older = ask_for_reset(client, inbox, member.email)
    newer = ask_for_reset(client, inbox, member.email, count=2)
    assert choose(client, older).status_code == 400
    assert choose(client, newer).status_code == 302


def test_an_expired_reset_link_is_refused(client, inbox, create_user):
    member = create_user()
    accounts.request_password_reset(member.email, now=utcnow() - timedelta(minutes=61))
    link = link_in(inbox.wait_for(1)[0])
    assert client.get(link).status_code == 400
    assert choose(client, link).status_code == 400
    assert signs_in(client, member.email, PASSWORD)


def test_changing_the_password_kills_open_reset_links(client, inbox, create_user):
    member = create_user()
    link = ask_for_reset(client, inbox, member.email)
    client.login(member.email)
    response = client.submit("/account/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    client.submit("/logout")
    assert choose(client, link, "another fine passphrase here").status_code == 400
    assert signs_in(client, member.email, NEW_PASSWORD)


def test_reset_links_are_stored_only_as_hashes(client, inbox, create_user):
    member = create_user()
    secret = ask_for_reset(client, inbox, member.email).rsplit("/", 1)[1]
    assert db.session.scalars(select(AccountToken.token_hash)).all() == [digest(secret)]


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, inbox, create_user):
    create_user(email="known@example.jp")
    unknown = client.submit("/password/forgot", {"email": "nobody@example.jp"})
    known = client.submit("/password/forgot", {"email": "known@example.jp"})
    assert (unknown.status_code, unknown.headers["Location"]) == (known.status_code, known.headers["Location"])
    assert [m["To"] for m in inbox.wait_for(1)] == ["known@example.jp"]


def test_a_weak_new_password_is_refused_next_to_the_field_and_the_link_still_works(client, inbox, create_user):
    member = create_user()
    link = ask_for_reset(client, inbox, member.email)
    response = choose(client, link, "password1234")
    assert response.status_code == 422
    assert any("推測されやすい" in error for error in form_errors(response.get_data(as_text=True)))
    assert choose(client, link).status_code == 302


def test_changing_the_password_needs_the_current_one(client, inbox, create_user):
    member = create_user(locale="en")
    client.login(member.email)
    wrong = client.submit("/account/password", {"current": "not it at all", "password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422
    assert "The current password is wrong." in form_errors(wrong.get_data(as_text=True))
    weak = client.submit("/account/password", {"current": PASSWORD, "password": "qwertyuiopas",
                                               "confirm": "qwertyuiopas"})
    assert weak.status_code == 422
    db.session.expire_all()
    assert accounts.authenticate(member.email, PASSWORD) is not None
    assert inbox.messages == []


def test_the_cli_refuses_a_weak_password_for_a_new_admin(app):
    runner = CliRunner()
    result = runner.invoke(app.cli, ["create-user", "--role", "admin", "--email", "boss@example.jp",
                                     "--name", "Boss"], input="a\na\n")
    assert result.exit_code != 0 and "Use at least 12 characters." in result.output
    result = runner.invoke(app.cli, ["create-user", "--role", "admin", "--email", "boss@example.jp",
                                     "--name", "Boss"], input="password1234\npassword1234\n")
    assert result.exit_code != 0 and "too common" in result.output
    assert db.session.scalar(select(User)) is None
    result = runner.invoke(app.cli, ["create-user", "--role", "admin", "--email", "boss@example.jp",
                                     "--name", "Boss"], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User)).is_verified


def test_mail_bodies_never_contain_the_password(client, inbox, create_user):
    member = create_user()
    choose(client, ask_for_reset(client, inbox, member.email))
    assert all(NEW_PASSWORD not in text_of(m) for m in inbox.wait_for(2))


def test_the_outbox_keeps_no_working_link(client, inbox, create_user):
    member = create_user()
    secret = ask_for_reset(client, inbox, member.email).rsplit("/", 1)[1]
    payloads = [json.dumps(row.payload) for row in db.session.scalars(select(OutboxMessage))]
    assert payloads and all(secret not in payload for payload in payloads)


def test_changing_the_password_signs_out_every_other_browser_but_this_one(app, client, inbox, create_user):
    member = create_user()
    other_browser = app.test_client()
    other_browser.login(member.email)
    client.login(member.email)
    assert other_browser.get("/bookings").status_code == 200
    client.submit("/account/password", {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert client.get("/bookings").status_code == 200
    assert other_browser.get("/bookings").status_code == 302


def test_a_reset_signs_out_every_browser(app, client, inbox, create_user):
    member = create_user()
    signed_in = app.test_client()
    signed_in.login(member.email)
    choose(client, ask_for_reset(client, inbox, member.email))
    assert signed_in.get("/bookings").status_code == 302


def test_a_link_that_is_not_one_offers_the_next_step_in_both_languages(client):
    for language, words in (("ja", "新しい再設定リンクを依頼する"), ("en", "Ask for a new link")):
        client.submit("/language", {"locale": language})
        page = client.get("/password/reset/abc")
        assert page.status_code == 400 and words in page.get_data(as_text=True)
    page = client.get("/verify/abc")
    assert page.status_code == 400 and 'href="/login"' in page.get_data(as_text=True)
