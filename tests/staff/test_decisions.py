"""Approving and rejecting requests through the staff service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, Closure
from booking.services import NotFound, ServiceError, Stale
from booking.services import staff as staff_service
from booking.services.bookings import BookingInput, cancel_booking, request_booking
from tests.conftest import future_day

DAY = future_day(5)


def at(hour, minute=0):
    """An instant on DAY, in UTC (the test spaces are open 00:00–12:00 UTC)."""
    return DAY.replace(hour=hour, minute=minute)


def fresh(booking):
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


@pytest.fixture
def staff(create_user):
    return create_user(role="staff", name="Staff Sato")


@pytest.fixture
def member(create_user):
    return create_user(name="Member Suzuki")


def ask(member, space, start, end, seats=1):
    outcome = request_booking(member, BookingInput(space.id, start, end, "Kick-off", seats=seats))
    assert outcome.ok, outcome.conflicts
    return outcome.booking


def test_approving_confirms_the_request_and_tells_calendars_it_changed(create_space, staff, member):
    space = create_space(requires_approval=True)
    booking = ask(member, space, at(2), at(3))
    assert booking.status == "pending"

    staff_service.approve(staff, booking.id)

    approved = fresh(booking)
    assert approved.status == "confirmed"
    assert approved.sequence == 1
    assert approved.updated_at > approved.created_at
    assert all(h.is_active for h in approved.holds)


def test_approving_activates_the_holds_where_pending_requests_do_not_hold(create_space, create_user, staff, member):
    space = create_space(requires_approval=True, pending_holds=False)
    booking = ask(member, space, at(2), at(3))
    assert not any(h.is_active for h in booking.holds)

    staff_service.approve(staff, booking.id)

    assert all(h.is_active for h in fresh(booking).holds)
    later = request_booking(create_user(), BookingInput(space.id, at(2), at(3), "Too late"))
    assert [c.code for c in later.conflicts] == ["overlap"]


def test_approving_rejects_the_overlapping_pending_requests_with_a_note(create_space, create_user, staff, member):
    space = create_space(requires_approval=True, pending_holds=False)
    chosen = ask(member, space, at(2), at(4))
    overlapping = ask(create_user(), space, at(3), at(5))
    back_to_back = ask(create_user(), space, at(4), at(5))
    elsewhere = ask(create_user(), create_space(requires_approval=True, pending_holds=False), at(2), at(4))

    approval = staff_service.approve(staff, chosen.id)

    assert [b.id for b in approval.auto_rejected] == [overlapping.id]
    assert fresh(overlapping).status == "rejected"
    assert fresh(overlapping).sequence == 1
    assert fresh(back_to_back).status == "pending"
    assert fresh(elsewhere).status == "pending"


def test_approving_desks_rejects_only_the_requests_that_no_longer_fit(create_space, create_user, staff, member):
    space = create_space(kind="pooled", unit_count=4, requires_approval=True, pending_holds=False)
    big = ask(member, space, at(2), at(4), seats=3)
    small = ask(create_user(), space, at(2), at(4), seats=1)
    too_big = ask(create_user(), space, at(3), at(5), seats=2)

    approval = staff_service.approve(staff, big.id)

    assert [b.id for b in approval.auto_rejected] == [too_big.id]
    assert fresh(small).status == "pending"
    staff_service.approve(staff, small.id)
    assert sorted(fresh(big).unit_numbers + fresh(small).unit_numbers) == [1, 2, 3, 4]


def test_approving_moves_a_desk_request_to_desks_that_are_still_free(create_space, create_user, staff, member):
    space = create_space(kind="pooled", unit_count=3, requires_approval=True, pending_holds=False)
    first = ask(member, space, at(2), at(4), seats=1)
    second = ask(create_user(), space, at(2), at(4), seats=1)
    assert first.unit_numbers == second.unit_numbers == [1]

    staff_service.approve(staff, first.id)
    staff_service.approve(staff, second.id)

    assert fresh(first).unit_numbers == [1]
    assert fresh(second).unit_numbers == [2]


def test_a_closure_added_meanwhile_blocks_the_approval(create_space, staff, member):
    space = create_space(requires_approval=True)
    booking = ask(member, space, at(2), at(3))
    db.session.add(Closure(space_id=space.id, start_dt=at(0), end_dt=at(12), reason="Building inspection"))
    db.session.commit()

    with pytest.raises(staff_service.Refused) as refusal:
        staff_service.approve(staff, booking.id)

    assert [c.code for c in refusal.value.conflicts] == ["closed"]
    assert "Building inspection" in refusal.value.conflicts[0].render()
    assert fresh(booking).status == "pending"


def test_a_booking_confirmed_meanwhile_blocks_the_approval(create_space, create_booking, create_user, staff, member):
    space = create_space(requires_approval=True, pending_holds=False)
    booking = ask(member, space, at(2), at(3))
    create_booking(space, create_user(), at(2, 30), at(3, 30), status="confirmed")

    with pytest.raises(staff_service.Refused) as refusal:
        staff_service.approve(staff, booking.id)

    assert [c.code for c in refusal.value.conflicts] == ["overlap"]
    assert fresh(booking).status == "pending"


def test_a_refusal_by_the_database_guard_becomes_a_clear_overlap_message(
    create_space, create_booking, create_user, staff, member, monkeypatch
):
    space = create_space(requires_approval=True, pending_holds=False)
    booking = ask(member, space, at(2), at(3))
    create_booking(space, create_user(), at(2), at(3), status="confirmed")
    # Pretend the check saw nothing, as a racing writer on another host might.
    monkeypatch.setattr(staff_service, "active_holds", lambda *args: [])

    with pytest.raises(staff_service.Refused) as refusal:
        staff_service.approve(staff, booking.id)

    assert [c.code for c in refusal.value.conflicts] == ["overlap"]
    assert fresh(booking).status == "pending"


def test_a_request_that_has_started_cannot_be_approved(create_space, create_booking, staff, member):
    space = create_space(requires_approval=True)
    booking = create_booking(space, member, at(2), at(3), status="pending")

    # Its deadline is at its start at the latest (domain.statuses.request_deadline): it has expired.
    with pytest.raises(Stale, match="expired before anyone decided"):
        staff_service.approve(staff, booking.id, now=at(2, 10))

    assert fresh(booking).status == "pending"


def test_notice_that_ran_out_while_staff_decided_does_not_block_the_approval(create_space, staff, member):
    space = create_space(requires_approval=True, min_notice_minutes=2 * 24 * 60, request_deadline_hours=0)
    booking = ask(member, space, at(2), at(3))

    staff_service.approve(staff, booking.id, now=at(1))

    assert fresh(booking).status == "confirmed"


def test_the_request_itself_does_not_count_against_the_quota_when_approved(create_space, staff, member):
    space = create_space(requires_approval=True, quota_active_bookings=1)
    booking = ask(member, space, at(2), at(3))

    staff_service.approve(staff, booking.id)

    assert fresh(booking).status == "confirmed"


def test_approving_a_request_the_member_cancelled_says_so(create_space, staff, member):
    space = create_space(requires_approval=True)
    booking = ask(member, space, at(2), at(3))
    cancel_booking(member, booking.id)

    with pytest.raises(Stale) as stale:
        staff_service.approve(staff, booking.id)

    assert stale.value.message == "The member cancelled this request in the meantime."
    assert fresh(booking).status == "cancelled"


def test_deciding_twice_says_the_request_was_already_decided(create_space, staff, member):
    space = create_space(requires_approval=True)
    booking = ask(member, space, at(2), at(3))
    staff_service.approve(staff, booking.id)

    with pytest.raises(Stale, match="already approved"):
        staff_service.approve(staff, booking.id)
    with pytest.raises(Stale, match="already approved"):
        staff_service.reject(staff, booking.id, "Sorry")
    assert fresh(booking).sequence == 1


def test_rejecting_frees_the_time_for_someone_else(create_space, create_user, staff, member):
    space = create_space(requires_approval=True)
    booking = ask(member, space, at(2), at(3))

    staff_service.reject(staff, booking.id, "The studio is reserved for the TV recording.")

    rejected = fresh(booking)
    assert rejected.status == "rejected"
    assert rejected.sequence == 1
    assert not any(h.is_active for h in rejected.holds)
    assert request_booking(create_user(), BookingInput(space.id, at(2), at(3), "Next")).ok


@pytest.mark.parametrize("note", ["", "   \n "])
def test_rejecting_needs_a_note_for_the_member(create_space, staff, member, note):
    space = create_space(requires_approval=True)
    booking = ask(member, space, at(2), at(3))

    with pytest.raises(ServiceError, match="note"):
        staff_service.reject(staff, booking.id, note)

    assert fresh(booking).status == "pending"


def test_deciding_an_unknown_booking_is_not_found(staff):
    with pytest.raises(NotFound):
        staff_service.approve(staff, 999)
    with pytest.raises(NotFound):
        staff_service.reject(staff, 999, "No")


def test_the_queue_lists_pending_requests_most_urgent_first_with_their_rivals(create_space, create_user, staff, member):
    space = create_space(requires_approval=True, pending_holds=False)
    first = ask(member, space, at(2), at(4))
    second = ask(create_user(), space, at(3), at(5))
    alone = ask(create_user(), space, at(8), at(9))
    ask(create_user(), create_space(), at(2), at(4))  # confirmed at once, not in the queue

    queue = staff_service.approval_queue()

    assert [e.booking.id for e in queue] == [first.id, second.id, alone.id]
    assert [b.id for b in queue[0].competing] == [second.id]
    assert [b.id for b in queue[1].competing] == [first.id]
    assert queue[2].competing == []


def test_rejecting_stamps_the_booking_with_the_moment_of_the_decision(create_space, staff, member):
    space = create_space(requires_approval=True)
    booking = ask(member, space, at(2), at(3))
    decided = datetime.now(UTC) - timedelta(minutes=5)
    staff_service.reject(staff, booking.id, "No", now=decided)
    assert fresh(booking).updated_at == decided


def test_a_decision_time_in_the_future_is_pulled_back_to_the_clock(create_space, staff, member):
    space = create_space(requires_approval=True)
    booking = ask(member, space, at(2), at(3))
    staff_service.reject(staff, booking.id, "No", now=at(2) - timedelta(days=2))  # before its deadline
    assert fresh(booking).updated_at <= datetime.now(UTC)


def test_a_request_past_its_deadline_can_no_longer_be_decided_before_the_job_expires_it(create_space, staff, member):
    space = create_space(requires_approval=True, request_deadline_hours=24)
    booking = ask(member, space, at(2), at(3))
    deadline = at(2) - timedelta(hours=24)
    assert booking.created_at < deadline

    with pytest.raises(Stale, match="expired before anyone decided"):
        staff_service.approve(staff, booking.id, now=deadline)
    with pytest.raises(Stale, match="expired before anyone decided"):
        staff_service.reject(staff, booking.id, "No", now=deadline + timedelta(minutes=1))
    assert fresh(booking).status == "pending"  # the job writes `expired`: nothing was decided
    assert booking.id not in [e.booking.id for e in staff_service.approval_queue(now=deadline)]
    assert booking.id in [e.booking.id for e in staff_service.approval_queue(now=deadline - timedelta(seconds=1))]

    staff_service.approve(staff, booking.id, now=deadline - timedelta(seconds=1))
    assert fresh(booking).status == "confirmed"


def test_a_booking_the_member_cancelled_does_not_count_against_the_quota_when_approving(create_space, staff,
                                                                                       member):
    space = create_space(requires_approval=True, quota_active_bookings=1)
    cancel_booking(member, ask(member, space, at(2), at(3)).id)
    booking = ask(member, space, at(4), at(5))

    staff_service.approve(staff, booking.id)

    assert fresh(booking).status == "confirmed"


@pytest.mark.parametrize(("kind", "units", "says"), [
    ("exclusive", 1, "Another booking holds that time now; this request cannot be approved."),
    ("pooled", 2, "Too few desks are free at that time now; this request cannot be approved."),
])
def test_a_decision_the_database_refuses_says_the_time_is_taken_now(create_space, create_user, create_booking,
                                                                     kind, units, says):
    space = create_space(kind=kind, unit_count=units)
    create_booking(space, create_user(), at(2), at(3))
    late = create_booking(space, create_user(), at(2), at(3), status="rejected")

    def work(session):
        session.get(Booking, late.id).holds[0].is_active = True  # the same desk, as a racing approval would
        session.flush()

    with pytest.raises(staff_service.Refused) as refused:
        staff_service.run_decision(space.id, work, staff_service._taken_conflict)

    assert [c.render() for c in refused.value.conflicts] == [says]


def test_a_request_does_not_compete_with_one_for_a_later_time(create_space, create_user, member):
    space = create_space(requires_approval=True, pending_holds=False)
    request = ask(member, space, at(2), at(3))
    ask(create_user(), space, at(4), at(5))
    overlapping = ask(create_user(), space, at(2, 30), at(3, 30))

    assert [b.id for b in staff_service.competing_bookings(db.session, fresh(request))] == [overlapping.id]


def test_a_desk_request_lists_a_rival_sharing_two_of_its_desks_once(create_space, create_user, member):
    desks = create_space(kind="pooled", unit_count=4, requires_approval=True, pending_holds=False)
    request = request_booking(member, BookingInput(desks.id, at(2), at(3), "Kick-off", seats=2, units=(1, 2))).booking
    rival = request_booking(create_user(), BookingInput(desks.id, at(2), at(3), "Rival", seats=2,
                                                        units=(1, 2))).booking

    [entry] = [e for e in staff_service.approval_queue() if e.booking.id == request.id]

    assert [b.id for b in entry.competing] == [rival.id]


def test_the_queue_page_shows_the_most_urgent_request_first_whatever_order_they_were_asked_in(create_space, member):
    space = create_space(requires_approval=True, pending_holds=False, request_deadline_hours=24)
    ask(member, space, at(2) + timedelta(days=2), at(3) + timedelta(days=2))
    urgent = ask(member, space, at(2), at(3))

    page = staff_service.approval_queue_page(1, size=1)

    assert ([e.booking.id for e in page.entries], page.total) == ([urgent.id], 2)


def test_a_proposed_change_waits_in_the_queue_until_its_own_deadline(create_space, create_user, create_booking,
                                                                     member):
    space = create_space(requires_approval=True, request_deadline_hours=24)
    booking = create_booking(space, member, at(2), at(3))
    asked = datetime.now(UTC)
    booking.proposed_start_dt, booking.proposed_end_dt, booking.proposed_at = at(4), at(5), asked
    db.session.commit()

    page = staff_service.approval_queue_page(1)

    assert [e.booking.id for e in page.entries] == [booking.id]
    assert page.deadlines == (at(4) - timedelta(hours=24),)


def test_approving_is_refused_when_the_members_other_bookings_fill_the_quota(create_space, create_booking, staff,
                                                                             member):
    space = create_space(requires_approval=True, quota_active_bookings=1)
    create_booking(space, member, at(2), at(3))
    waiting = create_booking(space, member, at(4), at(5), status="pending")

    with pytest.raises(staff_service.Refused) as refused:
        staff_service.approve(staff, waiting.id)

    assert [c.code for c in refused.value.conflicts] == ["quota"]
    assert fresh(waiting).status == "pending"


def test_a_queue_entry_says_how_long_staff_have_left_to_decide_and_zero_once_its_deadline_passed(create_space,
                                                                                                   member):
    space = create_space(requires_approval=True, request_deadline_hours=24)
    booking = ask(member, space, at(2) + timedelta(days=2), at(3) + timedelta(days=2))
    [entry] = staff_service.approval_queue()

    assert entry.deadline == at(2) + timedelta(days=1)
    assert entry.left(at(2)) == timedelta(days=1) and entry.booking.id == booking.id
    assert entry.left(at(2) + timedelta(days=3)) == timedelta(0)


def test_a_rejection_note_over_2000_characters_is_refused_saying_the_limit(create_space, staff, member):
    booking = ask(member, create_space(requires_approval=True), at(2), at(3))

    with pytest.raises(ServiceError) as refused:
        staff_service.reject(staff, booking.id, "x" * 2001)

    assert refused.value.message % refused.value.params == "The note is too long (at most 2000 characters)."
    assert fresh(booking).status == "pending"


def test_a_request_lists_its_rivals_oldest_first(create_space, create_user, member):
    space = create_space(requires_approval=True, pending_holds=False)
    request = ask(member, space, at(2), at(4))
    rivals = [ask(create_user(), space, at(hour), at(hour + 1)) for hour in (3, 2)]

    [entry] = [e for e in staff_service.approval_queue() if e.booking.id == request.id]

    assert [b.id for b in entry.competing] == [b.id for b in rivals]


def test_a_request_does_not_compete_with_one_starting_as_it_ends(create_space, create_user, member):
    space = create_space(requires_approval=True, pending_holds=False)
    request = ask(member, space, at(2), at(3))
    ask(create_user(), space, at(3), at(4))

    assert staff_service.competing_bookings(db.session, fresh(request)) == []


def test_a_request_does_not_compete_with_one_ending_as_it_starts(create_space, create_user, member):
    space = create_space(requires_approval=True, pending_holds=False)
    request = ask(member, space, at(3), at(4))
    ask(create_user(), space, at(2), at(3))

    assert staff_service.competing_bookings(db.session, fresh(request)) == []


def test_a_rejection_note_of_exactly_2000_characters_is_accepted(create_space, staff, member):
    booking = ask(member, create_space(requires_approval=True), at(2), at(3))

    staff_service.reject(staff, booking.id, "x" * 2000)

    assert fresh(booking).status == "rejected"


def test_a_proposed_change_waits_in_the_queue_asked_when_it_was_proposed(create_space, staff, member):
    from booking.services.changes import BookingChange, change_booking

    room = create_space(requires_approval=True)
    booking = ask(member, room, at(2), at(3))
    staff_service.approve(staff, booking.id)
    proposed_at = fresh(booking).created_at + timedelta(minutes=5)
    assert change_booking(member, booking.id, BookingChange(at(4), at(5), "Kick-off", False),
                          now=proposed_at).is_proposal

    queue = staff_service.approval_queue()

    assert [(e.booking.id, e.is_change, e.asked_at) for e in queue] == [(booking.id, True, proposed_at)]


def test_approving_raises_the_calendar_sequence_by_one_from_where_it_was(create_space, staff, member):
    booking = ask(member, create_space(requires_approval=True), at(2), at(3))
    stored = fresh(booking)
    stored.sequence = 2  # calendars already have the request as SEQUENCE 2
    db.session.commit()

    staff_service.approve(staff, booking.id)

    assert fresh(booking).sequence == 3


def test_a_refused_approval_says_the_request_cannot_be_approved():
    assert staff_service.Refused([]).message == "This request cannot be approved."


def test_an_approval_answers_with_the_booking_it_approved(create_space, staff, member):
    booking = ask(member, create_space(requires_approval=True), at(2), at(3))

    approval = staff_service.approve(staff, booking.id)

    assert (approval.booking.id, approval.booking.status, approval.auto_rejected) == (booking.id, "confirmed", [])


def test_staff_blocking_a_holiday_are_told_its_name_in_their_language(create_space, staff):
    from datetime import date, time
    from zoneinfo import ZoneInfo

    hall = create_space(close_on_holidays=True, holiday_country="JP")
    new_year = datetime.combine(date(future_day(0).year + 1, 1, 1), time(10), ZoneInfo("Asia/Tokyo"))
    data = BookingInput(hall.id, new_year, new_year + timedelta(hours=1), "Maintenance")

    outcome = staff_service.book_as_staff(staff, data, reason="Lights", locale="en")

    assert [c.params["reason"] for c in outcome.conflicts if c.code == "closed"] == ["New Year's Day"]


def test_rejecting_without_a_note_says_to_write_one(create_space, staff, member):
    booking = ask(member, create_space(requires_approval=True), at(2), at(3))

    with pytest.raises(ServiceError) as refused:
        staff_service.reject(staff, booking.id, "  ")

    assert refused.value.message == "Write a note for the member: why the request is rejected."
    assert fresh(booking).status == "pending"


def test_the_trail_records_a_decision_at_the_time_it_was_made(create_space, staff, member):
    from booking.models import BookingEvent

    booking = ask(member, create_space(requires_approval=True), at(2), at(3))
    decided = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=7)

    staff_service.approve(staff, booking.id, now=decided)

    events = db.session.scalars(db.select(BookingEvent).where(BookingEvent.booking_id == booking.id,
                                                              BookingEvent.action == "approved")).all()
    assert [event.at.astimezone(UTC) for event in events] == [decided]


def test_approving_a_request_on_a_holiday_tells_its_name_in_the_staffs_language(create_space, create_user,
                                                                                  create_booking, staff):
    from datetime import date, time
    from zoneinfo import ZoneInfo

    hall = create_space(close_on_holidays=True, holiday_country="JP", requires_approval=True)
    new_year = datetime.combine(date(future_day(0).year + 1, 1, 1), time(10), ZoneInfo("Asia/Tokyo"))
    booking = create_booking(hall, create_user(), new_year, new_year + timedelta(hours=1), status="pending")

    with pytest.raises(staff_service.Refused) as refused:
        staff_service.approve(staff, booking.id, locale="en")

    assert [c.params["reason"] for c in refused.value.conflicts if c.code == "closed"] == ["New Year's Day"]


def test_approving_rejects_the_outcompeted_requests_in_the_order_they_were_made(create_space, create_user, staff,
                                                                                 member):
    space = create_space(requires_approval=True, pending_holds=False)
    chosen = ask(member, space, at(2), at(4))
    made_later = ask(create_user(), space, at(3), at(5))
    made_earlier = ask(create_user(), space, at(2), at(3))  # a higher id, but dated first
    made_earlier.created_at = made_later.created_at - timedelta(minutes=5)
    db.session.commit()

    approval = staff_service.approve(staff, chosen.id)

    assert [rival.id for rival in approval.auto_rejected] == [made_earlier.id, made_later.id]
