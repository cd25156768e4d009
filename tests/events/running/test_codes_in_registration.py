"""Issue 18's registration meets issue 19: the confirmation carries the code and QR, the personal
page shows them, the registrant deletes their registration through the link, the form links the notice."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.domain.checkin import Outcome, normalise_code
from booking.extensions import db
from booking.models import Registration
from booking.models_attendance import AttendeePass
from booking.services import attendance, registrations
from booking.services.registrations import RegistrationInput
from tests.conftest import future_day
from tests.events.factories import make_event
from tests.mail.conftest import text_of

KEY = "test-secret"
LINK_RE = re.compile(r"https://booking\.example\.jp(/events/r/[A-Za-z0-9_-]+)")
CODE_RE = re.compile(r"([0-9A-Z]{4}-[0-9A-Z]{4})")


@pytest.fixture
def app_config(mail_config):
    return {**mail_config, "RATELIMIT_ENABLED": False}


def test_a_confirmation_carries_the_check_in_code_and_its_qr_and_the_code_checks_in(
        app, inbox, create_space, create_user):
    hall = create_space(max_people=80)
    staff = create_user(role="staff")
    start = future_day(10) + timedelta(hours=8)
    event = make_event(hall, staff, start, start + timedelta(hours=2), capacity=2)
    inbox.messages.clear()

    done = registrations.register(event.id, RegistrationInput(
        name="山田 花子", email="hanako@example.jp", companions=1, consent=True, locale="ja"), KEY)
    registrations.register(event.id, RegistrationInput(name="Anna", email="anna@example.jp", consent=True,
                                                       locale="en"), KEY)
    inbox.wait_for(2)

    confirmation = inbox.only_one_to("hanako@example.jp")
    code = CODE_RE.search(text_of(confirmation).split("受付コード：")[1]).group(1)
    stored = db.session.scalar(select(AttendeePass.code).where(
        AttendeePass.registration_id == done.registration.id))
    assert normalise_code(code) == stored
    assert [p.get_content_type() for p in confirmation.iter_attachments()].count("image/png") == 1
    waiting = inbox.only_one_to("anna@example.jp")  # on the waiting list: no code, no QR
    assert "check-in code" not in text_of(waiting).lower()
    assert "image/png" not in [p.get_content_type() for p in waiting.iter_attachments()]
    assert attendance.check_in_code(event.id, code, staff.id, now=start).outcome == Outcome.ACCEPTED


def test_the_personal_page_shows_the_code_and_deleting_cancels_promotes_and_forgets(
        app, inbox, client, create_space, create_user):
    hall = create_space(max_people=80)
    start = future_day(10) + timedelta(hours=8)
    event = make_event(hall, create_user(role="staff"), start, start + timedelta(hours=2), capacity=1)
    inbox.messages.clear()
    registrations.register(event.id, RegistrationInput(name="山田 花子", email="hanako@example.jp", consent=True,
                                                       organisation="渋谷区"), KEY)
    registrations.register(event.id, RegistrationInput(name="待ち 次郎", email="jiro@example.jp", consent=True), KEY)
    inbox.wait_for(2)
    link = LINK_RE.search(text_of(inbox.only_one_to("hanako@example.jp"))).group(1)

    page = client.get(link).get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page and CODE_RE.search(page.split("checkin-code")[1])
    assert "/events/privacy" in page

    response = client.submit(f"{link}/delete")

    assert response.status_code == 302 and response.headers["Location"].endswith(f"/events/{event.id}")
    db.session.rollback()
    people = {r.email: r for r in db.session.scalars(select(Registration).where(Registration.event_id == event.id))}
    assert "hanako@example.jp" not in people
    gone = next(r for r in people.values() if r.email.endswith("@invalid"))
    assert (gone.name, gone.organisation, gone.status) == ("", "", "cancelled")
    assert people["jiro@example.jp"].status in ("registered", "offered")
    assert client.get(link).status_code == 404


def test_the_registration_form_links_the_privacy_notice_with_the_retention(client, create_space, create_user):
    hall = create_space(max_people=80)
    start = future_day(10) + timedelta(hours=8)
    event = make_event(hall, create_user(role="staff"), start, start + timedelta(hours=2))

    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'href="/events/privacy"' in page
    notice = client.get("/events/privacy").get_data(as_text=True)
    assert "30" in notice


def test_the_code_paragraph_stands_before_the_footer_in_each_registrants_language(
        app, inbox, create_space, create_user):
    hall = create_space(max_people=80, name_ja="イベントホール", name_en="Event hall")
    start = future_day(10) + timedelta(hours=8)
    event = make_event(hall, create_user(role="staff"), start, start + timedelta(hours=2), capacity=5)
    inbox.messages.clear()

    registrations.register(event.id, RegistrationInput(name="Anna", email="anna@example.jp", consent=True,
                                                       locale="en"), KEY)
    registrations.register(event.id, RegistrationInput(name="山田 花子", email="hanako@example.jp", consent=True,
                                                       locale="ja"), KEY)
    inbox.wait_for(2)

    english, japanese = text_of(inbox.only_one_to("anna@example.jp")), text_of(inbox.only_one_to("hanako@example.jp"))
    body, footer = english.rsplit("\n--\n", 1)
    assert CODE_RE.search(body.split("Your check-in code: ")[1]) and "check-in code" not in footer
    assert "Event hall" in body and "イベントホール" not in english
    assert "Dear Anna," in body and "Event: Satellite offices kick-off" in body
    body, footer = japanese.rsplit("\n--\n", 1)
    assert CODE_RE.search(body.split("受付コード：")[1]) and "受付コード" not in footer
    assert "イベントホール" in body and "Event hall" not in japanese


def test_each_registration_mail_written_in_one_flush_carries_its_own_registrants_code_and_qr(app, create_event):
    from booking.db import utcnow
    from booking.domain.checkin import display_code
    from booking.models import OutboxMessage
    from booking.services import event_mail

    event, now = create_event(), utcnow()
    people = [Registration(event=event, event_id=event.id, email=f"{name}@example.jp", name=name, organisation="",
                           org_kind="company", party_size=1, status="registered", locale="ja", token_hash=name * 8,
                           consented_at=now, queued_at=now, created_at=now, updated_at=now) for name in ("aiko", "ben")]
    with db.session.no_autoflush:  # the registrations, their passes and their mail in one flush
        db.session.add_all(people)
        for person in people:
            event_mail.enqueue(db.session, "registration.registered", person)
    db.session.commit()

    rows = {row.recipient: row for row in db.session.scalars(select(OutboxMessage))}
    for person in people:
        code = db.session.get(AttendeePass, person.id).code
        assert rows[person.email].payload["checkin_code"] == display_code(code)
        assert [(a["filename"], a["content_type"]) for a in rows[person.email].attachments
                if a["content_type"] == "image/png"] == [("checkin-code.png", "image/png")]


def test_a_registrant_whose_code_is_missing_gets_one_with_their_next_mail(app, create_event, register):
    from booking.domain.checkin import display_code
    from booking.models import OutboxMessage
    from booking.services import event_mail

    person = register(create_event())
    db.session.delete(db.session.get(AttendeePass, person.id))
    db.session.commit()

    event_mail.enqueue(db.session, "registration.link", person)
    db.session.commit()

    code = db.session.get(AttendeePass, person.id).code
    [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == person.email))
    assert row.payload["checkin_code"] == display_code(code)


def test_the_code_paragraph_goes_before_the_last_separator_or_at_the_end_of_a_mail_without_one(app):
    from booking.services.checkin_mail import with_code

    payload = {"checkin_code": "ABCD-EFGH"}
    with app.test_request_context():
        _, quoted = with_code("s", "Hello\n--\nquoted\n--\nfooter\n", payload)
        _, plain = with_code("s", "Hello\n", payload)
        unchanged = with_code("s", "Hello\n--\nfooter\n", {})

    assert quoted.startswith("Hello\n--\nquoted\n\n") and quoted.endswith("\n--\nfooter\n")
    assert quoted.index("quoted") < quoted.index("ABCD-EFGH") < quoted.index("footer")
    assert plain.startswith("Hello\n\n") and "ABCD-EFGH" in plain and plain.endswith("\n")
    assert unchanged == ("s", "Hello\n--\nfooter\n")


def test_a_registrants_mail_carries_their_own_code_not_that_of_their_address_elsewhere_or_of_another_registrant(
        app, create_event, register):
    from booking.domain.checkin import display_code
    from booking.models import OutboxMessage
    from booking.services import event_mail

    register(create_event(), email="same@example.jp")  # an earlier event, the same address
    event = create_event()
    register(event, email="first@example.jp")  # this event's earlier registrant, another address
    person = register(event, email="same@example.jp")

    event_mail.enqueue(db.session, "registration.link", person)
    db.session.commit()

    [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == person.email))
    assert row.payload["checkin_code"] == display_code(db.session.get(AttendeePass, person.id).code)
