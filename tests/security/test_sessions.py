"""Sessions end when they should: in every browser, from the cookie alone, at the right time.

OWASP ASVS 4.0.3 V3.2.1 (new session at sign-in), V3.3.1 (logout ends the session,
a replayed cookie is refused), V3.3.2 (idle and absolute limits), V3.3.3 (every
session ends when the account changes), V3.3.4-style (sessions of deactivated accounts).
"""

from __future__ import annotations

import pytest
from flask_login import encode_cookie
from sqlalchemy import event

from booking.extensions import db
from booking.models import User
from tests.conftest import CSRF_RE, PASSWORD
from tests.security.conftest import is_signed_in, session_cookie


@pytest.fixture
def member(create_user):
    return create_user(name="佐藤 一郎")


def signed_in_twice(browser, user):
    first, second = browser(), browser()
    for client in (first, second):
        assert client.login(user.email).status_code == 302
        assert is_signed_in(client)
    return first, second


def test_logging_out_in_one_browser_signs_the_member_out_in_the_other(browser, member):
    laptop, phone = signed_in_twice(browser, member)

    assert laptop.submit("/logout").status_code == 302

    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert phone.get("/bookings").headers["Location"].startswith("/login")


def test_a_cookie_saved_before_logout_opens_nothing_afterwards(client, replay, member):
    client.login(member.email)
    saved = session_cookie(client)
    assert is_signed_in(replay(saved))

    client.submit("/logout")

    assert not is_signed_in(replay(saved))
    assert "佐藤 一郎" not in replay(saved).get("/").get_data(as_text=True)


def test_signing_in_again_after_logout_works_and_the_old_cookie_stays_dead(client, replay, member):
    client.login(member.email)
    saved = session_cookie(client)
    client.submit("/logout")

    client.login(member.email)

    assert is_signed_in(client)
    assert not is_signed_in(replay(saved))


def test_deactivation_signs_the_member_out_everywhere_and_reactivation_revives_no_cookie(
        browser, replay, admin_client, member):
    laptop, phone = signed_in_twice(browser, member)
    saved = session_cookie(phone)

    admin_client.submit(f"/staff/members/{member.id}/deactivate")
    assert not is_signed_in(laptop) and not is_signed_in(phone)

    admin_client.submit(f"/staff/members/{member.id}/reactivate")
    assert not is_signed_in(replay(saved))
    assert laptop.login(member.email).status_code == 302 and is_signed_in(laptop)


@pytest.mark.parametrize("old_role, new_role", [("staff", "member"), ("member", "staff"), ("admin", "staff")])
def test_a_role_change_signs_the_account_out_everywhere(browser, replay, admin_client, create_user,
                                                        old_role, new_role):
    user = create_user(role=old_role)
    laptop, phone = signed_in_twice(browser, user)
    saved = session_cookie(laptop)

    admin_client.submit(f"/staff/members/{user.id}/role", {"role": new_role})

    db.session.expire_all()
    assert db.session.get(User, user.id).role == new_role
    assert not is_signed_in(laptop) and not is_signed_in(phone)
    admin_client.submit(f"/staff/members/{user.id}/role", {"role": old_role})
    assert not is_signed_in(replay(saved))


def test_saving_the_same_role_again_signs_nobody_out(browser, admin_client, create_user):
    staff = create_user(role="staff")
    laptop, _phone = signed_in_twice(browser, staff)

    admin_client.submit(f"/staff/members/{staff.id}/role", {"role": "staff"})

    assert is_signed_in(laptop)


def test_a_remember_cookie_carries_the_session_version_too(app, browser, client, member):
    """Flask-Login's remember cookie signs in with the same "<id>:<version>"; logout kills it."""
    with app.test_request_context():
        remembered = encode_cookie(member.get_id())
    fresh = browser()
    fresh.set_cookie("remember_token", remembered, domain="localhost")
    assert is_signed_in(fresh)

    client.login(member.email)
    client.submit("/logout")

    stale = browser()
    stale.set_cookie("remember_token", remembered, domain="localhost")
    assert not is_signed_in(stale)


def test_signing_in_starts_a_new_session_with_a_new_form_token(client, member):
    before_token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    before_cookie = session_cookie(client)

    client.login(member.email)

    after_token = CSRF_RE.search(client.get("/account").get_data(as_text=True)).group(1)
    assert after_token != before_token
    assert session_cookie(client) != before_cookie


def test_the_chosen_language_survives_signing_in(client, create_user):
    member = create_user(locale="en")
    client.submit("/language", {"locale": "en", "next": "/"})
    client.login(member.email)
    client.submit("/logout")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_a_session_ends_after_thirty_idle_minutes(client, clock, member):
    client.login(member.email)
    clock.advance(minutes=29)
    assert is_signed_in(client)

    clock.advance(minutes=31)

    response = client.get("/bookings", follow_redirects=True)
    assert "/login" in response.request.path
    assert "もう一度ログインしてください" in response.get_data(as_text=True)


def test_the_absolute_limit_holds_even_for_a_member_who_never_pauses(client, clock, member):
    client.login(member.email)
    for _step in range(24):  # 24 × 29 min = 11 h 36 min, each request well within the idle limit
        clock.advance(minutes=29)
        assert is_signed_in(client)
    clock.advance(minutes=25)  # 12 h 01 min after sign-in, 25 min after the last request

    assert not is_signed_in(client)


def test_limits_are_read_from_the_cookie_without_writing_to_the_database(app, client, clock, member):
    client.login(member.email)
    writes: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _step in range(3):
            clock.advance(minutes=5)
            assert is_signed_in(client)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert writes == []


def test_a_phone_that_changes_network_stays_signed_in(client, member):
    client.login(member.email, PASSWORD)
    client.environ_base["REMOTE_ADDR"] = "198.51.100.23"  # from Wi-Fi to mobile data

    assert is_signed_in(client)


def test_the_cookie_used_by_another_browser_is_refused(client, replay, member):
    client.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (iPhone) Safari"
    client.login(member.email, PASSWORD)
    assert is_signed_in(client)

    thief = replay(session_cookie(client))
    thief.environ_base["HTTP_USER_AGENT"] = "curl/8.5"

    assert not is_signed_in(thief)
