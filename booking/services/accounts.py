"""Registering members, checking passwords, and choosing languages."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking.domain.values import N_
from booking.extensions import db
from booking.models import User
from booking.services import NotFound, ServiceError
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


def register(data: Registration) -> User:
    """Create an account; the e-mail is unique regardless of letter case."""
    email = normalise_email(data.email)
    user = User(
        email=email, name=data.name.strip(), organisation=data.organisation.strip(),
        org_kind=data.org_kind, locale=data.locale, role=data.role,
        password_hash=hash_password(data.password),
    )

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


def authenticate(email: str, password: str) -> User | None:
    """The enabled user with this e-mail and password, or None (same work either way)."""
    user: User | None = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    stored = user.password_hash if user is not None else _DUMMY_HASH
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_enabled:
        return None
    if hasher.check_needs_rehash(stored):
        _update_user(user.id, password_hash=hash_password(password))
    return user


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
    user: User | None = db.session.get(User, int(user_id))
    if user is None or not user.is_enabled or user.session_version != int(version):
        return None
    return user


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
