"""A party that has checked in is settled (break-it pass 2026-12-01): its personal link no longer offers or
accepts cancelling (409, nothing written), and a party without a seat that carries a left-over check-in
(cancelled before this rule, or by the event's withdrawal) is shown and counted as cancelled only: no
check-in time beside it, no Undo, and an undo posted anyway writes nothing."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from booking.db import utcnow
from booking.extensions import db
from booking.models import Registration
from booking.models_attendance import AttendeePass
from booking.services import attendance, registrations
from booking.services.registrations import RegistrationInput

WORDS = {"ja": "すでに受付を済ませている", "en": "already checked in"}


def _checked_in_party(app, create_event, create_user, locale):
    event = create_event()
    key = str(app.config["SECRET_KEY"])
    made = registrations.register(event.id, RegistrationInput(name="受付 済子", email="in@example.jp", consent=True,
                                                              locale=locale), key).registration
    attendance.check_in(event.id, made.id, create_user(role="staff").id)
    return event, made.id, f"/events/r/{registrations.secret_of(key, made)}"


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_a_checked_in_party_is_not_offered_cancelling_and_a_cancel_post_is_refused(
        app, client, create_event, create_user, locale):
    event, registration_id, link = _checked_in_party(app, create_event, create_user, locale)
    if locale == "en":
        client.submit("/language", {"locale": "en"})

    page = client.get(link).get_data(as_text=True)
    refused = client.submit(link, {"action": "cancel", "companions": "0"})

    assert 'value="cancel"' not in page and WORDS[locale] in page
    assert refused.status_code == 409 and WORDS[locale] in refused.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Registration, registration_id).status == "registered"
    assert db.session.get(AttendeePass, registration_id).checked_in_at is not None
    assert attendance.counts(event.id).checked_in == 1


def test_the_service_refuses_cancelling_or_changing_a_checked_in_party(app, create_event, create_user):
    _event, registration_id, link = _checked_in_party(app, create_event, create_user, "ja")
    secret, key = link.rsplit("/", 1)[1], str(app.config["SECRET_KEY"])

    with pytest.raises(registrations.CheckedIn):
        registrations.cancel(secret, key)
    with pytest.raises(registrations.CheckedIn):
        registrations.change_party(secret, 0, key)
    db.session.rollback()
    assert db.session.get(Registration, registration_id).status == "registered"


@pytest.fixture
def left_over(create_event, register):
    """An event with one cancelled party whose check-in was left over (written before the rule)."""
    event = create_event()
    gone = register(event, name="取消 残子", status="cancelled", cancelled_at=utcnow())
    db.session.get(AttendeePass, gone.id).checked_in_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    return event, gone.id


def test_a_cancelled_party_with_a_left_over_check_in_has_no_undo_and_an_undo_writes_nothing(
        client, create_user, left_over):
    event, gone_id = left_over
    client.login(create_user(role="staff").email)

    row = client.get(f"/staff/events/{event.id}/door?q=取消").get_data(as_text=True).split('class="door-hit"')[1]
    answer = client.submit(f"/staff/events/{event.id}/door/{gone_id}/undo")

    assert "/undo" not in row.split("</li>")[0]
    assert "outcome=cancelled" in answer.headers["Location"]  # where it stands, not "undone"
    db.session.rollback()
    assert db.session.get(AttendeePass, gone_id).checked_in_at is not None


def test_the_attendee_list_and_its_csv_show_no_check_in_time_beside_a_cancelled_party(
        client, create_user, left_over):
    event, _gone_id = left_over
    client.login(create_user(role="staff").email)

    listing = client.get(f"/staff/events/{event.id}/attendees").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(client.get(f"/staff/events/{event.id}/attendees.csv")
                                       .get_data(as_text=True).lstrip("\ufeff"))))

    cells = re.findall(r"<td>(.*?)</td>", listing.split("取消 残子")[1].split("</tr>")[0], re.S)
    assert cells[-1] == "" and "取り消し済み" in cells[-2]
    assert rows[1][-1] == ""


@pytest.mark.parametrize("posted", [
    {"action": "cancel"}, {"action": "cancel", "companions": "abc"},
    {"action": "change"}, {"action": "change", "companions": "abc"}, {"action": "change", "companions": "-1"},
    {"action": "change", "companions": "99999999999"}, {"action": "confirm"}, {"action": "confirm", "companions": "0"},
])
def test_a_checked_in_party_posting_any_action_or_size_gets_the_checked_in_alert_not_a_field_error(
        app, client, create_event, create_user, posted):
    _event, registration_id, link = _checked_in_party(app, create_event, create_user, "ja")

    refused = client.submit(link, posted)
    page = refused.get_data(as_text=True)

    assert refused.status_code == 409 and WORDS["ja"] in page and 'role="alert"' in page
    assert 'id="error-summary"' not in page and "#companions" not in page
    db.session.rollback()
    assert db.session.get(Registration, registration_id).status == "registered"
