"""The opening hours editor (several periods a day, strictly parsed) and holiday openings."""

from __future__ import annotations

from datetime import date, time

import pytest

from booking.extensions import db
from booking.models import HolidayOpening, Space
from booking.services import ServiceError
from booking.services.admin_spaces import parse_periods
from tests.admin.conftest import fresh
from tests.conftest import shown_day
from tests.views.conftest import form_errors, input_value

T = time


@pytest.mark.parametrize("text, periods", [
    ("", ()),
    ("09:00-18:00", ((T(9), T(18)),)),
    ("09:00-12:00, 13:00-18:00", ((T(9), T(12)), (T(13), T(18)))),
    ("13:00-18:00,9:00-12:00", ((T(9), T(12)), (T(13), T(18)))),
    ("09:00 - 12:00、 12:00-12:30", ((T(9), T(12)), (T(12), T(12, 30)))),
    ("09:00–17:30", ((T(9), T(17, 30)),)),
    ("09:00〜12:00、13:00～18:00", ((T(9), T(12)), (T(13), T(18)))),
    ("09:00-24:00", ((T(9), T(0)),)),
    ("22:00-02:00", ((T(22), T(2)),)),
    ("00:00-24:00", ((T(0), T(0)),)),
    ("09:00-12:00, 20:00-03:00", ((T(9), T(12)), (T(20), T(3)))),
    ("09:00-12:00, , 13:00-18:00,", ((T(9), T(12)), (T(13), T(18)))),
])
def test_periods_are_read_in_order(text, periods):
    assert parse_periods(text, 30) == periods


@pytest.mark.parametrize("text, says", [
    ("9-18", "09:00-12:00"),
    ("09:00-12:00 13:00-18:00", "09:00-12:00"),
    ("09:00-25:00", "25:00"),
    ("09:00-09:61", "09:61"),
    ("09:60-10:00", "09:60"),
    ("09:00-24:30", "24:30"),
    ("09:00-09:00", "09:00-09:00"),
    ("09:15-12:00", "30"),
    ("09:00-13:00, 12:00-18:00", "overlap"),
])
def test_malformed_or_impossible_periods_say_what_is_wrong(text, says):
    with pytest.raises(ServiceError) as raised:
        parse_periods(text, 30)
    assert says in raised.value.message % raised.value.params


@pytest.fixture
def space(create_space):
    return create_space(slug="studio", hours={0: ((T(9), T(18)),)})


def hours_form(**days):
    return {f"day_{n}": days.get(f"day_{n}", "") for n in range(7)}


def test_the_editor_shows_the_current_hours_one_line_per_weekday(staff_client, space):
    page = staff_client.get(f"/staff/spaces/{space.id}/hours").get_data(as_text=True)
    assert input_value(page, "day_0") == "09:00-18:00"
    assert input_value(page, "day_1") is None or input_value(page, "day_1") == ""


def test_saving_several_periods_a_day_replaces_the_week(staff_client, space):
    form = hours_form(day_0="09:00-12:00, 13:00-18:00", day_5="10:00-16:00")

    response = staff_client.submit(f"/staff/spaces/{space.id}/hours", form)

    assert response.status_code == 302
    periods = sorted((p.weekday, p.open_time, p.close_time) for p in fresh(Space, space.id).opening_hours)
    assert periods == [(0, T(9), T(12)), (0, T(13), T(18)), (5, T(10), T(16))]
    page = staff_client.get(f"/staff/spaces/{space.id}/hours").get_data(as_text=True)
    assert input_value(page, "day_0") == "09:00-12:00, 13:00-18:00"


def test_a_wrong_day_is_refused_with_every_line_kept_and_nothing_saved(staff_client, space):
    form = hours_form(day_0="09:00-12:00, 11:00-18:00", day_2="10:00-16:00", day_3="9時から")

    response = staff_client.submit(f"/staff/spaces/{space.id}/hours", form)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert len(form_errors(page)) == 2
    assert input_value(page, "day_2") == "10:00-16:00"
    assert input_value(page, "day_3") == "9時から"
    periods = [(p.weekday, p.open_time, p.close_time) for p in fresh(Space, space.id).opening_hours]
    assert periods == [(0, T(9), T(18))]


def test_hours_off_the_slot_grid_are_refused(staff_client, create_space):
    space = create_space(slot_minutes=60, min_minutes=60)
    response = staff_client.submit(f"/staff/spaces/{space.id}/hours", hours_form(day_1="09:30-18:00"))
    assert response.status_code == 422
    assert "1時間単位" in " ".join(form_errors(response.get_data(as_text=True)))  # format_duration, not 60分


def test_a_holiday_can_be_opened_and_closed_again(staff_client, create_space):
    space = create_space(close_on_holidays=True, holiday_country="JP")
    new_year = date(date.today().year + 1, 1, 1)

    response = staff_client.submit(f"/staff/spaces/{space.id}/holidays", {"day": new_year.isoformat()})

    assert response.status_code == 302
    opening = db.session.query(HolidayOpening).one()
    assert opening.day_date == new_year
    page = staff_client.get(f"/staff/spaces/{space.id}/hours").get_data(as_text=True)
    assert shown_day(new_year) in page and "New Year" in page

    response = staff_client.submit(f"/staff/spaces/{space.id}/holidays/{opening.id}/delete")

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.query(HolidayOpening).count() == 0


def test_a_day_that_is_no_holiday_or_already_open_is_refused_next_to_the_field(staff_client, create_space):
    space = create_space(close_on_holidays=True, holiday_country="JP")
    year = date.today().year + 1
    url = f"/staff/spaces/{space.id}/holidays"

    ordinary = staff_client.submit(url, {"day": f"{year}-06-10"})
    staff_client.submit(url, {"day": f"{year}-01-01"})
    again = staff_client.submit(url, {"day": f"{year}-01-01"})
    garbage = staff_client.submit(url, {"day": "soon"})

    for response in (ordinary, again, garbage):
        assert response.status_code == 422
        assert form_errors(response.get_data(as_text=True))
    errors = {name: " ".join(form_errors(response.get_data(as_text=True)))
              for name, response in (("ordinary", ordinary), ("again", again))}
    assert f"{shown_day(date(year, 6, 10))}は祝日ではありません" in errors["ordinary"]
    assert f"{shown_day(date(year, 1, 1))}はすでに開館日" in errors["again"]
    db.session.expire_all()
    assert db.session.query(HolidayOpening).count() == 1


def test_removing_an_opening_of_another_space_is_not_found(staff_client, create_space):
    space, other = create_space(), create_space()
    opening = HolidayOpening(space_id=other.id, day_date=date(2031, 1, 1))
    db.session.add(opening)
    db.session.commit()

    response = staff_client.submit(f"/staff/spaces/{space.id}/holidays/{opening.id}/delete")

    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.query(HolidayOpening).count() == 1


def test_opening_a_holiday_twice_is_refused_beside_the_day_field(app, create_space):
    from booking.services.admin_spaces import InvalidInput, add_holiday_opening

    space = create_space(close_on_holidays=True, holiday_country="JP")
    new_year = date(date.today().year + 1, 1, 1)
    add_holiday_opening(space.id, new_year)

    with pytest.raises(InvalidInput) as refused:
        add_holiday_opening(space.id, new_year)

    assert list(refused.value.errors) == ["day"]


def test_a_day_opening_before_the_night_ends_says_both_times(app, create_space, create_user):
    from booking.services.admin_spaces import InvalidInput, set_opening_hours

    space = create_space(hours={})
    texts = {n: "" for n in range(7)} | {4: "22:00-04:00", 5: "03:00-12:00"}
    with pytest.raises(InvalidInput) as refused:
        set_opening_hours(create_user(role="staff"), space.id, texts)

    message, params = refused.value.errors["day_5"]
    assert message % params == "This day opens at 03:00, before the previous day's period ends at 04:00."


def test_a_closing_time_on_a_45_minute_grid_is_accepted():
    assert parse_periods("09:00-11:15", 45) == ((T(9), T(11, 15)),)


def test_a_day_that_is_no_holiday_is_refused_beside_the_day_field(app, create_space):
    from booking.services.admin_spaces import InvalidInput, add_holiday_opening

    space = create_space(close_on_holidays=True, holiday_country="JP")
    ordinary = date(date.today().year + 1, 1, 6)

    with pytest.raises(InvalidInput) as refused:
        add_holiday_opening(space.id, ordinary)

    assert refused.value.errors == {"day": ("%(day)s is not a national holiday (%(country)s).",
                                            {"day": ordinary, "country": "JP"})}


def test_two_spaces_open_the_same_holiday_and_removing_one_opening_keeps_the_others(app, create_space, create_user):
    from booking.services.admin_spaces import add_holiday_opening, remove_holiday_opening

    studio, hall = (create_space(close_on_holidays=True, holiday_country="JP") for _ in range(2))
    year = date.today().year + 1
    new_year, foundation_day = date(year, 1, 1), date(year, 2, 11)
    studio_new_year = add_holiday_opening(studio.id, new_year).id
    hall_new_year = add_holiday_opening(hall.id, new_year).id  # the studio's opening that day is not the hall's
    studio_foundation_day = add_holiday_opening(studio.id, foundation_day).id

    remove_holiday_opening(create_user(role="staff"), studio.id, studio_foundation_day)

    db.session.expire_all()
    assert sorted(o.id for o in db.session.query(HolidayOpening)) == sorted([studio_new_year, hall_new_year])


def test_a_period_closing_as_it_opens_says_how_to_write_a_whole_day():
    with pytest.raises(ServiceError) as raised:
        parse_periods("09:00-09:00", 30)

    assert raised.value.message % raised.value.params == (
        "In 09:00-09:00 the closing time must differ from the opening time (write 00:00-24:00 for a whole day).")


def test_two_periods_overlapping_by_half_an_hour_are_refused():
    with pytest.raises(ServiceError) as raised:
        parse_periods("09:00-12:30, 12:00-18:00", 30)

    assert raised.value.message == "Two periods of the same day overlap; write them as one."


def test_the_hours_page_names_a_holiday_opening_by_its_english_name(app, create_space):
    from booking.services.admin_spaces import holiday_name

    space = create_space(close_on_holidays=True, holiday_country="JP")

    assert holiday_name(space, date(2027, 1, 1)) == "New Year's Day"
    assert holiday_name(space, date(2027, 1, 6)) is None


def test_a_holiday_opening_is_named_in_english_whatever_the_country(app, create_space):
    from booking.services.admin_spaces import holiday_name

    space = create_space(close_on_holidays=True, holiday_country="DE")

    assert holiday_name(space, date(2027, 1, 1)) == "New Year's Day"


def test_a_period_written_otherwise_is_shown_how_to_write_it():
    with pytest.raises(ServiceError) as raised:
        parse_periods("9-18", 30)

    assert raised.value.message == "Write periods like 09:00-12:00, 13:00-18:00 (not “%(part)s”)."
    assert raised.value.params == {"part": "9-18"}


def test_a_holiday_opening_is_named_in_english_whatever_the_servers_language(app, create_space, monkeypatch,
                                                                              request):
    from booking.services.admin_spaces import holiday_name
    from booking.services.spaces import national_holidays

    monkeypatch.setenv("LANGUAGE", "de")  # gettext's first choice: the holidays' names follow it by default
    national_holidays.cache_clear()
    request.addfinalizer(national_holidays.cache_clear)
    space = create_space(close_on_holidays=True, holiday_country="JP")

    assert holiday_name(space, date(2027, 1, 1)) == "New Year's Day"


def test_hours_read_for_a_slot_length_that_changed_meanwhile_are_refused_and_nothing_is_saved(
        app, create_space, create_user, monkeypatch):
    from types import SimpleNamespace

    from booking.services import Stale, admin_spaces

    space = create_space(slot_minutes=30, hours={0: ((time(9), time(12)),)})
    space_id = space.id
    monkeypatch.setattr(admin_spaces, "get_space", lambda _id: SimpleNamespace(slot_minutes=60))  # read before a change

    with pytest.raises(Stale) as refused:
        admin_spaces.set_opening_hours(create_user(role="staff"), space_id, {0: "10:00-14:00"})

    assert refused.value.message == "The slot length changed meanwhile; please check the hours again."
    db.session.expire_all()
    assert [(p.open_time, p.close_time) for p in db.session.get(Space, space_id).opening_hours] == [(time(9), time(12))]
