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
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from werkzeug.datastructures import MultiDict
from wtforms import PasswordField
from wtforms.fields.core import UnboundField

from booking.db import _refuse_writes as refusal_listener
from booking.extensions import db
from booking.fields import CheckField, CodeField, Form, Secret, SecretField, SubmitTokenField
from booking.forms_attendance import WithdrawForm
from booking.models import Booking, OutboxMessage, Registration, User
from booking.views.language import KEPT_PREFIX
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


def summary_texts(page: str) -> list[str]:
    found = re.search(r'id="error-summary".*?</section>', page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)) for item in re.findall(r"<li>(.*?)</li>", found.group(0),
                                                                              re.S)] if found else []


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
    kept = {name.removeprefix(KEPT_PREFIX) for name, _ in fields if name.startswith(KEPT_PREFIX)}
    assert not kept & {"password", "confirm", "csrf_token"}

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


def test_a_replay_that_would_now_succeed_writes_nothing_and_shows_the_same_form_with_its_values(client, event):
    """bk21 item 2: it had redirected to the event page, an empty form."""
    typed = {"name": "山田 花子", "email": "hanako@example.jp", "organisation": "川口市役所", "companions": "1",
             "org_kind": "individual", "consent": "y"}
    replay = client.submit(f"/events/{event.id}/register", {
        **{f"{KEPT_PREFIX}{name}": value for name, value in typed.items()},
        "_language": "en", "_next": f"/events/{event.id}"})
    page = replay.get_data(as_text=True)
    assert replay.status_code == 422 and '<html lang="en">' in page
    assert "this form was not sent" in " ".join(form_errors(page) + summary_texts(page))
    assert input_value(page, "name") == "山田 花子" and input_value(page, "organisation") == "川口市役所"
    assert input_value(page, "email") == "hanako@example.jp" and input_value(page, "companions") == "1"
    assert count(Registration) == 0 and count(OutboxMessage) == 0

    back = press_switch(client, page)  # the page's own switch keeps them too, and still sends nothing
    assert '<html lang="ja">' in back.get_data(as_text=True) and input_value(back.get_data(as_text=True),
                                                                              "name") == "山田 花子"
    assert count(Registration) == 0


def test_a_booking_that_came_free_is_shown_again_unsent_with_its_values(client, create_user, create_space):
    create_space(slug="studio")
    client.login(create_user(locale="ja").email)
    typed = {"day": monday_ahead().isoformat(), "start_time": "10:00", "end_time": "11:00",
             "title": "収録の打ち合わせ", "purpose": "台本の確認", "attendees": "3"}
    replay = client.submit("/spaces/studio/book", {
        **{f"{KEPT_PREFIX}{name}": value for name, value in typed.items()}, "_language": "en",
        "_next": "/spaces/studio/book"})
    page = replay.get_data(as_text=True)
    assert replay.status_code == 422 and '<html lang="en">' in page
    assert input_value(page, "title") == "収録の打ち合わせ" and input_value(page, "start_time") == "10:00"
    assert "台本の確認" in page and "this form was not sent" in page
    assert count(Booking) == 0


def test_a_replay_without_a_valid_csrf_token_switches_nothing(client, event):
    response = client.post(f"/events/{event.id}/register", data={"_language": "en", f"{KEPT_PREFIX}name": "x"})
    assert response.status_code == 400
    assert '<html lang="ja">' in client.get("/").get_data(as_text=True)


def _fields(form_class: type) -> dict[str, type]:
    return {name: field.field_class for name in dir(form_class)
            if isinstance(field := getattr(form_class, name, None), UnboundField)}


def test_every_password_code_and_token_field_of_every_form_is_a_secret_by_its_class():
    """bk21 item 3: secrets were told by name, and `confirm` matched a tick box. A new password, code or
    token field must be a Secret (SecretField, CodeField, SubmitTokenField) to be kept out of pages."""
    fields = [(form, name, kind) for form in form_classes() for name, kind in _fields(form).items()]
    looks_secret = [(form.__name__, name) for form, name, kind in fields
                    if (issubclass(kind, PasswordField) or re.search(r"password|code|token|secret", name))
                    and not issubclass(kind, Secret)]
    assert looks_secret == []
    assert issubclass(_fields(WithdrawForm)["confirm"], CheckField)
    assert not issubclass(_fields(WithdrawForm)["confirm"], Secret)
    assert {SecretField, CodeField, SubmitTokenField} <= {kind for _form, _name, kind in fields}


def test_every_form_refuses_an_unsent_replay():
    """The word that a replay was not sent comes from the forms' base (booking.fields.Form)."""
    assert [form.__name__ for form in form_classes() if not issubclass(form, Form)] == []


def test_the_event_cancel_tick_box_is_kept_by_the_switch(client, create_user, event):
    """bk21 item 3: `confirm` was taken for a password; a ticked box came back unticked."""
    client.login(create_user(role="staff").email)
    refused = client.submit(f"/staff/events/{event.id}/withdraw", {"note": "台風のため", "booking": "",
                                                                   "confirm": "y"})
    assert refused.status_code == 422
    _action, fields = switch_of(refused.get_data(as_text=True))
    assert (f"{KEPT_PREFIX}confirm", "y") in fields and (f"{KEPT_PREFIX}note", "台風のため") in fields
    page = press_switch(client, refused.get_data(as_text=True)).get_data(as_text=True)
    assert re.search(r'<input[^>]*name="confirm"[^>]*checked', page) or re.search(
        r'<input[^>]*checked[^>]*name="confirm"', page)


def test_after_a_wrong_password_the_switch_asks_for_the_password_again_not_to_fill_it_in(client, create_user):
    """bk21 item 3: the switched page said "Fill in this field." of a password that was typed."""
    member = create_user(email="member@example.jp")
    refused = client.submit("/login", {"email": member.email, "password": "wrong guess"})
    assert refused.status_code == 401 and "wrong guess" not in refused.get_data(as_text=True)
    switched = press_switch(client, refused.get_data(as_text=True))
    page = switched.get_data(as_text=True)
    assert '<html lang="en">' in page and input_value(page, "email") == member.email
    assert "Type this again: it is not kept when the language is changed." in html.unescape(page)
    assert "Fill in this field." not in html.unescape(page)


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


def _statements_watched(app) -> list[tuple[str, bool]]:
    """(first word, watched by the write refusal) of every statement the app's engine runs from now on."""
    seen: list[tuple[str, bool]] = []

    def note(conn, _cursor, statement, *_args) -> None:
        watched = sa_event.contains(conn, "before_cursor_execute", refusal_listener)
        seen.append((statement.split(None, 1)[0].upper(), watched))

    with app.app_context():
        sa_event.listen(db.engine, "before_cursor_execute", note)
    return seen


def test_a_normal_request_has_none_of_its_statements_inspected(app, client, create_user, event):
    """The refusal was a listener on every Engine, reading each statement of every request; now only a
    connection begun in a replay (or open when it starts) carries it (booking.db.refuse_writes_while)."""
    client.login(create_user(locale="ja").email)
    seen = _statements_watched(app)
    assert client.get(f"/events/{event.id}").status_code == 200
    refused = client.submit(f"/events/{event.id}/register", {
        "name": "山田 花子", "email": "hanako@example.jp", "organisation": "", "companions": "0"})
    assert refused.status_code == 422
    assert seen and not any(watched for _word, watched in seen)
    assert not sa_event.contains(Engine, "before_cursor_execute", refusal_listener)

    seen.clear()
    replay = press_switch(client, refused.get_data(as_text=True))
    assert replay.status_code == 422 and '<html lang="en">' in replay.get_data(as_text=True)
    assert seen[-1] == ("SELECT", True)  # the view's reads ran on a watched connection
    assert count(Registration) == 0
