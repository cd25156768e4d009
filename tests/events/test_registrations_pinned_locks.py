"""Registrations write under their hall's lock and (PostgreSQL) hold their event's row while they write, so a
staff review or another registration of the event waits for them; the expiry job racing a withdrawal of the
event leaves the withdrawn registrations as the withdrawal left them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.domain import events as rules
from booking.services import registrations as service
from booking.services.attendee_mail import withdraw_event
from tests.conftest import engine_name, future_day
from tests.events.factories import make_event
from tests.events.registering import KEY, row, secret, visitor
from tests.events.test_event_row_locks import _is_locked_by_another
from tests.events.test_registration_views import mails

START = future_day(10) + timedelta(hours=11)
AHEAD = START - timedelta(days=5)
NOW = START - timedelta(hours=14)  # within 48 hours: a promotion is an offer until 18:00


@pytest.fixture
def staff(create_user):
    return create_user(role="staff")


@pytest.fixture
def event(hall, staff):
    return make_event(hall, staff, START, START + timedelta(hours=1), capacity=2,
                      registration_opens_at=START - timedelta(days=10))




@pytest.fixture
def row_held_on_read(monkeypatch):
    """Whether the event's row was held by the writer right after it read the event, before it wrote anything
    (so not merely by the seat-counting trigger): one entry per read (PostgreSQL; SQLite has one writer at a
    time and no row locks, so nothing is recorded there)."""
    seen: list[bool] = []
    original = service.visible_event

    def watched(session, event_id, *args, **kwargs):
        found = original(session, event_id, *args, **kwargs)
        if engine_name() == "postgresql":
            seen.append(_is_locked_by_another(event_id))
        return found

    monkeypatch.setattr(service, "visible_event", watched)
    return seen


def _all_held(seen, count):
    if engine_name() != "postgresql":
        return True
    return seen == [True] * count


# -- the hall's lock ----------------------------------------------------------------------------------------------

def test_registering_writes_under_the_halls_lock(app, hall, event, locked_spaces):
    hall_id = hall.id
    locked_spaces.clear()

    service.register(event.id, visitor("a@example.jp"), KEY, now=AHEAD)

    assert locked_spaces[:1] == [hall_id]  # the registration's own transaction (what follows it locks no space)


def test_a_registration_tried_again_after_the_seat_guard_refused_it_is_still_under_the_halls_lock(
        app, hall, event, locked_spaces, monkeypatch):
    hall_id = hall.id
    for email in ("a@example.jp", "b@example.jp"):
        service.register(event.id, visitor(email), KEY, now=AHEAD)
    monkeypatch.setattr(rules, "placement", lambda capacity, taken, party: rules.REGISTERED)  # a stale read
    locked_spaces.clear()

    outcome = service.register(event.id, visitor("c@example.jp"), KEY, now=AHEAD)

    assert outcome.registration.status == "waiting"
    assert locked_spaces[:2] == [hall_id, hall_id]


def test_cancelling_through_a_personal_link_writes_under_the_halls_lock(app, hall, event, locked_spaces):
    hall_id = hall.id
    service.register(event.id, visitor("a@example.jp"), KEY, now=AHEAD)
    link = secret("a@example.jp")
    locked_spaces.clear()

    service.cancel(link, KEY, now=AHEAD + timedelta(minutes=1))

    assert locked_spaces[:1] == [hall_id]


# -- the event's row (PostgreSQL) ---------------------------------------------------------------------------------

def test_registering_holds_the_events_row_while_it_writes(app, event, row_held_on_read):
    service.register(event.id, visitor("a@example.jp"), KEY, now=AHEAD)

    assert _all_held(row_held_on_read, 1)


def test_changing_and_cancelling_hold_the_events_row_while_they_write(app, event, row_held_on_read):
    service.register(event.id, visitor("a@example.jp"), KEY, now=AHEAD)
    row_held_on_read.clear()

    service.change_party(secret("a@example.jp"), 1, KEY, now=AHEAD + timedelta(minutes=1))
    service.cancel(secret("a@example.jp"), KEY, now=AHEAD + timedelta(minutes=2))

    assert _all_held(row_held_on_read, 2)


def test_confirming_an_offer_holds_the_events_row_while_it_writes(app, event, row_held_on_read):
    for email in ("a@example.jp", "b@example.jp", "c@example.jp"):
        service.register(event.id, visitor(email), KEY, now=AHEAD)
    service.cancel(secret("a@example.jp"), KEY, now=NOW)
    row_held_on_read.clear()

    service.confirm_offer(secret("c@example.jp"), KEY, now=NOW + timedelta(minutes=1))

    assert row("c@example.jp").status == "registered"
    assert _all_held(row_held_on_read, 1)


# -- the expiry job racing a withdrawal ---------------------------------------------------------------------------

def test_an_offer_withdrawn_between_the_expiry_jobs_read_and_its_write_is_not_lapsed(
        app, event, staff, monkeypatch):
    """The job reads the offers due, then lapses each in its own transaction; staff withdrew the event in
    between (the registration cancelled, its old deadline kept on the row): it stays cancelled, is not told its
    offer lapsed, and is not counted."""
    for email in ("a@example.jp", "b@example.jp", "c@example.jp"):
        service.register(event.id, visitor(email), KEY, now=AHEAD)
    service.cancel(secret("a@example.jp"), KEY, now=NOW)
    deadline = row("c@example.jp").offer_expires_at
    event_id = event.id
    original = service.run_write
    raced: list[int] = []

    def withdrawn_first(space_id, work, *args, **kwargs):
        if not raced:
            raced.append(withdraw_event(event_id, staff, "Speaker ill", release_booking=False))
        return original(space_id, work, *args, **kwargs)

    monkeypatch.setattr(service, "run_write", withdrawn_first)

    assert service.expire_offers(KEY, deadline) == 0

    assert raced
    assert row("c@example.jp").status == "cancelled"
    assert "registration.expired" not in [m.kind for m in mails("c@example.jp")]
