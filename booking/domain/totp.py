"""Time-based one-time passwords (RFC 6238) for the admins' second factor.

A code is accepted for the current 30-second time step and one step either side
(RFC 6238 §5.2 allows a small window for clock drift), and only for a step later
than the last one accepted: the same code never works twice (ASVS 4.0.3 V2.8.4,
"used only once within the validity period").
"""

from __future__ import annotations

import hmac

import pyotp

STEP_SECONDS = 30
DRIFT_STEPS = 1
DIGITS = 6


def time_step(now_ts: float) -> int:
    """The RFC 6238 time step counter of a Unix time (seconds, UTC)."""
    return int(now_ts // STEP_SECONDS)


def normalise_code(code: str) -> str:
    """What the user typed, without spaces (authenticator apps show "123 456")."""
    return "".join(code.split())


def matching_step(secret: str, code: str, now_ts: float, last_step: int | None) -> int | None:
    """The time step `code` belongs to, or None when it is wrong, too old or already used.

    `secret` is base32; `now_ts` a Unix time in seconds; `last_step` the step of
    the last code accepted for this account (None before the first).
    """
    code = normalise_code(code)
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    otp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = time_step(now_ts)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(otp.generate_otp(step), code):
            return step
    return None
