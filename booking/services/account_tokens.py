"""Secrets mailed or shown to one user: verification links, reset links, recovery codes.

Only the SHA-256 of a secret is stored (the secrets are random, 256 bits for
links, so a plain hash is enough: nothing to brute-force). A secret works once:
using it sets `used_at` with a guarded UPDATE, so two requests racing with the
same link cannot both succeed. Source: OWASP ASVS 4.0.3 V2.3.1, V2.5.x, V2.6.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from booking.models import AccountToken, User


def digest(secret: str) -> str:
    """The stored form of a secret: SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue(session: Session, user: User, purpose: str, now: datetime, lifetime: timedelta | None) -> str:
    """A new secret for `user`; returns it in clear (to mail or show once).

    A new reset link replaces every earlier one of the user (ASVS V2.5.x: a newer
    link invalidates the older).
    """
    if purpose == "reset":
        revoke(session, user.id, "reset")
    secret = secrets.token_urlsafe(32)
    session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=digest(secret), created_at=now,
                             expires_at=now + lifetime if lifetime is not None else None))
    session.flush()
    return secret


def usable(session: Session, secret: str, purpose: str, now: datetime) -> AccountToken | None:
    """The unused, unexpired token of this purpose matching `secret`, or None."""
    token = session.scalar(select(AccountToken).where(
        AccountToken.token_hash == digest(secret), AccountToken.purpose == purpose,
        AccountToken.used_at.is_(None)))
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    return token


def consume(session: Session, secret: str, purpose: str, now: datetime) -> User | None:
    """Use a secret up: its user, or None when it is unknown, used, expired or replaced."""
    token = usable(session, secret, purpose, now)
    if token is None:
        return None
    marked = session.execute(
        update(AccountToken).where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    if getattr(marked, "rowcount", 0) != 1:
        return None
    return session.get(User, token.user_id)


def revoke(session: Session, user_id: int, purpose: str) -> None:
    """Delete every secret of this purpose of the user (used or not)."""
    session.execute(delete(AccountToken).where(AccountToken.user_id == user_id, AccountToken.purpose == purpose)
                    .execution_options(synchronize_session=False))
