"""Undoing one's own cancellation (issue 16, point 3): only while the window is open and the time free.

The cancellation's e-mail waits in the outbox until the window closes and is dropped on
undo; the restored booking reaches calendars with a higher SEQUENCE.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.db import utcnow
from booking.domain.undo import UNDO_WINDOW
from booking.extensions import db
from booking.models import Booking, OutboxMessage
from booking.services import undo as undo_module
from booking.services.audit import trail
from booking.services.bookings import cancel_booking
from booking.services.my_bookings import my_bookings
from booking.services.undo import CannotUndo, undo_cancellation
from booking.services.undo import undoable as undoable_read
from tests.services.conftest import hours, tokyo_day

START = tokyo_day(5) + hours(2)


def undoable(member, now=None):
    """What `undo.undoable` reads, checked against the my-bookings page's own list of what may be
    undone (`my_bookings.my_bookings`): the two must never disagree."""
    now = now or utcnow()
    found = undoable_read(member, now)
    db.session.expire_all()
    listed = my_bookings(member, now).undoable
    assert [line.id for line in listed] == [b.id for b in found]
    return found


def cancellation_mail(booking_id: int) -> list[OutboxMessage]:
    db.session.rollback()
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "booking.cancelled"))
    return [row for row in rows if row.payload["facts"]["booking_id"] == booking_id]


def test_undoing_restores_the_booking_with_its_desks_and_a_higher_sequence(create_user, create_space, ask):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    cancelled = cancel_booking(member, booking_id)
    sequence_cancelled = cancelled.sequence

    restored = undo_cancellation(member, booking_id)

    assert restored.status == "confirmed" and restored.cancelled_at is None
    assert [h.is_active for h in restored.holds] == [True]
    assert restored.sequence == sequence_cancelled + 1


def test_the_cancellation_mail_waits_for_the_window_and_is_dropped_on_undo(create_user, create_space, ask):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    before = utcnow()
    cancel_booking(member, booking_id)
    [waiting] = cancellation_mail(booking_id)
    assert waiting.status == "pending" and waiting.due_at >= before + UNDO_WINDOW

    undo_cancellation(member, booking_id)
    assert cancellation_mail(booking_id) == []


def test_a_staff_cancellation_is_mailed_at_once_and_cannot_be_undone_by_the_member(create_user, create_space, ask):
    room, member, staff = create_space(), create_user(), create_user(role="staff")
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    before = utcnow()
    cancel_booking(staff, booking_id, note="Maintenance")
    [mail] = cancellation_mail(booking_id)
    assert mail.due_at < before + UNDO_WINDOW
    assert undoable(member) == []
    with pytest.raises(CannotUndo):
        undo_cancellation(member, booking_id)


def test_no_undo_once_someone_else_took_the_time(create_user, create_space, ask):
    room, member, other = create_space(), create_user(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    cancel_booking(member, booking_id)
    assert ask(other, room, START, START + hours(1)).ok
    with pytest.raises(CannotUndo) as refused:
        undo_cancellation(member, booking_id)
    assert refused.value.message == "Someone else has booked this time meanwhile; the booking stays cancelled."
    db.session.rollback()
    assert db.session.get(Booking, booking_id).status == "cancelled"
    assert len(cancellation_mail(booking_id)) == 1
    # Issue 16 (tester): the offer to undo stayed beside "the booking stays cancelled".
    assert undoable(member) == []


def test_no_undo_after_the_window(create_user, create_space, ask):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    cancel_booking(member, booking_id)
    assert [b.id for b in undoable(member)] == [booking_id]
    later = utcnow() + UNDO_WINDOW + hours(0.01)
    assert undoable(member, now=later) == []
    with pytest.raises(CannotUndo) as refused:
        undo_cancellation(member, booking_id, now=later)
    assert "passed" in refused.value.message


def test_a_pooled_booking_is_restored_on_its_own_desks(create_user, create_space, ask):
    desks, member = create_space(kind="pooled", unit_count=3), create_user()
    booking_id = ask(member, desks, START, START + hours(1), seats=2).booking.id
    cancel_booking(member, booking_id)
    restored = undo_cancellation(member, booking_id)
    assert sorted(restored.unit_numbers) == [1, 2]


def test_a_second_undo_says_the_booking_is_already_back(create_user, create_space, ask):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    cancel_booking(member, booking_id)
    undo_cancellation(member, booking_id)
    with pytest.raises(CannotUndo) as refused:
        undo_cancellation(member, booking_id)
    assert refused.value.message == "This cancellation was already undone; your booking is back."


def test_a_booking_with_a_public_event_is_cancelled_for_good_and_everyone_is_mailed_at_once(
        create_user, create_space):
    from booking.models import PublicEvent, Registration
    from booking.services import registrations
    from booking.services.undo import can_undo_later, told_with_event
    from tests.events.factories import make_event

    hall, host = create_space(slug="hall", max_people=80), create_user()
    event = make_event(hall, host, START, START + hours(1))
    booking_id = event.booking_id
    registrations.register(event.id, registrations.RegistrationInput(
        name="Visitor", email="visitor@example.jp", companions=0, consent=True), "key")
    booking = db.session.get(Booking, booking_id)
    assert not can_undo_later(host, booking) and told_with_event(booking_id) == 1
    before = utcnow()

    cancel_booking(host, booking_id)

    [own] = cancellation_mail(booking_id)
    assert own.due_at < before + UNDO_WINDOW
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "visitor@example.jp",
                                                          OutboxMessage.kind == "event.cancelled")).all()
    assert len(told) == 1
    assert undoable(host) == []
    with pytest.raises(CannotUndo):
        undo_cancellation(host, booking_id)
    db.session.rollback()
    assert db.session.get(Booking, booking_id).status == "cancelled"
    assert db.session.scalar(select(Registration.status)) == "registered"
    assert db.session.get(PublicEvent, event.id) is not None


def test_dates_cancelled_together_as_a_series_cannot_be_undone(create_user, create_space):
    from booking.services.series import Scope, book_series, cancel_occurrences
    from tests.services.test_series import FIRST, weekly

    studio, member = create_space(), create_user()
    ids = [b.id for b in book_series(member, weekly(studio.id, count=3),
                                     [FIRST + timedelta(weeks=n) for n in range(3)]).booked]
    cancel_occurrences(member, ids[1], Scope.FOLLOWING)
    assert undoable(member) == []
    with pytest.raises(CannotUndo) as refused:
        undo_cancellation(member, ids[1])
    assert "series" in refused.value.message
    db.session.rollback()
    assert db.session.get(Booking, ids[1]).status == "cancelled"


def test_one_date_of_a_series_cancelled_alone_can_be_undone(create_user, create_space):
    from booking.services.series import Scope, book_series, cancel_occurrences
    from tests.services.test_series import FIRST, weekly

    studio, member = create_space(), create_user()
    ids = [b.id for b in book_series(member, weekly(studio.id, count=2),
                                     [FIRST + timedelta(weeks=n) for n in range(2)]).booked]
    cancel_occurrences(member, ids[0], Scope.ONE)
    assert [b.id for b in undoable(member)] == [ids[0]]
    assert undo_cancellation(member, ids[0]).status == "confirmed"


def test_the_window_is_closed_at_exactly_its_length_after_the_cancellation(create_user, create_space, ask):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    cancelled_at = cancel_booking(member, booking_id).cancelled_at
    assert cancelled_at is not None
    assert [b.id for b in undoable(member, now=cancelled_at + UNDO_WINDOW - timedelta(microseconds=1))] == [booking_id]
    assert undoable(member, now=cancelled_at + UNDO_WINDOW) == []
    with pytest.raises(CannotUndo):
        undo_cancellation(member, booking_id, now=cancelled_at + UNDO_WINDOW)


def test_the_undo_offer_is_read_at_the_instant_asked_not_at_the_clock(create_user, create_space, ask):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    an_hour_ago = utcnow() - hours(1)
    cancel_booking(member, booking_id, now=an_hour_ago)
    # At the clock the window closed 55 minutes ago; a minute after the cancellation it was open.
    assert undoable(member) == []
    assert [b.id for b in undoable(member, now=an_hour_ago + timedelta(minutes=1))] == [booking_id]


def test_a_desk_taken_by_someone_else_beside_ones_own_does_not_stop_the_undo(
        create_user, create_space, create_booking, ask):
    desks, member, other = create_space(kind="pooled", unit_count=3), create_user(), create_user()
    booking_id = ask(member, desks, START, START + hours(1), units=(1,)).booking.id
    cancel_booking(member, booking_id)
    create_booking(desks, other, START, START + hours(1), units=(2,))  # desk 2, the same hour
    assert [b.id for b in undoable(member)] == [booking_id]
    assert undo_cancellation(member, booking_id).unit_numbers == [1]


def test_an_undone_request_holds_its_time_again_where_requests_hold(create_user, create_space, ask):
    hall, member = create_space(requires_approval=True, pending_holds=True), create_user()
    booking_id = ask(member, hall, START, START + hours(1)).booking.id
    cancel_booking(member, booking_id)
    restored = undo_cancellation(member, booking_id)
    assert restored.status == "pending"
    assert [h.is_active for h in restored.holds] == [True]


def test_the_latest_cancellation_decides_even_when_two_were_recorded_at_the_same_instant(
        create_user, create_space, ask):
    room, member, staff = create_space(), create_user(), create_user(role="staff")
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    at = utcnow()
    cancel_booking(member, booking_id, now=at)
    undo_cancellation(member, booking_id, now=at)
    cancel_booking(staff, booking_id, now=at, note="The studio is needed")
    assert undoable(member, now=at) == []
    with pytest.raises(CannotUndo):
        undo_cancellation(member, booking_id, now=at)


@pytest.mark.parametrize(("status", "cancelled_ago", "starts_in", "asked"), [
    ("cancelled", timedelta(minutes=1), hours(1), True),
    ("confirmed", None, hours(1), False),
    ("cancelled", UNDO_WINDOW + timedelta(minutes=1), hours(1), False),
    ("cancelled", UNDO_WINDOW, hours(1), False),
    ("cancelled", timedelta(minutes=1), timedelta(0), False),
], ids=["cancelled-a-minute-ago", "not-cancelled", "window-closed", "window-closing-now", "starting-now"])
def test_the_my_bookings_page_reads_the_undo_offers_only_for_a_cancellation_still_in_its_window(
        create_user, create_space, create_booking, monkeypatch, status, cancelled_ago, starts_in, asked):
    room, member = create_space(), create_user()
    now = START - hours(3)
    create_booking(room, member, now + starts_in, now + starts_in + hours(1), status=status,
                   cancelled_at=None if cancelled_ago is None else now - cancelled_ago)
    calls = []
    monkeypatch.setattr(undo_module, "undoable", lambda member, now: calls.append(now) or [])
    my_bookings(member, now)
    assert calls == ([now] if asked else [])


def test_another_bookings_later_cancellation_by_staff_leaves_this_undo_open(create_user, create_space, ask):
    room, member, staff = create_space(), create_user(), create_user(role="staff")
    mine = ask(member, room, START, START + hours(1)).booking.id
    other = ask(member, room, START + hours(2), START + hours(3)).booking.id
    at = utcnow()
    cancel_booking(member, mine, now=at)
    cancel_booking(staff, other, now=at + timedelta(seconds=1), note="The studio is needed")
    assert [b.id for b in undoable(member, now=at + timedelta(seconds=2))] == [mine]
    assert undo_cancellation(member, mine, now=at + timedelta(seconds=2)).status == "confirmed"


def test_a_booking_of_another_space_or_a_cancelled_one_at_the_same_time_does_not_stop_the_undo(
        create_user, create_space, create_booking, ask):
    room, elsewhere, member, other = create_space(), create_space(), create_user(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    cancel_booking(member, booking_id)
    create_booking(elsewhere, other, START, START + hours(1))  # desk 1 of another space
    create_booking(room, other, START, START + hours(1), status="cancelled")  # its hold inactive
    assert [b.id for b in undoable(member)] == [booking_id]
    assert undo_cancellation(member, booking_id).unit_numbers == [1]


def test_no_undo_is_offered_for_a_request_whose_time_was_taken_where_requests_hold(
        create_user, create_space, create_booking, ask):
    hall, member = create_space(requires_approval=True, pending_holds=True), create_user()
    booking_id = ask(member, hall, START, START + hours(1)).booking.id
    cancel_booking(member, booking_id)
    create_booking(hall, create_user(), START, START + hours(1))
    assert undoable(member) == []


def test_undoing_a_booking_never_cancelled_says_only_ones_own_cancellation_can_be_undone(
        create_user, create_space, ask):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    with pytest.raises(CannotUndo) as refused:
        undo_cancellation(member, booking_id)
    assert refused.value.message == "Only your own cancellation can be undone."


def test_the_undo_is_on_the_trail_at_its_instant_as_a_return_from_cancelled(create_user, create_space, ask):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    at = utcnow()
    cancel_booking(member, booking_id, now=at)
    undo_cancellation(member, booking_id, now=at + timedelta(minutes=1))
    entry = trail(booking_id)[-1]
    assert (entry.action, entry.actor_id, entry.at, entry.from_status, entry.to_status) == (
        "restored", member.id, at + timedelta(minutes=1), "cancelled", "confirmed")


def test_undo_drops_only_the_cancellation_mail_not_the_bookings_other_waiting_mail(
        create_user, create_space, ask):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    db.session.rollback()
    waiting = {m.id for m in db.session.scalars(select(OutboxMessage))
               if m.payload.get("facts", {}).get("booking_id") == booking_id}
    for mail in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(waiting))):
        mail.status = "pending"  # the booking's confirmation, waiting for a retry
    db.session.commit()
    assert waiting
    cancel_booking(member, booking_id)
    undo_cancellation(member, booking_id)
    db.session.rollback()
    left = {m.id for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending"))}
    assert waiting <= left


def test_an_undo_runs_under_its_spaces_write_lock(create_user, create_space, ask, locked_spaces):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    cancel_booking(member, booking_id)
    locked_spaces.clear()
    undo_cancellation(member, booking_id)
    assert locked_spaces[0] == room.id


def test_each_undo_raises_the_sequence_again_so_calendars_take_the_latest(create_user, create_space, ask):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    sequences = []
    for _ in range(2):
        cancel_booking(member, booking_id)
        sequences.append(undo_cancellation(member, booking_id).sequence)
    assert sequences[1] > sequences[0] > 0 and sequences[1] >= 2


def test_two_undo_offers_are_listed_soonest_first_whatever_order_they_were_booked_in(
        create_user, create_space, ask):
    room, member = create_space(), create_user()
    later = ask(member, room, START + hours(3), START + hours(4)).booking.id
    sooner = ask(member, room, START, START + hours(1)).booking.id
    at = utcnow()
    cancel_booking(member, later, now=at)  # booked and cancelled first: first in the table on either engine
    cancel_booking(member, sooner, now=at + timedelta(seconds=1))

    assert [b.id for b in undoable(member, now=at + timedelta(seconds=2))] == [sooner, later]


@pytest.mark.parametrize("after_start", [timedelta(0), timedelta(minutes=1)], ids=["starts-now", "started"])
def test_no_undo_is_offered_for_a_cancelled_booking_from_its_start_on(create_user, create_space, ask, after_start):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    cancel_booking(member, booking_id, now=START - timedelta(minutes=2))

    assert undoable_read(member, START - timedelta(minutes=1)) != []  # still in the window, before the start
    assert undoable_read(member, START + after_start) == []


def test_staff_exporting_after_the_cancellation_leaves_the_cancellation_final_for_its_public_event(
        create_user, create_space):
    from booking.services.attendee_exports import export_event
    from tests.events.factories import make_event

    hall, host, staff = create_space(slug="hall", max_people=80), create_user(), create_user(role="staff")
    event = make_event(hall, host, START, START + hours(1))
    cancel_booking(host, event.booking_id, now=utcnow() - timedelta(minutes=1))
    export_event(staff.id, event.id, "csv", "", ["id"], {}, {}, sheet_title="attendees")

    with pytest.raises(CannotUndo) as refused:
        undo_cancellation(host, event.booking_id)
    assert refused.value.message.startswith("This booking carried a public event")


def test_undo_keeps_a_cancellation_mail_of_the_booking_already_sent(create_user, create_space, ask):
    room, member = create_space(), create_user()
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    cancel_booking(member, booking_id)
    [mail] = cancellation_mail(booking_id)
    mail.status = "sent"  # delivered (a record kept for staff): only a waiting one is taken back
    db.session.commit()

    undo_cancellation(member, booking_id)

    assert [m.status for m in cancellation_mail(booking_id)] == ["sent"]


def test_a_second_undo_says_the_booking_is_back_after_staff_had_edited_it(create_user, create_space, ask):
    from booking.services.changes import BookingChange, change_booking

    room, member, staff = create_space(), create_user(), create_user(role="staff")
    booking_id = ask(member, room, START, START + hours(1)).booking.id
    edited = change_booking(staff, booking_id, BookingChange(START, START + hours(1), "Edited by staff", False))
    assert not edited.conflicts
    cancel_booking(member, booking_id)
    undo_cancellation(member, booking_id)

    with pytest.raises(CannotUndo) as refused:
        undo_cancellation(member, booking_id)
    assert refused.value.message == "This cancellation was already undone; your booking is back."


def test_the_count_of_registrants_a_cancellation_tells_leaves_out_a_forgotten_one(create_user, create_space):
    from booking.models import Registration
    from booking.services import registrations
    from booking.services.retention import forget_person
    from booking.services.undo import told_with_event
    from tests.events.factories import make_event

    event = make_event(create_space(slug="hall", max_people=80), create_user(), START, START + hours(1))
    for email in ("visitor@example.jp", "gone@example.jp"):
        registrations.register(event.id, registrations.RegistrationInput(
            name=email, email=email, companions=0, consent=True), "key")
    forget_person(db.session.scalar(select(Registration).where(Registration.email == "gone@example.jp")))
    db.session.commit()

    assert told_with_event(event.booking_id) == 1  # the placeholder address is never mailed
