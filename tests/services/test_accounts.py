"""Registering and signing in: unique e-mails, argon2 hashes, no hint about unknown e-mails."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.services.accounts import (
    AccountDeactivated,
    EmailTaken,
    Registration,
    authenticate,
    create_account,
    register,
)

SECRET = "a long enough password"


def sign_up(email: str = "Hanako@Example.JP", **fields) -> object:
    return create_account(Registration(email=email, password=SECRET, name="  山田 花子 ", **fields))


def test_registering_stores_a_lowercase_email_and_a_trimmed_name(app):
    user = sign_up(organisation=" NPO Sample ", org_kind="npo", locale="en")
    db.session.expire_all()
    assert (user.email, user.name, user.organisation) == ("hanako@example.jp", "山田 花子", "NPO Sample")
    assert (user.org_kind, user.locale, user.role) == ("npo", "en", "member")


def test_an_argon2_hash_is_stored_and_never_the_password(app):
    user = sign_up()
    assert user.password_hash.startswith("$argon2id$")
    assert SECRET not in user.password_hash


def test_the_same_password_gets_a_different_hash_for_each_account(app):
    assert sign_up("a@example.jp").password_hash != sign_up("b@example.jp").password_hash


@pytest.mark.parametrize("again", ["hanako@example.jp", "HANAKO@EXAMPLE.JP", " Hanako@example.jp "])
def test_an_email_is_taken_whatever_its_letter_case(app, again):
    sign_up()
    with pytest.raises(EmailTaken):
        sign_up(again)


def test_signing_in_ignores_the_letter_case_of_the_email(app):
    user = sign_up()
    assert authenticate("HANAKO@example.jp", SECRET) == user


def test_a_wrong_password_gives_nobody(app):
    sign_up()
    assert authenticate("hanako@example.jp", SECRET + "!") is None


def test_an_unknown_email_gives_nobody(app):
    sign_up()
    assert authenticate("taro@example.jp", SECRET) is None


def test_a_disabled_account_cannot_sign_in_and_only_its_owner_learns_why(app):
    user = sign_up()
    user.is_enabled = False
    db.session.commit()
    with pytest.raises(AccountDeactivated):
        authenticate("hanako@example.jp", SECRET)
    assert authenticate("hanako@example.jp", "not the secret") is None


def test_a_session_id_loads_its_account_into_the_session_as_a_read_would(app, create_user):
    """user_for_session reads the row itself when the session holds no copy (the first read of a request)."""
    from booking.models import User
    from booking.services.accounts import user_for_session

    member = create_user(name="花子", locale="en")
    member_id, version = member.id, member.session_version
    db.session.remove()
    found = user_for_session(f"{member_id}:{version}")
    assert found is not None
    assert (found.name, found.locale, found.is_verified) == ("花子", "en", member.is_verified)
    assert db.session.get(User, member_id) is found
    assert not db.session.new and not db.session.dirty
    found.name = "Hanako"
    db.session.commit()
    db.session.remove()
    assert db.session.get(User, member_id).name == "Hanako"
    db.session.remove()
    assert user_for_session(f"{member_id}:{version + 1}") is None
    assert user_for_session(f"{member_id + 1000}:1") is None


def test_a_members_language_choice_is_saved(app, create_user):
    from booking.models import User
    from booking.services.accounts import set_locale

    member = create_user(locale="ja")
    other = create_user(locale="ja")
    set_locale(member, "en")
    db.session.expire_all()
    assert db.session.get(User, member.id).locale == "en"
    assert db.session.get(User, other.id).locale == "ja"


def test_choosing_a_language_for_an_account_removed_meanwhile_is_not_found(app, create_user):
    from booking.models import User
    from booking.services import NotFound
    from booking.services.accounts import set_locale

    gone = create_user()
    db.session.delete(gone)
    db.session.commit()
    with pytest.raises(NotFound):
        set_locale(User(id=gone.id), "en")


def test_a_hash_with_old_argon2_settings_is_replaced_at_the_next_sign_in(app, create_user):
    from argon2 import PasswordHasher

    from booking.models import User
    from booking.services.accounts import hasher

    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(SECRET)
    member = create_user(email="old@example.jp", password_hash=old)
    assert authenticate("old@example.jp", SECRET) is not None
    db.session.expire_all()
    stored = db.session.get(User, member.id).password_hash
    assert stored != old and not hasher.check_needs_rehash(stored) and hasher.verify(stored, SECRET)


def test_a_sign_up_that_loses_the_race_for_its_address_sends_the_winner_a_notice_and_no_link(app, monkeypatch):
    """Two sign-ups of one address at once: the later insert meets the unique e-mail, the owner is told."""
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from booking.models import OutboxMessage, User
    from booking.services import accounts
    from booking.services.accounts import register

    real_run_write = accounts.run_write
    raced = []

    def racing(space_id, work):
        if not raced:  # the other sign-up commits between this one's look-up and its insert
            raced.append(True)
            sign_up("hana@example.jp", locale="en")
            raise IntegrityError("INSERT INTO users", {}, Exception("UNIQUE constraint failed: users.email"))
        return real_run_write(space_id, work)

    monkeypatch.setattr(accounts, "run_write", racing)
    register(Registration(email="Hana@Example.jp", password=SECRET, name="Someone Else"))
    db.session.expire_all()
    assert db.session.scalars(select(User.email)).all() == ["hana@example.jp"]
    sent = db.session.scalars(select(OutboxMessage)).all()
    assert [(m.kind, m.recipient, m.locale, m.payload["name"]) for m in sent] == [
        ("account.already_registered", "hana@example.jp", "en", "山田 花子")]


TAKEN = "An account with this e-mail address already exists."


def test_a_taken_email_is_refused_with_a_message_that_says_so(app):
    sign_up()
    with pytest.raises(EmailTaken) as refused:
        sign_up("hanako@example.jp")
    assert refused.value.message == TAKEN


def test_a_creation_that_loses_the_race_for_its_address_is_refused_with_the_same_message(app, monkeypatch):
    """The look-up saw a free address, then the unique e-mail refused the insert: still EmailTaken, said plainly."""
    from sqlalchemy.exc import IntegrityError

    from booking.services import accounts

    def losing(space_id, work):
        raise IntegrityError("INSERT INTO users", {}, Exception("UNIQUE constraint failed: users.email"))

    monkeypatch.setattr(accounts, "run_write", losing)
    with pytest.raises(EmailTaken) as refused:
        sign_up("hanako@example.jp")
    assert refused.value.message == TAKEN


# Strong for a stranger, easy for anyone who knows the account (booking.domain.passwords).
FROM_EMAIL = ("kwazimodo.flarn@example.jp", "kwazimodoflarn")
FROM_NAME = ("Zephyrine Quorvath", "zephyrinequorvath")


def rows(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def known_word_cases() -> list[tuple[str, str, str]]:
    """(e-mail, name, password) where the password is made of the e-mail address, then of the name."""
    return [(FROM_EMAIL[0], "Ichiro Suzuki", FROM_EMAIL[1]), ("ichiro@example.jp", FROM_NAME[0], FROM_NAME[1])]


@pytest.mark.parametrize("email, name, password", known_word_cases(), ids=["email", "name"])
def test_an_account_is_not_created_with_a_password_made_of_its_email_or_name(app, email, name, password):
    from booking.models import User
    from booking.services.accounts import WeakPassword

    with pytest.raises(WeakPassword):
        create_account(Registration(email=email, password=password, name=name))
    assert rows(User) == 0


@pytest.mark.parametrize("email, name, password", known_word_cases(), ids=["email", "name"])
def test_a_sign_up_is_refused_with_a_password_made_of_its_email_or_name(app, email, name, password):
    from booking.models import OutboxMessage, User
    from booking.services.accounts import WeakPassword, register

    with pytest.raises(WeakPassword):
        register(Registration(email=email, password=password, name=name))
    assert rows(User) == rows(OutboxMessage) == 0


@pytest.mark.parametrize("email, name, password", known_word_cases(), ids=["email", "name"])
def test_a_new_password_made_of_the_members_email_or_name_is_refused(app, create_user, email, name, password):
    from booking.services.accounts import WeakPassword, change_password, password_is_right
    from tests.conftest import PASSWORD

    member = create_user(email=email, name=name)
    with pytest.raises(WeakPassword):
        change_password(member, PASSWORD, password)
    db.session.expire_all()
    assert password_is_right(db.session.get(type(member), member.id), PASSWORD)


def test_a_short_email_address_does_not_make_a_strong_password_weak(app, create_user):
    """The rule judges the password; the address (here shorter than any password may be) is only a known word."""
    from booking.models import User
    from booking.services.accounts import change_password, password_is_right, register, reset_password
    from tests.conftest import PASSWORD

    register(Registration(email="ab@x.jp", password=SECRET, name="Ab"))
    create_account(Registration(email="cd@x.jp", password=SECRET, name="Cd"))
    member = create_user(email="ef@x.jp", name="Ef")
    change_password(member, PASSWORD, SECRET)
    resetting = create_user(email="gh@x.jp", name="Gh")
    assert reset_password(mailed_reset_secret(app, "gh@x.jp"), SECRET) is True
    db.session.expire_all()
    assert sorted(db.session.scalars(select(User.email)).all()) == ["ab@x.jp", "cd@x.jp", "ef@x.jp", "gh@x.jp"]
    assert password_is_right(db.session.get(User, member.id), SECRET)
    assert password_is_right(db.session.get(User, resetting.id), SECRET)


def mailed_reset_secret(app, email: str) -> str:
    """Ask for a reset link for `email` and return the secret its mail carries."""
    from booking.services.accounts import request_password_reset

    request_password_reset(email)
    return mailed_reset_secret_only(app)


def test_an_unknown_reset_link_changes_nothing_and_says_so(app, create_user):
    from booking.services.accounts import password_is_right, reset_password
    from tests.conftest import PASSWORD

    member = create_user()
    assert reset_password("not-a-link-anybody-was-sent", "a brand new long passphrase") is False
    db.session.expire_all()
    assert password_is_right(db.session.get(type(member), member.id), PASSWORD)


def test_a_reset_link_of_an_account_deactivated_since_it_was_mailed_changes_nothing(app, create_user):
    from booking.services.accounts import password_is_right, reset_link_works, reset_password
    from tests.conftest import PASSWORD

    member = create_user()
    secret = mailed_reset_secret(app, member.email)
    member.is_enabled = False
    db.session.commit()
    assert reset_password(secret, "a brand new long passphrase") is False
    db.session.expire_all()
    assert password_is_right(db.session.get(type(member), member.id), PASSWORD)
    assert not reset_link_works(secret)  # used up by the refused attempt: its form is not shown again


def test_a_password_reset_verifies_the_address_the_link_was_mailed_to(app, create_user):
    from datetime import UTC, datetime

    from booking.services.accounts import reset_password

    member = create_user(email_verified_at=None)
    secret = mailed_reset_secret(app, member.email)
    now = datetime.now(UTC)
    assert reset_password(secret, "a brand new long passphrase", now=now) is True
    db.session.expire_all()
    assert db.session.get(type(member), member.id).email_verified_at == now


def test_a_password_reset_keeps_the_time_the_address_was_first_verified(app, create_user):
    from datetime import UTC, datetime, timedelta

    from booking.services.accounts import reset_password

    first = datetime.now(UTC) - timedelta(days=30)
    member = create_user(email_verified_at=first)
    assert reset_password(mailed_reset_secret(app, member.email), "a brand new long passphrase") is True
    db.session.expire_all()
    assert db.session.get(type(member), member.id).email_verified_at == first


@pytest.mark.parametrize("email, name, password", known_word_cases(), ids=["email", "name"])
def test_a_reset_to_a_password_made_of_the_members_email_or_name_is_refused(app, create_user, email, name, password):
    from booking.services.accounts import WeakPassword, password_is_right, reset_password
    from tests.conftest import PASSWORD

    member = create_user(email=email, name=name)
    with pytest.raises(WeakPassword):
        reset_password(mailed_reset_secret(app, email), password)
    db.session.expire_all()
    assert password_is_right(db.session.get(type(member), member.id), PASSWORD)


def test_signing_out_ends_every_session_of_the_account(app, create_user):
    from booking.services.accounts import sign_out_everywhere, user_for_session

    member = create_user()
    session_id = member.get_id()
    assert user_for_session(session_id) is not None
    sign_out_everywhere(member)
    db.session.expire_all()
    assert user_for_session(session_id) is None


def test_a_link_used_by_another_request_after_this_one_read_it_works_only_once(app, create_user, monkeypatch):
    """Two requests with one reset link at once: both find it unused; the guarded UPDATE lets only the first through."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from booking.models import AccountToken
    from booking.services import account_tokens
    from booking.services.transactions import run_write

    member = create_user()
    secret = mailed_reset_secret(app, member.email)
    now = datetime.now(UTC)
    real_usable = account_tokens.usable

    def read_before_the_other_used_it(session, secret_, purpose, now_):
        token = real_usable(session, secret_, purpose, now_)
        session.execute(update(AccountToken).where(AccountToken.id == token.id).values(used_at=now_)
                        .execution_options(synchronize_session=False))  # the other request, in between
        return token

    monkeypatch.setattr(account_tokens, "usable", read_before_the_other_used_it)
    assert run_write(None, lambda session: account_tokens.consume(session, secret, "reset", now)) is None


def test_an_account_is_created_with_the_role_asked_for(app):
    assert sign_up("staff@example.jp", role="staff").role == "staff"
    assert sign_up("admin@example.jp", role="admin").role == "admin"


def test_a_reset_link_stops_working_at_the_end_of_its_lifetime(app, create_user):
    from datetime import UTC, datetime, timedelta

    from booking.services.accounts import request_password_reset, reset_link_works

    member = create_user()
    asked = datetime.now(UTC)
    request_password_reset(member.email, now=asked)
    secret = mailed_reset_secret_only(app)
    end = asked + timedelta(minutes=app.config["RESET_LINK_MINUTES"])
    assert reset_link_works(secret, end - timedelta(microseconds=1))
    assert not reset_link_works(secret, end)


def test_a_used_reset_link_no_longer_shows_its_form(app, create_user):
    from booking.services.accounts import reset_link_works, reset_password

    member = create_user()
    secret = mailed_reset_secret(app, member.email)
    assert reset_password(secret, "a brand new long passphrase") is True
    assert not reset_link_works(secret)


def test_a_secret_works_only_for_the_purpose_it_was_made_for(app, create_user):
    """A recovery code, or a verification link's secret, is never a reset link."""
    from datetime import UTC, datetime

    from booking.services import account_tokens
    from booking.services.accounts import reset_link_works, reset_password
    from booking.services.transactions import run_write

    member = create_user()
    run_write(None, lambda session: account_tokens.store(session, member.id, "verify", "a-verify-secret",
                                                         datetime.now(UTC)))
    assert not reset_link_works("a-verify-secret")
    assert reset_password("a-verify-secret", "a brand new long passphrase") is False


def mailed_reset_secret_only(app) -> str:
    """The secret of the newest reset mail in the outbox."""
    from booking.models import OutboxMessage
    from booking.services.account_tokens import derive

    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "account.reset")
                                 .order_by(OutboxMessage.id.desc())).first()
    assert message is not None
    return derive(str(app.config["SECRET_KEY"]), "reset", message.payload["nonce"])


def test_a_link_secret_is_43_url_safe_characters_without_padding():
    from booking.services.account_tokens import derive

    secret = derive("test-secret", "reset", "nonce-0")
    assert secret == "VQMz2RuO5Y2RHBW8Pn8gzH0dDt0CQkkNx2jz6jdrkBM"
    assert len(secret) == 43 and "=" not in secret


def test_a_mailed_link_keeps_a_nonce_of_128_random_bits_in_the_outbox(app, create_user):
    from booking.models import OutboxMessage
    from booking.services.accounts import request_password_reset

    member = create_user()
    request_password_reset(member.email)
    nonce = db.session.scalars(select(OutboxMessage.payload)).one()["nonce"]
    assert len(nonce) == 22 and re.fullmatch(r"[A-Za-z0-9_-]+", nonce)  # 16 bytes, URL-safe base64


def test_a_verification_link_works_for_its_hours_not_for_a_reset_links_minutes(app):
    from datetime import UTC, datetime, timedelta

    from booking.models import OutboxMessage
    from booking.services.account_tokens import derive
    from booking.services.accounts import register, verify_email

    signed_up = datetime.now(UTC)
    register(Registration(email="new@example.jp", password=SECRET, name="New"), now=signed_up)
    nonce = db.session.scalars(select(OutboxMessage.payload)).one()["nonce"]
    secret = derive(str(app.config["SECRET_KEY"]), "verify", nonce)
    later = signed_up + timedelta(hours=app.config["VERIFY_LINK_HOURS"]) - timedelta(minutes=1)
    assert later - signed_up > timedelta(minutes=app.config["RESET_LINK_MINUTES"])
    assert verify_email(secret, now=later) is True


@pytest.mark.parametrize("session_id", [
    "abc:1", "1:abc", "1:١", "١:1", "9" * 19 + ":1", "1:" + "9" * 19, "1", ":1", "1:", "1:1:1", "-1:1", "1:-1",
])
def test_a_malformed_session_id_names_nobody(app, create_user, session_id):
    """Only ASCII digits of at most 18 places on both sides (no int64 overflow reaches the database)."""
    from booking.services.accounts import user_for_session

    member = create_user()
    assert member.get_id() == "1:1"
    assert user_for_session(session_id) is None
    assert user_for_session("1:1") is member


@pytest.mark.parametrize("base_url, sign_in", [
    ("https://booking.example.jp/", "https://booking.example.jp/login"),
    ("https://example.jp/BOX/", "https://example.jp/BOX/login"),
    ("", "http://127.0.0.1:5000/login"),
], ids=["trailing-slash", "path-ending-in-X", "unset"])
def test_account_mail_links_start_at_the_base_url_once(app, base_url, sign_in):
    """A trailing slash of BASE_URL gives no double slash; without BASE_URL, the dev server's address."""
    from booking.services import account_mail

    app.config["BASE_URL"] = base_url
    with app.test_request_context():
        _subject, body = account_mail.render("already_registered", {"name": "Hanako", "nonce": ""})
    assert f"{sign_in}\n" in body


def test_a_deactivated_owner_is_told_whom_to_contact(app):
    user = sign_up()
    user.is_enabled = False
    db.session.commit()
    with pytest.raises(AccountDeactivated) as refused:
        authenticate("hanako@example.jp", SECRET)
    assert refused.value.message == "This account has been deactivated. To use it again, contact %(contact)s."


def test_asking_for_a_reset_link_leaves_the_other_secrets_of_the_account_alone(app, create_user):
    """A new reset link replaces older reset links only: recovery codes and a verification link stay."""
    import time

    import pyotp

    from booking.models import AccountToken
    from booking.services import second_factor
    from booking.services.accounts import request_password_reset

    member = create_user()
    secret = pyotp.random_base32()
    codes = second_factor.enrol(member, secret, pyotp.TOTP(secret).now(), time.time())
    register(Registration(email="new@example.jp", password=SECRET, name="New"))
    request_password_reset(member.email)
    request_password_reset("new@example.jp")
    kept = db.session.scalars(select(AccountToken.purpose)).all()
    assert sorted(kept) == ["recovery"] * len(codes) + ["reset", "reset", "verify"]


@pytest.mark.parametrize("kind", ["verify", "already_registered", "reset", "password_changed"])
def test_every_account_mail_greets_its_recipient_by_name_and_ends_with_one_newline(app, kind):
    from booking.services import account_mail

    with app.test_request_context():
        _subject, body = account_mail.render(kind, {"name": "山田 花子", "nonce": "a-nonce"})
    assert "山田 花子" in body
    assert body == body.strip() + "\n"
