"""The registration form is shown only while registration is open (rules.registration_window): before it
opens, after it closes, once the event has begun or ended and when it is cancelled the page says why and
since or until when (with the time zone) instead; a registration sent anyway is refused with 409, the
reason said once (next to the input, as an alert), the input shown read only with no button to send it
again, and nothing written. The kept visitor's page follows the clock (its key is the state)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from booking.extensions import db
from booking.models import PublicEvent, Registration
from tests.events.test_kept_event_page import forget_kept_pages, visit
from tests.events.test_registration_views import register

FORM = 'action="/events/{id}/register"'


def set_window(event_id: int, opens: datetime, closes: datetime) -> None:
    db.session.execute(update(PublicEvent).where(PublicEvent.id == event_id)
                       .values(registration_opens_at=opens, registration_closes_at=closes))
    db.session.commit()


def registrations() -> list[Registration]:
    db.session.rollback()
    return list(db.session.scalars(select(Registration)))


def test_after_the_closing_time_the_page_shows_no_form_but_when_it_closed(client, kick_off):
    closed = datetime.now(UTC) - timedelta(minutes=5)
    set_window(kick_off.id, closed - timedelta(days=10), closed)

    page = visit(client, f"/events/{kick_off.id}")

    assert FORM.format(id=kick_off.id) not in page and 'name="email"' not in page
    assert "申込受付は" in page and "に締め切りました。" in page


def test_before_the_opening_time_the_page_says_when_it_opens_in_english(client, kick_off):
    opens = datetime.now(UTC) + timedelta(days=2)
    set_window(kick_off.id, opens, opens + timedelta(days=3))
    client.submit("/language", {"locale": "en"})

    page = visit(client, f"/events/{kick_off.id}")

    assert FORM.format(id=kick_off.id) not in page and 'name="email"' not in page
    assert "Registration opens on " in page


def test_a_registration_sent_after_closing_is_refused_with_409_next_to_the_kept_input(client, kick_off):
    closed = datetime.now(UTC) - timedelta(minutes=5)
    set_window(kick_off.id, closed - timedelta(days=10), closed)

    response = register(client, kick_off, "late@example.jp", companions=1)
    page = response.get_data(as_text=True)

    assert response.status_code == 409
    assert 'value="late@example.jp"' in page and 'class="registration kept-input" disabled' in page
    assert page.count("に締め切りました。") == 1  # said once, next to the kept input (test_refusal_said_once.py)
    assert registrations() == []


def test_a_registration_sent_before_opening_is_refused_with_409_even_when_its_input_is_wrong(client, kick_off):
    opens = datetime.now(UTC) + timedelta(days=2)
    set_window(kick_off.id, opens, opens + timedelta(days=3))

    response = register(client, kick_off, "early@example.jp", consent="")

    assert response.status_code == 409
    assert "に始まります。" in response.get_data(as_text=True)
    assert registrations() == []


def test_registering_for_an_event_that_has_begun_is_refused_with_409(client, kick_off, monkeypatch):
    began = kick_off.booking.start_dt + timedelta(minutes=1)
    monkeypatch.setattr("booking.views.events.utcnow", lambda: began)

    response = register(client, kick_off, "door@example.jp")

    assert response.status_code == 409
    assert "イベントが始まった" in response.get_data(as_text=True)
    assert "（Asia/Tokyo）に申込受付を締め切りました。" in response.get_data(as_text=True)
    assert registrations() == []


def test_registration_that_closes_between_the_page_and_the_write_is_refused_with_409(
        client, kick_off, monkeypatch):
    """The view finds it open, the service (its own clock) finds it closed: the same answer."""
    closes = kick_off.registration_closes_at
    monkeypatch.setattr("booking.views.events.utcnow", lambda: closes - timedelta(seconds=1))
    monkeypatch.setattr("booking.services.registrations.utcnow", lambda: closes)

    response = register(client, kick_off, "racer@example.jp")

    assert response.status_code == 409
    assert 'value="racer@example.jp"' in response.get_data(as_text=True)
    assert registrations() == []


def test_the_kept_page_shows_no_form_once_the_clock_passes_the_closing_time(app, client, kick_off, monkeypatch):
    path, closes = f"/events/{kick_off.id}", kick_off.booking.start_dt - timedelta(days=1)
    set_window(kick_off.id, kick_off.registration_opens_at, closes)
    forget_kept_pages(app)
    monkeypatch.setattr("booking.views.events.utcnow", lambda: closes - timedelta(minutes=1))
    before = visit(client, path)  # kept, with the form
    monkeypatch.setattr("booking.views.events.utcnow", lambda: closes + timedelta(minutes=1))

    after = visit(client, path)

    assert FORM.format(id=kick_off.id) in before
    assert FORM.format(id=kick_off.id) not in after and "に締め切りました。" in after


def test_the_kept_page_shows_the_form_once_registration_opens(app, client, kick_off, monkeypatch):
    path, opens = f"/events/{kick_off.id}", kick_off.registration_opens_at
    forget_kept_pages(app)
    monkeypatch.setattr("booking.views.events.utcnow", lambda: opens - timedelta(seconds=1))
    before = visit(client, path)
    monkeypatch.setattr("booking.views.events.utcnow", lambda: opens)

    after = visit(client, path)

    assert "に始まります。" in before and FORM.format(id=kick_off.id) not in before
    assert FORM.format(id=kick_off.id) in after


def test_an_event_that_is_over_says_so(client, kick_off, monkeypatch):
    monkeypatch.setattr("booking.views.events.utcnow", lambda: kick_off.booking.end_dt)

    page = visit(client, f"/events/{kick_off.id}")

    assert FORM.format(id=kick_off.id) not in page and "に終了しました。申込は受け付けていません。" in page


def test_a_signed_in_member_finds_no_form_after_closing_and_a_409_if_they_send_one(client, kick_off, create_user):
    closed = datetime.now(UTC) - timedelta(minutes=5)
    set_window(kick_off.id, closed - timedelta(days=10), closed)
    client.login(create_user().email)

    page = visit(client, f"/events/{kick_off.id}")
    response = client.submit(f"/events/{kick_off.id}/register", {"m-companions": "0", "m-consent": "y"})

    assert "アカウントで申し込む" not in page and "に締め切りました。" in page
    assert response.status_code == 409 and "に締め切りました。" in response.get_data(as_text=True)
    assert registrations() == []
