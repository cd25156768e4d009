"""The account e-mails (verification link, "already registered" notice, reset link, password
changed), written to the outbox in the transaction that calls for them.

The payload holds the recipient's name and, for a link, only the nonce: the
renderer derives the link's secret with the app's secret key at delivery
(booking.services.account_tokens.derive), so the outbox never stores a working link.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from booking.domain.values import N_
from booking.models import User
from booking.services import account_tokens, outbox

SUBJECTS = {
    "verify": N_("Please confirm your e-mail address"),
    "already_registered": N_("Someone tried to register with your e-mail address"),
    "reset": N_("Reset your password"),
    "password_changed": N_("Your password was changed"),
}
# The page a mailed link opens, for the kinds that carry one.
LINKS = {"verify": "auth.verify_email", "reset": "auth.reset_password"}


def enqueue(session: Session, kind: str, user: User, nonce: str = "") -> None:
    """Add the account mail `kind` for `user` to the caller's transaction."""
    outbox.enqueue(session, kind=f"account.{kind}", to=user.email, locale=user.locale,
                   payload={"name": user.name, "nonce": nonce})


def _absolute(endpoint: str, **values: str) -> str:
    base = str(current_app.config.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    return base + str(current_app.url_map.bind("localhost").build(endpoint, values))


def render(kind: str, payload: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) in the locale in force (the outbox sets the recipient's)."""
    link = ""
    if kind in LINKS:
        secret = account_tokens.derive(str(current_app.config["SECRET_KEY"]), kind, str(payload["nonce"]))
        link = _absolute(LINKS[kind], token=secret)
    body = current_app.jinja_env.get_template(f"mail/account_{kind}.txt").render(
        name=payload["name"], link=link, sign_in=_absolute("auth.login"),
        forgot=_absolute("auth.forgot_password"),
        hours=current_app.config["VERIFY_LINK_HOURS"], minutes=current_app.config["RESET_LINK_MINUTES"],
    )
    return _(SUBJECTS[kind]), body.strip() + "\n"


def _register(kind: str) -> None:
    outbox.renderer(f"account.{kind}")(lambda payload, _locale: render(kind, payload))


for _kind in SUBJECTS:
    _register(_kind)
