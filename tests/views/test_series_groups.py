"""A series preview of many dates: identical refusals are one group (count, first and last date),
listed in the error summary, so a phone shows a page and not a year of rows."""

from __future__ import annotations

import re

from tests.summary_html import is_summary_first, summary_items
from tests.views.test_series_form import MONDAY, member, typed  # noqa: F401 (member: the fixture)


def every_weekday(count: int) -> dict:
    return typed(weekdays=["0", "1", "2", "3", "4"], count=str(count))


def test_many_dates_beyond_the_horizon_are_one_line_with_their_count(client, member, create_space):  # noqa: F811
    studio = create_space(max_days_ahead=30)

    response = client.submit(f"/series/{studio.slug}/new", every_weekday(366))

    page = response.get_data(as_text=True)
    [(target, text)] = [item for item in summary_items(page) if "days ahead" in item[1]]
    count = int(re.match(r"(\d+) dates \(", text).group(1))
    assert response.status_code == 200
    assert count > 300 and text.count("Bookings open at most 30 days ahead") == 1
    assert page.count("Bookings open at most 30 days ahead") == 2 + count  # summary line, disclosure, each row
    assert f'<details class="refused-dates" id="{target}">' in page
    assert is_summary_first(page)


def test_one_refused_date_is_named_by_its_day(client, member, create_space, create_booking, create_user):  # noqa: F811
    from tests.views.conftest import at
    studio = create_space()
    create_booking(studio, create_user(), at(MONDAY, 10), at(MONDAY, 11))

    page = client.submit(f"/series/{studio.slug}/new", typed()).get_data(as_text=True)

    [(target, text)] = summary_items(page)
    assert text.startswith(MONDAY.strftime("%a")) and "overlaps another booking" in text
    assert target == f"day-{MONDAY.isoformat()}" and f'<tr class="conflict" id="{target}">' in page
    assert page.count('name="dates"') == 4 and "<details" not in page  # one date stays a row of the table


def test_japanese_counts_dates_with_their_counter(client, create_user, create_space):
    client.login(create_user(locale="ja").email)
    studio = create_space(max_days_ahead=30)

    page = client.submit(f"/series/{studio.slug}/new", every_weekday(40)).get_data(as_text=True)

    assert re.search(r"\d+件の日程（[^）]+～[^）]+）：", page)


def test_closed_days_beyond_the_horizon_are_one_line_naming_these_days(client, member, create_space):  # noqa: F811
    """Break-it round 2: every Sunday past the horizon got a line of its own, since its refusal named
    its own date ("The space is not open on Sun 3 Jan 2027."); they are one group, "these days"."""
    from datetime import time
    weekdays_only = {day: ((time(9), time(18)),) for day in range(5)}
    studio = create_space(max_days_ahead=30, hours=weekdays_only)

    page = client.submit(f"/series/{studio.slug}/new", typed(weekdays=[str(d) for d in range(7)],
                                                             count="366")).get_data(as_text=True)

    lines = [text for _target, text in summary_items(page) if "not open on these days" in text]
    closed_and_far = [line for line in lines if "30 days ahead" in line]
    assert len(lines) == 2 and len(closed_and_far) == 1, summary_items(page)  # weekends within 30 days, and after
    assert int(re.match(r"(\d+) dates \(", closed_and_far[0]).group(1)) > 90
    assert len(summary_items(page)) < 8, summary_items(page)
