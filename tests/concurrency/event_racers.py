"""Code that runs inside each racing OS process for public event registrations (see racers.py)."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from tests.concurrency.racers import BARRIER_TIMEOUT_S, _report


def _app(database_url: str) -> Any:
    """The racer's app; mail is left to the outbox (a closed port), so no racer renders mail under the lock."""
    from booking import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "race",
                       "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 9, "MAIL_BACKGROUND": True})


@dataclass(frozen=True)
class Registering:
    """One racer's registration, in values that pickle."""

    event_id: int
    number: int
    companions: int = 0


def register_through_service(database_url: str, job: Registering, barrier: Barrier, results: Queue) -> None:
    """Register as a visitor would, once the barrier opens."""
    from booking import delivery
    from booking.extensions import db
    from booking.services import event_mail
    from booking.services.registrations import RegistrationInput, register, visible_event

    app = _app(database_url)
    # The race is about seats: the mail stays in the outbox for the worker, so the racers'
    # writes are the registrations alone (40 racers, each also claiming and settling its mail
    # in the same database, would triple the writes SQLite serialises).
    delivery.kick = lambda _app, _ids, _leased=(): None
    with app.app_context():
        try:
            data = RegistrationInput(name=f"Racer {job.number}", email=f"racer{job.number}@example.jp",
                                     companions=job.companions, consent=True)
            warm = visible_event(db.session(), job.event_id)  # compile queries and build the calendar before the start
            event_mail.calendar_values(warm, _probe(warm), "ja", cancelled=False)
            db.session.rollback()
            barrier.wait(BARRIER_TIMEOUT_S)
            outcome = register(job.event_id, data, key="race")
            _report(results, number=job.number, status=outcome.registration.status,
                    party=job.companions + 1, error=None)
        except Exception:  # the test asserts that no racer gets here
            _report(results, number=job.number, status="", party=job.companions + 1, error=traceback.format_exc())
        finally:
            db.session.remove()
            db.engine.dispose()


def _probe(event: Any) -> Any:
    from booking.db import utcnow
    from booking.models import Registration

    now = utcnow()
    return Registration(event_id=event.id, email="probe@example.jp", name="Probe", party_size=1, status="waiting",
                        locale="ja", sequence=0, created_at=now, updated_at=now)


def insert_registration_without_lock(database_url: str, job: Registering, barrier: Barrier, results: Queue) -> None:
    """Insert a seated registration with a bare INSERT in a plain transaction: no service, no lock."""
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError, OperationalError

    from booking.db import utcnow
    from booking.extensions import db
    from booking.models import Registration
    from booking.services.registrations import is_seat_refusal

    app = _app(database_url)
    with app.app_context():
        try:
            now = utcnow()
            row = dict(event_id=job.event_id, email=f"raw{job.number}@example.jp", name="Raw", organisation="",
                       org_kind="individual", party_size=job.companions + 1, status="registered", locale="ja",
                       token_hash=f"{job.number:064d}", consented_at=now, queued_at=now, sequence=0,
                       created_at=now, updated_at=now)
            with db.engine.connect():
                pass  # connected before the barrier, like the booking racers
            barrier.wait(BARRIER_TIMEOUT_S)
            for _attempt in range(400):  # SQLite: a busy database is waited for, never a result
                try:
                    with db.engine.begin() as conn:
                        conn.execute(insert(Registration.__table__).values(**row))
                    _report(results, number=job.number, ok=True, refused_by_guard=False, error=None)
                except IntegrityError as error:
                    _report(results, number=job.number, ok=False, refused_by_guard=is_seat_refusal(error),
                            error=str(error.orig))
                except OperationalError as error:
                    if "locked" not in str(error.orig):
                        raise
                    time.sleep(0.05)
                    continue
                break
        except Exception:
            _report(results, number=job.number, ok=False, refused_by_guard=False, error=traceback.format_exc())
        finally:
            db.session.remove()
            db.engine.dispose()
