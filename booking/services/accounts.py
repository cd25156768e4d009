"""Accounts: registering, verifying the e-mail, signing in, changing and resetting the password.

Password rule: booking.domain.passwords (ASVS V2.1). Registration answers the
same whether or not the address is taken (ASVS V2.2/V3: no account
enumeration): a new address gets a verification link, a taken one a notice.
Mail is written to the outbox in the same transaction (booking.services.account_mail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking.db import as_loaded, utcnow
from booking.domain.passwords import password_problem
from booking.domain.values import N_
from booking.extensions import db
from booking.models import User
from booking.services import NotFound, ServiceError, account_mail, account_tokens
from booking.services.transactions import run_write

# OWASP's Argon2id recommendation: 19 MiB of memory, 2 iterations, 1 lane.
hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Checked when the e-mail is unknown, so a failed log-in takes the same time either way.
_DUMMY_HASH = hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return hasher.hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    name: str
    organisation: str = ""
    org_kind: str = "individual"
    locale: str = "ja"
    role: str = "member"


class EmailTaken(ServiceError):
    status_code = 409


class AccountDeactivated(ServiceError):
    """The password was right but the account is deactivated (only ever said to its owner)."""

    status_code = 403


class WeakPassword(ServiceError):
    status_code = 422


class WrongPassword(ServiceError):
    status_code = 422


def require_strong(password: str, *known_words: str) -> None:
    """Raise WeakPassword with the rule's message unless `password` passes booking.domain.passwords."""
    problem = password_problem(password, known_words)
    if problem is not None:
        raise WeakPassword(problem.message, **problem.params)


def _new_user(data: Registration, email: str, verified_at: datetime | None) -> User:
    return User(
        email=email, name=data.name.strip(), organisation=data.organisation.strip(),
        org_kind=data.org_kind, locale=data.locale, role=data.role,
        password_hash=hash_password(data.password), email_verified_at=verified_at,
    )


def create_account(data: Registration) -> User:
    """Create a verified account (CLI, demo data); raises EmailTaken or WeakPassword."""
    require_strong(data.password, data.email, data.name)
    email = normalise_email(data.email)
    user = _new_user(data, email, utcnow())

    def work(session: Session) -> User:
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            raise EmailTaken(N_("An account with this e-mail address already exists."))
        session.add(user)
        return user

    try:
        return run_write(None, work)
    except IntegrityError as error:
        db.session.rollback()
        raise EmailTaken(N_("An account with this e-mail address already exists.")) from error


def register(data: Registration, now: datetime | None = None) -> None:
    """Sign-up from the public form: the same outcome whether or not the address is taken.

    A new address gets an unverified account and a verification link valid for
    VERIFY_LINK_HOURS; the owner of a taken address gets a notice instead. The
    password is hashed either way, so both take the same time. Raises
    WeakPassword before anything is written.
    """
    require_strong(data.password, data.email, data.name)
    now = now or utcnow()
    email = normalise_email(data.email)
    user = _new_user(data, email, None)

    def work(session: Session) -> None:
        existing = session.scalar(select(User).where(User.email == email))
        if existing is not None:
            account_mail.enqueue(session, "already_registered", existing)
            return
        session.add(user)
        session.flush()
        account_mail.enqueue(session, "verify", user, _link_nonce(session, user, "verify", now))

    try:
        run_write(None, work)
    except IntegrityError:
        db.session.rollback()  # registered by a concurrent request a moment ago: tell the owner
        run_write(None, lambda session: _notice_taken(session, email))


def _notice_taken(session: Session, email: str) -> None:
    existing = session.scalar(select(User).where(User.email == email))
    if existing is not None:
        account_mail.enqueue(session, "already_registered", existing)


def _link_nonce(session: Session, user: User, purpose: str, now: datetime) -> str:
    """A new verification or reset link for `user` (older ones of the purpose die); its nonce."""
    config = current_app.config
    lifetime = (timedelta(hours=config["VERIFY_LINK_HOURS"]) if purpose == "verify"
                else timedelta(minutes=config["RESET_LINK_MINUTES"]))
    return account_tokens.issue(session, user, purpose, now, lifetime, str(config["SECRET_KEY"]))


def verify_email(secret: str, now: datetime | None = None) -> bool:
    """Mark the address of the link's account verified; False for an unknown, used or expired link."""
    now = now or utcnow()

    def work(session: Session) -> bool:
        user = account_tokens.consume(session, secret, "verify", now)
        if user is None:
            return False
        user.email_verified_at = user.email_verified_at or now
        return True

    return run_write(None, work)


def resend_verification(user: User, now: datetime | None = None) -> None:
    """A fresh verification link for a signed-in member who has not verified yet (older links die)."""
    if user.is_verified:
        return
    now = now or utcnow()

    def work(session: Session) -> None:
        fresh = session.get(User, user.id)
        if fresh is None:
            raise NotFound()
        account_mail.enqueue(session, "verify", fresh, _link_nonce(session, fresh, "verify", now))

    run_write(None, work)


def authenticate(email: str, password: str) -> User | None:
    """The enabled user with this e-mail and password, or None (same work either way).

    Raises AccountDeactivated only after the password was verified, so somebody
    without the password learns nothing about the account (the answer and the
    work are those of a wrong password).
    """
    user: User | None = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    stored = user.password_hash if user is not None else _DUMMY_HASH
    if not _matches(stored, password) or user is None:
        return None
    if not user.is_enabled:
        raise AccountDeactivated(N_("This account has been deactivated. To use it again, contact %(contact)s."))
    if hasher.check_needs_rehash(stored):
        _update_user(user.id, password_hash=hash_password(password))
    return user


def password_is_right(user: User, password: str) -> bool:
    """Whether `password` is the account's password (argon2 verify: constant time in the hash)."""
    return _matches(user.password_hash, password)


def _matches(stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _set_password(session: Session, user: User, password: str) -> None:
    """New hash; every reset link dies (ASVS V2.5.x) and every session ends (V3.3.3)."""
    user.password_hash = hash_password(password)
    account_tokens.revoke(session, user.id, "reset")
    end_sessions(session, user)
    account_mail.enqueue(session, "password_changed", user)


def change_password(user: User, current: str, new: str) -> None:
    """Change the signed-in user's password; raises WrongPassword unless `current` is right.

    Raises WeakPassword when `new` breaks the rule. Every session of the account
    ends (the caller signs this browser in again); the owner is told by mail.
    """
    if not _matches(user.password_hash, current):
        raise WrongPassword(N_("The current password is wrong."))
    require_strong(new, user.email, user.name)

    def work(session: Session) -> None:
        fresh = session.get(User, user.id)
        if fresh is None:
            raise NotFound()
        _set_password(session, fresh, new)

    run_write(None, work)


def request_password_reset(email: str, now: datetime | None = None) -> None:
    """Mail a reset link valid for RESET_LINK_MINUTES to an enabled account; nothing otherwise.

    The caller answers the same either way. A new link replaces older ones.
    """
    now = now or utcnow()
    email = normalise_email(email)

    def work(session: Session) -> None:
        user = session.scalar(select(User).where(User.email == email))
        if user is not None and user.is_enabled:
            account_mail.enqueue(session, "reset", user, _link_nonce(session, user, "reset", now))

    run_write(None, work)


def reset_link_works(secret: str, now: datetime | None = None) -> bool:
    """Whether a reset link may still be used (to show its form or say it expired)."""
    return account_tokens.usable(db.session, secret, "reset", now or utcnow()) is not None


def reset_password(secret: str, new: str, now: datetime | None = None) -> bool:
    """Set a new password with a reset link; False when the link is unknown, used, expired or replaced.

    The link proves the mailbox, so the address counts as verified. Every
    session of the account ends. An admin's second factor stays as it is:
    signing in still asks for the code. Raises WeakPassword when `new` breaks
    the rule (the link stays usable).
    """
    now = now or utcnow()
    token = account_tokens.usable(db.session, secret, "reset", now)
    if token is None:
        return False
    require_strong(new, token.user.email, token.user.name)
    db.session.rollback()

    def work(session: Session) -> bool:
        user = account_tokens.consume(session, secret, "reset", now)
        if user is None or not user.is_enabled:
            return False
        _set_password(session, user, new)
        user.email_verified_at = user.email_verified_at or now
        return True

    return run_write(None, work)


def end_sessions(session: Session, user: User) -> None:
    """End every session of `user`, in every browser, inside the caller's write transaction.

    Raises the account's session version with one UPDATE (`session_version + 1` in SQL,
    so two concurrent calls both count). Session and remember cookies carry the version
    they were issued with (`User.get_id()` gives "<id>:<version>", Flask-Login's
    alternative id) and `user_for_session` refuses any other version, so once the
    transaction commits every cookie issued before it stops working at its next request.
    Called on logout, deactivation, reactivation, role change and password change
    (OWASP ASVS 4.0.3 V3.3.1, V3.3.3).
    """
    session.execute(update(User).where(User.id == user.id)
                    .values(session_version=User.session_version + 1))
    if user in session:
        session.expire(user, ["session_version"])


def sign_out_everywhere(user: User) -> None:
    """Logout: end every session of `user` (this browser's and all others), in one transaction."""
    run_write(None, lambda session: end_sessions(session, user))


def user_for_session(session_id: str) -> User | None:
    """The enabled account a session id "<id>:<version>" names, or None.

    None for anything malformed, an unknown or deactivated account, or a version
    other than the account's current one (a session ended by `end_sessions`).
    """
    user_id, _colon, version = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    if len(user_id) > 18 or len(version) > 18:
        return None
    user = _user_by_id(int(user_id))
    if user is None or not user.is_enabled or user.session_version != int(version):
        return None
    return user


_USERS = User.__table__
_USER_ROW = select(*_USERS.c).where(_USERS.c.id == bindparam("id"))
_USER_COLUMNS = tuple(_USER_ROW.selected_columns.keys())


def _user_by_id(user_id: int) -> User | None:
    """`db.session.get(User, user_id)` for the first read of a request, at half its cost.

    The row is read on the connection and the account put into the session as if loaded
    there (`make_transient_to_detached`, then `add`: persistent, nothing pending); the ORM
    load it replaces was profile line 'sqlalchemy/orm/loading.py:537(_load_on_pk_identity)',
    a third of a signed-in page's fixed cost. When the session holds the account already,
    that one is returned, as `get` does.
    """
    session = db.session()
    if session.identity_key(User, user_id) in session.identity_map:
        return session.get(User, user_id)
    row = session.connection().execute(_USER_ROW, {"id": user_id}).one_or_none()
    if row is None:
        return None
    return as_loaded(session, User, zip(_USER_COLUMNS, row, strict=True))


def set_locale(user: User, locale: str) -> None:
    """Remember the member's preferred language."""
    _update_user(user.id, locale=locale)


def _update_user(user_id: int, **values: object) -> None:
    """Change a user's columns in a write transaction (SQLite: BEGIN IMMEDIATE)."""

    def work(session: Session) -> None:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound()
        for name, value in values.items():
            setattr(user, name, value)

    run_write(None, work)
