"""The week grid's HTML is kept per distinct grid: a change of booking or language shows at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta

from booking.services import admin_spaces
from booking.services.admin_spaces import SpaceInput
from booking.services.policy_changes import Resolution
from tests.views.conftest import at, cell_states, monday_ahead


def test_a_booking_made_after_the_page_was_seen_shows_on_the_next_view(client, create_user, create_space,
                                                                         create_booking):
    space = create_space(slug="studio")
    monday = monday_ahead()
    url = f"/spaces/studio?week={monday.isoformat()}"
    assert cell_states(client.get(url).get_data(as_text=True))[f"{monday.isoformat()}T10:00"] == "free"
    create_booking(space, create_user(), at(monday, 10), at(monday, 11))
    assert cell_states(client.get(url).get_data(as_text=True))[f"{monday.isoformat()}T10:00"] == "taken"


def test_the_same_week_in_another_language_is_rendered_in_that_language(client, create_space):
    create_space(slug="studio", name_ja="スタジオ", name_en="Studio")
    url = f"/spaces/studio?week={monday_ahead().isoformat()}"
    assert 'aria-label="空き、スタジオ' in client.get(url).get_data(as_text=True)
    client.submit("/language", {"locale": "en"})
    page = client.get(url).get_data(as_text=True)
    assert 'aria-label="free, Studio' in page and "空き" not in page


def test_the_feed_address_under_the_kept_week_follows_the_base_url(app, client, create_space):
    create_space(slug="studio")
    url = f"/spaces/studio?week={monday_ahead().isoformat()}"
    app.config["BASE_URL"] = "https://booking.example.jp"
    assert "https://booking.example.jp/spaces/studio/calendar.ics" in client.get(url).get_data(as_text=True)
    app.config["BASE_URL"] = "https://floor.example.org"
    page = client.get(url).get_data(as_text=True)
    assert "https://floor.example.org/spaces/studio/calendar.ics" in page and "booking.example.jp" not in page


def test_a_long_booking_from_the_week_before_stays_taken_after_the_longest_booking_is_shortened(
        client, create_user, create_space, create_booking):
    space = create_space(slug="studio", hours={day: ((time(0), time(0)),) for day in range(7)})
    monday = monday_ahead()
    sunday = monday - timedelta(days=1)
    # Sunday 19:00 to Monday 03:00: eight hours, three of them in the viewed week.
    booking = create_booking(space, create_user(), at(sunday, 19), at(monday, 3))
    shorter = replace(SpaceInput(**{name: getattr(space, name) for name in SpaceInput.__dataclass_fields__}),
                      max_minutes=120)
    admin_spaces.update_space(create_user(role="staff"), space.id, shorter,
                              Resolution({booking.id: "keep"}, reason="Booked before the change"))
    url = f"/spaces/studio?week={monday.isoformat()}"
    assert cell_states(client.get(url).get_data(as_text=True))[f"{monday.isoformat()}T02:00"] == "taken"
