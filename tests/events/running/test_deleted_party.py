"""A checked-in party that deletes its data through its personal link (break-it pass 2026-12-01): it stays
counted as attended, its placeholder address is never shown (list, CSV, xlsx) nor found by the door's search,
its check-in has no Undo and an undo posted anyway writes nothing (undone, it would hold seats no link can
cancel); the delete section says what deleting does for the party's standing, in Japanese and English."""

from __future__ import annotations

import csv
import io

import pytest

from booking.domain.checkin import can_undo_check_in
from booking.extensions import db
from booking.models_attendance import AttendeePass
from booking.services import attendance, registrations
from booking.services.exports import read_xlsx
from booking.services.registrations import RegistrationInput
from booking.services.retention import delete_registration


def _party(app, create_event, create_user, checked_in=True):
    event = create_event()
    key = str(app.config["SECRET_KEY"])
    made = registrations.register(event.id, RegistrationInput(name="削除 済子", email="gone@example.jp",
                                                              consent=True), key).registration
    if checked_in:
        attendance.check_in(event.id, made.id, create_user(role="staff").id)
    return event, made.id, registrations.secret_of(key, made), key


@pytest.fixture
def deleted(app, client, create_event, create_user):
    event, registration_id, secret, key = _party(app, create_event, create_user)
    delete_registration(secret, key)
    client.login(create_user(role="staff").email)
    return event, registration_id


def test_a_deleted_party_is_listed_and_exported_without_its_placeholder_address(client, deleted):
    event, _registration_id = deleted

    listing = client.get(f"/staff/events/{event.id}/attendees").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(client.get(f"/staff/events/{event.id}/attendees.csv")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    sheet = read_xlsx(client.get(f"/staff/events/{event.id}/attendees.xlsx").data)

    assert "invalid" not in listing and "個人情報は削除済み" in listing
    assert len(rows) == 2 and not any("invalid" in cell for cell in rows[1])
    assert len(sheet) == 2 and not any("invalid" in str(cell) for cell in sheet[1])
    assert attendance.counts(event.id).checked_in == 1


def test_the_door_does_not_find_a_deleted_party_by_its_placeholder_and_offers_it_no_undo(client, deleted):
    event, registration_id = deleted

    found = client.get(f"/staff/events/{event.id}/door?q=invalid").get_data(as_text=True)
    answer = client.submit(f"/staff/events/{event.id}/door/{registration_id}/undo")

    assert 'class="door-hit"' not in found
    assert "outcome=undone" not in answer.headers["Location"]
    db.session.rollback()
    assert db.session.get(AttendeePass, registration_id).checked_in_at is not None
    assert attendance.counts(event.id).checked_in == 1


def test_the_service_keeps_a_deleted_partys_check_in(deleted):
    event, registration_id = deleted

    scan = attendance.undo_check_in(event.id, registration_id)

    assert scan.outcome == "already"
    db.session.rollback()
    assert db.session.get(AttendeePass, registration_id).checked_in_at is not None


@pytest.mark.parametrize(("locale", "checked_in", "said", "unsaid"), [
    ("ja", True, "受付済みのため、申込は出席として数えたまま残ります", "申込を取り消し"),
    ("en", True, "stays counted as attended", "This cancels your registration"),
    ("ja", False, "申込を取り消し、氏名", "開催前であれば"),
    ("en", False, "This cancels your registration and deletes", "stays counted"),
])
def test_the_delete_section_says_what_deleting_does_for_the_partys_standing(
        app, client, create_event, create_user, locale, checked_in, said, unsaid):
    _event, _registration_id, secret, _key = _party(app, create_event, create_user, checked_in)
    if locale == "en":
        client.submit("/language", {"locale": "en"})

    section = client.get(f"/events/r/{secret}").get_data(as_text=True).split('class="delete-registration"')[1]

    assert said in section and unsaid not in section


@pytest.mark.parametrize(("locale", "why"), [
    ("ja", "個人情報を削除したため、受付済みのまま残り、受付を取り消すことはできません"),
    ("en", "This party deleted its personal data: its check-in stays and cannot be undone."),
])
def test_the_doors_banner_offers_a_deleted_party_no_undo_and_says_why(client, deleted, locale, why):
    event, registration_id = deleted
    if locale == "en":
        client.submit("/language", {"locale": "en"})

    refused = client.submit(f"/staff/events/{event.id}/door/{registration_id}/undo")
    banner = client.get(refused.headers["Location"]).get_data(as_text=True).split('id="scan-result"')[1]

    assert "outcome=already" in refused.headers["Location"]
    assert f"/door/{registration_id}/undo" not in banner and why in banner


def test_the_door_and_the_list_know_a_deleted_partys_check_in_cannot_be_undone(deleted):
    event, registration_id = deleted

    listed = [row for row in attendance.attendees(event.id) if row.registration_id == registration_id]
    scan = attendance.describe(event.id, attendance.Outcome.ALREADY, registration_id)

    assert [row.is_forgotten for row in listed] == [True] and scan.is_forgotten
    assert not can_undo_check_in(listed[0].status, listed[0].checked_in_at, listed[0].is_forgotten)
