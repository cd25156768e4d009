"""Recurring series: the preview tells every occurrence's fate; booking books the chosen free ones."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from booking.domain.recurrence import Freq, RecurrenceRule
from booking.extensions import db
from booking.models import Booking, BookingEvent, BookingSeries, Closure
from booking.services import NotFound, ServiceError, Stale
from booking.services.series import (
    Scope,
    SeriesInput,
    book_series,
    cancel_occurrences,
    decide_series,
    preview_series,
)
from tests.services.conftest import miss_the_first_lookup

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST = datetime.now(TOKYO).date() + timedelta(days=8)  # a Tokyo day: horizons count local days


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), TOKYO)


def weekly(space_id: int, count: int = 4, start: int = 10, end: int = 12, **fields: object) -> SeriesInput:
    rule = RecurrenceRule(Freq.WEEKLY, weekdays=(FIRST.weekday(),), count=count)
    return SeriesInput(space_id, "Weekly recording", FIRST, time(start), time(end), rule, **fields)  # type: ignore[arg-type]


def codes(items: list) -> list[list[str]]:
    return [[c.code for c in item.conflicts] for item in items]


def test_preview_names_each_conflict_and_writes_nothing(create_user, create_space, create_booking):
    member, studio = create_user(), create_space()
    create_booking(studio, create_user(), at(FIRST + timedelta(weeks=1), 11), at(FIRST + timedelta(weeks=1), 13))
    db.session.add(Closure(space_id=studio.id, start_dt=at(FIRST + timedelta(weeks=2), 0),
                           end_dt=at(FIRST + timedelta(weeks=2), 23), reason="床の張り替え"))
    db.session.commit()
    items = preview_series(member, weekly(studio.id))
    assert [i.day for i in items] == [FIRST + timedelta(weeks=n) for n in range(4)]
    assert codes(items) == [[], ["overlap"], ["closed"], []]
    assert "床の張り替え" in items[2].conflicts[0].render()
    assert db.session.scalar(select(BookingSeries.id)) is None


def test_booking_the_chosen_dates_makes_ordinary_linked_bookings(create_user, create_space):
    member, studio = create_user(), create_space()
    chosen = [FIRST, FIRST + timedelta(weeks=2), FIRST + timedelta(weeks=3)]
    outcome = book_series(member, weekly(studio.id), chosen)
    assert outcome.series is not None and outcome.series.rrule.startswith("FREQ=WEEKLY;BYDAY=")
    bookings = list(db.session.scalars(select(Booking).order_by(Booking.start_dt)))
    assert [b.start_dt.astimezone(TOKYO).date() for b in bookings] == chosen
    assert {b.series_id for b in bookings} == {outcome.series.id}
    assert len({b.uid for b in bookings}) == 3 and {b.status for b in bookings} == {"confirmed"}
    trail = db.session.scalars(select(BookingEvent.booking_id).where(BookingEvent.action == "requested"))
    assert sorted(trail) == sorted(b.id for b in bookings)


def test_an_occurrence_taken_after_the_preview_is_reported_and_the_others_booked(
    create_user, create_space, create_booking
):
    member, studio = create_user(), create_space()
    data = weekly(studio.id, count=3)
    assert codes(preview_series(member, data)) == [[], [], []]
    lost = FIRST + timedelta(weeks=1)
    create_booking(studio, create_user(), at(lost, 10), at(lost, 11))
    outcome = book_series(member, data, [i.day for i in preview_series(member, data)])
    assert codes(outcome.items) == [[], ["overlap"], []]
    assert len(outcome.booked) == 2 and outcome.items[1].booking is None


def test_a_booking_longer_than_the_interval_meets_its_own_next_occurrence(create_user, create_space):
    member = create_user()
    hall = create_space(hours={d: ((time(0), time(0)),) for d in range(7)}, max_minutes=60 * 24 * 9)
    data = weekly(hall.id, count=3, start=9, end=9, end_days=8)
    assert codes(preview_series(member, data)) == [[], ["overlap"], []]
    assert codes(book_series(member, data, [i.day for i in preview_series(member, data)]).items) == [
        [], ["overlap"], []]


def test_quota_is_per_occurrence_and_the_preview_shows_which_exceed(create_user, create_space):
    member, studio = create_user(), create_space(quota_active_bookings=2)
    assert codes(preview_series(member, weekly(studio.id, count=3))) == [[], [], ["quota"]]


def test_an_hours_quota_counts_the_members_own_booking_the_day_before_a_date(
        create_user, create_space, create_booking):
    member, studio = create_user(), create_space(quota_hours_per_week=3)
    day_before = FIRST - timedelta(days=1)
    create_booking(studio, member, at(day_before, 10), at(day_before, 12))
    # 2 h the day before and 2 h on the date are 4 h in a week; the next date, a week on, is free.
    assert codes(preview_series(member, weekly(studio.id, count=2))) == [["quota"], []]


def test_an_hours_quota_leaves_out_other_members_bookings_and_ones_own_cancelled_ones(
        create_user, create_space, create_booking):
    member, studio = create_user(), create_space(quota_hours_per_week=3)
    day_before = FIRST - timedelta(days=1)
    create_booking(studio, create_user(), at(day_before, 10), at(day_before, 12))
    create_booking(studio, member, at(day_before, 14), at(day_before, 16), status="cancelled")
    assert codes(preview_series(member, weekly(studio.id, count=2))) == [[], []]


def test_a_date_the_month_lacks_is_no_such_date_and_never_booked(create_user, create_space):
    member, studio = create_user(), create_space(max_days_ahead=14)
    rule = RecurrenceRule(Freq.MONTHLY, month_day=31, count=3)
    first = date(FIRST.year + 1, 1, 31)
    data = SeriesInput(studio.id, "Month end", first, time(10), time(11), rule)
    items = preview_series(member, data)
    assert [(i.day.month, [c.code for c in i.conflicts]) for i in items] == [
        (1, ["horizon"]), (2, ["no_such_date"]), (3, ["horizon"]), (4, ["no_such_date"]), (5, ["horizon"])]


def test_a_series_whose_only_date_the_month_lacks_is_previewed_as_no_such_date(create_user, create_space):
    member, studio = create_user(), create_space()
    february = date(FIRST.year + 1, 2, 1)
    rule = RecurrenceRule(Freq.MONTHLY, month_day=31, until=date(february.year, 2, 28))
    items = preview_series(member, SeriesInput(studio.id, "Month end", february, time(10), time(11), rule))
    assert [[c.code for c in i.conflicts] for i in items] == [["no_such_date"]]


def test_staff_override_the_horizon_with_a_reason(create_user, create_space):
    staff, studio = create_user(role="staff"), create_space(max_days_ahead=14)
    assert codes(preview_series(staff, weekly(studio.id))) == [[], ["horizon"], ["horizon"], ["horizon"]]
    with pytest.raises(ServiceError):
        preview_series(staff, weekly(studio.id), overrides=frozenset({"horizon"}))
    items = preview_series(staff, weekly(studio.id), overrides=frozenset({"horizon"}), override_reason="季節番組")
    assert codes(items) == [[], [], [], []]
    with pytest.raises(ServiceError):
        preview_series(create_user(), weekly(studio.id), overrides=frozenset({"horizon"}), override_reason="x")


def test_cancel_one_following_and_all(create_user, create_space):
    member, studio = create_user(), create_space()
    booked = book_series(member, weekly(studio.id, count=5), [FIRST + timedelta(weeks=n) for n in range(5)]).booked
    ids = [b.id for b in booked]
    assert [b.id for b in cancel_occurrences(member, ids[1], Scope.ONE)] == [ids[1]]
    assert [b.id for b in cancel_occurrences(member, ids[3], Scope.FOLLOWING)] == ids[3:]
    assert [b.id for b in cancel_occurrences(member, ids[2], Scope.ALL)] == [ids[0], ids[2]]
    with pytest.raises(Stale):
        cancel_occurrences(member, ids[0], Scope.ALL)
    with pytest.raises(NotFound):
        cancel_occurrences(create_user(), ids[0], Scope.ONE)
    db.session.expire_all()
    assert {b.status for b in db.session.scalars(select(Booking))} == {"cancelled"}


def test_a_cancelled_date_can_be_booked_again(create_user, create_space):
    member, studio = create_user(), create_space()
    first = book_series(member, weekly(studio.id, count=2), [FIRST, FIRST + timedelta(weeks=1)]).booked
    cancel_occurrences(member, first[1].id, Scope.ONE)
    again = book_series(member, weekly(studio.id, count=2), [FIRST + timedelta(weeks=1)])
    assert codes(again.items) == [[]] and len(again.booked) == 1


def test_nothing_chosen_is_refused(create_user, create_space):
    with pytest.raises(ServiceError):
        book_series(create_user(), weekly(create_space().id), [])


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    taken=st.lists(st.tuples(st.integers(0, 9), st.integers(9, 19)), max_size=6),
    start=st.integers(9, 18),
    length=st.integers(1, 3),
    interval=st.integers(1, 2),
    quota=st.sampled_from([None, 2, 4]),
    hours_limit=st.sampled_from([None, 3, 6]),
)
def test_preview_and_booking_agree(app, create_user, create_space, create_booking, taken, start, length,
                                   interval, quota, hours_limit):
    member = create_user()
    space = create_space(quota_active_bookings=quota, quota_hours_per_week=hours_limit, max_days_ahead=40)
    other = create_user()
    for week, hour in taken:
        day = FIRST + timedelta(weeks=week)
        if not db.session.scalars(select(Booking).where(Booking.space_id == space.id,
                                                        Booking.start_dt == at(day, hour))).first():
            create_booking(space, other, at(day, hour), at(day, hour + 1))
    rule = RecurrenceRule(Freq.WEEKLY, interval, weekdays=(FIRST.weekday(), (FIRST.weekday() + 2) % 7), count=8)
    data = SeriesInput(space.id, "Property", FIRST, time(start), time(min(start + length, 21)), rule)
    preview = preview_series(member, data)
    booked = book_series(member, data, [i.day for i in preview])
    assert [(i.day, codes([i])) for i in booked.items] == [(i.day, codes([i])) for i in preview]
    assert [i.booking is not None for i in booked.items] == [i.is_free for i in preview]


def test_staff_approve_some_dates_of_a_series_and_reject_the_rest_with_a_note(
    create_user, create_space, create_booking
):
    member, staff = create_user(), create_user(role="staff")
    studio = create_space(requires_approval=True, pending_holds=False)
    outcome = book_series(member, weekly(studio.id, count=3), [FIRST + timedelta(weeks=n) for n in range(3)])
    ids = [b.id for b in outcome.booked]
    assert outcome.series is not None and [b.status for b in outcome.booked] == ["pending"] * 3
    # a closure arrives on the first date after the request: approving it is refused, it stays pending
    db.session.add(Closure(space_id=studio.id, start_dt=at(FIRST, 0), end_dt=at(FIRST, 23), reason="点検"))
    db.session.commit()
    with pytest.raises(ServiceError):
        decide_series(staff, outcome.series.id, ids[:2], note="")
    decisions = decide_series(staff, outcome.series.id, ids[:2], note="その週は別番組です")
    assert [(d.booking_id, d.result, [c.code for c in d.conflicts]) for d in decisions] == [
        (ids[0], "refused", ["closed"]), (ids[1], "approved", []), (ids[2], "rejected", [])]
    db.session.expire_all()
    assert [db.session.get(Booking, i).status for i in ids] == ["pending", "confirmed", "rejected"]
    rejection = db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == ids[2],
                                                              BookingEvent.to_status == "rejected")).one()
    assert (rejection.actor_id, rejection.note) == (staff.id, "その週は別番組です")  # the deciding staff, on the trail
    with pytest.raises(NotFound):
        decide_series(member, outcome.series.id, ids, note="")


def test_a_moved_date_is_judged_and_booked_at_its_own_time(create_user, create_space, create_booking):
    member, studio = create_user(), create_space()
    second = FIRST + timedelta(weeks=1)
    create_booking(studio, create_user(), at(second, 10), at(second, 11))
    data = weekly(studio.id, count=3, moved=((second, time(14), time(16)),))
    assert codes(preview_series(member, data)) == [[], [], []]
    booked = book_series(member, data, [FIRST + timedelta(weeks=n) for n in range(3)]).booked
    assert [(b.start_dt, b.end_dt) for b in booked][1] == (at(second, 14), at(second, 16))
    assert [b.start_dt for b in booked][::2] == [at(FIRST, 10), at(FIRST + timedelta(weeks=2), 10)]


def test_a_series_decision_asks_for_a_note_when_rejecting_and_takes_one_of_at_most_the_note_limit(
    create_user, create_space
):
    from booking.services import staff as staff_service

    member, staff = create_user(), create_user(role="staff")
    studio = create_space(requires_approval=True, pending_holds=False)
    outcome = book_series(member, weekly(studio.id, count=2), [FIRST + timedelta(weeks=n) for n in range(2)])
    assert outcome.series is not None
    ids = [b.id for b in outcome.booked]
    limit = staff_service.NOTE_MAX

    with pytest.raises(ServiceError) as missing:
        decide_series(staff, outcome.series.id, ids[:1], note="  ")
    with pytest.raises(ServiceError) as too_long:
        decide_series(staff, outcome.series.id, ids[:1], note="x" * (limit + 1))

    assert (missing.value.message, missing.value.params) == (
        "Write a note for the member: why the request is rejected.", {})
    assert (too_long.value.message, too_long.value.params) == (
        "The note is too long (at most %(max)s characters).", {"max": limit})
    decisions = decide_series(staff, outcome.series.id, ids[:1], note="x" * limit)
    assert [(d.booking_id, d.result) for d in decisions] == [(ids[0], "approved"), (ids[1], "rejected")]


def test_a_public_series_books_public_dates(create_user, create_space):
    member, studio = create_user(), create_space()

    booked = book_series(member, weekly(studio.id, count=2, is_public=True), [FIRST, FIRST + timedelta(weeks=1)]).booked

    db.session.expire_all()
    assert [db.session.get(Booking, b.id).is_public for b in booked] == [True, True]


def test_the_dates_to_cancel_are_shown_to_the_member_and_staff_and_to_nobody_else(create_user, create_space):
    from booking.services.series import occurrences_to_cancel

    member, studio = create_user(), create_space()
    ids = [b.id for b in book_series(member, weekly(studio.id, count=3),
                                     [FIRST + timedelta(weeks=n) for n in range(3)]).booked]

    assert [b.id for b in occurrences_to_cancel(member, ids[1], Scope.FOLLOWING)] == ids[1:]
    assert [b.id for b in occurrences_to_cancel(create_user(role="staff"), ids[0], Scope.ALL)] == ids
    with pytest.raises(NotFound):
        occurrences_to_cancel(create_user(), ids[0], Scope.ONE)
    with pytest.raises(NotFound):
        occurrences_to_cancel(member, 999_999, Scope.ONE)


def test_a_single_booking_lists_itself_to_cancel_but_has_no_series_to_cancel(create_user, create_space):
    from booking.services.bookings import BookingInput, request_booking
    from booking.services.series import occurrences_to_cancel

    member, studio = create_user(), create_space()
    single = request_booking(member, BookingInput(studio.id, at(FIRST, 10), at(FIRST, 11), "Talk")).booking

    assert [b.id for b in occurrences_to_cancel(member, single.id, Scope.ONE)] == [single.id]
    with pytest.raises(NotFound):
        occurrences_to_cancel(member, single.id, Scope.ALL)


def test_booking_and_deciding_a_series_run_under_its_spaces_write_lock(create_user, create_space, locked_spaces):
    member, hall = create_user(), create_space(requires_approval=True)
    outcome = book_series(member, weekly(hall.id, count=2), [FIRST, FIRST + timedelta(weeks=1)])
    assert locked_spaces[:1] == [hall.id]
    locked_spaces.clear()

    decisions = decide_series(create_user(role="staff"), outcome.series.id, [b.id for b in outcome.booked], note="")

    assert [d.result for d in decisions] == ["approved", "approved"]
    assert locked_spaces[:1] == [hall.id]


def test_the_dates_to_cancel_are_in_time_order_after_a_date_was_moved_past_the_others(create_user, create_space):
    from booking.services.changes import BookingChange, change_booking
    from booking.services.series import occurrences_to_cancel

    member, studio = create_user(), create_space()
    ids = [b.id for b in book_series(member, weekly(studio.id, count=3),
                                     [FIRST + timedelta(weeks=n) for n in range(3)]).booked]
    last_week = FIRST + timedelta(weeks=3)
    assert change_booking(member, ids[0], BookingChange(at(last_week, 10), at(last_week, 12), "Weekly recording",
                                                        False)).ok

    assert [b.id for b in occurrences_to_cancel(member, ids[1], Scope.ALL)] == [ids[1], ids[2], ids[0]]


def test_a_series_names_the_holiday_a_date_falls_on_in_the_language_of_the_request(create_user, create_space):
    marine_day = date(2030, 7, 15)  # a Monday
    hall = create_space(close_on_holidays=True, holiday_country="JP")
    rule = RecurrenceRule(Freq.WEEKLY, weekdays=(marine_day.weekday(),), count=1)
    data = SeriesInput(hall.id, "Talk", marine_day, time(10), time(11), rule)

    outcome = book_series(create_user(), data, [marine_day], now=datetime(2030, 6, 3, tzinfo=TOKYO), locale="en")

    assert [(c.code, c.params["reason"]) for c in outcome.items[0].conflicts] == [("closed", "Marine Day")]


def test_a_date_that_cannot_be_rendered_ahead_of_the_lock_is_logged_and_still_booked(
        create_user, create_space, monkeypatch, caplog):
    import logging

    from booking.services import bookings

    def broken(*args):
        raise ValueError("no template")

    monkeypatch.setattr(bookings, "render_booking", broken)
    studio = create_space()

    with caplog.at_level(logging.DEBUG, logger=bookings.log.name):
        outcome = book_series(create_user(), weekly(studio.id, count=1), [FIRST])

    assert len(outcome.booked) == 1
    assert any(r.getMessage().startswith("could not render booking ") for r in caplog.records)


def test_a_series_form_sent_at_once_to_a_second_space_books_again_under_its_lock_and_returns_the_first(
        create_user, create_space, locked_spaces, monkeypatch):
    from booking.services import series as series_service

    member, studio, hall = create_user(), create_space(), create_space()
    first = book_series(member, weekly(studio.id, count=1, submit_token="series-token"), [FIRST])
    miss_the_first_lookup(monkeypatch, series_service, "submitted_series")  # the hall's lock looks first
    locked_spaces.clear()

    again = book_series(member, weekly(hall.id, count=1, submit_token="series-token"), [FIRST])

    assert again.is_repeat and again.series.id == first.series.id
    assert locked_spaces[:2] == [hall.id, hall.id]  # the refused try, and the second under the lock again
    assert db.session.scalar(select(func.count()).select_from(BookingSeries)) == 1


def test_staff_overriding_a_rule_for_a_series_store_the_reason_on_every_date(create_user, create_space):
    staff, studio = create_user(role="staff"), create_space(max_days_ahead=14)

    outcome = book_series(staff, weekly(studio.id, count=3), [FIRST + timedelta(weeks=n) for n in range(3)],
                          overrides=frozenset({"horizon"}), override_reason="季節番組")

    db.session.expire_all()
    assert [db.session.get(Booking, b.id).override_reason for b in outcome.booked] == ["季節番組"] * 3


def test_each_date_of_a_series_is_requested_on_the_trail_at_the_time_it_was_booked(create_user, create_space):
    member, studio = create_user(), create_space()
    now = datetime.combine(FIRST - timedelta(days=3), time(9), TOKYO)

    booked = book_series(member, weekly(studio.id, count=2), [FIRST, FIRST + timedelta(weeks=1)], now=now).booked

    events = db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id.in_([b.id for b in booked]))).all()
    assert [(e.action, e.at) for e in events] == [("requested", now), ("requested", now)]


def test_booking_a_series_with_no_date_chosen_asks_for_one(create_user, create_space):
    with pytest.raises(ServiceError) as refused:
        book_series(create_user(), weekly(create_space().id), [])

    assert refused.value.message == "Choose at least one date to book."
