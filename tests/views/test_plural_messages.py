"""English messages with a count read "1 booking" and "3 bookings"; Japanese keeps its one form."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("quota", "line"), [
    (1, "At most 1 upcoming booking per member"),
    (3, "At most 3 upcoming bookings per member"),
])
def test_the_front_page_counts_upcoming_bookings_in_english(client, create_space, quota, line):
    create_space(quota_active_bookings=quota)
    client.submit("/language", {"locale": "en"})
    assert line in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("hours", "line"), [
    (1, "At most 1 h per member in any 7 days"),
    (10, "At most 10 h per member in any 7 days"),
])
def test_the_front_page_counts_hours_in_english(client, create_space, hours, line):
    create_space(quota_hours_per_week=hours)
    client.submit("/language", {"locale": "en"})
    assert line in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("units", "words"), [(1, ": 1 desk<"), (24, ": 24 desks<")])
def test_the_front_page_counts_desks_in_english(client, create_space, units, words):
    create_space(kind="pooled", unit_count=units)
    client.submit("/language", {"locale": "en"})
    assert words in client.get("/").get_data(as_text=True)


def test_japanese_keeps_one_form_for_one_and_several(client, create_space):
    create_space(quota_active_bookings=1)
    create_space(quota_active_bookings=3)
    page = client.get("/").get_data(as_text=True)
    assert "1人あたりの今後の予約は1件まで" in page and "1人あたりの今後の予約は3件まで" in page
