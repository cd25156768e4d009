"""A refused (409) registration says its reason once, next to the read-only input (break-it pass
2026-12-01: the error summary repeated the section's message word for word): an alert the focus lands on
(data-focus-first), the read-only fieldset described by it, no error summary; the language switch still
sends the typed values again. Every refusal path: closed, not yet open, begun, called off, a member's form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from booking.extensions import db
from booking.models import PublicEvent
from tests.events.test_registration_views import register
from tests.events.test_registration_window import registrations, set_window
from tests.views.test_language_switch import press_switch


def _close(event):
    closed = datetime.now(UTC) - timedelta(minutes=5)
    set_window(event.id, closed - timedelta(days=10), closed)


def _refused_page(client, event, **typed):
    response = register(client, event, "late@example.jp", **typed)
    assert response.status_code == 409
    return response.get_data(as_text=True)


def test_a_registration_refused_after_closing_says_why_once_as_an_alert_the_input_points_to(client, kick_off):
    _close(kick_off)

    page = _refused_page(client, kick_off)

    assert page.count("に締め切りました。") == 1 and 'id="error-summary"' not in page
    assert 'id="registration-closed" role="alert"' in page and "data-focus-first" in page
    assert 'disabled aria-describedby="registration-closed"' in page
    assert registrations() == []


def test_a_registration_refused_before_opening_says_when_it_opens_once(client, kick_off):
    opens = datetime.now(UTC) + timedelta(days=2)
    set_window(kick_off.id, opens, opens + timedelta(days=3))

    page = _refused_page(client, kick_off, consent="")

    assert page.count("に始まります。") == 1 and 'id="error-summary"' not in page


def test_a_registration_refused_once_the_event_began_says_so_once(client, kick_off, monkeypatch):
    monkeypatch.setattr("booking.views.events.utcnow", lambda: kick_off.booking.start_dt + timedelta(minutes=1))

    page = _refused_page(client, kick_off)

    assert page.count("イベントが始まった") == 1 and 'id="error-summary"' not in page


def test_a_registration_for_a_called_off_event_says_so_once_at_the_top(client, kick_off):
    db.session.execute(update(PublicEvent).where(PublicEvent.id == kick_off.id).values(status="withdrawn"))
    db.session.commit()

    page = _refused_page(client, kick_off)

    assert page.count("このイベントは中止になりました。") == 1 and 'id="error-summary"' not in page
    assert 'role="alert" tabindex="-1" data-focus-first id="event-cancelled"' in page
    assert 'disabled aria-describedby="event-cancelled"' in page


def test_a_members_registration_refused_after_closing_says_why_once(client, kick_off, create_user):
    _close(kick_off)
    client.login(create_user().email)

    response = client.submit(f"/events/{kick_off.id}/register", {"m-companions": "1", "m-consent": "y"})
    page = response.get_data(as_text=True)

    assert response.status_code == 409 and page.count("に締め切りました。") == 1
    assert 'id="error-summary"' not in page


def test_the_language_switch_on_a_refused_registration_keeps_the_typed_values(client, kick_off):
    _close(kick_off)
    page = _refused_page(client, kick_off, companions=2)

    switched = press_switch(client, page)
    english = switched.get_data(as_text=True)

    assert switched.status_code == 409 and '<html lang="en">' in english
    assert english.count("Registration closed on ") == 1 and 'value="late@example.jp"' in english
    assert registrations() == []
