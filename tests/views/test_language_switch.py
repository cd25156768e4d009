"""Switching the language after a refused form keeps what was typed, but no secret, and writes nothing.

Last sessions' report: after a failed event registration (name and e-mail typed, a field missing),
the header's ja/en switch went back to the event page without them. Now the switch on such a page
sends the typed values again (booking.views.language): the same form opens in the new language,
with its messages, the values kept, passwords, codes and tokens never written into the page.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms.fields.core import UnboundField

from booking.extensions import db
from booking.fields import SecretField, SubmitTokenField
from booking.models import Booking, OutboxMessage, Registration, User
from booking.views.language import KEPT_PREFIX, is_secret
from tests.conftest import PASSWORD
from tests.events.factories import make_event
from tests.hostile.values import form_classes
from tests.views.conftest import at, form_errors, input_value, monday_ahead

SWITCH_RE = re.compile(r'<form method="post" action="([^"]*)" class="inline lang"[^>]*>(.*?)</form>', re.S)
INPUT_RE = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')
BUTTON_RE = re.compile(r'<button type="submit" name="([^"]*)" value="([^"]*)"')


def switch_of(page: str) -> tuple[str, list[tuple[str, str]]]:
    """The header's language switch as a browser sends it: its address and its fields, button included."""
    found = SWITCH_RE.search(page)
    assert found, "no language switch on the page"
    fields = [(name, html.unescape(value)) for name, value in INPUT_RE.findall(found.group(2))]
    fields += BUTTON_RE.findall(found.group(2))
    return html.unescape(found.group(1)), fields


def press_switch(client, page: str):
    """Press the header's language switch of `page`."""
    action, fields = switch_of(page)
    return client.post(action, data=MultiDict(fields))


def count(model: type) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def event(create_space, create_user):
    hall = create_space(slug="hall", name_ja="ホール", name_en="Hall")
    start = at(monday_ahead(), 17)
    return make_event(hall, create_user(role="staff"), start, start.replace(hour=start.hour + 2), capacity=5)


def test_switching_after_a_refused_registration_keeps_the_name_and_email_in_english(client, event):
    refused = client.submit(f"/events/{event.id}/register", {
        "name": "山田 花子", "email": "hanako@example.jp", "organisation": "", "companions": "0"})
    assert refused.status_code == 422 and '<html lang="ja">' in refused.get_data(as_text=True)

    switched = press_switch(client, refused.get_data(as_text=True))

    page = switched.get_data(as_text=True)
    assert switched.status_code == 422 and '<html lang="en">' in page
    assert input_value(page, "name") == "山田 花子" and input_value(page, "email") == "hanako@example.jp"
    errors = form_errors(page)
    assert errors and all(error.isascii() for error in errors), errors  # the same message, in English
    assert count(Registration) == 0 and count(OutboxMessage) == 0

    back = press_switch(client, page)  # and back to Japanese, still kept
    assert '<html lang="ja">' in back.get_data(as_text=True)
    assert input_value(back.get_data(as_text=True), "name") == "山田 花子"


def test_a_page_that_is_not_a_refused_form_switches_as_before(client, event):
    action, fields = switch_of(client.get(f"/events/{event.id}").get_data(as_text=True))
    assert action == "/language" and dict(fields)["next"].startswith(f"/events/{event.id}")
    assert not any(name.startswith(KEPT_PREFIX) for name, _ in fields)


def test_the_switch_never_writes_a_password_into_the_page(client):
    refused = client.submit("/register", {"email": "hanako@example.jp", "name": "山田 花子", "organisation": "",
                                          "org_kind": "individual", "locale": "ja", "password": "short-secret-1",
                                          "confirm": "another-secret-2"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "short-secret-1" not in page and "another-secret-2" not in page
    _action, fields = switch_of(page)
    assert (f"{KEPT_PREFIX}email", "hanako@example.jp") in fields
    assert not any(is_secret(name.removeprefix(KEPT_PREFIX)) for name, _ in fields if name.startswith(KEPT_PREFIX))

    switched = press_switch(client, page)
    page = switched.get_data(as_text=True)
    assert switched.status_code == 422 and '<html lang="en">' in page
    assert input_value(page, "email") == "hanako@example.jp" and not input_value(page, "password")
    assert count(User) == 0


def test_a_forged_replay_with_a_password_does_not_sign_in(client, create_user):
    member = create_user(email="member@example.jp")
    response = client.submit("/login", {f"{KEPT_PREFIX}email": member.email, f"{KEPT_PREFIX}password": PASSWORD,
                                        "_language": "en", "_next": "/"})
    assert response.status_code in (401, 422) and client.get("/bookings").status_code != 200


def test_a_booking_refused_by_a_rule_is_shown_again_in_english_with_the_typed_values(client, create_user,
                                                                                    create_space):
    create_space(slug="studio")
    client.login(create_user(locale="ja").email)
    typed = {"day": monday_ahead().isoformat(), "start_time": "10:15", "end_time": "11:00",
             "title": "収録の打ち合わせ", "purpose": "", "attendees": "3"}
    refused = client.submit("/spaces/studio/book", typed)
    assert refused.status_code == 422 and "30分単位" in refused.get_data(as_text=True)

    switched = press_switch(client, refused.get_data(as_text=True))

    page = switched.get_data(as_text=True)
    assert switched.status_code == 422 and "30 min grid" in page
    assert input_value(page, "title") == "収録の打ち合わせ" and input_value(page, "start_time") == "10:15"
    assert count(Booking) == 0


def test_a_replay_that_would_now_succeed_writes_nothing_and_opens_the_page_in_the_new_language(client, event):
    typed = {"name": "山田 花子", "email": "hanako@example.jp", "organisation": "", "companions": "0",
             "org_kind": "individual", "consent": "y"}
    replay = client.submit(f"/events/{event.id}/register", {
        **{f"{KEPT_PREFIX}{name}": value for name, value in typed.items()},
        "_language": "en", "_next": f"/events/{event.id}"})
    assert replay.status_code == 303 and replay.headers["Location"] == f"/events/{event.id}"
    assert count(Registration) == 0 and count(OutboxMessage) == 0
    page = client.get(replay.headers["Location"]).get_data(as_text=True)
    assert '<html lang="en">' in page and "was not sent again" in page


def test_a_replay_without_a_valid_csrf_token_switches_nothing(client, event):
    response = client.post(f"/events/{event.id}/register", data={"_language": "en", f"{KEPT_PREFIX}name": "x"})
    assert response.status_code == 400
    assert '<html lang="ja">' in client.get("/").get_data(as_text=True)


def _field_names(kinds: tuple[type, ...]) -> set[str]:
    return {name for form in form_classes() for name in dir(form)
            if isinstance(field := getattr(form, name, None), UnboundField) and issubclass(field.field_class, kinds)}


def test_every_secret_field_of_every_form_is_kept_out_of_the_page():
    secrets = _field_names((SecretField, SubmitTokenField)) | {name for name in _field_names((object,))
                                                               if "code" in name}
    assert secrets and all(is_secret(name) for name in secrets), sorted(n for n in secrets if not is_secret(n))
    assert not any(is_secret(name) for name in ("name", "email", "title", "purpose", "organisation", "day",
                                                "start_time", "companions", "note", "body", "subject"))


@pytest.mark.parametrize(("statement", "writes"), [
    ("INSERT INTO registrations (name) VALUES (?)", True),
    ("  update users SET locale = ?", True),
    ("DELETE FROM booking_holds WHERE id = ?", True),
    ("WITH b AS (INSERT INTO bookings (title) VALUES (:t) RETURNING id) SELECT id FROM b", True),
    ("SELECT spaces.id FROM spaces WHERE spaces.id = %(id)s FOR UPDATE", False),
    ("BEGIN IMMEDIATE", False),
    ("WITH recent AS (SELECT id FROM bookings) SELECT count(*) FROM recent", False),
])
def test_a_replay_refuses_exactly_the_statements_that_write(statement, writes):
    from booking.db import _WRITE_STATEMENT

    assert bool(_WRITE_STATEMENT.search(statement)) is writes


def test_the_switch_keeps_only_the_fields_the_page_shows(client, event):
    """A posted name the form does not have (a member's forged staff override) is not echoed."""
    refused = client.submit(f"/events/{event.id}/register", {"name": "山田 花子", "override_horizon": "y"})
    _action, fields = switch_of(refused.get_data(as_text=True))
    assert (f"{KEPT_PREFIX}name", "山田 花子") in fields
    assert not any("override" in name for name, _ in fields)
