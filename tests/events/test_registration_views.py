"""A visitor registers without an account, changes and cancels through the link; the waiting list moves up."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from booking.extensions import db
from booking.models import OutboxMessage, Registration
from booking.services import outbox
from tests.events.factories import make_event

LINK_RE = re.compile(r"(http://localhost/events/r/[A-Za-z0-9_-]+)")


def register(client, event, email, companions=0, consent="y"):
    return client.submit(f"/events/{event.id}/register", {
        "name": f"Visitor {email}", "email": email, "organisation": "Town office", "org_kind": "public",
        "companions": str(companions), "consent": consent})


def mails(to):
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == to)
                                   .order_by(OutboxMessage.id)))


def rendered(message):
    return outbox.renderer_for(message.kind)(message.payload, message.locale)


def link_of(message):
    return LINK_RE.search(rendered(message)[1]).group(1).removeprefix("http://localhost")


def calendar_of(message):
    data = message.attachments[0]
    import base64
    return Calendar.from_ical(base64.b64decode(data["data"]))


def status_of(email):
    db.session.rollback()
    return db.session.scalar(select(Registration.status).where(Registration.email == email))


def test_a_visitor_registers_with_two_companions_and_gets_the_calendar_and_a_personal_link(client, kick_off):
    response = register(client, kick_off, "aiko@example.jp", companions=2)

    assert response.status_code == 302
    assert "aiko@example.jp" in client.get(response.headers["Location"]).get_data(as_text=True)
    [mail] = mails("aiko@example.jp")
    assert mail.kind == "registration.registered"
    calendar = calendar_of(mail)
    assert calendar["METHOD"] == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == kick_off.uid
    page = client.get(link_of(mail)).get_data(as_text=True)
    assert "Visitor aiko@example.jp" in page
    assert status_of("aiko@example.jp") == "registered"


def test_the_event_page_shows_seats_left_json_ld_and_open_graph_but_never_names(client, kick_off):
    register(client, kick_off, "aiko@example.jp", companions=1)

    page = client.get(f"/events/{kick_off.id}").get_data(as_text=True)

    assert "残り1席" in page
    assert "Visitor aiko" not in page and "aiko@example.jp" not in page
    assert 'property="og:title"' in page
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["@type"] == "Event" and data["remainingAttendeeCapacity"] == 1


def test_registration_needs_consent_and_keeps_the_input(client, kick_off):
    response = register(client, kick_off, "aiko@example.jp", consent="")
    assert response.status_code == 422
    assert "aiko@example.jp" in response.get_data(as_text=True)
    assert status_of("aiko@example.jp") is None


def test_registering_again_mails_the_existing_link_and_changes_nothing(client, kick_off):
    register(client, kick_off, "aiko@example.jp", companions=2)
    register(client, kick_off, "Aiko@example.jp", companions=0)

    first, again = mails("aiko@example.jp")
    assert again.kind == "registration.link"
    assert link_of(again) == link_of(first)
    db.session.rollback()
    assert db.session.scalar(select(Registration.party_size)) == 3


def test_change_to_one_companion_then_cancel_promotes_the_next_person(client, kick_off):
    register(client, kick_off, "aiko@example.jp", companions=2)  # takes all three seats
    register(client, kick_off, "ben@example.jp", companions=1)   # waits (two people)
    assert status_of("ben@example.jp") == "waiting"
    link = link_of(mails("aiko@example.jp")[0])

    client.submit(link, {"companions": "1", "action": "change"})
    assert status_of("ben@example.jp") == "waiting"  # one seat free, two needed: passed over, told
    assert [m.kind for m in mails("ben@example.jp")] == ["registration.waiting", "registration.passed_over"]

    client.submit(link, {"companions": "1", "action": "cancel"})
    assert status_of("aiko@example.jp") == "cancelled"
    assert status_of("ben@example.jp") == "registered"
    promoted = mails("ben@example.jp")[-1]
    assert promoted.kind == "registration.promoted"
    assert calendar_of(promoted)["METHOD"] == "REQUEST"
    cancelled = mails("aiko@example.jp")[-1]
    assert calendar_of(cancelled)["METHOD"] == "CANCEL"


def test_a_party_cannot_grow_past_the_free_seats(client, kick_off):
    register(client, kick_off, "aiko@example.jp", companions=1)
    link = link_of(mails("aiko@example.jp")[0])
    client.submit(link, {"companions": "3", "action": "change"})
    db.session.rollback()
    assert db.session.scalar(select(Registration.party_size)) == 2


def test_an_unknown_link_is_not_found(client, kick_off):
    assert client.get("/events/r/not-a-secret").status_code == 404


def test_events_list_and_space_page_show_the_event(client, kick_off):
    assert "サテライトオフィス合同キックオフ" in client.get("/events").get_data(as_text=True)
    assert "サテライトオフィス合同キックオフ" in client.get("/spaces/hall").get_data(as_text=True)


def test_the_space_page_lists_its_upcoming_events_soonest_first_and_no_other(client, kick_off, hall,
                                                                             create_space, create_user):
    host, studio = create_user(role="staff"), create_space(slug="studio", max_people=10)
    start = kick_off.booking.start_dt
    make_event(hall, host, start - timedelta(days=20), start - timedelta(days=20, hours=-1), title_ja="終わった会")
    make_event(hall, host, start - timedelta(days=2), start - timedelta(days=2, hours=-1), title_ja="先の会")
    make_event(studio, host, start, start + timedelta(hours=1), title_ja="別の部屋の会")
    make_event(hall, host, start + timedelta(days=1), start + timedelta(days=1, hours=1), title_ja="下書きの会",
               status="pending")
    page = client.get("/spaces/hall").get_data(as_text=True)
    listed = page[page.index('class="space-events"'):]
    assert listed.index("先の会") < listed.index("サテライトオフィス合同キックオフ")
    assert "終わった会" not in page and "別の部屋の会" not in page and "下書きの会" not in page


def test_the_registrants_page_names_the_status_not_a_date(client, kick_off):
    register(client, kick_off, "aiko@example.jp")
    page = client.get(link_of(mails("aiko@example.jp")[0])).get_data(as_text=True)
    assert "申込済み" in page and "登録日時" not in page


def test_a_missing_event_says_not_found_in_japanese(client, kick_off):
    response = client.get(f"/events/{kick_off.id + 999}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Not found." not in page and "見つかりません" in page


def test_a_missing_booking_event_is_not_found_in_the_viewers_language(client, create_user):
    from tests.conftest import PASSWORD

    japanese = create_user(role="staff")
    client.login(japanese.email, PASSWORD)
    response = client.get("/bookings/77/event")
    assert response.status_code == 404 and "見つかりません。" in response.get_data(as_text=True)
    client.get("/logout")
    english = create_user(role="staff", locale="en")
    client.login(english.email, PASSWORD)
    assert "Not found." in client.get("/bookings/77/event").get_data(as_text=True)
