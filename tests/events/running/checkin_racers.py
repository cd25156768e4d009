"""Code inside each racing process of the check-in race: its own app and engine, one scan."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

BARRIER_TIMEOUT_S = 60


@dataclass(frozen=True)
class Scan:
    """One phone scanning one code at the door, in values that pickle."""

    event_id: int
    code: str
    staff_id: int


def scan_code(database_url: str, scan: Scan, barrier: Barrier, results: Queue) -> None:
    """Check in the code through the service, once the barrier opens."""
    from booking import create_app
    from booking.extensions import db
    from booking.services.attendance import check_in_code

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "race"})
    with app.app_context():
        try:
            db.session.execute(db.text("SELECT 1"))  # connect before the barrier
            db.session.rollback()
            barrier.wait(BARRIER_TIMEOUT_S)
            outcome = check_in_code(scan.event_id, scan.code, scan.staff_id)
            results.put({"code": scan.code, "outcome": outcome.outcome.value, "error": None})
        except Exception:  # the test asserts that no racer gets here
            results.put({"code": scan.code, "outcome": None, "error": traceback.format_exc()})
        finally:
            db.session.remove()
            db.engine.dispose()
