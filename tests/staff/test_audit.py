"""The audit trail: every transition says who, when and why, and the member reads the rejection note."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from booking.extensions import db
from booking.models import Booking, Closure
from booking.services import audit
from booking.services import staff as staff_service
from booking.services.bookings import BookingInput, cancel_booking, request_booking
from tests.conftest import future_day

DAY = future_day(6)


def at(hour):
    return DAY.replace(hour=hour)


@pytest.fixture
def staff(create_user):
    return create_user(role="staff", name="Staff Sato")


@pytest.fixture
def member(create_user):
    return create_user(name="Member Suzuki")


def ask(member, space, start, end):
    outcome = request_booking(member, BookingInput(space.id, start, end, "Meet-up"))
    assert outcome.ok, outcome.conflicts
    return outcome.booking


def steps(booking_id):
    return [(e.action, e.actor.name if e.actor else None, e.from_status, e.to_status, e.note)
            for e in audit.trail(booking_id)]


def test_a_request_and_its_approval_are_both_on_the_trail(create_space, staff, member):
    booking = ask(member, create_space(requires_approval=True), at(2), at(3))

    staff_service.approve(staff, booking.id)

    assert steps(booking.id) == [
        ("requested", "Member Suzuki", None, "pending", ""),
        ("approved", "Staff Sato", "pending", "confirmed", ""),
    ]


def test_a_cancellation_is_on_the_trail(create_space, member):
    booking = ask(member, create_space(), at(2), at(3))

    cancel_booking(member, booking.id)

    assert steps(booking.id)[-1] == ("cancelled", "Member Suzuki", "confirmed", "cancelled", "")


def test_a_rejection_keeps_the_note_and_who_wrote_it(create_space, staff, member):
    booking = ask(member, create_space(requires_approval=True), at(2), at(3))

    staff_service.reject(staff, booking.id, "  The hall is reserved for the prefecture that day.  ")

    assert steps(booking.id)[-1] == (
        "rejected", "Staff Sato", "pending", "rejected", "The hall is reserved for the prefecture that day.")


def test_automatic_rejections_say_why_on_the_trail(create_space, create_user, staff, member):
    space = create_space(requires_approval=True, pending_holds=False)
    chosen = ask(member, space, at(2), at(4))
    loser = ask(create_user(), space, at(3), at(5))

    staff_service.approve(staff, chosen.id)

    assert steps(loser.id)[-1] == ("rejected", "Staff Sato", "pending", "rejected", audit.AUTO_REJECT_NOTE)


def test_a_refused_approval_writes_nothing_to_the_trail(create_space, staff, member):
    space = create_space(requires_approval=True)
    booking = ask(member, space, at(2), at(3))
    db.session.add(Closure(space_id=space.id, start_dt=at(0), end_dt=at(12), reason="Inspection"))
    db.session.commit()

    with pytest.raises(staff_service.Refused):
        staff_service.approve(staff, booking.id)

    assert [step[0] for step in steps(booking.id)] == ["requested"]


def test_the_member_reads_the_rejection_note_on_the_booking_page(client, create_space, staff, member):
    booking = ask(member, create_space(requires_approval=True), at(2), at(3))
    staff_service.reject(staff, booking.id, "Recording day <b>sorry</b>")
    client.login(member.email)

    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)

    assert "Recording day &lt;b&gt;sorry&lt;/b&gt;" in page
    assert "<b>sorry</b>" not in page


def test_an_automatic_rejection_note_is_shown_in_the_members_language(
    client, create_space, create_user, staff, member
):
    space = create_space(requires_approval=True, pending_holds=False)
    chosen = ask(create_user(), space, at(2), at(4))
    loser = ask(member, space, at(3), at(5))
    staff_service.approve(staff, chosen.id)
    member.locale = "en"
    db.session.commit()
    client.login(member.email)

    page = client.get(f"/bookings/{loser.id}").get_data(as_text=True)

    assert "Another request for the same time was approved." in page


def test_staff_see_the_whole_history_on_the_staff_booking_page(client, create_space, staff, member):
    booking = ask(member, create_space(requires_approval=True), at(2), at(3))
    staff_service.reject(staff, booking.id, "Fully booked by the TV programme")
    client.login(staff.email)

    page = client.get(f"/staff/bookings/{booking.id}").get_data(as_text=True)

    assert "Member Suzuki" in page and "Staff Sato" in page
    assert "Fully booked by the TV programme" in page
    assert page.index("Member Suzuki") < page.index("Fully booked by the TV programme")


def test_the_audit_table_agrees_with_the_model(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert [d for d in diff if "booking_events" in repr(d)] == []


def test_the_trail_lists_entries_by_when_they_happened_not_by_when_they_were_written(create_space, staff, member):
    booking = ask(member, create_space(), at(2), at(3))
    requested_at = audit.trail(booking.id)[0].at
    audit.record(db.session, booking, "edited", staff, requested_at + timedelta(minutes=5), "confirmed", "later")
    audit.record(db.session, booking, "edited", staff, requested_at + timedelta(minutes=1), "confirmed", "earlier")
    db.session.commit()

    assert [e.note for e in audit.trail(booking.id)] == ["", "earlier", "later"]


def test_a_booking_that_was_not_rejected_has_no_rejection_note(create_space, member):
    assert audit.rejection_note(ask(member, create_space(), at(2), at(3))) == ""


def test_each_rejected_booking_shows_its_own_rejection_note(create_space, staff, member):
    space = create_space(requires_approval=True)
    first, second = ask(member, space, at(2), at(3)), ask(member, space, at(4), at(5))
    staff_service.reject(staff, first.id, "The studio is being repaired.")
    staff_service.reject(staff, second.id, "Please ask for a shorter time.")

    db.session.expire_all()
    assert [audit.rejection_note(db.session.get(Booking, b.id)) for b in (first, second)] == [
        "The studio is being repaired.", "Please ask for a shorter time."]


def test_a_rejected_booking_without_a_recorded_rejection_has_no_note(create_space, member, create_booking):
    assert audit.rejection_note(create_booking(create_space(), member, at(2), at(3), status="rejected")) == ""


def test_an_entry_recorded_without_a_note_has_an_empty_note(create_space, member):
    booking = ask(member, create_space(), at(2), at(3))
    entry = audit.record(db.session, booking, "restored", member, at(1), "cancelled")
    db.session.commit()
    assert audit.trail(booking.id)[-1].note == entry.note == ""
