"""New York's clock changes on the week page and the booking form: gaps refused, the repeated 01:00 twice."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Booking
from booking.services.notifications import Facts, _when
from tests.conftest import shown_day
from tests.views.conftest import form_errors, written

NEW_YORK = ZoneInfo("America/New_York")
AROUND_THE_CLOCK = {day: ((time(0), time(23, 30)),) for day in range(7)}


def next_switch(forward: bool) -> date:
    """The next day (at least a week ahead) on which New York's clocks jump forward or fall back."""
    day = datetime.now(UTC).date() + timedelta(days=7)
    while True:
        before = datetime.combine(day, time(0), NEW_YORK).utcoffset()
        after = datetime.combine(day, time(12), NEW_YORK).utcoffset()
        if before != after and (after > before) == forward:
            return day
        day += timedelta(days=1)


SPRING, AUTUMN = next_switch(forward=True), next_switch(forward=False)


@pytest.fixture
def member(client, create_user):
    user = create_user(locale="en")
    client.login(user.email)
    return user


@pytest.fixture
def space(create_space):
    return create_space(slug="ny", timezone="America/New_York", hours=AROUND_THE_CLOCK, max_days_ahead=400,
                        slot_minutes=30, min_minutes=30)


def typed(day: date, start: str, end: str, **more: str) -> dict[str, str]:
    return {"day": day.isoformat(), "start_time": start, "end_time": end, "title": "Night shoot", **more}


def test_a_time_the_clocks_skip_is_refused_naming_the_first_valid_time(client, member, space):
    response = client.submit("/spaces/ny/book", typed(SPRING, "02:30", "03:30"))
    assert response.status_code == 422
    assert f"02:30 does not exist on {shown_day(SPRING, 'en')}: the clocks jump forward. " \
           "The first valid time is 03:00." in form_errors(response.get_data(as_text=True))
    assert written() == (0, 0)


def test_the_second_one_oclock_of_the_repeated_hour_can_be_booked(client, member, space):
    response = client.submit("/spaces/ny/book", typed(AUTUMN, "01:00", "01:30", start_fold="1", end_fold="1"))
    assert response.status_code == 302, form_errors(response.get_data(as_text=True))
    booking = db.session.scalars(db.select(Booking)).one()
    second = datetime.combine(AUTUMN, time(1, fold=1), NEW_YORK).astimezone(UTC)
    assert (booking.start_dt, booking.end_dt) == (second, second + timedelta(minutes=30))
    # The first 01:00 is still free, and bookable on its own.
    again = client.submit("/spaces/ny/book", typed(AUTUMN, "01:00", "01:30"))
    assert again.status_code == 302
    first = db.session.scalars(db.select(Booking).order_by(Booking.id.desc())).first()
    assert first.start_dt == second - timedelta(hours=1)


def test_a_booking_from_the_first_into_the_second_run_of_the_hour_lasts_its_real_length(client, member, space):
    response = client.submit("/spaces/ny/book", typed(AUTUMN, "01:30", "01:30", end_fold="1"))
    assert response.status_code == 302, form_errors(response.get_data(as_text=True))
    booking = db.session.scalars(db.select(Booking)).one()
    assert booking.end_dt - booking.start_dt == timedelta(hours=1)


def test_the_week_shows_both_one_oclocks_with_their_offsets_and_distinct_links(client, member, space):
    monday = AUTUMN - timedelta(days=AUTUMN.weekday())
    page = client.get(f"/spaces/ny?week={monday.isoformat()}").get_data(as_text=True)
    row_heads = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", h)).split())
                 for h in re.findall(r'<th scope="row">(.*?)</th>', page, re.S)]
    assert "01:00 UTC-04:00" in row_heads and "01:00 UTC-05:00" in row_heads
    links = set(re.findall(rf'href="(/spaces/ny/book\?start={AUTUMN.isoformat()}T01(?::|%3A)00[^"]*)"', page))
    assert len(links) == 2 and any("fold=1" in link for link in links)
    form = client.get(html.unescape(next(link for link in links if "fold=1" in link))).get_data(as_text=True)
    assert re.search(r'<option selected value="1">|<option value="1" selected>', form)
    assert "01:00 happens twice" in form and "UTC-05:00" in form


def test_the_repeated_hour_in_the_mail_text_carries_its_offset():
    second = datetime.combine(AUTUMN, time(1, fold=1), NEW_YORK).astimezone(UTC)
    facts = Facts(1, "t", second, second + timedelta(hours=2), "America/New_York", "s", "s", False, (), "m", "", "")
    assert "01:00 (UTC-05:00)–03:00 (America/New_York)" in _when(facts, "en")


def test_a_booking_past_midnight_is_made_with_the_end_date_and_shown_with_both_dates(client, member, create_space):
    create_space(slug="bar", hours={d: ((time(22), time(2)),) for d in range(7)})
    friday = AUTUMN + timedelta(days=(4 - AUTUMN.weekday()) % 7 + 7)
    saturday = friday + timedelta(days=1)
    response = client.submit("/spaces/bar/book", typed(friday, "23:00", "01:30", end_day=saturday.isoformat()))
    assert response.status_code == 302, form_errors(response.get_data(as_text=True))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{shown_day(friday, 'en')}, 23:00 – {shown_day(saturday, 'en')}, 01:30" in page
    same_day = client.submit("/spaces/bar/book", typed(friday, "23:00", "01:30"))
    assert same_day.status_code == 422
    assert "The end must be after the start." in form_errors(same_day.get_data(as_text=True))
