"""The account e-mails: verification link, "already registered" notice, reset link, password changed.

Services call `send` after their commit. It is the one place account mail
leaves the application, so moving it to the outbox changes only `send`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from booking import mail
from booking.domain.values import N_

log = logging.getLogger(__name__)

SUBJECTS = {
    "verify": N_("Please confirm your e-mail address"),
    "already_registered": N_("Someone tried to register with your e-mail address"),
    "reset": N_("Reset your password"),
    "password_changed": N_("Your password was changed"),
}


@dataclass(frozen=True)
class AccountMail:
    """One account e-mail: `kind` names the template mail/account_<kind>.txt."""

    kind: str
    to: str
    name: str
    locale: str
    path: str = ""  # the link's path (with its secret), made absolute with BASE_URL


def _absolute(path: str) -> str:
    base = str(current_app.config.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    return base + path


def link_path(endpoint: str, **values: str) -> str:
    """The path of an endpoint, built without a request (services run outside one too)."""
    return str(current_app.url_map.bind("localhost").build(endpoint, values))


def render(item: AccountMail) -> mail.Mail:
    """The message in the recipient's language."""
    with force_locale(item.locale):
        body = current_app.jinja_env.get_template(f"mail/account_{item.kind}.txt").render(
            name=item.name, link=_absolute(item.path) if item.path else "",
            sign_in=_absolute(link_path("auth.login")), forgot=_absolute(link_path("auth.forgot_password")),
            hours=current_app.config["VERIFY_LINK_HOURS"], minutes=current_app.config["RESET_LINK_MINUTES"],
        )
        subject = _(SUBJECTS[item.kind])
    return mail.Mail(to=item.to, subject=subject, body=body.strip() + "\n")


def send(items: list[AccountMail]) -> None:
    """Render and send (never raises: a mail problem is logged, the user's action stands)."""
    rendered = []
    for item in items:
        try:
            rendered.append(render(item))
        except Exception:
            log.exception("could not render the %s e-mail", item.kind)
    mail.send(rendered)
