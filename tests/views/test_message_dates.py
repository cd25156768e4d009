"""Refusals write their dates for people, never as ISO 8601 (issue 16, point 4).

Every rule that names a day or an instant (opening hours, closed days, closures, notice,
horizon, the past, a taken slot and its hint) is refused on the booking form in Japanese and
in English; the messages must hold the date as booking.dates writes it and no ISO date.
"""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from booking.extensions import db
from booking.models import Closure
from tests.conftest import shown_day
from tests.views.conftest import at, form_errors, monday_ahead, tokyo_today

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MORNINGS = {day: ((time(9), time(12)),) for day in range(5)}
MONDAY = monday_ahead()
SATURDAY = MONDAY + timedelta(days=5)
LAST_WEEK = tokyo_today() - timedelta(days=7)


def typed(day=MONDAY, start="10:00", end="11:00"):
    return {"day": day.isoformat(), "start_time": start, "end_time": end, "title": "Study group", "attendees": "3"}


def closed_all_monday(space):
    db.session.add(Closure(space_id=space.id, start_dt=at(MONDAY, 0), end_dt=at(MONDAY + timedelta(days=1), 0),
                           reason="maintenance"))


def closed_monday_morning(space):
    db.session.add(Closure(space_id=space.id, start_dt=at(MONDAY, 9), end_dt=at(MONDAY, 10, 30),
                           reason="maintenance"))


def taken_all_monday(space, create_booking, create_user):
    create_booking(space, create_user(), at(MONDAY, 9), at(MONDAY, 12))


# name, space settings, what is typed, what is set up, the day the message must name
REFUSALS = [
    ("hours", {}, typed(start="11:30", end="12:30"), None, MONDAY),
    ("not open", {}, typed(day=SATURDAY), None, SATURDAY),
    ("closed day", {}, typed(), closed_all_monday, MONDAY),
    ("closure", {}, typed(), closed_monday_morning, MONDAY),
    ("notice", {"min_notice_minutes": 60 * 24 * 60}, typed(), None, None),
    ("horizon", {"max_days_ahead": 3}, typed(), None, tokyo_today() + timedelta(days=3)),
    ("past", {}, typed(day=LAST_WEEK), None, LAST_WEEK),
    ("full day", {}, typed(), taken_all_monday, None),
]


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize(("settings", "sent", "setup", "day"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_a_refusal_names_its_dates_for_people_and_never_in_iso(
        client, create_space, create_user, create_booking, locale, settings, sent, setup, day):
    room = create_space(slug="room", hours=MORNINGS, **settings)
    if setup is taken_all_monday:
        setup(room, create_booking, create_user)
    elif setup is not None:
        setup(room)
        db.session.commit()
    client.login(create_user(locale=locale).email)

    errors = " ".join(form_errors(client.submit("/spaces/room/book", sent).get_data(as_text=True)))

    assert errors, "the request was not refused"
    assert not ISO_DATE.search(errors), errors
    if day is not None:
        assert shown_day(day, locale) in errors, errors
