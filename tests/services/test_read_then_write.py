"""A request reads (its member, its space) and then writes: what the write sees and how it begins.

On PostgreSQL the read transaction becomes the write transaction (no COMMIT and BEGIN in
between, transactions._is_continuable); on SQLite the read is committed first, as a deferred
read cannot take the write lock safely. Either way the write sees what others committed meanwhile.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, event, select, text

from booking.extensions import db
from booking.models import Space
from booking.services.transactions import run_write
from tests.conftest import engine_name


def test_a_write_sees_a_change_committed_after_the_request_read_the_row(app: Any, create_space: Any,
                                                                       database_url: str) -> None:
    space = create_space()
    assert db.session.get(Space, space.id) is not None and space.name_ja  # read before the write
    other = create_engine(database_url)
    with other.begin() as connection:  # another process renames the space meanwhile
        connection.execute(text("UPDATE spaces SET name_ja = 'スタジオB' WHERE id = :id"), {"id": space.id})
    other.dispose()

    seen = run_write(space.id, lambda session: session.get(Space, space.id).name_ja)

    assert seen == "スタジオB"


def test_the_read_and_the_write_are_one_transaction_on_postgresql_two_on_sqlite(app: Any, create_space: Any) -> None:
    space = create_space()
    db.session.commit()
    commits: list[object] = []

    def committed(connection: object) -> None:
        commits.append(connection)

    event.listen(db.engine, "commit", committed)
    try:
        db.session.scalar(select(Space.name_ja).where(Space.id == space.id))  # the request's read
        assert run_write(space.id, lambda session: "written") == "written"
    finally:
        event.remove(db.engine, "commit", committed)
    assert len(commits) == (1 if engine_name() == "postgresql" else 2)


def test_a_failed_write_after_a_read_leaves_nothing_and_the_next_write_works(app: Any, create_space: Any) -> None:
    space = create_space()
    db.session.commit()
    db.session.scalar(select(Space.name_ja).where(Space.id == space.id))

    def fail(session: Any) -> None:
        session.execute(text("UPDATE spaces SET name_ja = 'gone' WHERE id = :id"), {"id": space.id})
        raise ZeroDivisionError

    try:
        run_write(space.id, fail)
    except ZeroDivisionError:
        pass
    assert run_write(space.id, lambda session: session.get(Space, space.id).name_ja) != "gone"


def commits_of(read: Any, write: Any) -> int:
    """How many COMMITs the engine sends for the request's `read` followed by `write`."""
    commits: list[object] = []

    def committed(connection: object) -> None:
        commits.append(connection)

    event.listen(db.engine, "commit", committed)
    try:
        read()
        write()
    finally:
        event.remove(db.engine, "commit", committed)
    return len(commits)


def name_en_stored(database_url: str, space_id: int) -> str:
    """The space's English name as committed, read on a connection of its own."""
    other = create_engine(database_url)
    try:
        with other.connect() as connection:
            return str(connection.scalar(text("SELECT name_en FROM spaces WHERE id = :id"), {"id": space_id}))
    finally:
        other.dispose()


def test_a_read_at_repeatable_read_is_committed_before_the_write_on_both_engines(app: Any, create_space: Any) -> None:
    space = create_space()
    db.session.commit()

    def read_as_a_feed_does() -> None:  # services.feeds._snapshot
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"}
                              if engine_name() == "postgresql" else {})
        db.session.scalar(select(Space.name_ja).where(Space.id == space.id))

    assert commits_of(read_as_a_feed_does, lambda: run_write(space.id, lambda session: None)) == 2


def test_what_the_request_wrote_before_the_write_is_committed_first_and_stays_when_the_write_fails(
        app: Any, create_space: Any, database_url: str) -> None:
    space = create_space()
    db.session.commit()

    def write_before() -> None:
        db.session.execute(text("UPDATE spaces SET name_en = 'Renamed before' WHERE id = :id"), {"id": space.id})

    def failing_write() -> None:
        with pytest.raises(ZeroDivisionError):
            run_write(space.id, lambda session: 1 / 0)

    assert commits_of(write_before, failing_write) == 1  # the request's own, before the lock
    assert name_en_stored(database_url, space.id) == "Renamed before"


def test_a_change_the_request_has_not_flushed_before_the_write_is_kept(
        app: Any, create_space: Any, database_url: str) -> None:
    space = create_space()
    db.session.commit()
    loaded = db.session.get(Space, space.id)
    assert loaded is not None
    loaded.name_en = "Changed, not flushed"

    assert commits_of(lambda: None, lambda: run_write(space.id, lambda session: None)) == 2
    assert name_en_stored(database_url, space.id) == "Changed, not flushed"
