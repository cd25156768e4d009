"""The booking fields kept per worker (booking.views.form_html): never stale, never another's input."""

from __future__ import annotations

import re
from datetime import time

import pytest

from booking.extensions import db
from booking.views.form_html import booking_fields_cache
from tests.conftest import without_csrf_tokens
from tests.views.conftest import form_errors, input_value, monday_ahead

MONDAY = monday_ahead()


@pytest.fixture(autouse=True)
def empty_cache():
    booking_fields_cache.clear()
    yield
    booking_fields_cache.clear()


@pytest.fixture
def member(client, create_user):
    user = create_user(locale="en")
    client.login(user.email)
    return user


def without_tokens(page: str) -> str:
    """The page with its CSRF and submit tokens (new on every page) set aside."""
    return re.sub(r'name="submit_token"([^>]*)value="[^"]*"', r'name="submit_token"\1value="TOKEN"',
                  without_csrf_tokens(page))


def field_tag(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert tag, name
    return tag.group(0)


def test_a_kept_form_is_the_form_rendered_afresh(client, create_space, member):
    create_space(slug="room")
    fresh = client.get(f"/spaces/room/book?start={MONDAY.isoformat()}T10:00").get_data(as_text=True)
    assert len(booking_fields_cache) == 1
    kept = client.get(f"/spaces/room/book?start={MONDAY.isoformat()}T10:00").get_data(as_text=True)
    assert without_tokens(kept) == without_tokens(fresh)
    assert input_value(kept, "start_time") == "10:00"


def test_each_page_has_its_own_submit_token(client, create_space, member):
    create_space(slug="room")
    pages = [client.get("/spaces/room/book").get_data(as_text=True) for _ in range(2)]
    tokens = [input_value(page, "submit_token") for page in pages]
    assert all(tokens) and tokens[0] != tokens[1]


def test_another_prefilled_start_shows_its_own_times(client, create_space, member):
    create_space(slug="room", min_minutes=60)
    client.get(f"/spaces/room/book?start={MONDAY.isoformat()}T10:00")
    page = client.get(f"/spaces/room/book?start={MONDAY.isoformat()}T14:00").get_data(as_text=True)
    assert (input_value(page, "start_time"), input_value(page, "end_time")) == ("14:00", "15:00")
    empty = client.get("/spaces/room/book").get_data(as_text=True)
    assert input_value(empty, "day") in (None, "") and input_value(empty, "start_time") in (None, "")


def test_an_edited_space_shows_its_new_step_and_desks(client, create_space, member):
    space = create_space(slug="desks", kind="pooled", unit_count=4, slot_minutes=30)
    page = client.get("/spaces/desks/book").get_data(as_text=True)
    assert 'max="4"' in field_tag(page, "seats") and 'step="1800"' in field_tag(page, "start_time")
    space.unit_count, space.slot_minutes = 6, 60
    db.session.commit()
    page = client.get("/spaces/desks/book").get_data(as_text=True)
    assert 'max="6"' in field_tag(page, "seats") and 'step="3600"' in field_tag(page, "start_time")


def test_the_other_language_gets_its_own_labels(client, create_space, member):
    create_space(slug="room")
    english = client.get("/spaces/room/book").get_data(as_text=True)
    assert '<label for="title">Title</label>' in english
    client.submit("/language", {"locale": "ja", "next": "/"})
    japanese = client.get("/spaces/room/book").get_data(as_text=True)
    assert '<label for="title">Title</label>' not in japanese
    assert '<label for="title">件名</label>' in japanese


def test_a_failed_submit_shows_its_errors_and_input_and_the_next_form_is_blank(client, create_space, member):
    create_space(slug="room", hours={day: ((time(9), time(12)),) for day in range(7)})
    client.get("/spaces/room/book")
    refused = client.submit("/spaces/room/book", {"day": MONDAY.isoformat(), "start_time": "10:00",
                                                  "end_time": "11:00", "title": ""})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Enter a title." in form_errors(page) and input_value(page, "start_time") == "10:00"
    blank = client.get("/spaces/room/book").get_data(as_text=True)
    assert form_errors(blank) == [] and input_value(blank, "start_time") in (None, "")


def test_the_kept_bodys_hidden_fields_are_what_hidden_tag_renders(app, create_space, member):
    from booking.forms import booking_form
    from booking.views.form_html import hidden_fields

    with app.test_request_context("/spaces/room/book"):
        for can_override in (False, True):
            form = booking_form(can_override, zone="Asia/Tokyo", desks=None)
            assert str(hidden_fields(form)) == str(form.hidden_tag())


def test_a_kept_form_body_shows_an_edited_approval_setting_at_once(client, create_space, member):
    space = create_space(slug="room", requires_approval=False)
    first = client.get("/spaces/room/book").get_data(as_text=True)  # kept
    space.requires_approval = True
    db.session.commit()

    second = client.get("/spaces/room/book").get_data(as_text=True)

    assert ">Book</button>" in first
    assert ">Send request</button>" in second and "Staff approve requests for this space." in second


def test_a_members_kept_form_is_never_a_staff_members(client, create_space, create_user, member):
    create_space(slug="room")
    client.get("/spaces/room/book")  # the member's form kept
    client.get("/logout")
    client.login(create_user(role="staff", locale="en").email)

    page = client.get("/spaces/room/book").get_data(as_text=True)

    assert 'name="override_reason"' in page
