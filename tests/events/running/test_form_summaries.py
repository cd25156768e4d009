"""The attendee list's and the door's forms after a failed submit: the page again with a summary
(no flash on a redirected page), and their POST-only addresses opened again lead to the page."""

from __future__ import annotations

import pytest

from tests.summary_html import field_is_invalid, is_in_page_order, is_summary_first, summary_targets


@pytest.fixture
def staff_client(client, create_user):
    client.login(create_user(role="staff", locale="en").email)
    return client


def test_an_empty_message_shows_the_summary_in_the_order_of_the_fields(staff_client, create_event):
    event = create_event()

    response = staff_client.submit(f"/staff/events/{event.id}/message", {"subject": "", "body": ""})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert summary_targets(page) == ["subject", "body"]
    assert is_in_page_order(page, ["subject", "body"]) and is_summary_first(page)
    assert field_is_invalid(page, "subject", "")
    assert f'name="_next" value="/staff/events/{event.id}/attendees"' in page


def test_cancelling_without_the_tick_shows_the_summary(staff_client, create_event):
    event = create_event()

    response = staff_client.submit(f"/staff/events/{event.id}/withdraw", {"booking": "keep"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert summary_targets(page) == ["confirm"]
    assert is_summary_first(page)


def test_a_walk_in_of_two_lines_shows_the_summary_on_the_door(staff_client, create_event):
    event = create_event()

    response = staff_client.submit(f"/staff/events/{event.id}/walk-ins", {"name": "a\nb", "organisation": ""})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert summary_targets(page) == ["name"]
    assert is_summary_first(page)
    assert f'name="_next" value="/staff/events/{event.id}/door"' in page


@pytest.mark.parametrize("form, page", [("message", "attendees"), ("withdraw", "attendees"),
                                        ("walk-ins", "door"), ("door/code", "door")])
def test_a_form_address_opened_again_leads_to_its_page(staff_client, create_event, form, page):
    event = create_event()

    response = staff_client.get(f"/staff/events/{event.id}/{form}")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/events/{event.id}/{page}")
