"""Runs inside each racing OS process: one staff member approving one request.

The process builds its own app and engine from the database URL (spawned, so it
inherits nothing from the test), waits at the barrier, approves, and reports what
happened as a plain dict.
"""

from __future__ import annotations

import traceback
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

BARRIER_TIMEOUT_S = 60


def approve_at_the_barrier(
    database_url: str, job: tuple[int, int], barrier: Barrier, results: Queue
) -> None:
    staff_id, booking_id = job
    from booking import create_app
    from booking.extensions import db
    from booking.models import User
    from booking.services import ServiceError
    from booking.services.staff import approve

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "race"})
    with app.app_context():
        report = {"booking_id": booking_id, "ok": False, "refusal": None, "error": None}
        try:
            staff = db.session.get(User, staff_id)
            db.session.connection()  # connected before the start, so both decide at once
            barrier.wait(BARRIER_TIMEOUT_S)
            approve(staff, booking_id)
            report["ok"] = True
        except ServiceError as refusal:
            report["refusal"] = type(refusal).__name__
        except Exception:  # the test asserts that no racer gets here
            report["error"] = traceback.format_exc()
        finally:
            db.session.remove()
            db.engine.dispose()
        results.put(report)
