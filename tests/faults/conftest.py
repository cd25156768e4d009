"""Fault tests send mail to the real SMTP server of tests/mail."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mail.conftest import inbox, mail_config, smtp_server  # noqa: F401 (fixtures)


@pytest.fixture
def app_config(mail_config: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    return mail_config
