"""The product's PostgreSQL sessions plan without parallel workers (booking.db.POSTGRESQL_SESSION_OPTIONS).

A generic plan estimates a bound range at 0.5 % of a table; with a long booking history the
planner then started workers for statements that read a handful of rows, and their start-up
cost more than the statement (the week grid: 17.9 ms at 1,000,000 bookings against 1.2 ms at
100,000). The setting is sent at connection start-up, so it holds whatever the server or the
database is configured with.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, event, make_url, text

from booking.extensions import db
from booking.models import Space
from booking.services.report_sql import without_jit
from booking.services.spaces import week_facts_cache, week_view
from tests.conftest import engine_name


@pytest.fixture
def forcing_workers(app: Any, database_url: str) -> Iterator[Any]:
    """The test database set to put a parallel Gather in every plan it can (PostgreSQL's testing
    switch, debug_parallel_query, called force_parallel_mode before version 16), for new sessions;
    yields an AUTOCOMMIT engine on it that connects as any other client would, without the product's options."""
    name = make_url(database_url).database
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        switch = connection.scalar(text("SELECT name FROM pg_settings "
                                        "WHERE name IN ('debug_parallel_query', 'force_parallel_mode')"))
        connection.execute(text(f'ALTER DATABASE "{name}" SET {switch} = on'))
        connection.execute(text(f'ALTER DATABASE "{name}" SET max_parallel_workers_per_gather = 4'))
    admin.dispose()  # its next connection too
    db.session.remove()
    db.engine.dispose()  # the product's next connection starts a session under those settings
    try:
        yield admin
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" RESET {switch}'))
            connection.execute(text(f'ALTER DATABASE "{name}" RESET max_parallel_workers_per_gather'))
        db.session.remove()
        db.engine.dispose()
        admin.dispose()


def _week_statement(space: Any) -> tuple[str, Any]:
    """The statement the week grid reads the held units of its week with, and its parameters."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM booking_holds" in statement and not captured:
            captured.append((statement, parameters))

    week_facts_cache.clear()
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        now = datetime.now(UTC)
        week_view(space, (now + timedelta(days=7)).date(), None, now, "ja")
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return captured[0]


def test_the_product_plans_the_week_grid_without_parallel_workers_where_another_client_gets_them(
        request: Any, app: Any, create_space: Any) -> None:
    space_id = create_space().id
    db.session.commit()
    if engine_name() == "sqlite":
        # SQLite plans no parallel workers; its connections are given only their busy timeout.
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"timeout": 1.5}
        return
    admin = request.getfixturevalue("forcing_workers")
    statement, parameters = _week_statement(db.session.get(Space, space_id))

    product_plan = "\n".join(db.session.connection().exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
    with admin.connect() as connection:
        other_plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())

    assert "Gather" in other_plan  # the database's settings do ask for workers
    assert "Gather" not in product_plan
    assert db.session.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"


def test_a_report_transaction_may_use_two_workers_without_jit_and_the_next_transaction_none(app: Any) -> None:
    if engine_name() == "sqlite":  # nothing to set: SQLite has none of them, and is sent nothing
        sent: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            sent.append(statement)

        db.session.connection()
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            without_jit(db.session)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert sent == []
        return
    setting = "SELECT current_setting('{}')"
    without_jit(db.session)
    assert [db.session.scalar(text(setting.format(name)))
            for name in ("max_parallel_workers_per_gather", "jit", "work_mem")] == ["2", "off", "32MB"]
    db.session.rollback()
    assert db.session.scalar(text(setting.format("max_parallel_workers_per_gather"))) == "0"
    assert db.session.scalar(text(setting.format("work_mem"))) != "32MB"
