"""Migrations: an empty database upgrades to head, matches the models, and downgrades to base.

On SQLite a fresh temporary file is used; with TEST_DATABASE_URL (PostgreSQL) a
throwaway database next to the test database is created and dropped again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, make_url, text

from booking import create_app
from booking.extensions import db
from tests.conftest import PG_URL

APP_TABLES = {"users", "spaces", "opening_periods", "closures", "holiday_openings", "bookings", "booking_holds"}


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """The URL of a database with nothing in it."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    url = make_url(PG_URL)
    name = f"{url.database}_mig"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def migration_app(empty_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    app.instance_path = str(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def schema_differences() -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, db.metadata)


def test_an_empty_database_upgrades_to_head_and_matches_the_models(migration_app):
    assert table_names() == set()
    upgrade()
    assert APP_TABLES <= table_names()
    assert set(db.metadata.tables) == table_names()
    assert schema_differences() == []


def test_the_upgraded_database_has_the_overlap_guard(migration_app):
    upgrade()
    with db.engine.connect() as conn:
        if PG_URL:
            found = conn.scalar(text(
                "SELECT count(*) FROM pg_constraint WHERE conname = 'ex_booking_holds_no_overlap' AND contype = 'x'"
            ))
            assert found == 1
        else:
            triggers = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
            assert {"booking_holds_no_overlap_INSERT", "booking_holds_no_overlap_UPDATE"} <= triggers


def test_downgrading_to_base_removes_everything_and_upgrading_again_works(migration_app):
    upgrade()
    downgrade(revision="base")
    assert table_names() == set()
    with db.engine.connect() as conn:
        if not PG_URL:
            assert list(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))) == []
    upgrade()
    assert schema_differences() == []
