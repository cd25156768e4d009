"""The password rule: long enough, not too long, and not common or easy to guess.

Sources: OWASP ASVS 4.0.3 V2.1.1 (at least 12 characters), V2.1.2 (64 characters
allowed, more than 128 refused), V2.1.7 (checked against breached and common
passwords) and V2.1.9 (no composition rules). The guessability check is zxcvbn,
whose frequency lists come from leaked password sets; the user's own e-mail
address and name count as known words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from zxcvbn import zxcvbn

from booking.domain.values import N_

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn's scale: 3 means more than 10^8 guesses, "safely unguessable" for an online attack.
MIN_SCORE = 3
# zxcvbn refuses longer input; a longer passphrase is judged by its first 72 characters.
ZXCVBN_MAX = 72

TOO_SHORT = N_("Use at least %(min)d characters.")
TOO_LONG = N_("Use at most %(max)d characters.")
TOO_COMMON = N_("This password is too common or too easy to guess. "
                "Try a longer phrase of several unrelated words.")


@dataclass(frozen=True)
class PasswordProblem:
    """Why a password is refused: a translatable message and its values."""

    message: str
    params: dict[str, int] = field(default_factory=dict)


def password_problem(password: str, known_words: Iterable[str] = ()) -> PasswordProblem | None:
    """None when `password` may be used, else the first problem found.

    `known_words` are the user's e-mail address, name and organisation: a
    password built from them is easy to guess for anyone who knows the user.
    """
    if len(password) < MIN_LENGTH:
        return PasswordProblem(TOO_SHORT, {"min": MIN_LENGTH})
    if len(password) > MAX_LENGTH:
        return PasswordProblem(TOO_LONG, {"max": MAX_LENGTH})
    words = [word for text in known_words for word in _pieces(text)]
    if zxcvbn(password[:ZXCVBN_MAX], user_inputs=words)["score"] < MIN_SCORE:
        return PasswordProblem(TOO_COMMON)
    return None


def _pieces(text: str) -> list[str]:
    """A text and its parts split at spaces, '@' and '.', lower-case (zxcvbn matches words)."""
    lowered = text.strip().lower()
    parts = lowered.replace("@", " ").replace(".", " ").split()
    return [piece for piece in (lowered, *parts) if len(piece) >= 3]
