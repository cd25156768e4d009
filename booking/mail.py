"""Sending e-mail: over SMTP when MAIL_SERVER is set, else to the log (or, in tests, to a list).

This module only builds and sends; what to send and when lives in the outbox
(booking/services/outbox.py, booking/delivery.py), which retries what fails here.
The connection times out after MAIL_TIMEOUT seconds and every failure is reported
to the caller, never raised.
"""

from __future__ import annotations

import base64
import email
import email.policy
import logging
import re
import smtplib
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from functools import lru_cache

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


@lru_cache(maxsize=64)
def sender_domain(sender: str) -> str:
    """The domain of the From address ("localhost" when it has none), for Message-IDs.

    Kept per address (profile line 'email/utils.py(parseaddr)' under delivery._send: the header
    parser run again for the one MAIL_DEFAULT_SENDER on every round of the mail thread)."""
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


@dataclass(frozen=True)
class Composed:
    """A message ready to send: its RFC 5322 bytes (CRLF lines, 7-bit) and SMTP envelope, written by
    `compose`; or, for what that writer leaves to the email package, the package's message (`fallback`)."""

    draft: Mail
    sender: str
    message_id: str
    data: bytes = b""
    envelope: tuple[str, str] = ("", "")  # (MAIL FROM, RCPT TO)
    fallback: EmailMessage | None = None

    def message(self) -> EmailMessage:
        """The message as a receiving client stores and parses it, "\n" line ends (tests, the test list)."""
        if self.fallback is not None:
            return self.fallback
        return email.message_from_bytes(self.data.replace(b"\r\n", b"\n"), policy=email.policy.default)

    def readable(self) -> str:
        """Headers and text as a person reads them (the log without a MAIL_SERVER), like `readable`."""
        if self.fallback is not None:
            return readable(self.fallback)
        lines = [f"From: {self.sender}", f"To: {self.draft.to}", f"Subject: {_one_line(self.draft.subject)}",
                 "", _text_lines(self.draft.body).decode("utf-8")]
        lines += [f"[attachment: {a.filename} ({a.content_type})]" for a in self.draft.attachments]
        return "\n".join(lines)


# Profile line 'mail.py(build)' (email.message.EmailMessage: header registry parsing and
# set_content/add_attachment, then the generator flattening it again): about 13 % of a booking
# POST's CPU with its confirmation mail. `compose` writes the same message's bytes directly for
# what mail here is made of (ASCII addresses, ASCII token-like attachment names and parameters);
# anything else goes through `build`. tests/mail/test_compose.py parses both and compares them.
_ADDR_SPEC = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")
_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_PARAM_VALUE = re.compile(r"[ -~]*")  # printable ASCII; '"' and '\\' are escaped
_PLAIN_HEADER = re.compile(r"[ -~]*")
_SMTP = email.policy.SMTP
MAX_LINE = 78  # RFC 5322 §2.1.1: lines SHOULD stay within 78 characters
MAX_7BIT_LINE = 998  # RFC 5322 §2.1.1: MUST NOT exceed 998 (without CRLF)


def compose(mail: Mail, sender: str, message_id: str | None = None, date: str | None = None) -> Composed:
    """The message of `build` as bytes for SMTP (RFC 5322/2045/2047/2046, CRLF line ends).

    Same headers (From, To, one-line Subject, Date in GMT, Message-ID, MIME-Version), the text as
    7bit when it is ASCII with lines of at most 998 characters, else base64 (both with "\n" line
    ends, as `build` writes them), attachments base64 in a multipart/mixed. Raises ValueError for
    a line break in an address, as `build` does; what this writer does not handle (a non-ASCII
    address, an attachment name or parameter outside printable ASCII tokens) comes out of `build`.
    """
    message_id = message_id or make_msgid(domain=sender_domain(sender))
    if any(c in value for value in (mail.to, sender, message_id) for c in "\r\n"):
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    envelope = (_envelope_address(sender), _envelope_address(mail.to))
    if not all(envelope) or not all(_plain_attachment(a) for a in mail.attachments):
        return Composed(mail, sender, message_id, fallback=build(mail, sender, message_id))
    head = [_address_header("From", sender), _address_header("To", mail.to),
            _unstructured_header("Subject", _one_line(mail.subject)),
            f"Date: {date or formatdate(localtime=False, usegmt=True)}\r\n", f"Message-ID: {message_id}\r\n",
            "MIME-Version: 1.0\r\n"]
    text_headers, text_body = _text_part(mail.body)
    if not mail.attachments:
        data = "".join(head).encode("ascii") + text_headers + b"\r\n" + text_body
        return Composed(mail, sender, message_id, data, envelope)
    parts = [text_headers + b"\r\n" + text_body] + [_attachment_part(a) for a in mail.attachments]
    boundary = f"=_{uuid.uuid4().hex}"
    while any(boundary.encode("ascii") in part for part in parts):
        boundary = f"=_{uuid.uuid4().hex}"
    mark = b"--" + boundary.encode("ascii")
    head.append(f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n')
    data = "".join(head).encode("ascii") + b"".join(mark + b"\r\n" + part + b"\r\n" for part in parts) \
        + mark + b"--\r\n"
    return Composed(mail, sender, message_id, data, envelope)


def _one_line(subject: str) -> str:
    return " ".join(subject.split())  # never a line break in a header


def _envelope_address(value: str) -> str:
    """The addr-spec of an ASCII address header ("" when this writer leaves it to `build`)."""
    if _ADDR_SPEC.fullmatch(value):
        return value
    if not value.isascii():
        return ""
    found = getaddresses([value])
    return found[0][1] if len(found) == 1 and _ADDR_SPEC.fullmatch(found[0][1]) else ""


@lru_cache(maxsize=256)
def _address_header(name: str, value: str) -> str:
    """`Name: value` folded as the email package writes an address header (a bare addr-spec as is)."""
    if _ADDR_SPEC.fullmatch(value):
        return f"{name}: {value}\r\n"
    return str(_SMTP.header_factory(name, value).fold(policy=_SMTP))


def _unstructured_header(name: str, value: str) -> str:
    """Printable ASCII within 78 characters as is; else RFC 2047 encoded-words (UTF-8, base64), folded.

    Encoded-words decode to exactly `value` (whitespace between adjacent ones is dropped,
    RFC 2047 §6.2), so "=?" in a title cannot be taken for an encoded-word.
    """
    if len(name) + 2 + len(value) <= MAX_LINE and _PLAIN_HEADER.fullmatch(value) and "=?" not in value:
        return f"{name}: {value}\r\n"
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for character in value:
        width = len(character.encode("utf-8"))
        if size + width > 39:  # 52 base64 characters: each line within 78
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(character)
        size += width
    words.append("".join(chunk))
    encoded = [f"=?utf-8?b?{base64.b64encode(w.encode('utf-8')).decode('ascii')}?=" for w in words]
    return f"{name}: " + "\r\n ".join(encoded) + "\r\n"


def _text_lines(body: str) -> bytes:
    """The body's UTF-8 lines, each ended by "\n" (as email.contentmanager writes text)."""
    return b"\n".join(body.encode("utf-8").splitlines()) + b"\n"


def _text_part(body: str) -> tuple[bytes, bytes]:
    text = _text_lines(body)
    lines = text.split(b"\n")
    if text.isascii() and max(len(line) for line in lines) <= MAX_7BIT_LINE:
        return (b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 7bit\r\n',
                b"\r\n".join(lines))
    return (b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n',
            _base64_lines(text))


def _base64_lines(data: bytes) -> bytes:
    """Base64 in lines of 76 characters, each ended by CRLF (RFC 2045 §6.8)."""
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _plain_attachment(attachment: Attachment) -> bool:
    return (bool(_TOKEN.fullmatch(attachment.filename)) and attachment.content_type.count("/") == 1
            and bool(_TOKEN.fullmatch(attachment.content_type.replace("/", "")))
            and all(_TOKEN.fullmatch(k) and _PARAM_VALUE.fullmatch(v) for k, v in attachment.params))


def _attachment_part(attachment: Attachment) -> bytes:
    params = "".join(f'; {k}="{_quoted(v)}"' for k, v in attachment.params)
    head = (f"Content-Type: {attachment.content_type}{params}\r\n"
            f'Content-Disposition: attachment; filename="{attachment.filename}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n")
    return head.encode("ascii") + _base64_lines(attachment.data)


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def send(app: Flask, messages: Sequence[Composed]) -> list[str]:
    """Send composed messages over one SMTP connection, or log/collect them without a server.

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
                    if message.fallback is not None:
                        smtp.send_message(message.fallback)
                    else:
                        smtp.sendmail(message.envelope[0], [message.envelope[1]], message.data)
                    outcomes.append("")
                except smtplib.SMTPException as error:
                    log.warning("the server refused the e-mail %s: %s", message.message_id, error)
                    outcomes.append(f"{type(error).__name__}: {error}")
    except Exception as error:
        log.warning("could not send through %s:%s: %s", settings.server, settings.port, error)
        reason = f"{type(error).__name__}: {error}"
        outcomes += [reason] * (len(messages) - len(outcomes))
    return outcomes


def _keep(app: Flask, messages: list[Composed]) -> None:
    outbox = app.extensions.get("outbox")
    if outbox is not None:
        outbox.extend(message.message() for message in messages)
        return
    for message in messages:
        log.info("e-mail (not sent: MAIL_SERVER is not set)\n%s", message.readable())


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
