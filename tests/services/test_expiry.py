"""Requests expire at their space's deadline: own status, holds released, trail, queue by urgency."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.db import utcnow
from booking.domain.statuses import request_deadline
from booking.extensions import db
from booking.models import Booking, BookingEvent
from booking.services import Stale, audit
from booking.services import staff as staff_service
from booking.services.changes import BookingChange, approve_change, change_booking, decline_change
from booking.services.expiry import deadline_of, expire_due_requests
from tests.services.conftest import tokyo_day

DAY = tokyo_day(6)


def at(hour: int, day=DAY):
    return day.replace(hour=hour)


def fresh(booking):
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


@pytest.fixture
def member(create_user):
    return create_user(name="Member Mori")


@pytest.fixture
def staff(create_user):
    return create_user(role="staff", name="Staff Sato")


def test_the_deadline_is_hours_before_the_start_but_never_before_the_request_arrives():
    start = at(5)
    assert request_deadline(start, start - timedelta(days=3), 24) == start - timedelta(hours=24)
    assert request_deadline(start, start - timedelta(hours=2), 24) == start  # short notice: until the start
    assert request_deadline(start, start - timedelta(days=3), 0) == start


def test_a_request_still_pending_at_the_deadline_expires_and_frees_its_time(ask, create_space, member):
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    booking = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=3)).booking
    deadline = at(2) - timedelta(hours=24)

    assert expire_due_requests(deadline - timedelta(seconds=1)) == []
    assert fresh(booking).status == "pending"
    assert expire_due_requests(deadline) == [booking.id]

    gone = fresh(booking)
    assert gone.status == "expired" and gone.sequence == 1 and gone.updated_at <= utcnow()  # the lock's clock
    assert not any(h.is_active for h in gone.holds)
    event = db.session.scalars(db.select(BookingEvent).where(BookingEvent.booking_id == booking.id)
                               .order_by(BookingEvent.id.desc())).first()
    assert (event.action, event.actor_id, event.from_status, event.to_status) == ("expired", None, "pending", "expired")
    assert expire_due_requests(deadline + timedelta(hours=1)) == []  # nothing twice
    assert ask(member, hall, at(2), at(3), now=deadline).ok  # the time is free again


def test_expiry_is_distinct_from_rejection_and_cannot_be_approved_afterwards(ask, create_space, member, staff):
    hall = create_space(requires_approval=True, request_deadline_hours=1)
    booking = ask(member, hall, at(2), at(3), now=at(0) - timedelta(days=1)).booking
    expire_due_requests(at(1))
    with pytest.raises(Stale):
        staff_service.approve(staff, booking.id, now=at(1))
    assert fresh(booking).status == "expired"


def test_a_decided_request_is_left_alone(ask, create_space, member, staff):
    hall = create_space(requires_approval=True)
    booking = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=3)).booking
    staff_service.approve(staff, booking.id, now=at(2) - timedelta(days=2))
    assert expire_due_requests(at(1)) == []
    assert fresh(booking).status == "confirmed"


def test_a_proposed_change_past_its_deadline_is_dropped_and_the_booking_stays(ask, create_space, member, staff):
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    booking = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=5)).booking
    staff_service.approve(staff, booking.id, now=at(2) - timedelta(days=5))
    later = at(2) + timedelta(days=1)
    change = BookingChange(later, later + timedelta(hours=1), booking.title, False)
    assert change_booking(member, booking.id, change, now=at(2) - timedelta(days=4)).is_proposal

    expire_due_requests(later - timedelta(hours=24))

    after = fresh(booking)
    assert (after.status, after.start_dt, after.proposed_start_dt) == ("confirmed", at(2), None)
    dropped = db.session.scalars(db.select(BookingEvent).where(BookingEvent.booking_id == booking.id)
                                 .order_by(BookingEvent.id.desc())).first()
    assert (dropped.action, dropped.actor_id, dropped.note) == ("declined", None, audit.CHANGE_EXPIRED_NOTE)


def test_a_proposed_change_is_due_hours_before_the_proposed_start_not_the_booked_one(ask, create_space, member,
                                                                                     staff):
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    booking = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=5)).booking
    staff_service.approve(staff, booking.id, now=at(2) - timedelta(days=5))
    assert deadline_of(fresh(booking)) == at(2) - timedelta(hours=24)  # confirmed, nothing proposed: its own start
    later = at(2) + timedelta(days=1)
    change = BookingChange(later, later + timedelta(hours=1), booking.title, False)
    assert change_booking(member, booking.id, change, now=at(2) - timedelta(days=4)).is_proposal

    assert deadline_of(fresh(booking)) == later - timedelta(hours=24)


def test_the_queue_puts_the_most_urgent_first_and_says_how_long_each_waited(ask, create_space, create_user, staff):
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    now = at(0) - timedelta(days=2)
    early_asked_late_start = ask(create_user(), hall, at(8, DAY + timedelta(days=3)), at(9, DAY + timedelta(days=3)),
                                 now=now - timedelta(hours=5)).booking
    late_asked_soon = ask(create_user(), hall, at(2), at(3), now=now - timedelta(hours=1)).booking

    queue = staff_service.approval_queue()

    assert [e.booking.id for e in queue] == [late_asked_soon.id, early_asked_late_start.id]
    assert queue[0].deadline == at(2) - timedelta(hours=24)
    # Both were asked just now by the clock under the lock (issue 11): an hour later each has waited an hour.
    an_hour_later = max(e.booking.created_at for e in queue) + timedelta(hours=1)
    assert timedelta(minutes=59) <= queue[1].waited(an_hour_later) <= timedelta(hours=1, seconds=5)
    assert queue[0].waited(an_hour_later) == timedelta(hours=1)


def test_expiry_raises_the_sequence_by_one_and_dates_the_trail_entry_at_the_run(ask, create_space, member):
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    booking = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=3)).booking
    stored = fresh(booking)
    stored.sequence = 2  # an earlier change was already sent to calendars as SEQUENCE 2
    db.session.commit()
    run_at = at(2) - timedelta(hours=20)

    assert expire_due_requests(run_at) == [booking.id]

    assert fresh(booking).sequence == 3
    event = db.session.scalars(db.select(BookingEvent).where(BookingEvent.booking_id == booking.id,
                                                             BookingEvent.action == "expired")).one()
    assert event.at == run_at


@pytest.mark.parametrize("kind", ["exclusive", "pooled"])
def test_a_request_past_its_deadline_frees_its_time_for_the_next_booking_before_the_job_runs(
        ask, create_space, create_user, member, kind):
    hall = create_space(requires_approval=True, request_deadline_hours=24, pending_holds=True,
                        **({"kind": "pooled", "unit_count": 2} if kind == "pooled" else {}))
    seats = 2 if kind == "pooled" else 1
    booking = ask(member, hall, at(2), at(3), seats=seats, now=at(2) - timedelta(days=3)).booking
    deadline = at(2) - timedelta(hours=24)
    other = create_user(name="Other Ono")

    held = ask(other, hall, at(2), at(3), now=deadline - timedelta(seconds=1))
    assert not held.ok and fresh(booking).status == "pending"  # still waiting for staff: it holds the time

    taken = ask(other, hall, at(2), at(3), now=deadline)  # the job has not run

    assert taken.ok, taken.conflicts
    gone = fresh(booking)
    assert gone.status == "expired" and not any(h.is_active for h in gone.holds)
    assert [e.action for e in audit.trail(booking.id)][-1] == "expired"
    assert booking.id not in expire_due_requests(deadline)  # nothing left of it for the job


def test_a_proposed_change_past_its_deadline_can_no_longer_be_decided_before_the_job_drops_it(ask, create_space,
                                                                                               member, staff):
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    booking = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=5)).booking
    staff_service.approve(staff, booking.id, now=at(2) - timedelta(days=5))
    later = at(2) + timedelta(days=1)
    change = BookingChange(later, later + timedelta(hours=1), booking.title, False)
    assert change_booking(member, booking.id, change, now=at(2) - timedelta(days=4)).is_proposal
    deadline = later - timedelta(hours=24)
    stored = fresh(booking)
    assert stored.has_proposal_at(deadline - timedelta(seconds=1)) and not stored.has_proposal_at(deadline)

    with pytest.raises(Stale, match="expired before anyone decided"):
        approve_change(staff, booking.id, now=deadline)
    with pytest.raises(Stale, match="expired before anyone decided"):
        decline_change(staff, booking.id, now=deadline)
    assert booking.id not in [e.booking.id for e in staff_service.approval_queue(now=deadline)]
    assert (fresh(booking).start_dt, fresh(booking).proposed_start_dt) == (at(2), later)  # the job drops it


def test_a_request_past_its_deadline_can_no_longer_be_cancelled_or_changed_by_its_member(ask, create_space, member):
    from booking.services.bookings import cancel_booking

    hall = create_space(requires_approval=True, request_deadline_hours=24)
    booking = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=3)).booking
    deadline = at(2) - timedelta(hours=24)
    change = BookingChange(at(4), at(5), booking.title, False)

    with pytest.raises(Stale, match="request expired"):
        cancel_booking(member, booking.id, now=deadline)
    with pytest.raises(Stale, match="request expired"):
        change_booking(member, booking.id, change, now=deadline)
    assert fresh(booking).status == "pending"  # left for the job, which tells the member


def test_the_lock_finds_requests_past_their_deadline_with_its_one_read_of_holds_and_closures(
        ask, create_space, create_user, member):
    from sqlalchemy import event

    hall = create_space(requires_approval=True, request_deadline_hours=24, pending_holds=True)
    lapsing = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=3)).booking
    waiting = ask(member, hall, at(2, DAY + timedelta(days=2)), at(3, DAY + timedelta(days=2)),
                  now=at(2) - timedelta(days=3)).booking
    deadline = at(2) - timedelta(hours=24)
    statements: list[str] = []

    def noted(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", noted)
    try:
        nothing_due = ask(create_user(), hall, at(5), at(6), now=deadline - timedelta(seconds=1))
        reads_then = [s for s in statements if "'pending'" in s and s.startswith("SELECT")]
        statements.clear()
        taken = ask(create_user(), hall, at(2), at(3), now=deadline)
    finally:
        event.remove(db.engine, "before_cursor_execute", noted)
    assert nothing_due.ok and taken.ok, taken.conflicts
    assert len(reads_then) == 1 and "booking_holds" in reads_then[0] and "closures" in reads_then[0]
    assert fresh(lapsing).status == "expired" and not any(h.is_active for h in fresh(lapsing).holds)
    assert fresh(waiting).status == "pending" and all(h.is_active for h in fresh(waiting).holds)


def test_a_short_notice_proposed_change_is_left_alone_until_its_proposed_start(ask, create_space, member, staff):
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    booking = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=5)).booking
    staff_service.approve(staff, booking.id, now=at(2) - timedelta(days=5))
    change = BookingChange(at(5), at(6), booking.title, False)
    assert change_booking(member, booking.id, change, now=at(0)).is_proposal  # asked 5 hours ahead: due at 5

    assert expire_due_requests(at(1)) == []

    after = fresh(booking)
    assert (after.start_dt, after.proposed_start_dt) == (at(2), at(5))
    assert [e.action for e in audit.trail(booking.id)][-1] == "proposed"


def test_a_change_into_the_time_of_a_request_past_its_deadline_succeeds_before_the_job_runs(
        ask, create_space, create_user, member):
    hall = create_space(requires_approval=True, request_deadline_hours=24, pending_holds=True)
    lapsing = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=3)).booking
    other = ask(create_user(), hall, at(5), at(6), now=at(2) - timedelta(days=3)).booking
    deadline = at(2) - timedelta(hours=24)

    moved = change_booking(other.user, other.id, BookingChange(at(2), at(3), other.title, False), now=deadline)

    assert moved.ok, moved.conflicts
    assert fresh(lapsing).status == "expired" and not any(h.is_active for h in fresh(lapsing).holds)
    assert (fresh(other).status, fresh(other).start_dt) == ("pending", at(2))


def test_the_job_expires_each_spaces_requests_under_that_spaces_write_lock(ask, create_space, member, locked_spaces):
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    booking = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=3)).booking
    locked = locked_spaces
    locked.clear()  # what the setup locked

    assert expire_due_requests(at(2) - timedelta(hours=24)) == [booking.id]
    assert hall.id in locked  # (the mail that follows is written under no space's lock)


def test_a_request_deleted_after_the_job_listed_it_does_not_keep_the_others_from_expiring(
        ask, create_space, create_user, member, monkeypatch):
    from booking.services import expiry

    hall = create_space(requires_approval=True, request_deadline_hours=24)
    deleted = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=3)).booking
    kept = ask(create_user(), hall, at(4), at(5), now=at(2) - timedelta(days=3)).booking
    deleted_id = deleted.id
    listed = expiry._candidates

    def listed_then_deleted(now):
        found = listed(now)
        db.session.delete(db.session.get(Booking, deleted_id))  # the member's account is deleted meanwhile
        db.session.commit()
        return found

    monkeypatch.setattr(expiry, "_candidates", listed_then_deleted)

    assert expire_due_requests(at(4) - timedelta(hours=24)) == [kept.id]
    assert fresh(kept).status == "expired"


def test_a_dropped_proposals_trail_entry_is_dated_at_the_run_and_leaves_the_booking_confirmed(
        ask, create_space, member, staff):
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    booking = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=5)).booking
    staff_service.approve(staff, booking.id, now=at(2) - timedelta(days=5))
    later = at(2) + timedelta(days=1)
    change_booking(member, booking.id, BookingChange(later, later + timedelta(hours=1), booking.title, False),
                   now=at(2) - timedelta(days=4))
    run_at = later - timedelta(hours=20)

    expire_due_requests(run_at)

    dropped = db.session.scalars(db.select(BookingEvent).where(BookingEvent.booking_id == booking.id,
                                                               BookingEvent.action == "declined")).one()
    assert (dropped.at, dropped.from_status, dropped.to_status) == (run_at, "confirmed", "confirmed")


def test_the_trail_entry_of_an_expired_request_carries_the_expiry_note(ask, create_space, member):
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    booking = ask(member, hall, at(2), at(3), now=at(2) - timedelta(days=3)).booking

    expire_due_requests(at(2) - timedelta(hours=24))

    assert [(e.action, e.note) for e in audit.trail(booking.id)][-1] == ("expired", audit.EXPIRED_NOTE)
