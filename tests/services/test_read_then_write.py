"""A request reads (its member, its space) and then writes: what the write sees and how it begins.

On PostgreSQL the read transaction becomes the write transaction (no COMMIT and BEGIN in
between, transactions._is_continuable); on SQLite the read is committed first, as a deferred
read cannot take the write lock safely. Either way the write sees what others committed meanwhile.
"""

from __future__ import annotations

from typing import Any

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
