"""Once registration is not open a party may shrink or cancel but not grow (rules.may_change_party): growing
registers more people. Refused next to the field in the visitor's language, the input kept, 409, nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Registration
from booking.services import registrations as service
from tests.events.test_registration_views import link_of, mails, register
from tests.events.test_registration_window import set_window
from tests.views.conftest import input_value

KEY = "test-secret"


def party_of(email):
    db.session.rollback()
    return db.session.scalar(select(Registration.party_size).where(Registration.email == email))


def status_of(email):
    db.session.rollback()
    return db.session.scalar(select(Registration.status).where(Registration.email == email))


def secret_of(email):
    db.session.rollback()
    return service.secret_of(KEY, db.session.scalar(select(Registration).where(Registration.email == email)))


def close(event, minutes_ago=5):
    start = event.booking.start_dt
    closes = start - timedelta(days=1)
    set_window(event.id, event.registration_opens_at, closes)
    return closes + timedelta(minutes=minutes_ago)


@pytest.mark.parametrize(("locale", "words"), [("ja", "人数を増やすことはできません"), ("en", "you cannot add people")])
def test_a_registered_party_cannot_grow_into_a_freed_seat_after_closing(client, kick_off, monkeypatch, locale, words):
    register(client, kick_off, "one@example.jp")
    register(client, kick_off, "two@example.jp", companions=1)
    link = link_of(mails("one@example.jp")[0])
    after = close(kick_off)
    monkeypatch.setattr("booking.services.registrations.utcnow", lambda: after)
    client.submit(link_of(mails("two@example.jp")[0]), {"action": "change", "companions": "0"})  # frees a seat
    if locale == "en":
        client.submit("/language", {"locale": "en"})

    response = client.submit(link, {"action": "change", "companions": "1"})
    page = response.get_data(as_text=True)

    assert response.status_code == 409 and words in page
    assert 'id="companions-errors"' in page and input_value(page, "companions") == "1"
    assert party_of("one@example.jp") == 1 and party_of("two@example.jp") == 1


def test_a_waiting_party_cannot_grow_after_closing_but_can_shrink_and_cancel(app, kick_off):
    for email, companions in (("all@example.jp", 2), ("wait@example.jp", 1)):
        service.register(kick_off.id, service.RegistrationInput(name=email, email=email, companions=companions,
                                                               consent=True), KEY)
    assert status_of("wait@example.jp") == "waiting"
    after = close(kick_off)

    with pytest.raises(service.PartyCannotGrow) as refused:
        service.change_party(secret_of("wait@example.jp"), 2, KEY, now=after)

    assert refused.value.status_code == 409 and refused.value.field == "companions"
    assert party_of("wait@example.jp") == 2
    service.change_party(secret_of("wait@example.jp"), 0, KEY, now=after)
    assert party_of("wait@example.jp") == 1
    service.cancel(secret_of("wait@example.jp"), KEY, now=after)
    assert status_of("wait@example.jp") == "cancelled"


@pytest.mark.parametrize(("locale", "opens", "closed"), [("ja", "に始まります", "締め切りました"),
                                                         ("en", "Registration opens on", "closed")])
def test_a_party_whose_registration_opens_later_again_is_told_it_opens_as_the_event_page_says(
        client, kick_off, locale, opens, closed):
    from datetime import UTC, datetime

    register(client, kick_off, "early@example.jp", companions=1)
    link = link_of(mails("early@example.jp")[0])
    later = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=2)
    set_window(kick_off.id, later, kick_off.booking.start_dt - timedelta(hours=1))
    if locale == "en":
        client.submit("/language", {"locale": "en"})

    page = client.get(link).get_data(as_text=True)
    event_page = client.get(f"/events/{kick_off.id}").get_data(as_text=True)

    assert opens in page and opens in event_page
    assert closed not in page


def test_a_party_growing_past_the_free_seats_is_told_how_many_are_free_in_japanese(client, kick_off):
    register(client, kick_off, "one@example.jp")
    register(client, kick_off, "two@example.jp")  # capacity 3: one seat left

    link = link_of(mails("one@example.jp")[0])
    response = client.submit(link, {"action": "change", "companions": "2"})

    assert "空席は残り1席です。" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert party_of("one@example.jp") == 1
