"""A request that only read ends its PostgreSQL transaction with COMMIT, keeping psycopg's prepared
statements; anything that wrote is still rolled back at the end of the request."""

from __future__ import annotations

from sqlalchemy import select, text

from booking.extensions import db
from booking.models import Space


def name_of(space_id: int) -> str:
    return db.session.scalar(select(Space.name_en).where(Space.id == space_id))


def test_a_change_flushed_but_not_committed_is_rolled_back_at_the_end_of_the_request(create_space):
    space = create_space(slug="studio", name_en="Studio")
    space_id = space.id
    space.name_en = "Renamed"
    db.session.flush()
    db.session.remove()  # the end of a request
    assert name_of(space_id) == "Studio"


def test_a_write_sent_as_text_is_rolled_back_at_the_end_of_the_request(create_space):
    space_id = create_space(slug="studio", name_en="Studio").id
    db.session.execute(select(Space.id))  # a read first: the transaction is not one that only read
    db.session.execute(text("UPDATE spaces SET name_en = 'Renamed' WHERE id = :id"), {"id": space_id})
    db.session.remove()
    assert name_of(space_id) == "Studio"


def test_statements_run_often_in_requests_that_only_read_stay_prepared_on_postgresql(create_space):
    space_id = create_space(slug="studio").id
    db.session.remove()
    for _ in range(6):  # psycopg prepares a statement on its fifth run
        assert name_of(space_id)
        db.session.remove()
    if db.engine.dialect.name == "postgresql":
        names = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
        assert any("spaces.name_en" in statement for statement in names)
    else:  # SQLite keeps its statement cache through a rollback: no hook
        assert "booking_has_written" not in db.session.connection().info
