"""Runs inside each racing OS process: one write of the change/expiry race tests.

A job is a plain dict: {"kind": "change" | "book" | "approve" | "expire", ...}.
Each process builds its own app and engine, connects, waits at the barrier, does
its one write through the service, and reports {"kind", "ok", "refusal", "error"}.
"""

from __future__ import annotations

import traceback
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

BARRIER_TIMEOUT_S = 60


def _write(job: dict[str, Any]) -> tuple[bool, str | None]:
    from booking.extensions import db
    from booking.models import User
    from booking.services.bookings import BookingInput, request_booking
    from booking.services.changes import BookingChange, change_booking
    from booking.services.expiry import expire_due_requests
    from booking.services.staff import approve

    if job["kind"] == "expire":
        return bool(expire_due_requests(job["now"])), None
    user = db.session.get(User, job["user_id"])
    if job["kind"] == "approve":
        approve(user, job["booking_id"], now=job["now"])
        return True, None
    if job["kind"] == "change":
        outcome = change_booking(user, job["booking_id"],
                                 BookingChange(job["start_dt"], job["end_dt"], "Moved", False))
    else:
        outcome = request_booking(user, BookingInput(job["space_id"], job["start_dt"], job["end_dt"], "Taken"))
    return outcome.ok, ",".join(c.code for c in outcome.conflicts) or None


def write_at_the_barrier(database_url: str, job: dict[str, Any], barrier: Barrier, results: Queue) -> None:
    from booking import create_app
    from booking.extensions import db
    from booking.services import ServiceError

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "race"})
    with app.app_context():
        report: dict[str, Any] = {"kind": job["kind"], "ok": False, "refusal": None, "error": None}
        try:
            db.session.connection()  # connected before the start, so both write at once
            barrier.wait(BARRIER_TIMEOUT_S)
            report["ok"], report["refusal"] = _write(job)
        except ServiceError as refusal:
            report["refusal"] = type(refusal).__name__
        except Exception:  # the test asserts that no racer gets here
            report["error"] = traceback.format_exc()
        finally:
            db.session.remove()
            db.engine.dispose()
        results.put(report)
