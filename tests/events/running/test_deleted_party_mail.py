""""Delete my data" takes the person out of the mail outbox at once (break-it pass 2026-12-01, hbe@example.com):
mail not yet sent to them about that event (pending, or failed for good) is dropped, and the mail that was sent
stays in the log as sent to a deleted person, with no name, address, check-in code or calendar object. Their mail
about another event, and other people's mail, stay as they were; the retention job does the same for a whole event."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from booking.extensions import db
from booking.models import OutboxMessage
from booking.services import attendee_mail, registrations
from booking.services.attendee_mail import Audience
from booking.services.registrations import RegistrationInput
from booking.services.retention import anonymise_event, delete_registration

ADDRESS = "hbe@example.com"
ORGANISERS = "events.proposal_approved"  # mail to the organiser's member address, not to a registrant


def _register(event, key, email=ADDRESS, name="削除 花子"):
    return registrations.register(event.id, RegistrationInput(name=name, email=email, consent=True), key).registration


def _mailed(app, create_event, create_user):
    """Two people at one event, the first also at another; each has a sent, a failed and a pending mail."""
    key = str(app.config["SECRET_KEY"])
    event, elsewhere = create_event(), create_event()
    made = _register(event, key)
    _register(event, key, email="stays@example.com", name="残る 太郎")
    _register(elsewhere, key)
    db.session.execute(update(OutboxMessage).values(status="sent"))  # the confirmations went out
    attendee_mail.mail_registrants(event.id, create_user(role="staff"), "ご案内", "本文", Audience())
    db.session.execute(update(OutboxMessage).where(OutboxMessage.kind == "events.message").values(status="failed"))
    attendee_mail.mail_registrants(event.id, create_user(role="staff"), "再送", "本文", Audience())
    db.session.execute(update(OutboxMessage).where(OutboxMessage.payload["subject"].as_string() == "再送")
                       .values(status="pending"))  # not yet accepted by the mail server
    # the same address as the event's organiser: mail about the proposal is theirs as a member, not a registrant's
    db.session.add(OutboxMessage(kind=ORGANISERS, recipient=ADDRESS, locale="ja", attachments=[],
                                 payload={"event_id": event.id, "name": "削除 花子"}, status="pending",
                                 attempts=0, last_error=""))
    db.session.commit()
    return event, elsewhere, made, registrations.secret_of(key, made), key


def _rows():
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _names_the_person(row):
    text = json.dumps([row.recipient, row.payload, row.attachments], ensure_ascii=False)
    return ADDRESS in text or "削除 花子" in text or "削除" in text


def test_deleting_ones_data_drops_unsent_mail_and_strips_the_sent_mail_of_name_and_address(
        app, create_event, create_user):
    event, elsewhere, made, secret, key = _mailed(app, create_event, create_user)
    assert any("checkin_code" in r.payload for r in _rows() if r.recipient == ADDRESS)  # the confirmation had it

    delete_registration(secret, key)

    rows = _rows()
    about_event = [r for r in rows if r.payload.get("event_id") == event.id and r.recipient != "stays@example.com"
                   and r.kind != ORGANISERS]
    assert about_event and all(r.status == "sent" for r in about_event)
    assert {r.recipient for r in about_event} == {f"deleted-{made.id}@invalid"}
    assert not any(_names_the_person(r) for r in about_event)
    assert all(r.attachments == [] and not {"name", "email", "code", "checkin_code"} & set(r.payload)
               for r in about_event)
    assert "registration.registered" in {r.kind for r in about_event}  # the log still says it went
    assert sorted((r.kind, r.payload["event_id"]) for r in rows if r.recipient == ADDRESS) == [
        ("events.proposal_approved", event.id), ("registration.registered", elsewhere.id)]
    assert {r.status for r in rows if r.recipient == "stays@example.com"} == {"sent", "failed", "pending"}


def test_removing_an_events_data_takes_its_attendees_out_of_the_outbox(app, create_event, create_user):
    event, elsewhere, _made, _secret, _key = _mailed(app, create_event, create_user)

    db.session.rollback()
    anonymise_event(db.session, db.session.get(type(event), event.id), event.booking.end_dt)
    db.session.commit()

    about_event = [r for r in _rows() if r.payload.get("event_id") == event.id and r.kind != ORGANISERS]
    assert about_event and all(r.status == "sent" and r.recipient.endswith("@invalid") for r in about_event)
    assert not any(_names_the_person(r) or "stays@example.com" in str(r.payload) for r in about_event)
    assert sorted(r.kind for r in _rows() if r.recipient == ADDRESS) == ["events.proposal_approved",
                                                                           "registration.registered"]
