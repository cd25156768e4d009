"""Secrets mailed or shown to one user: verification links, reset links, recovery codes.

Only the SHA-256 of a secret is stored. A mailed link's secret is derived from a
random nonce with the application's secret key (HMAC-SHA-256), and the outbox
row keeps only the nonce: the database alone (tokens and outbox) reveals no
working link, as with feed tokens. A secret works once: using it sets `used_at`
with a guarded UPDATE, so two requests racing with the same link cannot both
succeed. Source: OWASP ASVS 4.0.3 V2.3.1, V2.5.x, V2.6.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, scoped_session

from booking.models import AccountToken, User


def digest(secret: str) -> str:
    """The stored form of a secret: SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def derive(key: str, purpose: str, nonce: str) -> str:
    """The link secret of a nonce: HMAC-SHA-256 with the app's secret key, URL-safe base64 (43 characters)."""
    mac = hmac.new(key.encode("utf-8"), f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def store(session: Session, user_id: int, purpose: str, secret: str, now: datetime,
          lifetime: timedelta | None = None) -> None:
    """Keep the hash of `secret` for the user (expiring after `lifetime` when given)."""
    session.add(AccountToken(user_id=user_id, purpose=purpose, token_hash=digest(secret), created_at=now,
                             expires_at=now + lifetime if lifetime is not None else None))
    session.flush()


def issue(session: Session, user: User, purpose: str, now: datetime, lifetime: timedelta, key: str) -> str:
    """A new link secret for `user`; returns its nonce (see `derive`).

    A new link replaces every earlier one of the same purpose (ASVS V2.5.x: a
    newer reset link invalidates the older).
    """
    revoke(session, user.id, purpose)
    nonce = secrets.token_urlsafe(16)
    store(session, user.id, purpose, derive(key, purpose, nonce), now, lifetime)
    return nonce


def usable(session: Session | scoped_session[Any], secret: str, purpose: str, now: datetime) -> AccountToken | None:
    """The unused, unexpired token of this purpose matching `secret`, or None."""
    token: AccountToken | None = session.scalar(select(AccountToken).where(
        AccountToken.token_hash == digest(secret), AccountToken.purpose == purpose,
        AccountToken.used_at.is_(None)))
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    return token


def consume(session: Session, secret: str, purpose: str, now: datetime, user_id: int | None = None) -> User | None:
    """Use a secret up: its user, or None when it is unknown, used, expired or replaced.

    With `user_id`, only a secret of that user counts (recovery codes).
    """
    token = usable(session, secret, purpose, now)
    if token is None or (user_id is not None and token.user_id != user_id):
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
