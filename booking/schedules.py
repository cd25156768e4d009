"""Scheduled booking work for the job runner (booking/jobs.py): undecided requests expire.

Imported by create_app, so every runner (the `worker` command, the thread under
`make run`) has the job registered.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask

from booking import jobs
from booking.db import utcnow
from booking.services.expiry import expire_due_requests

# How late after its deadline a request may still be seen as pending (and TENTATIVE in feeds).
EXPIRY_EVERY = timedelta(minutes=1)


@jobs.job("bookings.expire_requests", every=EXPIRY_EVERY)
def expire_requests_job(app: Flask, _due_at: datetime) -> None:
    """Once a minute across runners: expire the requests (and proposed changes) past their deadline now (UTC).

    The clock is read here rather than taking the due time, so a runner that was
    stopped for a while still expires everything that is due when it comes back.
    """
    expire_due_requests(utcnow())


@jobs.job("events.expire_offers", every=EXPIRY_EVERY)
def expire_offers_job(app: Flask, _due_at: datetime) -> None:
    """Once a minute: seats offered from a waiting list and not confirmed by their deadline pass on."""
    from booking.services.registrations import expire_offers

    expire_offers(str(app.config["SECRET_KEY"]), utcnow())
