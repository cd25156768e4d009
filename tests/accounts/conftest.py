"""Account tests: the app sends mail to a real SMTP server (aiosmtpd); links are read from the mails."""

from __future__ import annotations

import re
from email.message import EmailMessage

from tests.mail.conftest import app_config, inbox, mail_config, smtp_server, text_of  # noqa: F401

BASE = "https://booking.example.jp"
LINK_RE = re.compile(re.escape(BASE) + r"(/\S+)")
NEW_PASSWORD = "seven otters argue about jazz"


def link_in(message: EmailMessage) -> str:
    """The path of the first link to this site in a mail."""
    match = LINK_RE.search(text_of(message))
    assert match, text_of(message)
    return match.group(1)
