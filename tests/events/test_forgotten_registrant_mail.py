"""Issue 18's registration mail never goes to a forgotten registrant's placeholder address
(checkin.forgotten_email): an open offer whose event moves earlier, the event moved, the offer lapsing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.models import OutboxMessage
from booking.services import registrations as service
from booking.services.retention import forget_person
from tests.events.test_offers_follow_the_start import KEY, NOW, _move_earlier, _row, offered  # noqa: F401


def _forget(email):
    found = _row(email)
    forget_person(found)
    db.session.commit()
    db.session.execute(db.delete(OutboxMessage))
    db.session.commit()
    return found.email


def _kinds_to(address):
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.recipient == address)))


def test_moving_the_event_mails_no_forgotten_registrant(app, offered, create_user):  # noqa: F811
    placeholder = _forget("c@example.jp")

    outcome = _move_earlier(create_user(role="staff"), offered.booking_id)

    assert not outcome.conflicts
    assert _kinds_to(placeholder) == []
    assert "event.updated" in _kinds_to("b@example.jp")  # the others are still told


def test_a_forgotten_registrants_lapsed_offer_is_not_mailed(app, offered):  # noqa: F811
    placeholder = _forget("c@example.jp")

    assert service.expire_offers(KEY, now=NOW + timedelta(hours=13)) == 1

    assert _kinds_to(placeholder) == []
