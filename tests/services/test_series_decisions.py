"""Deciding a series as one request, at the edges: dates decided meanwhile, the database's refusal,
the decision's own clock and language; who may read a series; a missing date's message."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking.domain.recurrence import Freq, RecurrenceRule
from booking.extensions import db
from booking.models import Booking, BookingEvent, Space
from booking.services import NotFound, series
from booking.services import staff as staff_service
from booking.services.bookings import cancel_booking
from booking.services.series import SeriesInput, book_series, decide_series, get_series, preview_series

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST = datetime.now(TOKYO).date() + timedelta(days=8)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), TOKYO)


def weekly(space_id: int, first: date = FIRST, count: int = 3) -> SeriesInput:
    rule = RecurrenceRule(Freq.WEEKLY, weekdays=(first.weekday(),), count=count)
    return SeriesInput(space_id, "Weekly recording", first, time(10), time(12), rule)


def requested(member, space, first: date = FIRST, count: int = 3):
    outcome = book_series(member, weekly(space.id, first, count), [first + timedelta(weeks=n) for n in range(count)])
    assert outcome.series is not None and [b.status for b in outcome.booked] == ["pending"] * count
    return outcome.series.id, [b.id for b in outcome.booked]


def results(decisions) -> list[tuple[int, str, list[str]]]:
    return [(d.booking_id, d.result, [c.code for c in d.conflicts]) for d in decisions]


@pytest.fixture
def people(create_user):
    return create_user(name="Member Mori"), create_user(role="staff", name="Staff Sato")


def test_dates_the_member_cancels_while_staff_decide_are_stale_and_the_rest_decided(
        create_space, people, monkeypatch):
    member, staff = people
    studio = create_space(requires_approval=True, pending_holds=False)
    series_id, ids = requested(member, studio)
    read = series.pending_occurrences

    def read_then_member_cancels(*args, **kwargs):
        pending = read(*args, **kwargs)
        cancel_booking(member, ids[0])
        cancel_booking(member, ids[2])
        return pending

    monkeypatch.setattr(series, "pending_occurrences", read_then_member_cancels)
    decisions = decide_series(staff, series_id, ids[:1], note="Another programme that week")

    assert results(decisions) == [(ids[0], "stale", []), (ids[1], "rejected", []), (ids[2], "stale", [])]
    db.session.expire_all()
    assert [db.session.get(Booking, i).status for i in ids] == ["cancelled", "rejected", "cancelled"]


def test_a_date_the_database_refuses_is_refused_as_taken_and_the_other_dates_are_approved(
        create_space, create_booking, create_user, people, monkeypatch):
    member, staff = people
    studio = create_space(requires_approval=True, pending_holds=False)
    series_id, ids = requested(member, studio, count=2)
    # A rival's booking written after the rules were checked: only the database's guard sees it.
    create_booking(studio, create_user(), at(FIRST, 11), at(FIRST, 13))
    monkeypatch.setattr(staff_service, "_checked_units", lambda session, booking, now, locale: [1])

    decisions = decide_series(staff, series_id, ids, note="")

    assert results(decisions) == [(ids[0], "refused", ["overlap"]), (ids[1], "approved", [])]
    assert decisions[0].conflicts[0].message == staff_service._taken_conflict(studio).message
    db.session.expire_all()
    assert [db.session.get(Booking, i).status for i in ids] == ["pending", "confirmed"]
    approval = db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == ids[1],
                                                             BookingEvent.to_status == "confirmed")).one()
    assert approval.actor_id == staff.id  # the deciding staff, on the trail


def test_a_desk_date_the_database_refuses_is_refused_for_too_few_desks(
        create_space, create_booking, create_user, people, monkeypatch):
    member, staff = people
    desks = create_space(kind="pooled", unit_count=2, requires_approval=True, pending_holds=False)
    series_id, ids = requested(member, desks, count=1)
    create_booking(desks, create_user(), at(FIRST, 11), at(FIRST, 13), units=(1,))
    monkeypatch.setattr(staff_service, "_checked_units", lambda session, booking, now, locale: [1])

    assert results(decide_series(staff, series_id, ids, note="")) == [(ids[0], "refused", ["capacity"])]


def test_a_date_past_its_start_at_the_decision_time_is_left_out_of_the_decision(create_space, people):
    member, staff = people
    studio = create_space(requires_approval=True, pending_holds=False)
    series_id, ids = requested(member, studio)
    decided_at = at(FIRST, 11)  # the first date has started: it lapsed unanswered

    assert [b.id for b in series.pending_occurrences(staff, series_id, decided_at)] == ids[1:]
    decisions = decide_series(staff, series_id, ids, note="", now=decided_at)

    assert results(decisions) == [(ids[1], "approved", []), (ids[2], "approved", [])]


def test_a_single_date_series_is_decided_with_holiday_names_in_japanese_by_default(create_space, people):
    member, staff = people
    new_year = date(FIRST.year + 1, 1, 1)
    studio = create_space(requires_approval=True, pending_holds=False, max_days_ahead=800)
    series_id, ids = requested(member, studio, first=new_year, count=1)
    db.session.get(Space, studio.id).close_on_holidays = True  # decided on after the request
    db.session.commit()

    ja = decide_series(staff, series_id, ids, note="")
    en = decide_series(staff, series_id, ids, note="", locale="en")

    assert results(ja) == [(ids[0], "refused", ["closed"])]
    assert "元日" in ja[0].conflicts[0].render()
    assert "New Year" in en[0].conflicts[0].render()


def test_a_series_is_read_by_its_member_and_by_staff_and_by_nobody_else(create_space, create_user, people):
    member, staff = people
    series_id, _ids = requested(member, create_space(requires_approval=True))

    assert get_series(member, series_id).id == series_id
    assert get_series(staff, series_id).id == series_id
    with pytest.raises(NotFound):
        get_series(create_user(name="Someone else"), series_id)
    with pytest.raises(NotFound):
        get_series(staff, series_id + 1000)


def test_a_date_the_month_lacks_says_which_month_has_no_such_day(create_space, create_user):
    member, studio = create_user(), create_space(max_days_ahead=800)
    first = date(FIRST.year + 1, 1, 31)
    rule = RecurrenceRule(Freq.MONTHLY, month_day=31, count=2)
    items = preview_series(member, SeriesInput(studio.id, "Month end", first, time(10), time(11), rule))

    missing = items[1].conflicts[0]
    assert missing.code == "no_such_date"
    assert missing.message == "No such date: %(month)s has no day %(day)s."
    assert missing.params["day"] == "31"
    assert "31" in missing.render()
