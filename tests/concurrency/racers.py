"""Code that runs inside each racing OS process.

Every racer builds its own application and engine from the database URL (nothing is
inherited from the test process), gets ready, waits at the shared barrier, then does
one write. What happened goes back to the test as a plain dict on a queue.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

BARRIER_TIMEOUT_S = 60


@dataclass(frozen=True)
class Attempt:
    """One racer's booking request, in values that pickle."""

    member_id: int
    space_id: int
    start_dt: datetime
    end_dt: datetime
    seats: int = 1


@dataclass(frozen=True)
class DirectHold:
    """One hold of an existing booking, written straight to the table: no service, no lock."""

    booking_id: int
    space_id: int
    unit_no: int
    start_dt: datetime
    end_dt: datetime


def _app(database_url: str) -> Any:
    from booking import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "race"})


def _report(results: Queue, **values: Any) -> None:
    results.put(values)


def book_through_service(database_url: str, attempt: Attempt, barrier: Barrier, results: Queue) -> None:
    """Request a booking through the service as a member would, once the barrier opens."""
    from booking.extensions import db
    from booking.models import User
    from booking.services.bookings import BookingInput, request_booking

    app = _app(database_url)
    with app.app_context():
        try:
            member = db.session.get(User, attempt.member_id)
            data = BookingInput(space_id=attempt.space_id, start_dt=attempt.start_dt,
                                end_dt=attempt.end_dt, title=f"Race {attempt.member_id}",
                                seats=attempt.seats)
            barrier.wait(BARRIER_TIMEOUT_S)
            outcome = request_booking(member, data)
            units = outcome.booking.unit_numbers if outcome.booking is not None else []
            _report(results, member_id=attempt.member_id, ok=outcome.ok, units=units,
                    codes=[c.code for c in outcome.conflicts], error=None)
        except Exception:  # the test asserts that no racer gets here
            _report(results, member_id=attempt.member_id, ok=False, units=[], codes=[],
                    error=traceback.format_exc())
        finally:
            db.session.remove()
            db.engine.dispose()


def insert_without_lock(database_url: str, hold: DirectHold, barrier: Barrier, results: Queue) -> None:
    """Insert one active hold with a bare INSERT in a plain transaction: no check, no lock.

    PostgreSQL may settle two simultaneous inserts checked against each other by the
    exclusion constraint as a deadlock (40P01) rather than 23P01; like `run_write`, the
    loser then tries again, and its second insert meets the guard.
    """
    from sqlalchemy import insert

    from booking.extensions import db
    from booking.models import BookingHold
    from booking.services.transactions import is_guard_refusal, is_transient

    app = _app(database_url)
    with app.app_context():
        try:
            db.session.connection()  # connected before the start, so both insert at once
            barrier.wait(BARRIER_TIMEOUT_S)
            for attempt in range(3):
                try:
                    db.session.execute(insert(BookingHold).values(
                        booking_id=hold.booking_id, space_id=hold.space_id, unit_no=hold.unit_no,
                        occupied_start=hold.start_dt, occupied_end=hold.end_dt, is_active=True))
                    db.session.commit()
                    break
                except Exception as error:
                    db.session.rollback()
                    if not is_transient(error) or attempt == 2:
                        raise
            _report(results, booking_id=hold.booking_id, ok=True, refused_by_guard=False, error=None)
        except Exception as error:
            db.session.rollback()
            _report(results, booking_id=hold.booking_id, ok=False, refused_by_guard=is_guard_refusal(error),
                    error=traceback.format_exc())
        finally:
            db.session.remove()
            db.engine.dispose()
