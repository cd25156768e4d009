"""request_booking, pinned where mutation testing found it loose (issue 8): what is stored, the
audit entry, staff booking for a member, chosen desks, and which bookings a quota counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, BookingEvent
from booking.services import NotFound, ServiceError
from booking.services import bookings as booking_service
from booking.services.bookings import BookingInput, cancel_booking, request_booking
from booking.services.my_bookings import my_bookings
from tests.services.conftest import hours, written

# A fixed clock: 2030-06-03 is a Monday; midnight UTC is 09:00 in Tokyo.
NOW = datetime(2030, 6, 3, 0, 0, tzinfo=UTC)
MONDAY_TEN = NOW + timedelta(days=7, hours=1)  # 10:00 in Tokyo, a week ahead


def ask(member, space, start, end, **fields):
    keywords = {k: fields.pop(k) for k in ("overrides", "override_reason", "booked_by") if k in fields}
    data = BookingInput(space_id=space.id, start_dt=start, end_dt=end, **{"title": "Recording", **fields})
    return request_booking(member, data, now=NOW, **keywords)


def codes(outcome):
    return [c.code for c in outcome.conflicts]


def stored(booking_id: int) -> Booking:
    db.session.expire_all()
    booking = db.session.get(Booking, booking_id)
    assert booking is not None
    return booking


def events(booking_id: int) -> list[BookingEvent]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(BookingEvent).where(BookingEvent.booking_id == booking_id)))


# --- what is stored --------------------------------------------------------------------------


def test_every_field_of_the_request_is_stored_with_the_booking(create_user, create_space):
    member, pool = create_user(), create_space(kind="pooled", unit_count=6)
    before = datetime.now(UTC)
    outcome = ask(member, pool, MONDAY_TEN, MONDAY_TEN + hours(2), title="Hackathon", seats=3,
                  purpose="Open data workshop", attendees=3, is_public=True)
    booking = stored(outcome.booking.id)
    assert (booking.title, booking.seats, booking.purpose, booking.attendees, booking.is_public) == (
        "Hackathon", 3, "Open data workshop", 3, True)
    assert (booking.space_id, booking.user_id, booking.status) == (pool.id, member.id, "confirmed")
    assert (booking.start_dt, booking.end_dt) == (MONDAY_TEN, MONDAY_TEN + hours(2))
    # Change times are the clock read under the space's lock (issue 11), never the rules' `now`.
    assert before <= booking.created_at == booking.updated_at <= datetime.now(UTC)
    assert booking.override_reason == ""
    assert sorted(h.unit_no for h in booking.holds) == [1, 2, 3]
    assert all(h.space_id == pool.id and h.is_active for h in booking.holds)


def test_a_private_booking_stays_private(create_user, create_space):
    outcome = ask(create_user(), create_space(), MONDAY_TEN, MONDAY_TEN + hours(1))
    assert stored(outcome.booking.id).is_public is False


def test_an_unknown_space_is_not_found_and_nothing_is_written(create_user, create_space):
    ghost = create_space()
    ghost_id = ghost.id
    db.session.delete(ghost)
    db.session.commit()

    class Gone:
        id = ghost_id

    with pytest.raises(NotFound):
        ask(create_user(), Gone, MONDAY_TEN, MONDAY_TEN + hours(1))
    assert written() == (0, 0)


# --- the audit entry -------------------------------------------------------------------------


def test_a_request_records_who_asked_when_and_the_new_status(create_user, create_space):
    member = create_user()
    outcome = ask(member, create_space(requires_approval=True), MONDAY_TEN, MONDAY_TEN + hours(1))
    [event] = events(outcome.booking.id)
    assert (event.action, event.actor_id, event.at) == ("requested", member.id, NOW)
    assert (event.from_status, event.to_status, event.note) == (None, "pending", "")


def test_an_override_records_the_staff_member_and_the_trimmed_reason(create_user, create_space):
    staff = create_user(role="staff")
    tight = create_space(min_notice_minutes=24 * 60)
    soon = NOW + hours(1)
    outcome = ask(staff, tight, soon, soon + hours(1), overrides=frozenset({"notice"}),
                  override_reason="  TV crew moved their slot  ")
    assert stored(outcome.booking.id).override_reason == "TV crew moved their slot"
    [event] = events(outcome.booking.id)
    assert (event.action, event.actor_id, event.to_status) == ("overridden", staff.id, "confirmed")
    assert event.note == "TV crew moved their slot"


def test_a_refused_request_records_nothing(create_user, create_space, create_booking):
    room, member = create_space(), create_user()
    create_booking(room, create_user(), MONDAY_TEN, MONDAY_TEN + hours(1))
    outcome = ask(member, room, MONDAY_TEN, MONDAY_TEN + hours(1))
    assert codes(outcome) == ["overlap"]
    assert db.session.scalars(db.select(BookingEvent)).all() == []


# --- staff booking for a member --------------------------------------------------------------


def test_staff_booking_for_a_member_is_confirmed_at_once_and_recorded_as_theirs(create_user, create_space):
    staff, member = create_user(role="staff"), create_user()
    studio = create_space(requires_approval=True)
    outcome = ask(member, studio, MONDAY_TEN, MONDAY_TEN + hours(1), booked_by=staff)
    booking = stored(outcome.booking.id)
    assert (booking.user_id, booking.status) == (member.id, "confirmed")
    [event] = events(booking.id)
    assert (event.actor_id, event.action, event.to_status) == (staff.id, "requested", "confirmed")


def test_a_member_cannot_book_for_someone_else(create_user, create_space):
    member, other = create_user(), create_user()
    with pytest.raises(ServiceError, match="Only staff can book for someone else"):
        ask(other, create_space(), MONDAY_TEN, MONDAY_TEN + hours(1), booked_by=member)
    assert written() == (0, 0)


def test_staff_overrides_apply_when_booking_for_a_member(create_user, create_space):
    staff, member = create_user(role="staff"), create_user()
    tight = create_space(min_notice_minutes=24 * 60)
    soon = NOW + hours(1)
    outcome = ask(member, tight, soon, soon + hours(1), booked_by=staff, overrides=frozenset({"notice"}),
                  override_reason="Press event")
    assert outcome.ok
    [event] = events(outcome.booking.id)
    assert (event.action, event.actor_id) == ("overridden", staff.id)


def test_a_member_booked_for_by_staff_cannot_name_overrides_as_themselves(create_user, create_space):
    member = create_user()
    with pytest.raises(ServiceError):
        ask(member, create_space(min_notice_minutes=24 * 60), NOW + hours(1), NOW + hours(2),
            overrides=frozenset({"notice"}), override_reason="Please")


# --- chosen desks ----------------------------------------------------------------------------


def test_chosen_desks_that_are_taken_are_refused_with_a_clear_message(create_user, create_space, create_booking):
    pool = create_space(kind="pooled", unit_count=4)
    create_booking(pool, create_user(), MONDAY_TEN, MONDAY_TEN + hours(1), units=(2,))
    outcome = ask(create_user(), pool, MONDAY_TEN, MONDAY_TEN + hours(1), seats=2, units=(2, 3))
    assert codes(outcome) == ["capacity"]
    assert outcome.conflicts[0].render() == "Those desks were just taken; please choose another time."
    assert written() == (1, 1)


def test_free_chosen_desks_are_the_ones_held(create_user, create_space):
    pool = create_space(kind="pooled", unit_count=4)
    outcome = ask(create_user(), pool, MONDAY_TEN, MONDAY_TEN + hours(1), seats=2, units=(4, 2))
    assert sorted(h.unit_no for h in stored(outcome.booking.id).holds) == [2, 4]


# --- which bookings a quota counts ------------------------------------------------------------


@pytest.fixture
def two_hour_space(create_space):
    return create_space(quota_hours_per_week=2)


def test_the_hours_quota_counts_the_members_own_bookings_in_this_space(create_user, two_hour_space, create_booking):
    member = create_user()
    create_booking(two_hour_space, member, MONDAY_TEN, MONDAY_TEN + hours(1))
    outcome = ask(member, two_hour_space, MONDAY_TEN + hours(2), MONDAY_TEN + hours(4))
    assert codes(outcome) == ["quota"]


def test_the_hours_quota_ignores_bookings_in_other_spaces(create_user, create_space, two_hour_space, create_booking):
    member = create_user()
    create_booking(create_space(), member, MONDAY_TEN, MONDAY_TEN + hours(2))
    assert ask(member, two_hour_space, MONDAY_TEN + hours(2), MONDAY_TEN + hours(4)).ok


def test_the_hours_quota_ignores_other_members_bookings(create_user, two_hour_space, create_booking):
    create_booking(two_hour_space, create_user(), MONDAY_TEN, MONDAY_TEN + hours(2))
    assert ask(create_user(), two_hour_space, MONDAY_TEN + hours(2), MONDAY_TEN + hours(4)).ok


@pytest.mark.parametrize("status", ["cancelled", "rejected"])
def test_the_hours_quota_ignores_cancelled_and_rejected_bookings(status, create_user, two_hour_space, create_booking):
    member = create_user()
    create_booking(two_hour_space, member, MONDAY_TEN, MONDAY_TEN + hours(2), status=status)
    assert ask(member, two_hour_space, MONDAY_TEN + hours(2), MONDAY_TEN + hours(4)).ok


def test_the_hours_quota_counts_a_pending_request(create_user, create_space, create_booking):
    member = create_user()
    studio = create_space(quota_hours_per_week=2, requires_approval=True)
    create_booking(studio, member, MONDAY_TEN, MONDAY_TEN + hours(1), status="pending")
    assert codes(ask(member, studio, MONDAY_TEN + hours(2), MONDAY_TEN + hours(4))) == ["quota"]


def test_the_hours_quota_counts_a_booking_that_ended_within_the_last_seven_days(
    create_user, two_hour_space, create_booking
):
    # Ended at 11:00 today; asked for tomorrow: the rolling week holds both.
    member = create_user()
    create_booking(two_hour_space, member, NOW + hours(1), NOW + hours(2))
    later = NOW + timedelta(days=1, hours=1)
    outcome = request_booking(member, BookingInput(two_hour_space.id, later, later + hours(2), "Again"),
                              now=NOW + hours(3))
    assert codes(outcome) == ["quota"]


# --- found by the first mutation run of the services pass -----------------------------------


def test_a_refusal_by_the_database_guard_says_the_time_was_just_taken(create_user, create_space, create_booking,
                                                                      monkeypatch):
    room = create_space()
    create_booking(room, create_user(), MONDAY_TEN, MONDAY_TEN + hours(1))
    # The rules see no hold.
    monkeypatch.setattr(booking_service, "holds_closures_and_waiting", lambda *args: ([], [], []))
    outcome = ask(create_user(), room, MONDAY_TEN, MONDAY_TEN + hours(1))
    assert [c.render() for c in outcome.conflicts] == ["That time was just taken by another booking."]


def test_a_cancellation_without_a_note_records_an_empty_note(create_user, create_space):
    member = create_user()
    outcome = ask(member, create_space(), MONDAY_TEN, MONDAY_TEN + hours(1))
    cancel_booking(member, outcome.booking.id, now=NOW)
    assert [(e.action, e.note) for e in events(outcome.booking.id)] == [("requested", ""), ("cancelled", "")]


def test_a_booking_ending_exactly_now_is_listed_as_past(create_user, create_space, create_booking):
    member, room = create_user(), create_space()
    ended = create_booking(room, member, NOW - hours(1), NOW)
    upcoming, past, _undoable = my_bookings(member, NOW)
    assert (upcoming, [b.id for b in past]) == ([], [ended.id])


def test_the_hours_quota_counts_a_booking_that_ended_six_and_a_half_days_ago(
    create_user, two_hour_space, create_booking
):
    # Two hours ending 6 days 20 hours ago; one more hour from 10:00 today: the rolling 7 days
    # starting with the old booking end at 11:00 and hold three hours.
    member = create_user()
    old_start = NOW - timedelta(days=7) + hours(2)
    create_booking(two_hour_space, member, old_start, old_start + hours(2))
    assert codes(ask(member, two_hour_space, NOW + hours(1), NOW + hours(2))) == ["quota"]


def test_a_booking_that_ended_seven_days_ago_or_earlier_adds_no_quota_refusal_to_a_past_request(
    create_user, two_hour_space, create_booking
):
    # Refused as past anyway; the form lists every refusal, and hours the member booked more
    # than 7 days ago count in no quota.
    member, now = create_user(), NOW + hours(10)
    create_booking(two_hour_space, member, now - timedelta(days=7) - hours(4), now - timedelta(days=7))
    outcome = request_booking(member, BookingInput(two_hour_space.id, now - hours(5), now - hours(4), "Late"),
                              now=now)
    assert "past" in codes(outcome) and "quota" not in codes(outcome)


def test_a_member_naming_an_override_is_told_only_staff_can_and_nothing_is_written(create_user, create_space):
    with pytest.raises(ServiceError) as refused:
        ask(create_user(), create_space(), MONDAY_TEN, MONDAY_TEN + hours(1),
            overrides=frozenset({"notice"}), override_reason="Urgent")
    assert refused.value.message == "Only staff can override booking rules."
    assert written() == (0, 0)


def test_the_booking_returned_is_the_row_as_stored_and_can_be_changed(create_user, create_space):
    member, studio = create_user(), create_space()
    outcome = ask(member, studio, MONDAY_TEN, MONDAY_TEN + hours(1), purpose="Mix", attendees=3, is_public=True)
    booking = outcome.booking
    assert booking is not None and booking in db.session

    columns = [column.key for column in Booking.__table__.columns]
    returned = {name: getattr(booking, name) for name in columns}  # the deferred calendar columns load here
    stored = db.session.execute(db.select(*Booking.__table__.columns).where(Booking.id == booking.id)).one()
    assert returned == dict(zip(columns, stored, strict=True))
    assert returned["ics_member"] and "SUMMARY:Recording" in returned["ics_member"]

    cancel_booking(member, booking.id, now=NOW)
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "cancelled"
