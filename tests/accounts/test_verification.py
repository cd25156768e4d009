"""Registration (ASVS V2.1, V2.5.x, no account enumeration) and e-mail verification before booking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.db import utcnow
from booking.extensions import db
from booking.models import AccountToken, User
from booking.services import ServiceError
from booking.services.account_tokens import digest
from booking.services.bookings import BookingInput, request_booking
from tests.accounts.conftest import link_in
from tests.conftest import future_day
from tests.mail.conftest import text_of

PASSWORD = "a long enough secret"


def registration(email: str = "hana@example.jp", **overrides: str) -> dict[str, str]:
    values = {"email": email, "name": "Hana Yamada", "org_kind": "npo", "locale": "en",
              "password": PASSWORD, "confirm": PASSWORD}
    values.update(overrides)
    return values


def user(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_a_new_address_gets_a_link_that_verifies_it_once(client, inbox):
    client.submit("/register", registration())
    message = inbox.wait_for(1)[0]
    assert message["To"] == "hana@example.jp" and message["Subject"] == "Please confirm your e-mail address"
    link = link_in(message)
    assert user("hana@example.jp").email_verified_at is None

    response = client.get(link)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert user("hana@example.jp").email_verified_at is not None
    again = client.get(link)
    assert again.status_code == 400


def test_only_a_hash_of_the_verification_link_is_stored(client, inbox):
    client.submit("/register", registration())
    secret = link_in(inbox.wait_for(1)[0]).rsplit("/", 1)[1]
    stored = db.session.scalars(select(AccountToken.token_hash)).all()
    assert stored == [digest(secret)] and secret not in stored


def test_a_taken_address_gets_a_notice_and_no_link(client, inbox, create_user):
    create_user(email="hana@example.jp", name="Hana", locale="ja")
    response = client.submit("/register", registration(email="Hana@Example.jp"))
    assert response.headers["Location"] == "/mail-sent/register"
    message = inbox.wait_for(1)[0]
    assert message["To"] == "hana@example.jp"
    body = text_of(message)
    assert "/verify/" not in body and "/login" in body and "/password/forgot" in body
    assert db.session.scalar(select(AccountToken)) is None


def test_an_expired_verification_link_is_refused(client, inbox):
    client.submit("/register", registration())
    link = link_in(inbox.wait_for(1)[0])
    token = db.session.scalar(select(AccountToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(link).status_code == 400
    assert user("hana@example.jp").email_verified_at is None


def test_an_unverified_member_cannot_book_until_the_link_is_opened(client, inbox, create_space):
    space = create_space()
    client.submit("/register", registration())
    link = link_in(inbox.wait_for(1)[0])
    client.login("hana@example.jp", PASSWORD)
    page = client.get(f"/spaces/{space.slug}/book")
    assert page.status_code == 403
    assert "Send the link again" in page.get_data(as_text=True)

    start = future_day(3).replace(hour=1)
    with pytest.raises(ServiceError):
        request_booking(user("hana@example.jp"), BookingInput(space_id=space.id, start_dt=start,
                                                             end_dt=start + timedelta(hours=1), title="Work"))
    client.get(link)
    assert client.get(f"/spaces/{space.slug}/book").status_code == 200


def test_asking_again_sends_a_new_link_and_the_old_one_stops_working(client, inbox):
    client.submit("/register", registration())
    first = link_in(inbox.wait_for(1)[0])
    client.login("hana@example.jp", PASSWORD)
    client.submit("/account/verify")
    second = link_in(inbox.wait_for(2)[1])
    assert first != second
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 302
    assert user("hana@example.jp").is_verified


def test_the_demo_accounts_are_verified(seeded_demo):
    db.session.expire_all()
    assert all(u.is_verified for u in db.session.scalars(select(User)))
