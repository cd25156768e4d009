"""The errors a busy database really raises are the ones run_write retries."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError

from booking.models import Space
from booking.services.transactions import is_guard_refusal, is_transient


def test_a_write_lock_held_by_another_connection_is_a_transient_refusal(
    create_space: Callable[..., Space], database_url: str
) -> None:
    space_id = create_space().id
    is_sqlite = database_url.startswith("sqlite")
    # No waiting: SQLite gives up at once, PostgreSQL is asked for NOWAIT.
    engine = create_engine(database_url, connect_args={"timeout": 0, "isolation_level": None} if is_sqlite else {})
    lock = "BEGIN IMMEDIATE" if is_sqlite else f"SELECT id FROM spaces WHERE id = {space_id} FOR UPDATE NOWAIT"
    try:
        with engine.connect() as holder, engine.connect() as latecomer:
            holder.exec_driver_sql(lock)
            with pytest.raises(DBAPIError) as refused:
                latecomer.exec_driver_sql(lock)
            holder.rollback()
    finally:
        engine.dispose()

    assert is_transient(refused.value)
    assert not is_guard_refusal(refused.value)
