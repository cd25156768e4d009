"""A space's page shows seven days from any day; its week links step exactly seven days (bk16 1)."""

from __future__ import annotations

import html
import re
from datetime import date, time, timedelta

import pytest

from booking.domain.grid import neighbour_weeks
from tests.views.conftest import at, cell_states, monday_ahead

TODAY = date(2030, 6, 3)


@pytest.mark.parametrize(("first", "previous", "following"), [
    (TODAY + timedelta(days=3), TODAY, TODAY + timedelta(days=10)),  # back to today, not into the past
    (TODAY + timedelta(days=7), TODAY, TODAY + timedelta(days=14)),  # the seven days ending the day before
    (TODAY + timedelta(days=10), TODAY + timedelta(days=3), TODAY + timedelta(days=17)),
    (TODAY, None, TODAY + timedelta(days=7)),  # today shown: nothing earlier is offered
    (TODAY - timedelta(days=10), None, TODAY - timedelta(days=3)),  # a past window: forward only
])
def test_the_neighbour_weeks_step_seven_days_and_never_back_into_the_past(first, previous, following):
    assert neighbour_weeks(first, TODAY) == (previous, following)


@pytest.fixture(autouse=True)
def empty_caches(empty_week_caches):
    """Every test here starts and ends with the week caches empty (tests/views/conftest.py)."""


@pytest.fixture
def monday(monkeypatch):
    """The clock at 08:00 on a Monday in Tokyo, two weeks ahead: 'today' for these pages."""
    day = monday_ahead()
    monkeypatch.setattr("booking.views.spaces.utcnow", lambda: at(day, 8))
    return day


def week_links(page: str) -> dict[str, str]:
    return {rel: html.unescape(href) for href, rel in re.findall(r'<a href="([^"]+)" rel="(prev|next)">', page)}


def days_shown(page: str) -> list[str]:
    return sorted({start[:10] for start in cell_states(page)})


def test_a_space_opening_mid_week_steps_seven_days_and_reaches_today(client, create_space, monday):
    thursday = monday + timedelta(days=3)
    create_space(slug="thu", hours={3: ((time(9), time(12)),)})  # open on Thursdays only

    default = client.get("/spaces/thu").get_data(as_text=True)
    assert days_shown(default) == [(thursday + timedelta(days=n)).isoformat() for n in range(7)]
    # Back: today (Monday) up to Wednesday, clamped to today, never a week of past days; on: seven days later.
    assert week_links(default) == {"prev": f"/spaces/thu?week={monday.isoformat()}",
                                   "next": f"/spaces/thu?week={(thursday + timedelta(days=7)).isoformat()}"}

    # The default's own first day asked for shows the same seven days, with the same links.
    asked = client.get(f"/spaces/thu?week={thursday.isoformat()}").get_data(as_text=True)
    assert days_shown(asked) == days_shown(default) and week_links(asked) == week_links(default)

    back = client.get(week_links(default)["prev"]).get_data(as_text=True)
    assert days_shown(back)[0] == monday.isoformat() and f"{monday.isoformat()}T09:00" in cell_states(back)
    assert "prev" not in week_links(back)  # today is shown: nothing before it is offered
    assert week_links(back)["next"] == f"/spaces/thu?week={(monday + timedelta(days=7)).isoformat()}"

    following = client.get(week_links(default)["next"]).get_data(as_text=True)
    assert days_shown(following)[0] == (thursday + timedelta(days=7)).isoformat()
    assert not set(days_shown(following)) & set(days_shown(default))  # no day repeated, none skipped
    assert week_links(following)["prev"] == f"/spaces/thu?week={thursday.isoformat()}"


def test_the_heading_and_caption_name_the_first_and_last_day_shown(client, create_space, monday):
    create_space(slug="studio", name_ja="スタジオ", name_en="Studio")
    thursday = monday + timedelta(days=3)
    page = client.get(f"/spaces/studio?week={thursday.isoformat()}").get_data(as_text=True)
    last = thursday + timedelta(days=6)
    span = f"{thursday.month}月{thursday.day}日({'木'})～{last.month}月{last.day}日({'水'})"
    assert f"<strong>{span}</strong>" in page.replace(f"{thursday.year}年", "")
    client.submit("/language", {"locale": "en"})
    page = client.get(f"/spaces/studio?week={thursday.isoformat()}").get_data(as_text=True)
    assert f"Thu {thursday.day} " in page and " to Wed " in page


def test_a_past_window_offers_no_earlier_week(client, create_space, monday):
    create_space(slug="studio")
    past = monday - timedelta(days=10)
    page = client.get(f"/spaces/studio?week={past.isoformat()}").get_data(as_text=True)
    assert days_shown(page)[0] == past.isoformat()
    assert week_links(page) == {"next": f"/spaces/studio?week={(past + timedelta(days=7)).isoformat()}"}


def test_a_kept_page_follows_the_day_its_link_back_depends_on(client, create_space, monkeypatch, monday):
    """The link back is clamped to today: a page kept yesterday must not offer yesterday's link."""
    create_space(slug="studio")
    asked = monday + timedelta(days=7)
    url = f"/spaces/studio?week={asked.isoformat()}"
    assert week_links(client.get(url).get_data(as_text=True))["prev"] == f"/spaces/studio?week={monday.isoformat()}"
    wednesday = monday + timedelta(days=2)
    monkeypatch.setattr("booking.views.spaces.utcnow", lambda: at(wednesday, 8))
    links = week_links(client.get(url).get_data(as_text=True))
    assert links["prev"] == f"/spaces/studio?week={wednesday.isoformat()}"


def test_every_cell_is_named_with_its_state_the_space_the_date_and_the_time(client, create_space, create_user,
                                                                            create_booking, monkeypatch, monday):
    """bk16 3: a focused cell that is not a link says where it is (WCAG 2.5.3: its visible text first)."""
    monkeypatch.setattr("booking.views.spaces.utcnow", lambda: at(monday, 11))  # Monday 09:00 is past
    space = create_space(slug="studio", name_ja="スタジオ", name_en="Studio",
                         hours={d: ((time(9), time(12)),) for d in range(5)})
    tuesday, saturday = monday + timedelta(days=1), monday + timedelta(days=5)
    create_booking(space, create_user(), at(tuesday, 10), at(tuesday, 11))
    url = f"/spaces/studio?week={monday.isoformat()}"

    def ja(day: date, weekday: str) -> str:
        return f"{day.year}年{day.month}月{day.day}日({weekday})"

    page = client.get(url).get_data(as_text=True)
    assert f'aria-label="－ 予約不可、スタジオ、{ja(monday, "月")} 09:00"' in page
    assert f'aria-label="予約済み、スタジオ、{ja(tuesday, "火")} 10:00"' in page
    assert f'aria-label="／ 休館、スタジオ、{ja(saturday, "土")} 09:00"' in page
    assert f'aria-label="空き、スタジオ、{ja(tuesday, "火")} 09:00"' in page

    def en(day: date, weekday: str) -> str:
        return f"{weekday} {day.day} {day.strftime('%b')} {day.year}"

    client.submit("/language", {"locale": "en"})
    page = client.get(url).get_data(as_text=True)
    assert f'aria-label="－ not bookable, Studio, {en(monday, "Mon")}, 09:00"' in page
    assert f'aria-label="taken, Studio, {en(tuesday, "Tue")}, 10:00"' in page
    assert f'aria-label="／ closed, Studio, {en(saturday, "Sat")}, 09:00"' in page
    assert f'aria-label="free, Studio, {en(tuesday, "Tue")}, 09:00"' in page


def test_a_past_desk_cell_is_named_by_its_visible_mark_and_count_first(client, create_space, monkeypatch, monday):
    """WCAG 2.5.3: 「－ 4」 is what the cell shows, so its name starts with it."""
    monkeypatch.setattr("booking.views.spaces.utcnow", lambda: at(monday, 11))
    create_space(slug="desks", kind="pooled", unit_count=4, name_ja="デスク", name_en="Desks")
    client.submit("/language", {"locale": "en"})
    page = client.get(f"/spaces/desks?week={monday.isoformat()}").get_data(as_text=True)
    day = f'Mon {monday.day} {monday.strftime("%b")} {monday.year}'
    assert f'aria-label="－ 4 not bookable, Desks, {day}, 09:00"' in page
