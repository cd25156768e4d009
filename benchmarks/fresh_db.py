"""A fresh, migrated database for one benchmark run, and the demo-like spaces in it.

SQLite: a file in a temporary folder. With DATABASE_URL (PostgreSQL): a new database
named after the given one plus a suffix, on the same server, dropped afterwards.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from booking import create_app
from booking.config import database_url
from booking.extensions import db
from booking.models import OpeningPeriod, Space


@contextmanager
def fresh_database(suffix: str, keep: bool = False) -> Iterator[tuple[str, Path]]:
    """Yield (database URL, instance folder) of a new empty database."""
    with tempfile.TemporaryDirectory(prefix=f"booking-{suffix}-") as folder:
        instance = Path(folder)
        if not os.environ.get("DATABASE_URL"):
            yield f"sqlite:///{instance / 'bench.sqlite'}", instance
            return
        server = make_url(database_url(folder))
        name = f"{server.database}_{suffix}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False), instance
        finally:
            if not keep:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def make_app(url: str, instance: Path, **config: Any) -> Flask:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark", **config})
    app.instance_path = str(instance)
    return app


def migrate(app: Flask) -> None:
    """Upgrade to head through Alembic, as `flask db upgrade` does."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


OPEN_ALL_WEEK = {day: ((time(8), time(22)),) for day in range(7)}


def add_space(**values: Any) -> Space:
    """A space open 08:00–22:00 every day, no holidays closed, bookable a year ahead."""
    defaults: dict[str, Any] = dict(
        name_ja=values["slug"], name_en=values["slug"], timezone="Asia/Tokyo", slot_minutes=30,
        min_minutes=30, max_minutes=480, close_on_holidays=False, max_days_ahead=365,
        requires_approval=False,
    )
    space = Space(**{**defaults, **values})
    for weekday, periods in OPEN_ALL_WEEK.items():
        for open_time, close_time in periods:
            space.opening_hours.append(OpeningPeriod(weekday=weekday, open_time=open_time,
                                                     close_time=close_time))
    db.session.add(space)
    db.session.commit()
    return space


def engine_label(url: str) -> str:
    return make_url(url).get_backend_name()
