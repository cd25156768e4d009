"""Figures of past periods use the opening hours, closures and unit counts in force then, not today's."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Closure, ClosureRemoval, HolidayOpening, Space, SpaceVersion
from booking.services import admin_spaces, reports, space_history
from booking.services.admin_spaces import InvalidInput, SpaceInput
from booking.services.reports import Filters, Period

TOKYO = ZoneInfo("Asia/Tokyo")
NINE_TO_SIX = {d: ((time(9), time(18)),) for d in range(7)}


def last_month() -> Period:
    first_of_this = datetime.now(TOKYO).date().replace(day=1)
    previous = first_of_this - timedelta(days=1)
    return Period.month(previous.year, previous.month)


def figures(space: Space, period: Period) -> reports.SpaceFigures:
    db.session.expire_all()
    return reports.build_report(db.session, Filters(period, (space.id,))).spaces[0]


def as_input(space: Space, **changes) -> SpaceInput:
    values = {name: getattr(space, name) for name in SpaceInput.__dataclass_fields__}
    return replace(SpaceInput(**values), **changes)


@pytest.fixture
def staff(create_user):
    return create_user(role="staff")


@pytest.fixture
def booked_last_month(create_space, create_user, create_booking):
    """Desks (4, open 09–18 daily) with one 3-desk booking of 9 hours on the 2nd of last month."""
    desks = create_space(kind="pooled", unit_count=4, hours=NINE_TO_SIX)
    day = last_month().first + timedelta(days=1)
    create_booking(desks, create_user(), datetime.combine(day, time(9), TOKYO),
                   datetime.combine(day, time(18), TOKYO), units=(1, 2, 3))
    return desks


def test_changing_the_hours_today_leaves_last_months_occupancy_alone(booked_last_month, staff):
    desks, period = booked_last_month, last_month()
    days = (period.last - period.first).days + 1
    before = figures(desks, period)
    assert before.open_hours == 4 * 9 * days
    admin_spaces.set_opening_hours(staff, desks.id, {d: "10:00-12:00" for d in range(7)})
    after = figures(desks, period)
    assert (after.open_hours, after.occupancy) == (before.open_hours, before.occupancy)
    assert after.occupancy == pytest.approx(27 / (4 * 9 * days))
    next_year = Period.month(period.first.year + 1, period.first.month)
    assert figures(desks, next_year).open_hours == 4 * 2 * ((next_year.last - next_year.first).days + 1)


def test_fewer_desks_today_leave_last_months_open_desk_hours_alone(booked_last_month, staff):
    desks, period = booked_last_month, last_month()
    before = figures(desks, period)
    admin_spaces.update_space(staff, desks.id, as_input(desks, unit_count=2))
    assert figures(desks, period).open_hours == before.open_hours
    next_year = Period.month(period.first.year + 1, period.first.month)
    assert figures(desks, next_year).open_hours == 2 * 9 * ((next_year.last - next_year.first).days + 1)


def test_removing_an_old_closure_keeps_its_days_closed_in_the_figures(booked_last_month):
    desks, period = booked_last_month, last_month()
    day = period.first + timedelta(days=9)
    closure = Closure(space_id=desks.id, start_dt=datetime.combine(day, time(0), TOKYO),
                      end_dt=datetime.combine(day + timedelta(days=1), time(0), TOKYO), reason="点検")
    db.session.add(closure)
    db.session.commit()
    before = figures(desks, period)
    assert before.open_hours == 4 * 9 * ((period.last - period.first).days + 1 - 1)
    admin_spaces.delete_closure(closure.id)
    assert db.session.scalar(select(func.count(Closure.id))) == 0
    assert figures(desks, period).open_hours == before.open_hours
    assert db.session.scalar(select(ClosureRemoval.reason)) == "点検"


def test_a_closure_removed_part_way_counts_up_to_its_removal(create_space):
    space = create_space(hours={d: ((time(0), time(0)),) for d in range(7)})
    june = Period.month(2026, 6)
    db.session.add(ClosureRemoval(closure_id=1, space_id=space.id, start_dt=datetime(2026, 6, 10, tzinfo=TOKYO),
                                  end_dt=datetime(2026, 6, 20, tzinfo=TOKYO), removed_at=datetime(2026, 6, 12,
                                                                                                   tzinfo=TOKYO)))
    db.session.commit()
    assert figures(space, june).open_hours == 30 * 24 - 2 * 24


def test_a_change_within_the_period_splits_it_at_the_change(create_space):
    """Versions written at a known instant: 09–18 until 16 June, 10–12 after (a 4-desk pool throughout)."""
    desks = create_space(kind="pooled", unit_count=4, hours=NINE_TO_SIX)
    common = dict(space_id=desks.id, timezone="Asia/Tokyo", kind="pooled", unit_count=4, max_minutes=480,
                  close_on_holidays=False, holiday_country="JP", holiday_openings=[])
    db.session.add_all([
        SpaceVersion(valid_from=datetime(1970, 1, 1, tzinfo=UTC), opening=[[d, "09:00", "18:00"] for d in range(7)],
                     **common),
        SpaceVersion(valid_from=datetime(2026, 6, 16, tzinfo=TOKYO), opening=[[d, "10:00", "12:00"] for d in range(7)],
                     **(common | {"unit_count": 2})),
    ])
    db.session.commit()
    assert figures(desks, Period.month(2026, 6)).open_hours == 15 * 9 * 4 + 15 * 2 * 2
    assert figures(desks, Period.month(2026, 5)).open_hours == 31 * 9 * 4


def test_a_holiday_opening_counts_only_while_it_stood(create_space):
    """Closed on holidays; opened on Marine Day (20 July 2026) until the version of 1 July took it back."""
    space = create_space(hours={d: ((time(0), time(0)),) for d in range(7)}, close_on_holidays=True)
    common = dict(space_id=space.id, timezone="Asia/Tokyo", kind="exclusive", unit_count=1, max_minutes=480,
                  close_on_holidays=True, holiday_country="JP", opening=[[d, "00:00", "00:00"] for d in range(7)])
    db.session.add_all([
        SpaceVersion(valid_from=datetime(1970, 1, 1, tzinfo=UTC), holiday_openings=["2026-07-20"], **common),
        SpaceVersion(valid_from=datetime(2026, 8, 1, tzinfo=TOKYO), holiday_openings=[], **common),
    ])
    db.session.commit()
    assert figures(space, Period.month(2026, 7)).open_hours == 31 * 24
    assert figures(space, Period.month(2027, 7)).open_hours == 31 * 24 - 24  # Marine Day 2027: 19 July


def test_every_change_of_the_rules_writes_a_version_and_a_refused_one_none(booked_last_month, staff):
    desks = booked_last_month
    admin_spaces.set_opening_hours(staff, desks.id, {d: "10:00-12:00" for d in range(7)})
    admin_spaces.update_space(staff, desks.id, as_input(desks, name_en="Renamed"))  # not a rule of opening
    versions = db.session.scalars(select(SpaceVersion).where(SpaceVersion.space_id == desks.id)
                                  .order_by(SpaceVersion.valid_from)).all()
    assert [v.opening[0] for v in versions] == [[0, "09:00", "18:00"], [0, "10:00", "12:00"]]
    assert versions[0].valid_from == datetime(1970, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        admin_spaces.update_space(staff, desks.id, as_input(desks, slot_minutes=45))
    db.session.rollback()
    assert db.session.scalar(select(func.count(SpaceVersion.id))) == 2


def test_holiday_openings_are_part_of_the_version(create_space, staff):
    space = create_space(close_on_holidays=True)
    opening = admin_spaces.add_holiday_opening(space.id, date(2030, 7, 15))
    assert db.session.scalar(select(SpaceVersion.holiday_openings).order_by(SpaceVersion.id.desc())) == ["2030-07-15"]
    admin_spaces.remove_holiday_opening(staff, space.id, opening.id)
    db.session.expire_all()
    assert db.session.scalar(select(SpaceVersion.holiday_openings).order_by(SpaceVersion.id.desc())) == []
    assert db.session.scalar(select(func.count(HolidayOpening.id))) == 0


def test_a_new_space_starts_with_one_version(staff):
    data = SpaceInput(slug="hall", name_ja="ホール", name_en="Hall", kind="exclusive", unit_count=1,
                      timezone="Europe/Berlin", slot_minutes=30, min_minutes=30, max_minutes=600)
    space = admin_spaces.create_space(data)
    version = db.session.scalar(select(SpaceVersion).where(SpaceVersion.space_id == space.id))
    assert (version.timezone, version.max_minutes, version.opening) == ("Europe/Berlin", 600, [])


def test_a_closure_of_every_space_removed_part_way_counts_up_to_its_removal(create_space):
    space = create_space(hours={d: ((time(0), time(0)),) for d in range(7)})
    june = Period.month(2026, 6)
    db.session.add(ClosureRemoval(closure_id=1, space_id=None, start_dt=datetime(2026, 6, 10, tzinfo=TOKYO),
                                  end_dt=datetime(2026, 6, 20, tzinfo=TOKYO),
                                  removed_at=datetime(2026, 6, 12, tzinfo=TOKYO)))
    db.session.commit()
    assert figures(space, june).open_hours == 30 * 24 - 2 * 24


def test_a_version_places_its_opening_hours_in_its_own_time_zone(create_space):
    """Open Mondays 00:00–02:00 UTC: June 2026 begins on a Monday, so it has five such openings, where
    the same hours in Tokyo (Sunday 15:00–17:00 UTC) would fall four times in it."""
    space = create_space(timezone="UTC", hours={0: ((time(0), time(2)),)})
    db.session.add(SpaceVersion(
        space_id=space.id, valid_from=datetime(1970, 1, 1, tzinfo=UTC), timezone="UTC", kind="exclusive",
        unit_count=1, max_minutes=480, close_on_holidays=False, holiday_country="JP", holiday_openings=[],
        opening=[[0, "00:00", "02:00"]]))
    db.session.commit()
    assert figures(space, Period.month(2026, 6)).open_hours == 5 * 2


def test_removing_one_spaces_closure_leaves_another_spaces_figures_alone(booked_last_month, create_space):
    """The removed closure is kept for its own space only, not as a closure of every space."""
    desks, period = booked_last_month, last_month()
    other = create_space(hours=NINE_TO_SIX)
    day = period.first + timedelta(days=9)
    closure = Closure(space_id=desks.id, start_dt=datetime.combine(day, time(0), TOKYO),
                      end_dt=datetime.combine(day + timedelta(days=1), time(0), TOKYO), reason="点検")
    db.session.add(closure)
    db.session.commit()
    whole = figures(other, period).open_hours
    assert whole == 9 * ((period.last - period.first).days + 1)
    admin_spaces.delete_closure(closure.id)
    assert figures(other, period).open_hours == whole
    assert db.session.scalar(select(ClosureRemoval.space_id)) == desks.id


def test_a_second_change_at_the_same_instant_rewrites_that_version(create_space):
    """Two changes recorded at one instant leave one version from it, with the rules of the last."""
    space = create_space(kind="pooled", unit_count=4, hours=NINE_TO_SIX)
    at = datetime(2026, 6, 1, tzinfo=UTC)
    space_history.record_version(db.session, space, at)
    space.max_minutes, space.unit_count = 600, 3
    space_history.record_version(db.session, space, at)
    db.session.commit()
    rows = db.session.execute(select(SpaceVersion.valid_from, SpaceVersion.max_minutes, SpaceVersion.unit_count,
                                     SpaceVersion.timezone).where(SpaceVersion.space_id == space.id)).all()
    assert [tuple(row) for row in rows] == [(at, 600, 3, "Asia/Tokyo")]


def test_an_earlier_version_allowing_longer_bookings_still_reaches_back_for_them(create_space, create_user,
                                                                                 create_booking):
    """Bookings of up to three weeks were allowed until today's 8 hours: one of two weeks that began in
    May still counts its two days of June (the report looks back as far as the longest booking any
    version allowed)."""
    space = create_space(timezone="UTC", hours={d: ((time(0), time(0)),) for d in range(7)},
                         max_minutes=3 * 7 * 24 * 60)
    space_history.keep_baseline(db.session, space)
    space.max_minutes = 480
    db.session.commit()
    june_1 = datetime(2026, 6, 1, tzinfo=UTC)
    create_booking(space, create_user(), june_1 - timedelta(days=12), june_1 + timedelta(days=2))
    assert figures(space, Period.month(2026, 6)).booked_hours == 48


def test_a_version_lists_its_holiday_openings_by_date_whatever_order_they_were_added(create_space):
    space = create_space(close_on_holidays=True)
    for day in (date(2030, 9, 16), date(2030, 7, 15), date(2030, 8, 12)):  # Respect for the Aged, Marine, Mountain Day
        admin_spaces.add_holiday_opening(space.id, day)
    db.session.expire_all()
    assert db.session.scalar(select(SpaceVersion.holiday_openings).order_by(SpaceVersion.id.desc())) == [
        "2030-07-15", "2030-08-12", "2030-09-16"]
