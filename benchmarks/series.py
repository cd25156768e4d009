"""Series rows of benchmarks/run_all.py: preview and book a 12-occurrence weekly series.

In the benchmark's own process, against the run's database (with its seeded history):
a member previews, then books, `count` weekly series of 12 dates in a space of their
own, each series in its own 12 weeks so none meets another. Each booking is one write
transaction under the space's lock (every date checked and inserted, the one mail
enqueued); the time from the lock taken to the commit done is recorded as in the
booking POST row. "book" also includes delivering the mail after the commit, as the
product does in a request. Times are wall-clock medians and p99 per series.
"""

from __future__ import annotations

import logging
import statistics
import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select

from benchmarks.fresh_db import add_space
from booking.domain.recurrence import Freq, RecurrenceRule
from booking.extensions import db
from booking.models import User
from booking.services import series, transactions

OCCURRENCES = 12
TOKYO = ZoneInfo("Asia/Tokyo")


@contextmanager
def lock_times(into: list[float]) -> Iterator[None]:
    """Record ms from lock taken to commit done of every write transaction inside."""
    original = transactions.write_transaction

    @contextmanager
    def timed(space_id: int | None) -> Iterator[Any]:
        with original(space_id) as session:
            taken = clock.perf_counter()
            yield session
        into.append((clock.perf_counter() - taken) * 1000)

    transactions.write_transaction = timed
    try:
        yield
    finally:
        transactions.write_transaction = original


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def measure(app: Flask, member_email: str, count: int) -> dict[str, list[float]]:
    """Preview, book, and lock-hold times (ms) of `count` 12-date weekly series."""
    times: dict[str, list[float]] = {"preview": [], "book": [], "lock": []}
    logging.disable(logging.INFO)  # without MAIL_SERVER every series' mail is written to the log
    with app.app_context():
        space = add_space(slug="series-bench", kind="exclusive", max_days_ahead=3650)
        member = db.session.scalar(select(User).where(User.email == member_email))
        assert member is not None
        first: date = datetime.now(TOKYO).date() + timedelta(days=3)
        for n in range(count):
            day = first + timedelta(weeks=OCCURRENCES * n)
            rule = RecurrenceRule(Freq.WEEKLY, weekdays=(day.weekday(),), count=OCCURRENCES)
            data = series.SeriesInput(space.id, f"Series {n}", day, time(10), time(12), rule)
            started = clock.perf_counter()
            items = series.preview_series(member, data)
            times["preview"].append((clock.perf_counter() - started) * 1000)
            started = clock.perf_counter()
            with lock_times(times["lock"]):
                outcome = series.book_series(member, data, [i.day for i in items if i.is_free])
            times["book"].append((clock.perf_counter() - started) * 1000)
            if len(outcome.booked) != OCCURRENCES:
                raise RuntimeError(f"series {n} booked {len(outcome.booked)} of {OCCURRENCES} dates")
        db.session.remove()
    logging.disable(logging.NOTSET)
    return times


def print_rows(times: dict[str, list[float]]) -> None:
    count = len(times["book"])
    print(f"\nseries of {OCCURRENCES} weekly dates, in process, {count} series (ms per series):")
    for label, key in (("preview (every rule, 12 dates)", "preview"), ("book (12 bookings, one mail)", "book"),
                       ("write lock held while booking", "lock")):
        values = times[key]
        print(f"  {label:<34} median {statistics.median(values):>7.1f}  p99 {p99(values):>7.1f}")
