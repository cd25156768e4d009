"""Changing the time or title of this and all following occurrences: previewed, then re-checked under the lock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking.domain.recurrence import Freq, RecurrenceRule
from booking.extensions import db
from booking.models import Booking, BookingEvent, OutboxMessage
from booking.services import NotFound, ServiceError, changes
from booking.services.changes import TITLE_MAX, BookingChange, change_booking
from booking.services.series import Scope, SeriesInput, book_series, cancel_occurrences, decide_series
from booking.services.series_changes import SeriesChange, change_following, preview_change
from booking.services.spaces import national_holidays
from tests.services.test_series import FIRST, TOKYO, at, weekly


def book(member, space, count=4):
    return book_series(member, weekly(space.id, count=count), [FIRST + timedelta(weeks=n) for n in range(count)]).booked


def local_hours(booking_ids):
    db.session.expire_all()
    rows = [db.session.get(Booking, i) for i in booking_ids]
    return [(b.start_dt.astimezone(TOKYO).hour, b.end_dt.astimezone(TOKYO).hour, b.title) for b in rows]


def test_preview_shows_each_following_date_and_its_conflict_and_changes_nothing(
        create_user, create_space, create_booking):
    member, studio = create_user(), create_space()
    booked = book(member, studio)
    ids = [b.id for b in booked]
    create_booking(studio, create_user(), at(FIRST + timedelta(weeks=2), 13), at(FIRST + timedelta(weeks=2), 14))
    outbox_before = len(db.session.scalars(select(OutboxMessage)).all())
    items = preview_change(member, ids[1], SeriesChange(time(12), time(14), "Evening recording"))
    assert [i.booking_id for i in items] == ids[1:]
    assert [[c.code for c in i.conflicts] for i in items] == [[], ["overlap"], []]
    assert [i.new_start_dt for i in items] == [at(FIRST + timedelta(weeks=n), 12) for n in (1, 2, 3)]
    assert local_hours(ids) == [(10, 12, "Weekly recording")] * 4
    assert len(db.session.scalars(select(OutboxMessage)).all()) == outbox_before


def test_change_moves_the_free_dates_keeps_the_conflicting_one_and_retitles_all(
        create_user, create_space, create_booking):
    member, studio = create_user(), create_space()
    ids = [b.id for b in book(member, studio)]
    uids = [db.session.get(Booking, i).uid for i in ids]
    create_booking(studio, create_user(), at(FIRST + timedelta(weeks=2), 13), at(FIRST + timedelta(weeks=2), 14))
    db.session.rollback()
    outbox_before = len(db.session.scalars(select(OutboxMessage)).all())
    items = change_following(member, ids[1], SeriesChange(time(12), time(14), "Evening recording"))
    assert [i.is_moved for i in items] == [True, False, True]
    assert local_hours(ids) == [(10, 12, "Weekly recording"), (12, 14, "Evening recording"),
                                (10, 12, "Evening recording"), (12, 14, "Evening recording")]
    assert [db.session.get(Booking, i).uid for i in ids] == uids
    edited = db.session.scalars(select(BookingEvent.booking_id).where(BookingEvent.action == "edited"))
    assert sorted(edited) == ids[1:]
    # one mail for the whole change
    assert len(db.session.scalars(select(OutboxMessage)).all()) == outbox_before + 1


def test_a_private_series_stays_private_on_the_dates_moved_and_on_the_date_kept(
        create_user, create_space, create_booking):
    member, studio = create_user(), create_space()
    ids = [b.id for b in book(member, studio)]
    create_booking(studio, create_user(), at(FIRST + timedelta(weeks=2), 13), at(FIRST + timedelta(weeks=2), 14))
    db.session.rollback()
    items = change_following(member, ids[1], SeriesChange(time(12), time(14), "Evening recording"))
    assert [i.is_moved for i in items] == [True, False, True]
    db.session.expire_all()
    assert [db.session.get(Booking, i).is_public for i in ids] == [False] * 4


def test_the_preview_names_each_following_date_by_its_local_day(create_user, create_space):
    member, studio = create_user(), create_space()
    ids = [b.id for b in book(member, studio)]
    items = preview_change(member, ids[1], SeriesChange(time(12), time(14), "Evening recording"))
    assert [i.day for i in items] == [FIRST + timedelta(weeks=n) for n in (1, 2, 3)]


def test_a_date_whose_new_start_the_clock_change_skips_is_no_such_date(create_user, create_space):
    berlin = ZoneInfo("Europe/Berlin")
    today = datetime.now(berlin).date()
    year = today.year if date(today.year, 3, 20) > today + timedelta(days=8) else today.year + 1
    spring = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)  # clocks forward
    member = create_user()
    studio = create_space(timezone="Europe/Berlin", max_days_ahead=400,
                          hours={d: ((time(0), time(0)),) for d in range(7)})
    rule = RecurrenceRule(Freq.WEEKLY, weekdays=(6,), count=2)
    data = SeriesInput(studio.id, "Sunday recording", spring - timedelta(weeks=1), time(10), time(12), rule)
    booked = book_series(member, data, [spring - timedelta(weeks=1), spring]).booked
    items = preview_change(member, booked[0].id, SeriesChange(time(2, 30), time(4), "Night recording"))
    assert [(i.day, [c.code for c in i.conflicts]) for i in items] == [
        (spring - timedelta(weeks=1), []), (spring, ["no_such_date"])]


def test_a_change_names_a_closed_holiday_in_the_language_asked(create_user, create_space):
    first = FIRST + timedelta(days=7)
    holiday, name = min((day, name) for day, name in national_holidays("JP", first.year + 1, "en_US").items()
                        if day.weekday() == first.weekday())  # a holiday on the series' weekday, next year
    member = create_user()
    studio = create_space(max_days_ahead=800, close_on_holidays=False,
                          hours={d: ((time(0), time(0)),) for d in range(7)})
    rule = RecurrenceRule(Freq.WEEKLY, weekdays=(holiday.weekday(),), count=2)
    data = SeriesInput(studio.id, "Weekly recording", holiday - timedelta(weeks=1), time(10), time(12), rule)
    booked = book_series(member, data, [holiday - timedelta(weeks=1), holiday]).booked
    studio.close_on_holidays = True
    db.session.commit()
    change = SeriesChange(time(13), time(15), "Afternoon recording")
    for items in (preview_change(member, booked[0].id, change, locale="en"),
                  change_following(member, booked[0].id, change, locale="en")):
        assert [[(c.code, c.params.get("reason")) for c in i.conflicts] for i in items] == [[], [("closed", name)]]


def test_a_date_taken_between_preview_and_change_keeps_its_time(create_user, create_space, create_booking):
    member, studio = create_user(), create_space()
    ids = [b.id for b in book(member, studio, count=2)]
    change = SeriesChange(time(14), time(15), "Weekly recording")
    assert [i.conflicts for i in preview_change(member, ids[0], change)] == [[], []]
    create_booking(studio, create_user(), at(FIRST, 14), at(FIRST, 15))
    items = change_following(member, ids[0], change)
    assert [[c.code for c in i.conflicts] for i in items] == [["overlap"], []]
    assert local_hours(ids) == [(10, 12, "Weekly recording"), (14, 15, "Weekly recording")]


def test_dates_cancelled_or_of_another_member_are_not_changed(create_user, create_space):
    member, studio = create_user(), create_space()
    ids = [b.id for b in book(member, studio, count=3)]
    cancel_occurrences(member, ids[1], Scope.ONE)
    items = change_following(member, ids[0], SeriesChange(time(11), time(12), "Moved"))
    assert [i.booking_id for i in items] == [ids[0], ids[2]]
    with pytest.raises(NotFound):
        preview_change(create_user(), ids[0], SeriesChange(time(11), time(12), "Mine now"))
    with pytest.raises(ServiceError):
        preview_change(member, ids[0], SeriesChange(time(11), time(12), "  "))


def test_outside_opening_hours_is_refused_like_a_single_change(create_user, create_space):
    member, studio = create_user(), create_space()
    ids = [b.id for b in book(member, studio, count=2)]
    items = preview_change(member, ids[0], SeriesChange(time(6), time(7), "Dawn"))
    assert [[c.code for c in i.conflicts] for i in items] == [["hours"], ["hours"]]


def test_a_member_change_in_an_approval_space_becomes_a_proposal_per_date(create_user, create_space):
    member, staff = create_user(), create_user(role="staff")
    hall = create_space(requires_approval=True)
    outcome = book_series(member, weekly(hall.id, count=2), [FIRST, FIRST + timedelta(weeks=1)])
    ids = [b.id for b in outcome.booked]
    decide_series(staff, outcome.series.id, ids, note="")
    items = change_following(member, ids[0], SeriesChange(time(13), time(14), "Weekly recording"))
    assert [i.is_proposal for i in items] == [True, True]
    db.session.expire_all()
    assert [db.session.get(Booking, i).proposed_start_dt for i in ids] == [
        at(FIRST, 13), at(FIRST + timedelta(weeks=1), 13)]


def test_the_following_dates_are_changed_in_time_order_after_one_was_moved_past_the_others(
        create_user, create_space):
    member, studio = create_user(), create_space()
    ids = [b.id for b in book(member, studio, count=3)]
    last_week = FIRST + timedelta(weeks=3)
    assert change_booking(member, ids[1], BookingChange(at(last_week, 10), at(last_week, 12), "Weekly recording",
                                                        False)).ok
    items = preview_change(member, ids[0], SeriesChange(time(13), time(14), "Afternoon recording"))
    assert [i.booking_id for i in items] == [ids[0], ids[2], ids[1]]


def test_a_date_that_has_started_is_left_out_of_the_change(create_user, create_space):
    member, studio = create_user(), create_space()
    ids = [b.id for b in book(member, studio, count=3)]
    items = preview_change(member, ids[0], SeriesChange(time(13), time(14), "Afternoon recording"),
                           now=at(FIRST + timedelta(weeks=1), 10))
    assert [i.booking_id for i in items] == [ids[2]]


def test_a_date_early_in_the_local_morning_moves_on_its_own_local_day(create_user, create_space):
    member = create_user()
    studio = create_space(hours={d: ((time(0), time(0)),) for d in range(7)})  # 07:00 Tokyo is 22:00 UTC
    ids = [b.id for b in book_series(member, weekly(studio.id, count=2, start=7, end=8),
                                     [FIRST, FIRST + timedelta(weeks=1)]).booked]
    items = change_following(member, ids[0], SeriesChange(time(6), time(8), "Early recording"))
    assert [i.day for i in items] == [FIRST, FIRST + timedelta(weeks=1)]
    assert [i.new_start_dt for i in items] == [at(FIRST, 6), at(FIRST + timedelta(weeks=1), 6)]


def test_a_date_the_clock_change_skips_says_which_time_is_skipped_on_which_day(create_user, create_space):
    berlin = ZoneInfo("Europe/Berlin")
    today = datetime.now(berlin).date()
    year = today.year if date(today.year, 3, 20) > today + timedelta(days=8) else today.year + 1
    spring = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)
    member = create_user()
    studio = create_space(timezone="Europe/Berlin", max_days_ahead=400,
                          hours={d: ((time(0), time(0)),) for d in range(7)})
    data = SeriesInput(studio.id, "Sunday recording", spring, time(10), time(12),
                       RecurrenceRule(Freq.WEEKLY, weekdays=(6,), count=1))
    booked = book_series(member, data, [spring]).booked
    items = preview_change(member, booked[0].id, SeriesChange(time(2, 30), time(4), "Night recording"))
    assert [c.render() for c in items[0].conflicts] == [
        f"No such date: the clocks skip 02:30 on {spring.isoformat()}."]


def test_a_series_of_two_desks_keeps_two_desks_on_the_dates_moved_and_on_the_date_kept(
        create_user, create_space, create_booking):
    member, desks = create_user(), create_space(kind="pooled", unit_count=3)
    booked = book_series(member, weekly(desks.id, count=2, seats=2), [FIRST, FIRST + timedelta(weeks=1)]).booked
    ids = [b.id for b in booked]
    create_booking(desks, create_user(), at(FIRST, 13), at(FIRST, 14), units=(1, 2))
    db.session.rollback()
    items = change_following(member, ids[0], SeriesChange(time(13), time(14), "Afternoon recording"))
    assert [i.is_moved for i in items] == [False, True]
    db.session.expire_all()
    assert [db.session.get(Booking, i).seats for i in ids] == [2, 2]
    assert [len([h for h in db.session.get(Booking, i).holds if h.is_active]) for i in ids] == [2, 2]


def test_a_change_to_an_overnight_time_ends_on_the_next_day(create_user, create_space):
    member = create_user()
    hall = create_space(hours={d: ((time(0), time(0)),) for d in range(7)})
    ids = [b.id for b in book(member, hall, count=2)]
    items = preview_change(member, ids[0], SeriesChange(time(22), time(2), "Night recording", end_days=1))
    assert [(i.new_start_dt, i.new_end_dt) for i in items] == [
        (at(FIRST + timedelta(weeks=n), 22), at(FIRST + timedelta(weeks=n, days=1), 2)) for n in (0, 1)]
    assert [i.conflicts for i in items] == [[], []]


def test_a_date_the_database_guard_refuses_keeps_its_time_and_says_it_was_just_taken(
        create_user, create_space, create_booking, monkeypatch):
    # Pretend the rules saw no other hold (as a racing writer would): the database still refuses.
    member, studio = create_user(), create_space()
    ids = [b.id for b in book(member, studio, count=2)]
    create_booking(studio, create_user(), at(FIRST, 13), at(FIRST, 14))
    db.session.rollback()
    monkeypatch.setattr(changes, "active_holds", lambda *args: [])
    items = change_following(member, ids[0], SeriesChange(time(13), time(14), "Afternoon recording"))
    assert [[c.render() for c in i.conflicts] for i in items] == [
        ["That time was just taken by another booking."], []]
    assert local_hours(ids) == [(10, 12, "Afternoon recording"), (13, 14, "Afternoon recording")]


def test_a_title_of_the_most_characters_is_taken_and_a_longer_one_refused_with_the_limit(
        create_user, create_space):
    member, studio = create_user(), create_space()
    ids = [b.id for b in book(member, studio, count=1)]
    longest = "x" * TITLE_MAX
    assert [i.booking_id for i in preview_change(member, ids[0], SeriesChange(time(13), time(14), longest))] == ids
    with pytest.raises(ServiceError) as refused:
        preview_change(member, ids[0], SeriesChange(time(13), time(14), longest + "x"))
    assert (refused.value.message, refused.value.params) == (
        "Enter a title (at most %(max)s characters).", {"max": TITLE_MAX})


def test_a_change_with_every_date_started_or_cancelled_says_nothing_is_left(create_user, create_space):
    member, studio = create_user(), create_space()
    ids = [b.id for b in book(member, studio, count=2)]
    cancel_occurrences(member, ids[1], Scope.ONE)
    with pytest.raises(ServiceError) as refused:
        change_following(member, ids[0], SeriesChange(time(13), time(14), "Moved"), now=at(FIRST, 11))
    assert refused.value.message == "Nothing left to change: these dates have started or were cancelled."


def test_a_series_change_runs_under_its_spaces_write_lock(create_user, create_space, locked_spaces):
    member, studio = create_user(), create_space()
    ids = [b.id for b in book(member, studio, count=1)]
    locked_spaces.clear()
    change_following(member, ids[0], SeriesChange(time(13), time(14), "Moved"))
    assert locked_spaces[0] == studio.id  # the change itself; what follows the commit locks no space
