"""Runs inside each racing OS process: a series booking or a single booking, released at one barrier.

A job is a plain dict: {"kind": "series" | "book", "user_id", "space_id", ...} (with
"submit_token", the token of the form it posts, for a double submit); each
process reports {"kind", "booked": [local dates booked], "lost": [dates refused], "error"}.
"""

from __future__ import annotations

import traceback
from datetime import date
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

BARRIER_TIMEOUT_S = 60


def _write(job: dict[str, Any]) -> tuple[list[str], list[str]]:
    from booking.domain.recurrence import Freq, RecurrenceRule
    from booking.extensions import db
    from booking.models import User
    from booking.services.bookings import BookingInput, request_booking
    from booking.services.series import SeriesInput, book_series

    user = db.session.get(User, job["user_id"])
    if job["kind"] == "book":
        outcome = request_booking(user, BookingInput(job["space_id"], job["start_dt"], job["end_dt"], "Single",
                                                     submit_token=job.get("submit_token")))
        day = job["start_dt"].date().isoformat()
        return ([day], []) if outcome.ok else ([], [day])
    first: date = job["first_day"]
    rule = RecurrenceRule(Freq.WEEKLY, weekdays=(first.weekday(),), count=job["count"])
    data = SeriesInput(job["space_id"], "Series", first, job["start_time"], job["end_time"], rule,
                       submit_token=job.get("submit_token"))
    result = book_series(user, data, [first.fromordinal(first.toordinal() + 7 * n) for n in range(job["count"])])
    return ([i.day.isoformat() for i in result.items if i.booking is not None],
            [i.day.isoformat() for i in result.items if i.booking is None])


def write_at_the_barrier(database_url: str, job: dict[str, Any], barrier: Barrier, results: Queue) -> None:
    from booking import create_app
    from booking.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "race"})
    with app.app_context():
        report: dict[str, Any] = {"kind": job["kind"], "booked": [], "lost": [], "error": None}
        try:
            db.session.connection()  # connected before the start, so all write at once
            barrier.wait(BARRIER_TIMEOUT_S)
            report["booked"], report["lost"] = _write(job)
        except Exception:  # the test asserts that no racer gets here
            report["error"] = traceback.format_exc()
        finally:
            db.session.remove()
            db.engine.dispose()
        results.put(report)
