"""The front page, the language switch, and a space's week grid."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.views.conftest import at, cell_states, input_value, monday_ahead, tokyo_today

WEEKDAYS_9_TO_12 = {day: ((time(9), time(12)),) for day in range(5)}


def slot(day, hour, minute=0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def test_the_front_page_lists_every_space_with_its_description_in_japanese(client, create_space):
    create_space(name_ja="tsulunós スタジオ", description_ja="ガラス張りの映像スタジオ", slug="studio")
    create_space(name_ja="ホットデスク", description_ja="24席のフリーデスク", kind="pooled", unit_count=24)
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="ja">' in page
    for text in ("tsulunós スタジオ", "ガラス張りの映像スタジオ", "ホットデスク", "24席のフリーデスク", "ログイン"):
        assert text in page
    assert 'href="/spaces/studio"' in page


def test_the_kept_policy_words_follow_an_edited_space_and_the_language(client, create_space):
    from booking.extensions import db

    space = create_space(description_ja="ガラス張り", description_en="Glass-walled", max_days_ahead=30)
    assert "ガラス張り" in client.get("/").get_data(as_text=True)
    space.max_days_ahead, space.description_ja = 60, "木の床"
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "木の床" in page and "ガラス張り" not in page and "60" in page
    client.submit("/language", {"locale": "en"})
    page = client.get("/").get_data(as_text=True)
    assert "Glass-walled" in page and "Bookable up to 60 days ahead" in page


def test_the_policy_lines_use_each_languages_punctuation(client, create_space):
    """One message per line: no English ', ' or ': ' joined into the Japanese (issue 16, point 4)."""
    create_space(max_days_ahead=90, min_notice_minutes=1440, kind="pooled", unit_count=24)
    page = client.get("/").get_data(as_text=True)
    assert "<li>90日先まで、開始の1日前まで予約できます</li>" in page and "：デスク24台</li>" in page
    client.submit("/language", {"locale": "en"})
    page = client.get("/").get_data(as_text=True)
    assert "<li>Bookable up to 90 days ahead, at least 1 day before the start</li>" in page
    assert ": 24 desks</li>" in page


def test_the_language_switch_gives_english(client, create_space):
    create_space(name_ja="スタジオ", name_en="Studio", description_en="A glass-walled studio")
    response = client.submit("/language", {"locale": "en", "next": "/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Studio" in page and "A glass-walled studio" in page and "Sign in" in page
    assert "ログイン" not in page
    client.submit("/language", {"locale": "ja"})
    assert '<html lang="ja">' in client.get("/").get_data(as_text=True)


def test_a_signed_in_members_language_is_remembered(client, create_user):
    user = create_user(locale="ja")
    client.login(user.email)
    client.submit("/language", {"locale": "en"})
    client.submit("/logout")
    client.login(user.email)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_an_unknown_language_falls_back_to_japanese(client):
    client.submit("/language", {"locale": "xx"})
    assert '<html lang="ja">' in client.get("/").get_data(as_text=True)


def test_the_language_switch_never_redirects_to_another_site(client):
    response = client.submit("/language", {"locale": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_the_week_grid_shows_free_taken_mine_and_closed(client, create_user, create_space, create_booking):
    space = create_space(slug="studio", hours=WEEKDAYS_9_TO_12, close_on_holidays=False)
    member, other = create_user(), create_user()
    monday = monday_ahead()
    tuesday = monday + timedelta(days=1)
    create_booking(space, other, at(monday, 10), at(monday, 11))
    create_booking(space, member, at(tuesday, 10), at(tuesday, 11))
    client.login(member.email)

    states = cell_states(client.get(f"/spaces/studio?week={monday.isoformat()}").get_data(as_text=True))

    assert states[slot(monday, 9)] == "free"
    assert states[slot(monday, 10)] == states[slot(monday, 10, 30)] == "taken"
    assert states[slot(monday, 11)] == "free"
    assert states[slot(tuesday, 10)] == states[slot(tuesday, 10, 30)] == "mine"
    assert states[slot(monday + timedelta(days=5), 10)] == "closed"
    assert len(states) == 7 * 6


def test_a_visitor_sees_every_booking_as_taken(client, create_user, create_space, create_booking):
    space = create_space(slug="studio", hours=WEEKDAYS_9_TO_12)
    monday = monday_ahead()
    create_booking(space, create_user(), at(monday, 10), at(monday, 11))
    states = cell_states(client.get(f"/spaces/studio?week={monday.isoformat()}").get_data(as_text=True))
    assert states[slot(monday, 10)] == "taken"
    assert "mine" not in states.values()


def test_a_past_week_is_not_bookable(client, create_space):
    create_space(slug="studio", hours=WEEKDAYS_9_TO_12)
    last_week = monday_ahead(-1)
    states = cell_states(client.get(f"/spaces/studio?week={last_week.isoformat()}").get_data(as_text=True))
    assert states[slot(last_week, 9)] == "past"
    assert "free" not in states.values()


def test_a_pooled_week_shows_how_many_desks_are_free(client, create_user, create_space, create_booking):
    space = create_space(slug="desks", kind="pooled", unit_count=4, hours=WEEKDAYS_9_TO_12)
    monday = monday_ahead()
    create_booking(space, create_user(), at(monday, 10), at(monday, 11), units=(1, 2, 3))
    page = client.get(f"/spaces/desks?week={monday.isoformat()}").get_data(as_text=True)
    assert cell_states(page)[slot(monday, 10)] == "free"
    free_cell = page.split(f'data-start="{slot(monday, 10)}"', 1)[1].split("</td>", 1)[0]
    visible = re.sub(r"<[^>]+>", "", free_cell.split(">", 1)[1])
    assert "1" in visible and "4" not in visible


def test_the_week_links_step_seven_days_from_the_day_asked_for(client, create_space):
    """bk16 1: the seven days from the day asked, not its Monday's week (this test pinned that before)."""
    create_space(slug="studio")
    thursday = monday_ahead() + timedelta(days=3)
    page = client.get(f"/spaces/studio?week={thursday.isoformat()}").get_data(as_text=True)
    assert f'href="/spaces/studio?week={(thursday - timedelta(days=7)).isoformat()}"' in page
    assert f'href="/spaces/studio?week={(thursday + timedelta(days=7)).isoformat()}"' in page
    assert min(cell_states(page))[:10] == thursday.isoformat()
    assert max(cell_states(page))[:10] == (thursday + timedelta(days=6)).isoformat()


def test_without_a_week_the_grid_starts_today_while_today_has_a_free_start(client, create_space):
    create_space(slug="studio")  # open 09:00–21:00 every day, bookings of 30 minutes
    now = datetime.now(ZoneInfo("Asia/Tokyo"))
    first = now.date() if now.time() < time(20, 30) else now.date() + timedelta(days=1)
    states = cell_states(client.get("/spaces/studio").get_data(as_text=True))
    assert min(states)[:10] == first.isoformat()


def test_a_free_cell_links_to_the_booking_form_filled_in(client, create_user, create_space):
    create_space(slug="studio", hours=WEEKDAYS_9_TO_12, min_minutes=60)
    monday = monday_ahead()
    client.login(create_user().email)
    page = client.get(f"/spaces/studio?week={monday.isoformat()}").get_data(as_text=True)
    link = f"/spaces/studio/book?start={slot(monday, 10)}"
    assert f'href="{link}"' in page
    form = client.get(link).get_data(as_text=True)
    assert input_value(form, "day") == monday.isoformat()
    assert input_value(form, "start_time") == "10:00"
    assert input_value(form, "end_time") == "11:00"


def test_an_unknown_space_is_not_found(client, create_user):
    assert client.get("/spaces/no-such-space").status_code == 404
    client.login(create_user().email)
    assert client.get("/spaces/no-such-space/book").status_code == 404


@pytest.mark.parametrize("week", ["2026-13-01", "2026-02-30", "next-week", "", "9" * 40])
def test_a_malformed_week_shows_the_usual_week(client, create_space, week):
    """Issue 16: never a 400 page; tests/views/test_address_values.py checks the message."""
    create_space(slug="studio")
    response = client.get(f"/spaces/studio?week={week}")
    assert response.status_code == 200
    assert ("通常の日付を表示しています" in response.get_data(as_text=True)) is bool(week)


def test_a_malformed_prefill_start_leaves_the_form_empty(client, create_user, create_space):
    create_space(slug="studio")
    client.login(create_user().email)
    response = client.get("/spaces/studio/book?start=tomorrow")
    assert response.status_code == 200
    assert input_value(response.get_data(as_text=True), "day") in (None, "")


def test_a_space_opens_on_its_first_day_with_a_free_start(client, create_space):
    """Issue 16: not on the current week when it has nothing free, but where something is bookable."""
    today = tokyo_today()
    open_day = today + timedelta(days=3)
    create_space(slug="weekly", hours={open_day.weekday(): ((time(9), time(12)),)})
    page = client.get("/spaces/weekly").get_data(as_text=True)
    states = cell_states(page)
    first_column = min(key for key in states)[:10]
    assert first_column == open_day.isoformat()
    assert states[f"{open_day.isoformat()}T09:00"] == "free"
    assert f"{open_day.month}月{open_day.day}日" in page and "いちばん早い空きで予約" in page
    # The seven days from the day asked (bk16 1; this pinned its Monday before).
    asked = cell_states(client.get(f"/spaces/weekly?week={today.isoformat()}").get_data(as_text=True))
    assert min(asked)[:10] == today.isoformat()


def test_the_spaces_page_shows_todays_and_tomorrows_free_starts(client, create_space):
    create_space(name_ja="毎日", hours={d: ((time(0), time(23, 30)),) for d in range(7)})
    page = client.get("/").get_data(as_text=True)
    assert "今日" in page and "明日" in page and "いちばん早い空き" in page
    assert "空き47枠" in page  # tomorrow: 00:00 … 23:00 every 30 minutes
