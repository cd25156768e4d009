"""The week grid's HTML is kept per distinct grid: a change of booking or language shows at once."""

from __future__ import annotations

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
