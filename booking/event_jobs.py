"""Scheduled work of public events for the job runner (booking/jobs.py): reminders and retention.

Imported by create_app, so every runner has the jobs registered.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask

from booking import jobs
from booking.db import utcnow
from booking.services import checkin_mail  # noqa: F401 (check-in codes in issue 18's confirmations)
from booking.services.attendee_mail import send_reminders
from booking.services.retention import anonymise_due

REMINDER_EVERY = timedelta(minutes=10)
RETENTION_EVERY = timedelta(hours=1)


@jobs.job("events.send_reminders", every=REMINDER_EVERY)
def reminders_job(_app: Flask, _due_at: datetime) -> None:
    """Every ten minutes: the reminders of the day before that are due now (each sent once)."""
    send_reminders(utcnow())


@jobs.job("events.remove_attendee_data", every=RETENTION_EVERY)
def retention_job(app: Flask, _due_at: datetime) -> None:
    """Hourly: remove the attendees' personal data of events that ended EVENT_DATA_RETENTION_DAYS ago."""
    anonymise_due(utcnow(), int(app.config["EVENT_DATA_RETENTION_DAYS"]))
