"""Changing a booking in place: allowed, refused (nothing lost), proposals approved and declined."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import Booking, BookingEvent, Closure
from booking.services import NotFound, ServiceError, Stale, changes
from booking.services import staff as staff_service
from booking.services.changes import BookingChange, approve_change, change_booking, decline_change
from booking.services.integrity import count_double_bookings
from tests.services.conftest import tokyo_day

DAY = tokyo_day(6)  # 09:00 Tokyo; the test spaces are open 09:00–21:00 Tokyo (00:00–12:00 UTC)


def at(hour: int, minute: int = 0, day=DAY):
    return day.replace(hour=hour, minute=minute)


def fresh(booking):
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def trail(booking):
    return list(db.session.scalars(
        db.select(BookingEvent).where(BookingEvent.booking_id == booking.id).order_by(BookingEvent.id)))


def moved(booking, start, end, **fields):
    values = dict(title=booking.title, is_public=booking.is_public, seats=booking.seats)
    values.update(fields)
    return BookingChange(start, end, **values)


@pytest.fixture
def member(create_user):
    return create_user(name="Member Mori")


@pytest.fixture
def staff(create_user):
    return create_user(role="staff", name="Staff Sato")


def test_a_member_moves_a_booking_into_the_next_hour_keeping_uid_raising_sequence(ask, create_space, member):
    room = create_space()
    booking = ask(member, room, at(1), at(2)).booking
    uid = booking.uid

    outcome = change_booking(member, booking.id, moved(booking, at(1), at(3), title="Longer", is_public=True))

    assert outcome.ok and not outcome.is_proposal
    after = fresh(booking)
    assert (after.start_dt, after.end_dt, after.title, after.is_public) == (at(1), at(3), "Longer", True)
    assert after.uid == uid and after.sequence == 1 and after.status == "confirmed"
    assert [(h.occupied_start, h.occupied_end, h.is_active) for h in after.holds] == [(at(1), at(3), True)]
    edited = trail(after)[-1]
    assert (edited.action, edited.actor_id, edited.from_status, edited.to_status) == (
        "edited", member.id, "confirmed", "confirmed")
    values = json.loads(edited.note)
    assert values["before"]["end"] == at(2).isoformat() and values["after"]["end"] == at(3).isoformat()
    assert values["before"]["title"] == "Test booking" or values["before"]["title"] == "Team meeting"
    assert values["after"]["is_public"] is True


def test_a_change_overlapping_only_the_booking_itself_is_allowed(ask, create_space, member):
    """Its own old holds never count: moving 30 minutes later overlaps only itself."""
    room = create_space(setup_minutes=30, teardown_minutes=30)
    booking = ask(member, room, at(2), at(4)).booking

    outcome = change_booking(member, booking.id, moved(booking, at(2, 30), at(4, 30)))

    assert outcome.ok, outcome.conflicts
    assert count_double_bookings(db.session()) == 0
    assert [h.occupied_start for h in fresh(booking).holds] == [at(2)]


def test_a_refused_change_keeps_the_old_time_and_names_free_starts_both_ways(
        ask, create_space, create_user, create_booking, member):
    room = create_space()
    booking = ask(member, room, at(1), at(2)).booking
    create_booking(room, create_user(), at(4), at(6))

    outcome = change_booking(member, booking.id, moved(booking, at(5), at(6)))

    assert [c.code for c in outcome.conflicts] == ["overlap"]
    assert outcome.hint is not None
    assert outcome.hint.params == {"before": "12:00", "after": "15:00"}
    after = fresh(booking)
    assert (after.start_dt, after.end_dt, after.sequence) == (at(1), at(2), 0)
    assert [h.occupied_start for h in after.holds] == [at(1)]
    assert [e.action for e in trail(after)] == ["requested"]


def test_every_rule_is_checked_again(ask, create_space, member, staff):
    room = create_space(max_minutes=120)
    db.session.add(Closure(space_id=room.id, start_dt=at(6), end_dt=at(8), reason="wax"))
    db.session.commit()
    booking = ask(member, room, at(1), at(2)).booking

    too_long = change_booking(member, booking.id, moved(booking, at(1), at(5)))
    closed = change_booking(member, booking.id, moved(booking, at(6), at(7)))
    past = change_booking(member, booking.id, moved(booking, at(1) - timedelta(days=30), at(2) - timedelta(days=30)))

    assert [c.code for c in too_long.conflicts] == ["duration"]
    assert [c.code for c in closed.conflicts] == ["closed"]
    assert "past" in [c.code for c in past.conflicts]
    assert fresh(booking).start_dt == at(1)


def test_desks_can_be_chosen_and_taken_desks_are_refused(ask, create_space, create_user, create_booking, member):
    pool = create_space(kind="pooled", unit_count=3)
    booking = ask(member, pool, at(1), at(2)).booking
    create_booking(pool, create_user(), at(1), at(2), units=(3,))

    two = change_booking(member, booking.id, moved(booking, at(1), at(2), seats=2))
    assert two.ok and fresh(booking).unit_numbers == [1, 2]
    taken = change_booking(member, booking.id, moved(fresh(booking), at(1), at(2), seats=1, units=(3,)))
    assert [c.code for c in taken.conflicts] == ["capacity"]
    assert fresh(booking).unit_numbers == [1, 2]
    chosen = change_booking(member, booking.id, moved(fresh(booking), at(1), at(2), seats=1, units=(2,)))
    assert chosen.ok and fresh(booking).unit_numbers == [2] and fresh(booking).seats == 1


def test_only_the_owner_or_staff_change_and_not_once_started(ask, create_space, create_user, member, staff):
    room = create_space()
    booking = ask(member, room, at(1), at(2)).booking
    with pytest.raises(NotFound):
        change_booking(create_user(), booking.id, moved(booking, at(3), at(4)))
    assert change_booking(staff, booking.id, moved(booking, at(3), at(4))).ok
    assert trail(fresh(booking))[-1].actor_id == staff.id
    with pytest.raises(ServiceError):
        change_booking(member, booking.id, moved(booking, at(5), at(6)), now=at(3, 30))
    with pytest.raises(ServiceError):
        change_booking(member, booking.id, moved(booking, at(5), at(6), title="   "))


def test_a_cancelled_booking_cannot_be_changed(ask, create_space, member):
    from booking.services.bookings import cancel_booking

    room = create_space()
    booking = ask(member, room, at(1), at(2)).booking
    cancel_booking(member, booking.id)
    with pytest.raises(Stale):
        change_booking(member, booking.id, moved(booking, at(3), at(4)))


def test_in_an_approval_space_a_time_change_waits_and_the_original_stays_confirmed(
        ask, create_space, member, staff):
    room = create_space(requires_approval=True)
    booking = ask(member, room, at(1), at(2)).booking
    staff_service.approve(staff, booking.id)

    outcome = change_booking(member, booking.id, moved(fresh(booking), at(4), at(5), title="New title"))

    assert outcome.ok and outcome.is_proposal
    after = fresh(booking)
    assert (after.status, after.start_dt, after.title) == ("confirmed", at(1), "New title")
    assert (after.proposed_start_dt, after.proposed_end_dt) == (at(4), at(5))
    assert [h.occupied_start for h in after.holds] == [at(1)]
    assert [e.action for e in trail(after)][-2:] == ["edited", "proposed"]

    approve_change(staff, booking.id)

    done = fresh(booking)
    assert (done.status, done.start_dt, done.end_dt, done.proposed_start_dt) == ("confirmed", at(4), at(5), None)
    assert [h.occupied_start for h in done.holds] == [at(4)]
    assert done.sequence == 3  # approved, title edited, time edited
    assert trail(done)[-1].action == "edited" and trail(done)[-1].actor_id == staff.id


def test_a_declined_change_loses_nothing(ask, create_space, member, staff):
    room = create_space(requires_approval=True)
    booking = ask(member, room, at(1), at(2)).booking
    staff_service.approve(staff, booking.id)
    change_booking(member, booking.id, moved(fresh(booking), at(4), at(5)))

    decline_change(staff, booking.id, "The hall is needed then.")

    after = fresh(booking)
    assert (after.status, after.start_dt, after.proposed_start_dt) == ("confirmed", at(1), None)
    assert [h.occupied_start for h in after.holds] == [at(1)] and after.holds[0].is_active
    assert (trail(after)[-1].action, trail(after)[-1].note) == ("declined", "The hall is needed then.")
    with pytest.raises(Stale):
        approve_change(staff, booking.id)


def test_approving_a_change_whose_time_was_taken_meanwhile_is_refused(
        ask, create_space, create_user, create_booking, member, staff):
    room = create_space(requires_approval=True)
    booking = ask(member, room, at(1), at(2)).booking
    staff_service.approve(staff, booking.id)
    change_booking(member, booking.id, moved(fresh(booking), at(4), at(5)))
    create_booking(room, create_user(), at(4), at(5))

    with pytest.raises(staff_service.Refused) as refusal:
        approve_change(staff, booking.id)

    assert [c.code for c in refusal.value.conflicts] == ["overlap"]
    after = fresh(booking)
    assert (after.start_dt, after.proposed_start_dt) == (at(1), at(4))


def test_a_pending_request_is_changed_directly_and_stays_pending(ask, create_space, member):
    room = create_space(requires_approval=True)
    booking = ask(member, room, at(1), at(2)).booking
    outcome = change_booking(member, booking.id, moved(booking, at(3), at(4)))
    assert outcome.ok and not outcome.is_proposal
    after = fresh(booking)
    assert (after.status, after.start_dt) == ("pending", at(3))


def test_only_staff_decide_on_a_change_and_the_member_is_told_so(ask, create_space, member):
    room = create_space()
    booking = ask(member, room, at(1), at(2)).booking

    for decide in (lambda: approve_change(member, booking.id), lambda: decline_change(member, booking.id, "no")):
        with pytest.raises(ServiceError) as refused:
            decide()
        assert refused.value.message == "Only staff can decide on changes."
    assert [e.action for e in trail(booking)] == ["requested"]


def test_a_change_the_database_guard_refuses_says_the_time_was_just_taken_and_keeps_the_booking(
    ask, create_space, create_user, create_booking, member, monkeypatch
):
    # Pretend the rules saw no other hold (as a racing writer would): the database still refuses.
    room = create_space()
    booking = ask(member, room, at(1), at(2)).booking
    create_booking(room, create_user(), at(3), at(4))
    monkeypatch.setattr(changes, "active_holds", lambda *args: [])

    outcome = change_booking(member, booking.id, moved(booking, at(3), at(4)))

    assert [c.render() for c in outcome.conflicts] == ["That time was just taken by another booking."]
    after = fresh(booking)
    assert (after.start_dt, after.end_dt, after.sequence) == (at(1), at(2), 0)
    assert count_double_bookings(db.session()) == 0


def test_a_booking_that_has_started_cannot_be_changed_and_the_member_is_told_why(ask, create_space, member):
    room = create_space()
    booking = ask(member, room, at(1), at(2)).booking

    with pytest.raises(ServiceError) as refused:
        change_booking(member, booking.id, moved(booking, at(5), at(6)), now=at(1, 30))

    assert refused.value.message == "A booking that has started can no longer be changed."
    assert fresh(booking).start_dt == at(1)


def test_a_request_moved_where_requests_hold_nothing_still_holds_nothing(ask, create_space, create_user, member):
    room = create_space(requires_approval=True, pending_holds=False)
    booking = ask(member, room, at(1), at(2)).booking

    assert change_booking(member, booking.id, moved(booking, at(3), at(4))).ok

    after = fresh(booking)
    assert (after.status, [(h.occupied_start, h.is_active) for h in after.holds]) == ("pending", [(at(3), False)])
    assert ask(create_user(), room, at(3), at(4)).ok  # another member may still ask for that time


def test_moving_a_booking_moves_its_public_events_agenda_with_it(create_space, create_user, staff):
    from booking.models import AgendaItem
    from tests.events.factories import make_event

    hall = create_space()
    event = make_event(hall, staff, at(1), at(3))
    event.agenda_items = [AgendaItem(start_dt=at(1), minutes=30, title_ja="開会"),
                          AgendaItem(start_dt=at(1, 30), minutes=60, title_ja="発表")]
    db.session.commit()

    outcome = change_booking(staff, event.booking_id, BookingChange(at(5), at(7), "Kick-off", True))

    assert outcome.ok, outcome.conflicts
    db.session.expire_all()
    assert [(i.start_dt, i.minutes) for i in db.session.scalars(
        db.select(AgendaItem).order_by(AgendaItem.start_dt))] == [(at(5), 30), (at(5, 30), 60)]


def test_the_free_starts_named_after_a_refused_change_count_the_bookings_own_time_as_free(
        ask, create_space, create_user, create_booking, member):
    room = create_space()
    booking = ask(member, room, at(3), at(4)).booking
    create_booking(room, create_user(), at(4), at(6))

    outcome = change_booking(member, booking.id, moved(booking, at(4), at(5)))

    assert [c.code for c in outcome.conflicts] == ["overlap"]
    assert outcome.hint is not None and outcome.hint.params == {"before": "12:00", "after": "15:00"}


def test_the_trail_notes_a_change_of_attendees_and_a_proposal_with_their_values_before_and_after(
        ask, create_space, member, staff):
    room = create_space(requires_approval=True)
    booking = ask(member, room, at(1), at(2), attendees=3).booking
    staff_service.approve(staff, booking.id)

    change_booking(member, booking.id, moved(fresh(booking), at(4), at(6), attendees=5))

    edited, proposed = trail(fresh(booking))[-2:]
    assert changes.read_edit_note(edited.note) == ({"attendees": 3}, {"attendees": 5})
    assert proposed.action == "proposed" and changes.read_edit_note(proposed.note) == (
        {"start": at(1).isoformat(), "end": at(2).isoformat()}, {"start": at(4).isoformat(), "end": at(6).isoformat()})


def test_a_decided_proposal_and_a_too_long_note_are_refused_with_their_reasons(ask, create_space, member, staff):
    room = create_space(requires_approval=True)
    booking = ask(member, room, at(1), at(2)).booking
    staff_service.approve(staff, booking.id)
    change_booking(member, booking.id, moved(fresh(booking), at(4), at(5)))

    with pytest.raises(ServiceError) as too_long:
        decline_change(staff, booking.id, "x" * (staff_service.NOTE_MAX + 1))
    decline_change(staff, booking.id, "No")
    with pytest.raises(Stale) as decided:
        approve_change(staff, booking.id)

    assert (too_long.value.message, too_long.value.params) == (
        "The note is too long (at most %(max)s characters).", {"max": staff_service.NOTE_MAX})
    assert decided.value.message == "This change was already decided or withdrawn."


def _event_with_agenda(space, host):
    from booking.models import AgendaItem
    from tests.events.factories import make_event

    event = make_event(space, host, at(1), at(3))
    event.agenda_items = [AgendaItem(start_dt=at(1), minutes=30, title_ja="開会"),
                          AgendaItem(start_dt=at(1, 30), minutes=60, title_ja="発表")]
    db.session.commit()
    return event


def test_a_move_the_agenda_would_not_fit_is_refused_with_what_to_do_first(create_space, staff):
    event = _event_with_agenda(create_space(), staff)

    with pytest.raises(ServiceError) as refused:
        change_booking(staff, event.booking_id, BookingChange(at(5), at(6), "Kick-off", True))

    assert refused.value.message == ("The public event's agenda would no longer fit the booking: "
                                     "shorten the agenda in the event form first.")


def test_a_members_proposed_move_that_the_agenda_fits_is_proposed(create_space, member):
    hall = create_space(requires_approval=True)
    event = _event_with_agenda(hall, member)

    outcome = change_booking(member, event.booking_id, BookingChange(at(5), at(7), "Kick-off", True))

    assert outcome.ok and outcome.is_proposal
    assert (fresh(event.booking).start_dt, fresh(event.booking).proposed_start_dt) == (at(1), at(5))


def test_a_change_past_the_members_weekly_hours_is_refused(ask, create_space, member):
    room = create_space(quota_hours_per_week=2)
    ask(member, room, at(1), at(2))
    booking = ask(member, room, at(3), at(4)).booking

    outcome = change_booking(member, booking.id, moved(booking, at(3), at(5)))

    assert [c.code for c in outcome.conflicts] == ["quota"]
    assert fresh(booking).end_dt == at(4)


def test_an_empty_title_is_refused_saying_the_limit(ask, create_space, member):
    booking = ask(member, create_space(), at(1), at(2)).booking

    with pytest.raises(ServiceError) as refused:
        change_booking(member, booking.id, moved(booking, at(1), at(2), title="  "))

    assert (refused.value.message, refused.value.params) == (
        "Enter a title (at most %(max)s characters).", {"max": changes.TITLE_MAX})


def test_changing_and_approving_a_change_run_under_the_spaces_write_lock(ask, create_space, member, staff,
                                                                         locked_spaces):
    room = create_space(requires_approval=True)
    booking = ask(member, room, at(1), at(2)).booking
    staff_service.approve(staff, booking.id)
    locked = locked_spaces
    locked.clear()  # what the setup locked

    assert change_booking(member, booking.id, moved(fresh(booking), at(4), at(5))).is_proposal
    assert locked[:1] == [room.id]
    locked.clear()
    approve_change(staff, booking.id)
    assert locked[:1] == [room.id]
