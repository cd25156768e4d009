"""One mail a person per move of an event, saying what is true for them (break-it pass 2026-12-01): an open offer
whose deadline the move pulled in gets registration.offer_moved only (not also event.updated, which said
「人数：1名」 as if the seat were theirs), with a calendar object newer than the one it had; an offer left as it
was and a party on the waiting list are told the move in words that say where they stand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from booking.extensions import db
from booking.models import Booking
from booking.services import registrations as service
from booking.services.changes import BookingChange, change_booking
from booking.services.outbox import renderer_for
from tests.events.test_offers_follow_the_start import KEY, NOW, START, _move_earlier, offered  # noqa: F401
from tests.events.test_registration_views import calendar_of, mails


def _kinds_since(email, count):
    return [m.kind for m in mails(email)[count:]]


def _sequence(message):
    return int(next(iter(calendar_of(message).walk("VEVENT")))["SEQUENCE"])


def _bodies(app, message):
    with app.test_request_context():
        ja = renderer_for(message.kind)(message.payload, "ja")[1]
        with force_locale("en"):
            en = renderer_for(message.kind)(message.payload, "en")[1]
    return ja, en


def test_an_offer_whose_deadline_the_move_pulled_in_gets_one_mail_with_a_newer_calendar(
        app, offered, create_user):  # noqa: F811
    before = {email: len(mails(email)) for email in ("b@example.jp", "c@example.jp")}
    last_calendar = _sequence(mails("c@example.jp")[-1])

    _move_earlier(create_user(role="staff"), offered.booking_id)

    assert _kinds_since("c@example.jp", before["c@example.jp"]) == ["registration.offer_moved"]
    assert _kinds_since("b@example.jp", before["b@example.jp"]) == ["event.updated"]
    assert _sequence(mails("c@example.jp")[-1]) > last_calendar


@pytest.fixture
def moved_after_the_deadline(offered, create_user):  # noqa: F811
    service.register(offered.id, service.RegistrationInput(name="d", email="d@example.jp", consent=True), KEY,
                     now=NOW)
    before = {email: len(mails(email)) for email in ("c@example.jp", "d@example.jp")}
    booking = db.session.get(Booking, offered.booking_id)
    moved = START - timedelta(minutes=90)  # 18:30: still after the offer's deadline (18:00), inside opening hours
    outcome = change_booking(create_user(role="staff"), booking.id,
                             BookingChange(moved, moved + timedelta(hours=1), booking.title, True), now=NOW)
    assert not outcome.conflicts, outcome.conflicts
    return before


def test_an_offer_left_as_it_was_is_told_the_move_and_that_its_seats_still_wait_for_confirmation(
        app, moved_after_the_deadline):
    assert _kinds_since("c@example.jp", moved_after_the_deadline["c@example.jp"]) == ["event.updated"]
    ja, en = _bodies(app, mails("c@example.jp")[-1])

    assert "ご案内した席は引き続き確保しています" in ja and "確定してください" in ja
    assert "The seats offered to you are still held" in en and "please confirm" in en


def test_a_party_on_the_waiting_list_is_told_the_move_without_being_told_it_has_a_seat(app, moved_after_the_deadline):
    assert _kinds_since("d@example.jp", moved_after_the_deadline["d@example.jp"]) == ["event.updated"]
    ja, en = _bodies(app, mails("d@example.jp")[-1])

    assert "引き続きキャンセル待ち" in ja and "人数（キャンセル待ち）：1名" in ja and "人数：1名" not in ja
    assert "still on the waiting list" in en and "People on the waiting list: 1" in en and "People: 1" not in en
