"""What the personal link says when it refuses or has nothing to do (break-it pass 2026-12-01): the closed
refusal comes before any other (a forged size for a party of one after closing is not told about capacity, and
no error summary points at its hidden field); the same size changes nothing and says so; confirming what is
not an open offer says "no longer open" in Japanese as in English, not that a deadline passed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Registration
from tests.events.test_party_after_closing import close, party_of
from tests.events.test_registration_views import link_of, mails, register
from tests.views.conftest import input_value

KEY = "test-secret"
CLOSED = {"ja": "人数を増やすことはできません", "en": "you cannot add people"}
SAME = {"ja": "お申込内容は変更していません", "en": "Nothing was changed"}
NO_LONGER_OPEN = {"ja": "このご案内はもう受け付けていません。", "en": "This offer is no longer open."}


def _in(client, locale):
    if locale == "en":
        client.submit("/language", {"locale": "en"})


@pytest.mark.parametrize("companions", ["3", "20"])
@pytest.mark.parametrize("locale", ["ja", "en"])
def test_a_forged_size_for_a_party_of_one_after_closing_gets_the_closed_refusal_in_an_alert(
        client, kick_off, monkeypatch, locale, companions):
    register(client, kick_off, "one@example.jp")
    link = link_of(mails("one@example.jp")[0])
    after = close(kick_off)
    for clock in ("booking.services.registrations.utcnow", "booking.views.events.utcnow"):
        monkeypatch.setattr(clock, lambda: after)
    _in(client, locale)

    response = client.submit(link, {"action": "change", "companions": companions})
    page = response.get_data(as_text=True)

    assert response.status_code == 409 and CLOSED[locale] in page and 'role="alert"' in page
    assert 'id="error-summary"' not in page and "同伴者は" not in page and "at most" not in page
    assert party_of("one@example.jp") == 1
    assert input_value(page, "companions") == "0"  # the hidden field is not left holding the forged size


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_posting_the_same_party_size_says_nothing_changed_and_writes_nothing(client, kick_off, locale):
    register(client, kick_off, "same@example.jp", companions=1)
    link = link_of(mails("same@example.jp")[0])
    db.session.rollback()
    before = db.session.scalar(select(Registration.sequence).where(Registration.email == "same@example.jp"))
    _in(client, locale)

    page = client.submit(link, {"action": "change", "companions": "1"}, follow_redirects=True).get_data(as_text=True)

    assert SAME[locale] in page and "お申込内容を変更しました" not in page and "has been changed" not in page
    assert [m.kind for m in mails("same@example.jp")] == ["registration.registered"]
    assert db.session.scalar(select(Registration.sequence).where(Registration.email == "same@example.jp")) == before


def test_a_waiting_party_forging_a_confirm_is_told_in_japanese_the_offer_is_no_longer_open(client, kick_off):
    register(client, kick_off, "seated@example.jp", companions=2)
    register(client, kick_off, "waits@example.jp")
    link = link_of(mails("waits@example.jp")[0])

    page = client.submit(link, {"action": "confirm", "companions": "0"}, follow_redirects=True).get_data(as_text=True)

    assert "このご案内はもう受け付けていません。" in page and "期限は過ぎています" not in page
    db.session.rollback()
    assert db.session.scalar(select(Registration.status).where(Registration.email == "waits@example.jp")) == "waiting"


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_a_cancel_posted_without_the_hidden_size_cancels_and_a_confirm_without_it_is_answered_as_a_confirm(
        client, kick_off, locale):
    register(client, kick_off, "seated@example.jp", companions=2)
    register(client, kick_off, "waits@example.jp")
    register(client, kick_off, "leaves@example.jp")  # waits too: the event has 3 seats
    waits, leaves = link_of(mails("waits@example.jp")[0]), link_of(mails("leaves@example.jp")[0])
    _in(client, locale)

    confirmed = client.submit(waits, {"action": "confirm"}, follow_redirects=True)
    cancelled = client.submit(leaves, {"action": "cancel"})

    assert confirmed.status_code == 200 and NO_LONGER_OPEN[locale] in confirmed.get_data(as_text=True)
    assert cancelled.status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(Registration.status).where(Registration.email == "leaves@example.jp")) == (
        "cancelled")


def test_the_service_says_whether_a_change_changed_anything(app, kick_off):
    from booking.services import registrations as service

    found = service.register(kick_off.id, service.RegistrationInput(name="Same", email="s@example.jp", companions=1,
                                                                    consent=True), KEY).registration
    secret = service.secret_of(KEY, found)

    same = service.change_party(secret, 1, KEY)
    fewer = service.change_party(secret, 0, KEY)

    assert (same.registration.id, same.changed) == (found.id, False)
    assert (fewer.registration.id, fewer.changed) == (found.id, True)


def test_the_service_refuses_a_size_out_of_range_as_closed_after_closing_and_as_too_many_while_open(app, kick_off):
    from booking.services import ServiceError
    from booking.services import registrations as service

    found = service.register(kick_off.id, service.RegistrationInput(name="Big", email="b@example.jp", consent=True),
                             KEY).registration
    secret = service.secret_of(KEY, found)
    after = close(kick_off)

    with pytest.raises(service.PartyCannotGrow):
        service.change_party(secret, 10, KEY, now=after)
    for companions in (-1, 10):
        with pytest.raises(ServiceError) as refused:
            service.change_party(secret, companions, KEY)
        assert (refused.value.message, refused.value.params) == ("At most %(count)s accompanying people.",
                                                                 {"count": 9})
    assert party_of("b@example.jp") == 1
