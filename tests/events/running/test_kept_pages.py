"""The attendee list and the door kept per distinct data (booking/views/kept.py): a check-in, a new
registration, a cancellation and a walk-in each show on the next page; no event's or viewer's page
reaches another; the one per-request part, the CSRF field, is each viewer's own."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import text

from booking.db import utcnow
from booking.extensions import db
from booking.forms_attendance import TapForm
from booking.services import registrations
from booking.views.kept import csrf_input
from tests.conftest import without_csrf_tokens

KEPT = ("booking_attendee_pages", "booking_door_pages")
_HIDDEN_CSRF = re.compile(r'(<input id="csrf_token" name="csrf_token" type="hidden" value=")[^"]*"')


def tokens_aside(page: str) -> str:
    return _HIDDEN_CSRF.sub(r'\1TOKEN"', without_csrf_tokens(page))


def kept_and_fresh(app, client, path: str) -> tuple[str, str]:
    """The page as kept (asked twice, the second answer from the cache) and as rendered afresh."""
    client.get(path)
    kept = client.get(path).get_data(as_text=True)
    for name in KEPT:
        app.extensions.get(name, {}) and app.extensions[name].clear()
    return tokens_aside(kept), tokens_aside(client.get(path).get_data(as_text=True))


@pytest.fixture
def staff_client(client, create_user):
    client.login(create_user(role="staff", locale="en").email)
    return client


def test_the_csrf_field_of_a_kept_page_is_what_a_form_renders(app):
    with app.test_request_context("/"):
        assert str(csrf_input()) == str(TapForm().hidden_tag())


@pytest.mark.parametrize("page", ["attendees", "door", "door?q=Hanako"])
def test_a_check_in_a_registration_and_a_cancellation_each_show_on_the_kept_page(app, staff_client, create_event,
                                                                                   register, page):
    event, key = create_event(), str(app.config["SECRET_KEY"])
    registered_at = utcnow().replace(microsecond=0) - timedelta(days=3)
    secret = registrations.link_secret(key, event.id, "hanako@example.jp", registered_at)
    hanako = register(event, name="Hanako", party_size=2, email="hanako@example.jp", now=registered_at,
                      token_hash=hashlib.sha256(secret.encode()).hexdigest())
    path = f"/staff/events/{event.id}/{page}"
    seen = [kept_and_fresh(app, staff_client, path)]

    staff_client.submit(f"/staff/events/{event.id}/door/{hanako.id}/in")
    seen.append(kept_and_fresh(app, staff_client, path))
    # the cancellation is Hanako Two's: Hanako has checked in, and a checked-in party cannot cancel
    second = registrations.link_secret(key, event.id, "two@example.jp", registered_at)
    register(event, name="Hanako Two", email="two@example.jp", now=registered_at,
             token_hash=hashlib.sha256(second.encode()).hexdigest())
    register(event, name="Hanako Three")  # so the page after the cancellation is not the one before the two
    seen.append(kept_and_fresh(app, staff_client, path))
    registrations.cancel(second, key)
    db.session.expire_all()
    seen.append(kept_and_fresh(app, staff_client, path))
    staff_client.submit(f"/staff/events/{event.id}/walk-ins", {"name": "", "organisation": ""})
    seen.append(kept_and_fresh(app, staff_client, path))

    assert all(kept == fresh for kept, fresh in seen)
    assert len({kept for kept, _fresh in seen}) == len(seen)  # each change changed the page


def test_a_kept_page_never_shows_another_events_people(app, staff_client, create_event, register):
    first, second = create_event(), create_event()
    register(first, name="Only First")
    register(second, name="Only Second")
    for page in ("attendees", "door?q=Only"):
        assert "Only First" in staff_client.get(f"/staff/events/{first.id}/{page}").get_data(as_text=True)
        other = staff_client.get(f"/staff/events/{second.id}/{page}").get_data(as_text=True)
        assert "Only Second" in other and "Only First" not in other


def test_each_viewer_gets_their_own_language_and_csrf_token_in_a_kept_page(app, client, create_user, create_event,
                                                                          register):
    event = create_event()
    register(event, name="Hanako")
    english, japanese = create_user(role="staff", locale="en"), create_user(role="staff", locale="ja")
    other = app.test_client()
    client.login(english.email)
    other.login(japanese.email)
    for page in ("attendees", "door"):
        path = f"/staff/events/{event.id}/{page}"
        mine, theirs = client.get(path).get_data(as_text=True), other.get(path).get_data(as_text=True)
        assert 'lang="en"' in mine and 'lang="ja"' in theirs
        assert "Search" in mine and "Search" not in theirs.split("<main")[1]
        tokens = [set(re.findall(r'name="csrf_token"[^>]*value="([^"]*)"', text)) for text in (mine, theirs)]
        assert [len(found) for found in tokens] == [1, 1]  # the body's forms carry the header's token
        assert tokens[0] != tokens[1]

    token = re.search(r'type="hidden" value="([^"]*)"', other.get(f"/staff/events/{event.id}/attendees")
                      .get_data(as_text=True)).group(1)
    answer = other.post(f"/staff/events/{event.id}/message", data={"csrf_token": token, "subject": "Hello",
                                                                   "body": "See you"})
    assert answer.status_code == 302  # the kept page's token is the viewer's own: accepted


# Writes behind the services' back: the kept list's key is the count and newest id of the writes the
# database's triggers log (migration 0025), not the rows, so each of these must still show.
BEHIND_THE_SERVICES = (
    "UPDATE registrations SET name = 'Renamed Person' WHERE id = :registration",
    "UPDATE registrations SET organisation = 'Other Org', org_kind = 'npo' WHERE id = :registration",
    "UPDATE registrations SET party_size = 3 WHERE id = :registration",
    "UPDATE registrations SET email = 'moved@example.jp' WHERE id = :registration",
    "UPDATE attendee_passes SET checked_in_at = :now WHERE registration_id = :registration",
    "UPDATE attendee_passes SET checked_in_at = NULL WHERE registration_id = :registration",
    "DELETE FROM registrations WHERE id = :registration",
)


@pytest.mark.parametrize("page", ["attendees", "door?q=Hanako"])
def test_a_change_written_by_any_statement_shows_on_the_kept_page(app, staff_client, create_event, register, page):
    event = create_event()
    hanako = register(event, name="Hanako", email="hanako@example.jp")
    register(event, name="Taro Hanako")
    path = f"/staff/events/{event.id}/{page}"
    seen = [kept_and_fresh(app, staff_client, path)]
    for statement in BEHIND_THE_SERVICES:
        staff_client.get(path)  # kept before the change
        db.session.execute(text(statement), {"registration": hanako.id, "now": utcnow()})
        db.session.commit()
        seen.append(kept_and_fresh(app, staff_client, path))

    assert all(kept == fresh for kept, fresh in seen)
    assert all(before[0] != after[0] for before, after in zip(seen, seen[1:], strict=False))  # each one shows


def test_a_kept_attendee_list_is_shown_without_reading_the_people_again(app, staff_client, create_event, register):
    event = create_event()
    for _ in range(3):
        register(event)
    path = f"/staff/events/{event.id}/attendees"
    staff_client.get(path)
    statements: list[str] = []

    def noted(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", noted)
    try:
        page = staff_client.get(path).get_data(as_text=True)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", noted)
    assert "参加者" in page
    assert not [s for s in statements if "registrations.email" in s]  # only the version and counts were read


def test_deleting_an_event_with_people_removes_its_logged_changes(app, create_event, register):
    event = create_event()
    register(event)
    event_id = event.id
    logged = text("SELECT count(*) FROM attendee_list_changes WHERE event_id = :event")
    assert db.session.execute(logged, {"event": event_id}).scalar_one() >= 2  # the registration, its pass
    db.session.execute(text("DELETE FROM public_events WHERE id = :event"), {"event": event_id})
    db.session.commit()
    assert db.session.execute(logged, {"event": event_id}).scalar_one() == 0
    assert db.session.execute(text("SELECT count(*) FROM registrations WHERE event_id = :event"),
                              {"event": event_id}).scalar_one() == 0
