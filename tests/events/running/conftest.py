"""Fixtures of the event's-day tests (issue 19): events and registrations written directly, the SMTP server."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from booking.db import utcnow
from booking.extensions import db
from booking.models import Booking, PublicEvent, Registration, Space, User
from tests.mail.conftest import inbox, mail_config, smtp_server  # noqa: F401 (fixtures for the mail tests)


def starting_soon(zone: str = "Asia/Tokyo") -> datetime:
    """A start a minute from now, on today's local date: the event's day, its door open."""
    now = utcnow().replace(microsecond=0)
    local = now.astimezone(ZoneInfo(zone))
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), ZoneInfo(zone)).astimezone(now.tzinfo)
    return min(now + timedelta(minutes=1), now + (midnight - now) / 2)


@pytest.fixture
def create_event(app: Flask, create_space: Callable[..., Space], create_user: Callable[..., User],
                 create_booking: Callable[..., Booking]) -> Callable[..., PublicEvent]:
    """Factory: create_event(start_dt=..., capacity=30, accepts_walk_ins=True) on a hall booking."""

    def make(**overrides: Any) -> PublicEvent:
        start = overrides.pop("start_dt", starting_soon())  # the door is open: check-ins are accepted
        end = overrides.pop("end_dt", start + timedelta(minutes=105))
        space = overrides.pop("space", None) or create_space(max_people=80)
        host = overrides.pop("host", None) or create_user(role="staff")
        booking = create_booking(space, host, start, end, title="Kick-off", is_public=True)
        now = utcnow()
        values: dict[str, Any] = dict(
            booking=booking, title_ja="4自治体サテライトオフィス合同キックオフ", title_en="Joint kick-off",
            capacity=30, registration_opens_at=now - timedelta(days=30), registration_closes_at=start,
            accepts_walk_ins=True, status="published", created_at=now, updated_at=now,
        )
        values.update(overrides)
        found = PublicEvent(**values)
        db.session.add(found)
        db.session.commit()
        return found

    return make


@pytest.fixture
def register(app: Flask) -> Callable[..., Registration]:
    """Factory: register(event, name=..., email=..., party_size=1, status="registered", locale="ja")."""
    counter = iter(range(1, 10_000))

    def make(found: PublicEvent, **overrides: Any) -> Registration:
        n = next(counter)
        now = overrides.pop("now", utcnow() - timedelta(days=3))
        values: dict[str, Any] = dict(
            event_id=found.id, email=f"guest{n}@example.jp", name=f"参加者{n}", organisation="テスト株式会社",
            org_kind="company", party_size=1, status="registered", locale="ja",
            token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(), consented_at=now, queued_at=now,
            created_at=now, updated_at=now,
        )
        values.update(overrides)
        registration = Registration(**values)
        db.session.add(registration)
        db.session.commit()
        return registration

    return make


def at(day: datetime, hours: float) -> datetime:
    return day + timedelta(hours=hours)
