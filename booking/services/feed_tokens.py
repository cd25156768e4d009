"""Secret, revocable feed addresses of members and staff.

A token is 192 bits derived with HMAC-SHA256 from the application's secret key and
a random 256-bit nonce. The database keeps the nonce and the token's SHA-256: a
copy of the database alone yields no working address, while the account page can
still show the address again. Look-up is by hash, confirmed with a constant-time
comparison. Renewing draws a new nonce, so the old address stops working at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from booking.extensions import db
from booking.models import FEED_KINDS, FeedToken, User
from booking.services import NotFound
from booking.services.transactions import run_write

TOKEN_BYTES = 24
TOKEN_LENGTH = 32  # base64url characters of TOKEN_BYTES
_TOKEN_SHAPE = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _derive(kind: str, nonce: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    message = f"floor-booking feed token\0{kind}\0{nonce}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:TOKEN_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def _row(user: User, kind: str) -> FeedToken | None:
    return db.session.scalar(
        select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.kind == kind))


def current_token(user: User, kind: str) -> str | None:
    """The user's working token of this kind, or None (never created, or the secret key changed)."""
    row = _row(user, kind)
    if row is None:
        return None
    token = _derive(kind, row.nonce)
    return token if hmac.compare_digest(hash_token(token), row.token_hash) else None


def renew_token(user: User, kind: str) -> str:
    """Create or replace the user's token of this kind; the previous one stops working."""
    if kind == "staff" and not user.is_staff:
        raise NotFound()
    nonce = secrets.token_hex(32)
    token = _derive(kind, nonce)

    def work(_session: object) -> None:
        row = _row(user, kind)
        if row is None:
            row = FeedToken(user_id=user.id, kind=kind)
            db.session.add(row)
        row.nonce = nonce
        row.token_hash = hash_token(token)

    run_write(None, work)
    return token


def revoke_tokens(session: Session, user_id: int, kinds: tuple[str, ...] = FEED_KINDS) -> None:
    """Delete the user's tokens of these kinds inside the caller's write transaction.

    The row (and its nonce) is gone, so the old address never works again, even after a
    reactivation or a new promotion to staff: only `renew_token` makes a new, different one.
    """
    session.execute(delete(FeedToken).where(FeedToken.user_id == user_id, FeedToken.kind.in_(kinds)))


def is_well_formed(token: str) -> bool:
    """Cheap shape check before any query: anything else cannot be a token.

    One compiled pattern, not a generator over the characters (profile line
    'feed_tokens.py(<genexpr>)': a third of a private feed's 304 in cProfile).
    """
    return _TOKEN_SHAPE.fullmatch(token) is not None


def tokens_of(user: User) -> dict[str, str | None]:
    """The user's working tokens by kind (the staff kind only for staff)."""
    kinds = ("member", "staff") if user.is_staff else ("member",)
    return {kind: current_token(user, kind) for kind in kinds}
