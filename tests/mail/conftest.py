"""A real SMTP server in the test process (aiosmtpd), and an app that sends mail to it."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import future_day

DAY = future_day(5)  # midnight UTC: 09:00 in Tokyo, when the test spaces open


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
        return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def only_one_to(self, address: str) -> EmailMessage:
        found = self.to(address)
        assert len(found) == 1, [m["Subject"] for m in self.messages]
        return found[0]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def inbox(smtp_server: tuple[Inbox, int]) -> Inbox:
    return smtp_server[0]


@pytest.fixture
def mail_config(smtp_server: tuple[Inbox, int]) -> dict[str, Any]:
    """Send to the test server, inline, so a test sees its mail as soon as the service returns."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server[1], "MAIL_BACKGROUND": False,
            "MAIL_DEFAULT_SENDER": "Floor booking <booking@floor.example.jp>",
            "BASE_URL": "https://booking.example.jp"}


@pytest.fixture
def app_config(mail_config: dict[str, Any]) -> dict[str, Any]:
    """The shared `app`, sending to the test SMTP server."""
    return mail_config


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def calendars_of(message: EmailMessage) -> list[EmailMessage]:
    return [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
