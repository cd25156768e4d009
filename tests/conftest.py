"""Shared fixtures: a migrated database per test (SQLite file or PostgreSQL), app, client, factories.

The suite runs on SQLite by default. With TEST_DATABASE_URL set (PostgreSQL), the
same tests run there: the schema is migrated once, and every table is emptied after
each test. With CI set, a skipped test fails the run.
"""

from __future__ import annotations

import os
import re
import shutil
import time as clock
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text

from booking import create_app
from booking.domain.totp import time_step
from booking.extensions import db
from booking.models import Booking, BookingHold, OpeningPeriod, Space, User
from booking.services.accounts import hash_password

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TABLES = ("registrations", "agenda_items", "public_events", "outbox", "job_schedule", "booking_holds", "bookings",
          "holiday_openings", "closures", "opening_periods", "spaces", "users")


def engine_name() -> str:
    return "postgresql" if PG_URL else "sqlite"


def migrate_to_head(url: str, instance: Path) -> None:
    """Upgrade an empty database to the newest migration, as `flask db upgrade` does."""
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t"})
    app.instance_path = str(instance)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database at head: a SQLite template file to copy, or the PostgreSQL URL."""
    if PG_URL:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        migrate_to_head(PG_URL, tmp_path_factory.mktemp("pg-instance"))
        return PG_URL
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite"
    migrate_to_head(f"sqlite:///{path}", folder)
    return str(path)


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database at head for one test."""
    if PG_URL:
        yield PG_URL
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return
    path = tmp_path / "test.sqlite"
    shutil.copyfile(migrated_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra settings for the test app; a folder's conftest overrides this to add its own."""
    return {}


@pytest.fixture
def app(database_url: str, tmp_path: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": "localhost",
        "BASE_URL": "http://localhost",
        **app_config,
    })
    app.instance_path = str(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class Client(FlaskClient):
    """A test client that knows the CSRF token of its session."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        """Start every request with an empty `g`, as a real server does.

        The `app` fixture keeps one app context for the whole test, so without this
        Flask-Login's user, Flask-Babel's locale and Flask-WTF's token would leak
        from one request into the next and hide a broken cookie or language switch.
        """
        if has_app_context():
            vars(g._get_current_object()).clear()
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        page = self.get("/login").get_data(as_text=True)
        match = CSRF_RE.search(page)
        assert match, "no CSRF token on the login page"
        return match.group(1)

    def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form the way a browser would: with this session's CSRF token."""
        payload = {"csrf_token": self.csrf_token(), **(data or {})}
        return self.post(url, data=payload, **kwargs)

    def login(self, email: str, password: str = PASSWORD) -> Any:
        """Sign in; an admin is asked for a code, which the test authenticator gives."""
        response = self.submit("/login", {"email": email, "password": password})
        if response.status_code == 302 and response.headers["Location"].endswith("/login/code"):
            response = self.submit("/login/code", {"code": totp_code(email)})
        return response


@pytest.fixture
def client(app: Flask) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


_HASH: dict[str, str] = {}
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the test admins' authenticator app


def totp_code(email: str) -> str:
    """A code the app accepts now and for the next half minute at least.

    The step is the current one (or the one after the last this admin used, waiting
    for it to come round); never the previous one, which the server stops accepting
    if a 30-second boundary passes between making the code and checking it. The
    last step is read on a connection of its own, so a session snapshot taken
    before another sign-in cannot hide it.
    """
    with db.engine.connect() as connection:
        row = connection.execute(
            select(User.totp_secret, User.totp_last_step).where(User.email == email)).one()
    secret, last_step = row
    assert secret
    step = max(time_step(clock.time()), (last_step or 0) + 1)
    while step > time_step(clock.time()) + 1:
        clock.sleep(0.2)
    return pyotp.TOTP(secret).generate_otp(step)


@pytest.fixture
def create_user(app: Flask) -> Callable[..., User]:
    """Factory: create_user(role="staff", email=...) with the password PASSWORD."""
    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> User:
        n = next(counter)
        if "hash" not in _HASH:
            _HASH["hash"] = hash_password(PASSWORD)
        values: dict[str, Any] = dict(
            email=f"member{n}@example.jp", name=f"Member {n}", organisation="Test Org",
            org_kind="company", role="member", locale="ja", password_hash=_HASH["hash"],
            email_verified_at=datetime.now(UTC),
        )
        if values["role"] == "admin" or overrides.get("role") == "admin":
            values["totp_secret"] = TOTP_SECRET
        values.update(overrides)
        user = User(**values)
        db.session.add(user)
        db.session.commit()
        return user

    return make


OPEN_ALL_WEEK = {day: ((time(9), time(21)),) for day in range(7)}


@pytest.fixture
def create_space(app: Flask) -> Callable[..., Space]:
    """Factory: create_space(kind="pooled", unit_count=24, hours={weekday: ((open, close),)})."""
    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> Space:
        n = next(counter)
        hours = overrides.pop("hours", OPEN_ALL_WEEK)
        values: dict[str, Any] = dict(
            slug=f"space-{n}", name_ja=f"スペース{n}", name_en=f"Space {n}", kind="exclusive",
            unit_count=1, timezone="Asia/Tokyo", slot_minutes=30, min_minutes=30,
            max_minutes=480, setup_minutes=0, teardown_minutes=0, close_on_holidays=False,
            min_notice_minutes=0, max_days_ahead=365, requires_approval=False,
        )
        values.update(overrides)
        space = Space(**values)
        for weekday, periods in hours.items():
            for open_time, close_time in periods:
                space.opening_hours.append(
                    OpeningPeriod(weekday=weekday, open_time=open_time, close_time=close_time,
                                  close_next_day=close_time <= open_time)
                )
        db.session.add(space)
        db.session.commit()
        return space

    return make


def future_day(days: int = 7) -> datetime:
    """Midnight UTC some days from now: a base for times that are never in the past."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days)


@pytest.fixture
def create_booking(app: Flask) -> Callable[..., Booking]:
    """Factory writing a booking and its holds directly (bypassing the rules)."""

    def make(space: Space, user: User, start_dt: datetime, end_dt: datetime, **overrides: Any) -> Booking:
        units = overrides.pop("units", (1,))
        status = overrides.pop("status", "confirmed")
        booking = Booking(space=space, user=user, start_dt=start_dt, end_dt=end_dt,
                          title=overrides.pop("title", "Test booking"), status=status,
                          seats=len(units), **overrides)
        for unit in units:
            booking.holds.append(BookingHold(
                space_id=space.id, unit_no=unit,
                occupied_start=start_dt - timedelta(minutes=space.setup_minutes),
                occupied_end=end_dt + timedelta(minutes=space.teardown_minutes),
                is_active=status in ("confirmed", "pending"),
            ))
        db.session.add(booking)
        db.session.commit()
        return booking

    return make


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: PostgreSQL and browser tests must really run."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        reporter.write_line(f"CI: {skipped} test(s) skipped; failing the run.", red=True)
        session.exitstatus = 1
