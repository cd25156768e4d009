"""Admins' second factor: TOTP enrolment (QR code, recovery codes) and checking a code.

A code is accepted once: the step it belongs to is stored with a guarded UPDATE
(only a later step than the stored one), so a replayed code, even raced by two
requests at once, fails (ASVS 4.0.3 V2.8.4). Recovery codes are 25 random base32
characters (125 bits, above V2.6.2's 112), stored as SHA-256 and used once
(booking.services.account_tokens). A password reset never touches any of this.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.domain.totp import matching_step
from booking.domain.values import N_
from booking.extensions import db
from booking.models import AccountToken, User
from booking.services import NotFound, ServiceError, account_tokens, accounts
from booking.services.transactions import run_write

ISSUER = "Floor booking"
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
RECOVERY_GROUPS, RECOVERY_GROUP_LENGTH = 5, 5


class WrongCode(ServiceError):
    """A code or password is not right; `field` names the form field it belongs to."""

    status_code = 422

    def __init__(self, message: str, field: str = "code", **params: object) -> None:
        super().__init__(message, **params)
        self.field = field


def new_secret() -> str:
    """A random base32 TOTP secret of 160 bits (RFC 4226 §4 recommends 160)."""
    return pyotp.random_base32(32)


def enrolment_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_code(uri: str) -> str:
    """The QR code of `uri` as an SVG data: URI (an <img>, so the page needs no inline style)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def _recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH))
    return "-".join(raw[i:i + RECOVERY_GROUP_LENGTH] for i in range(0, len(raw), RECOVERY_GROUP_LENGTH))


def _normalised_recovery(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def enrol(user: User, secret: str, code: str, now_ts: float, now: datetime | None = None, *,
          current_code: str = "", password: str = "") -> list[str]:
    """Store `secret` once `code` from the new authenticator proves it works; returns new recovery codes.

    Replaces any earlier authenticator and recovery codes, but only with the account's
    password and a code of the current authenticator (or an unused recovery code), so a
    session alone cannot swap the second factor (ASVS 4.0.3 V2.7, V3.7.1). Raises WrongCode
    (its `field` says which input was wrong); nothing is changed then.
    """
    step = matching_step(secret, code, now_ts, None)
    if step is None:
        raise WrongCode(N_("This code is not right. Check the time on your phone and try the newest code."))
    if user.totp_secret:
        if not accounts.password_is_right(user, password):
            raise WrongCode(N_("The current password is wrong."), field="password")
        if check(user.id, current_code, now_ts, now) is None:
            raise WrongCode(N_("This code is not right, or was already used. Wait for the next code and try again."),
                            field="current_code")
    now = now or utcnow()
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]

    def work(session: Session) -> None:
        fresh = session.get(User, user.id)
        if fresh is None:
            raise NotFound()
        fresh.totp_secret, fresh.totp_last_step = secret, step
        account_tokens.revoke(session, fresh.id, "recovery")
        for recovery in codes:
            account_tokens.store(session, fresh.id, "recovery", _normalised_recovery(recovery), now)

    run_write(None, work)
    return codes


def check(user_id: int, code: str, now_ts: float, now: datetime | None = None) -> User | None:
    """The account `code` (a TOTP code or an unused recovery code) signs in, or None; each code works once."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_enabled or not user.totp_secret:
        return None
    step = matching_step(user.totp_secret, code, now_ts, user.totp_last_step)
    if step is not None:
        accepted = run_write(None, lambda session: _claim_step(session, user_id, step))
        return user if accepted else None
    recovery = _normalised_recovery(code)
    if len(recovery) != RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH:
        return None
    return run_write(None, lambda session: account_tokens.consume(session, recovery, "recovery",
                                                                  now or utcnow(), user_id=user_id))


def _claim_step(session: Session, user_id: int, step: int) -> bool:
    result = session.execute(
        update(User).where(User.id == user_id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    return getattr(result, "rowcount", 0) == 1


def recovery_codes_left(user: User) -> int:
    """How many unused recovery codes the account has."""
    rows = db.session.scalars(select(AccountToken.id).where(
        AccountToken.user_id == user.id, AccountToken.purpose == "recovery", AccountToken.used_at.is_(None)))
    return len(list(rows))
