"""Fixtures of the public event tests: a hall with the kick-off on it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.models import PublicEvent
from tests.conftest import future_day
from tests.events.factories import make_event


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


@pytest.fixture
def hall(create_space):
    return create_space(slug="hall", max_people=80)


@pytest.fixture
def kick_off(hall, create_user) -> PublicEvent:
    start = future_day(10) + timedelta(hours=8)  # 17:00 in Tokyo
    return make_event(hall, create_user(role="staff"), start, start + timedelta(hours=1, minutes=45), capacity=3)
