"""Write transactions that serialise writers per space, with bounded retries."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from booking.db import sqlite_immediate
from booking.extensions import db
from booking.models import Space

log = logging.getLogger(__name__)
T = TypeVar("T")

TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}
OVERLAP_SQLSTATE = "23P01"
SQLITE_GUARD_MESSAGE = "booking_holds_overlap"


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def is_guard_refusal(error: Exception) -> bool:
    """Whether the database refused two overlapping active holds of one unit."""
    if not isinstance(error, IntegrityError):
        return False
    return _sqlstate(error) == OVERLAP_SQLSTATE or SQLITE_GUARD_MESSAGE in str(error.orig)


def is_transient(error: Exception) -> bool:
    """Deadlocks, serialization failures and a busy SQLite: worth another try."""
    if not isinstance(error, DBAPIError):
        return False
    if _sqlstate(error) in TRANSIENT_SQLSTATES:
        return True
    text = str(error.orig).lower()
    return isinstance(error, OperationalError) and ("locked" in text or "busy" in text)


@contextmanager
def write_transaction(space_id: int | None) -> Iterator[Session]:
    """One write transaction holding the space's write lock until commit.

    PostgreSQL locks the space row (SELECT … FOR UPDATE); SQLite starts with
    BEGIN IMMEDIATE, taking the database write lock before anything is read.
    """
    session = db.session()
    if session.in_transaction():
        session.commit()
    token = sqlite_immediate.set(True)
    try:
        with session.begin():
            session.connection()
            sqlite_immediate.reset(token)
            token = None
            if space_id is not None and session.get_bind().dialect.name == "postgresql":
                session.execute(select(Space.id).where(Space.id == space_id).with_for_update())
            yield session
    finally:
        if token is not None:
            sqlite_immediate.reset(token)


def run_write(space_id: int | None, work: Callable[[Session], T], attempts: int = 6) -> T:
    """Run `work` in a write transaction, retrying transient refusals."""
    for attempt in range(1, attempts + 1):
        try:
            with write_transaction(space_id) as session:
                return work(session)
        except DBAPIError as error:
            db.session.rollback()
            if not is_transient(error) or attempt == attempts:
                raise
            log.info("retrying a write after %s (attempt %d)", type(error).__name__, attempt)
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")
