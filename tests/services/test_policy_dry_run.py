"""A dry run of a policy change names the bookings it would break and saves nothing; the victims'
page rows pair each victim with its booking; an edit's audit note reads back as before and after."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from booking.domain.victims import Victim
from booking.extensions import db
from booking.models import Booking, Space
from booking.services import changes, policy_changes
from tests.conftest import future_day


def shorter_limit(session, space: Space) -> None:
    space.max_minutes = 60


@pytest.fixture
def member(create_user):
    return create_user(name="Member Mori")


def test_a_dry_run_names_the_bookings_the_change_breaks_and_saves_nothing(create_space, create_booking, member):
    studio = create_space(max_minutes=240)
    start = future_day(10)
    long_one = create_booking(studio, member, start, start + timedelta(hours=2))
    short_one = create_booking(studio, member, start + timedelta(hours=3), start + timedelta(hours=4))

    victims = policy_changes.dry_run(studio.id, shorter_limit)

    assert [(v.booking_id, set(v.codes)) for v in victims] == [(long_one.id, {"duration"})]
    assert short_one.id not in {v.booking_id for v in victims}
    db.session.expire_all()
    assert db.session.get(Space, studio.id).max_minutes == 240


def test_a_dry_run_leaves_out_bookings_under_way_at_the_given_time(create_space, create_booking, member):
    studio = create_space(max_minutes=240)
    start = future_day(10)
    create_booking(studio, member, start, start + timedelta(hours=2))

    assert policy_changes.dry_run(studio.id, shorter_limit, now=start + timedelta(minutes=30)) == []


def test_a_dry_run_of_an_unknown_space_is_not_found(app):
    from booking.services import NotFound

    with pytest.raises(NotFound):
        policy_changes.dry_run(999_999, shorter_limit)


def test_each_victim_row_pairs_the_victim_with_its_booking_and_leaves_out_a_booking_gone(
        create_space, create_booking, member):
    studio = create_space()
    start = future_day(10)
    first = create_booking(studio, member, start, start + timedelta(hours=1))
    second = create_booking(studio, member, start + timedelta(hours=2), start + timedelta(hours=3))
    victims = [Victim(second.id, ()), Victim(123_456, ()), Victim(first.id, ())]

    rows = policy_changes.victim_rows(victims)

    assert [(victim.booking_id, booking.id) for victim, booking in rows] == [(second.id, second.id),
                                                                            (first.id, first.id)]
    assert all(isinstance(booking, Booking) for _, booking in rows)


def test_an_edit_note_reads_back_as_its_before_and_after_values():
    note = json.dumps({"before": {"title": "Old"}, "after": {"title": "New"}})

    assert changes.read_edit_note(note) == ({"title": "Old"}, {"title": "New"})


@pytest.mark.parametrize("note", [
    "Rejected: the hall is closed",                       # plain text, not JSON
    json.dumps(["before", "after"]),                      # JSON, not an object
    json.dumps({"before": {"title": "Old"}}),             # no after
    json.dumps({"after": {"title": "New"}}),              # no before
    json.dumps({"before": "Old", "after": {"title": "New"}}),   # before is not an object
    json.dumps({"before": {"title": "Old"}, "after": "New"}),   # after is not an object
])
def test_a_note_that_is_not_an_edit_reads_as_none(note):
    assert changes.read_edit_note(note) is None


def test_victims_to_resolve_asks_staff_to_choose_by_default_as_a_conflict():
    refusal = policy_changes.VictimsToResolve([Victim(7, ())])

    assert refusal.message == ("This change breaks the bookings below. Choose what happens to each "
                               "and save again; nothing was saved yet.")
    assert (refusal.status_code, refusal.field_errors, refusal.params) == (409, {}, {})
    assert [v.booking_id for v in refusal.victims] == [7]


def test_victims_to_resolve_with_field_errors_is_unprocessable_and_keeps_its_own_message_and_values():
    refusal = policy_changes.VictimsToResolve([], "Booking %(id)s cannot be kept as it is.",
                                              field_errors={"reason": ["Too long"]}, id=7)

    assert (refusal.message, refusal.params) == ("Booking %(id)s cannot be kept as it is.", {"id": 7})
    assert (refusal.status_code, refusal.field_errors) == (422, {"reason": ["Too long"]})


@pytest.mark.parametrize(("locale", "holiday"), [(None, "海の日"), ("en", "Marine Day")])
def test_a_dry_run_names_the_holiday_a_victim_would_fall_on_in_the_given_language(
        create_space, create_booking, member, locale, holiday):
    from datetime import date, datetime, time
    from zoneinfo import ZoneInfo

    from booking.models import HolidayOpening

    marine_day = date(2030, 7, 15)
    hall = create_space(close_on_holidays=True, holiday_country="JP")
    db.session.add(HolidayOpening(space_id=hall.id, day_date=marine_day))
    db.session.commit()
    start = datetime.combine(marine_day, time(10), ZoneInfo("Asia/Tokyo"))
    on_holiday = create_booking(hall, member, start, start + timedelta(hours=1))

    def no_opening(session, space: Space) -> None:
        session.execute(db.delete(HolidayOpening).where(HolidayOpening.space_id == space.id))

    now = datetime.combine(marine_day - timedelta(days=30), time(0), ZoneInfo("UTC"))
    options = {} if locale is None else {"locale": locale}
    [victim] = policy_changes.dry_run(hall.id, no_opening, now=now, **options)

    assert victim.booking_id == on_holiday.id
    assert [(c.code, c.params["reason"]) for c in victim.conflicts] == [("closed", holiday)]


def test_a_dry_run_makes_its_change_under_the_spaces_write_lock(create_space, member, locked_spaces):
    studio = create_space(max_minutes=240)
    locked = locked_spaces
    locked.clear()  # what the setup locked

    assert policy_changes.dry_run(studio.id, shorter_limit) == []
    assert locked == [studio.id]
