"""The seats left of an event read "1 seat left" / "3 seats left" in English, 残り1席 / 残り3席 in Japanese."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import future_day
from tests.events.factories import make_event


@pytest.mark.parametrize(("capacity", "words"), [(1, "1 seat left"), (3, "3 seats left")])
def test_an_event_page_counts_its_seats_in_english(client, hall, create_user, capacity, words):
    start = future_day(10) + timedelta(hours=8)
    event = make_event(hall, create_user(role="staff"), start, start + timedelta(hours=1), capacity=capacity)
    client.submit("/language", {"locale": "en"})
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert words in page and "1 seats" not in page


def test_japanese_keeps_its_one_form(client, hall, create_user):
    start = future_day(10) + timedelta(hours=8)
    event = make_event(hall, create_user(role="staff"), start, start + timedelta(hours=1), capacity=1)
    assert "残り1席" in client.get(f"/events/{event.id}").get_data(as_text=True)
