"""Sending e-mail: over SMTP when MAIL_SERVER is set, else to the log (or, in tests, to a list).

This module only builds and sends; what to send and when lives in the outbox
(booking/services/outbox.py, booking/delivery.py), which retries what fails here.
The connection times out after MAIL_TIMEOUT seconds and every failure is reported
to the caller, never raised.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import Flask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar"
    data: bytes
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Mail:
    """One plain-text message to one recipient."""

    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Settings:
    server: str
    port: int
    username: str
    password: str
    use_tls: bool
    use_ssl: bool
    sender: str
    timeout: float
    background: bool

    @classmethod
    def of(cls, app: Flask) -> Settings:
        config = app.config
        use_ssl = bool(config.get("MAIL_USE_SSL"))
        return cls(
            server=str(config.get("MAIL_SERVER") or ""),
            port=int(config.get("MAIL_PORT") or (465 if use_ssl else 25)),
            username=str(config.get("MAIL_USERNAME") or ""),
            password=str(config.get("MAIL_PASSWORD") or ""),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=use_ssl,
            sender=str(config.get("MAIL_DEFAULT_SENDER") or "no-reply@localhost"),
            timeout=float(config.get("MAIL_TIMEOUT") or 5),
            background=bool(config.get("MAIL_BACKGROUND", True)),
        )


def init_app(app: Flask) -> None:
    """Say where mail goes; without a server, tests collect it in app.extensions["outbox"]."""
    if app.config.get("MAIL_SERVER"):
        return
    if app.testing:
        app.extensions["outbox"] = []
        return
    # The log is the console in development. Creating app.logger attaches Flask's
    # console handler to the "booking" logger, which this module's logger feeds.
    app.logger.debug("e-mail: no MAIL_SERVER")
    if not log.isEnabledFor(logging.INFO):
        log.setLevel(logging.INFO)
    log.info("MAIL_SERVER is not set: e-mail is written to this log instead of being sent")


def sender_domain(sender: str) -> str:
    """The domain of the From address ("localhost" when it has none), for Message-IDs."""
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def build(mail: Mail, sender: str, message_id: str | None = None) -> EmailMessage:
    """The MIME message: UTF-8 text, and any attachments; `message_id` keeps retries one message."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = " ".join(mail.subject.split())  # never a line break in a header
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id or make_msgid(domain=sender_domain(sender))
    message.set_content(mail.body, cte="7bit" if mail.body.isascii() else "base64")
    for attachment in mail.attachments:
        maintype, subtype = attachment.content_type.split("/", 1)
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                               filename=attachment.filename, params=dict(attachment.params))
    return message


def send(app: Flask, messages: Sequence[EmailMessage]) -> list[str]:
    """Send built messages over one SMTP connection, or log/collect them without a server.

    Returns one entry per message: "" when the server accepted it, else why not
    (a refused connection fails them all). Never raises; blocks at most about
    MAIL_TIMEOUT seconds per network step.
    """
    if not messages:
        return []
    settings = Settings.of(app)
    if not settings.server:
        _keep(app, list(messages))
        return [""] * len(messages)
    outcomes: list[str] = []
    try:
        with _connect(settings) as smtp:
            for message in messages:
                try:
                    smtp.send_message(message)
                    outcomes.append("")
                except smtplib.SMTPException as error:
                    log.warning("the server refused the e-mail %s: %s", message["Message-ID"], error)
                    outcomes.append(f"{type(error).__name__}: {error}")
    except Exception as error:
        log.warning("could not send through %s:%s: %s", settings.server, settings.port, error)
        reason = f"{type(error).__name__}: {error}"
        outcomes += [reason] * (len(messages) - len(outcomes))
    return outcomes


def _keep(app: Flask, messages: list[EmailMessage]) -> None:
    outbox = app.extensions.get("outbox")
    if outbox is not None:
        outbox.extend(messages)
        return
    for message in messages:
        log.info("e-mail (not sent: MAIL_SERVER is not set)\n%s", readable(message))


def readable(message: EmailMessage) -> str:
    """Headers and text of a message as a person reads them (bodies decoded)."""
    lines = [f"{name}: {message[name]}" for name in ("From", "To", "Subject")]
    body = message.get_body(preferencelist=("plain",))
    lines += ["", body.get_content() if body is not None else ""]
    for part in message.iter_attachments():
        lines.append(f"[attachment: {part.get_filename()} ({part.get_content_type()})]")
    return "\n".join(lines)


def _connect(settings: Settings) -> smtplib.SMTP:
    if settings.use_ssl:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.server, settings.port, timeout=settings.timeout,
                                              context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
    try:
        if settings.use_tls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
    except BaseException:
        smtp.close()
        raise
    return smtp
