"""An impossible date or time a person typed (2026-02-30, 25:00) stays visible beside its message:
a type=date/time input holding it would be shown empty by the browser, so it is a text input."""

from __future__ import annotations

import re

import pytest

from tests.views.test_series_form import typed


def input_tag(page: str, field_id: str) -> str:
    return re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', page).group(0)


@pytest.fixture
def staff_client(client, create_user):
    client.login(create_user(role="staff", locale="en").email)
    return client


def test_the_booking_form_keeps_an_impossible_date_and_time_as_text(staff_client, create_space):
    space = create_space(slug="studio")

    page = staff_client.submit(f"/spaces/{space.slug}/book", {
        "title": "Recording", "day": "2026-02-30", "start_time": "25:00", "end_time": "12:00",
        "attendees": "1"}).get_data(as_text=True)

    day, start, end = input_tag(page, "day"), input_tag(page, "start_time"), input_tag(page, "end_time")
    assert 'type="text"' in day and 'value="2026-02-30"' in day and 'aria-invalid="true"' in day
    assert 'type="text"' in start and 'value="25:00"' in start and "step=" not in start
    assert 'type="time"' in end and 'value="12:00"' in end


def test_full_width_digits_read_are_shown_as_read_in_the_picker(staff_client, create_space):
    space = create_space(slug="studio")

    page = staff_client.submit(f"/spaces/{space.slug}/book", {
        "title": "", "day": "２０２６－１２－１４", "start_time": "10:00", "end_time": "12:00"}).get_data(as_text=True)

    assert 'type="date"' in input_tag(page, "day") and 'value="2026-12-14"' in input_tag(page, "day")


def test_a_holiday_date_and_a_series_end_keep_what_was_typed(staff_client, create_space):
    space = create_space(close_on_holidays=True, holiday_country="JP")

    holiday = staff_client.submit(f"/staff/spaces/{space.id}/holidays", {"day": "2027-13-01"}).get_data(as_text=True)
    series = staff_client.submit(f"/series/{space.slug}/new", typed(count="", until="2027-02-29")).get_data(
        as_text=True)

    assert 'type="text"' in input_tag(holiday, "day") and 'value="2027-13-01"' in input_tag(holiday, "day")
    assert 'type="text"' in input_tag(series, "until") and 'value="2027-02-29"' in input_tag(series, "until")


def test_an_empty_form_keeps_the_pickers(staff_client, create_space):
    space = create_space(slug="studio")

    page = staff_client.get(f"/spaces/{space.slug}/book").get_data(as_text=True)

    assert 'type="date"' in input_tag(page, "day") and 'type="time"' in input_tag(page, "start_time")


def test_a_number_that_is_none_is_kept_as_typed_and_full_width_digits_as_read(staff_client, create_space):
    """Break-it round 2: 「abc」 for attendees came back as an empty number field beside its message."""
    space = create_space(slug="studio")

    page = staff_client.submit(f"/spaces/{space.slug}/book", {
        "title": "Recording", "day": "2026-12-14", "start_time": "10:00", "end_time": "12:00",
        "attendees": "abc"}).get_data(as_text=True)
    attendees = input_tag(page, "attendees")
    assert 'type="text"' in attendees and 'value="abc"' in attendees and 'aria-invalid="true"' in attendees
    assert "min=" not in attendees and "max=" not in attendees

    page = staff_client.submit(f"/spaces/{space.slug}/book", {
        "title": "", "day": "2026-12-14", "start_time": "10:00", "end_time": "12:00",
        "attendees": "１２"}).get_data(as_text=True)
    attendees = input_tag(page, "attendees")
    assert 'type="number"' in attendees and 'value="12"' in attendees
