"""Sending e-mail: over SMTP when MAIL_SERVER is set, else to the log (or, in tests, to a list).

Nothing here may break or slow down the request that wanted the mail: the
connection times out after MAIL_TIMEOUT seconds, every failure is logged and
swallowed, and by default the SMTP conversation runs in a background thread.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import Flask, current_app

log = logging.getLogger(__name__)
_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()


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


def build(mail: Mail, sender: str) -> EmailMessage:
    """The MIME message: UTF-8 text, and any attachments."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = " ".join(mail.subject.split())  # never a line break in a header
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(mail.body, cte="7bit" if mail.body.isascii() else "base64")
    for attachment in mail.attachments:
        maintype, subtype = attachment.content_type.split("/", 1)
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                               filename=attachment.filename, params=dict(attachment.params))
    return message


def send(mails: Sequence[Mail]) -> None:
    """Send the messages, or print or collect them when no server is configured; never raises."""
    if not mails:
        return
    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        settings = Settings.of(app)
        messages = [build(mail, settings.sender) for mail in mails]
    except Exception:
        log.exception("could not prepare %d e-mail(s)", len(mails))
        return
    if not settings.server:
        _keep(app, messages)
    elif settings.background:
        _start(settings, messages)
    else:
        _deliver(settings, messages)


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


def _start(settings: Settings, messages: list[EmailMessage]) -> None:
    thread = threading.Thread(target=_deliver, args=(settings, messages), name="mail", daemon=True)
    with _threads_lock:
        _threads.add(thread)
    thread.start()


def wait_for_sending(timeout: float = 10) -> None:
    """Wait for background sending to finish (tests; a command before it exits)."""
    with _threads_lock:
        pending = list(_threads)
    for thread in pending:
        thread.join(timeout)


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


def _deliver(settings: Settings, messages: list[EmailMessage]) -> None:
    """One SMTP connection for the batch; a refused recipient does not stop the others."""
    try:
        with _connect(settings) as smtp:
            for message in messages:
                try:
                    smtp.send_message(message)
                except smtplib.SMTPException:
                    log.exception("could not send the e-mail %r to %s", message["Subject"], message["To"])
    except Exception:
        log.exception("could not send %d e-mail(s) through %s:%s", len(messages), settings.server, settings.port)
    finally:
        with _threads_lock:
            _threads.discard(threading.current_thread())
