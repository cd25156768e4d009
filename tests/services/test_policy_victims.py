"""Policy changes list the future bookings they break, and save only once staff said what happens to each."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, BookingEvent, HolidayOpening, Space
from booking.services import admin_spaces
from booking.services.admin_spaces import SpaceInput
from booking.services.policy_changes import Resolution, VictimsToResolve

# A fixed clock: 2030-06-03 is a Monday, 09:00 in Tokyo.
NOW = datetime(2030, 6, 3, 0, 0, tzinfo=UTC)
TOKYO = ZoneInfo("Asia/Tokyo")
SATURDAY = date(2030, 6, 8)
MARINE_DAY = date(2030, 7, 15)  # a national holiday in Japan
NINE_TO_SIX = {d: ((time(9), time(18)),) for d in range(7)}


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TOKYO)


def fresh(booking: Booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def as_input(space: Space, **changes) -> SpaceInput:
    values = {name: getattr(space, name) for name in SpaceInput.__dataclass_fields__}
    return replace(SpaceInput(**values), **changes)


def victims_of(call) -> dict[int, set[str]]:
    with pytest.raises(VictimsToResolve) as found:
        call()
    db.session.rollback()
    return {v.booking_id: set(v.codes) for v in found.value.victims}


@pytest.fixture
def staff(create_user):
    return create_user(role="staff", name="Staff Sato")


@pytest.fixture
def member(create_user):
    return create_user(name="Member Mori")


def test_clearing_saturday_hours_lists_every_saturday_desk_booking_and_keeps_them_as_overrides(
        create_space, create_booking, staff, member):
    desks = create_space(kind="pooled", unit_count=24, hours=NINE_TO_SIX)
    saturday = [create_booking(desks, member, local(SATURDAY, 10), local(SATURDAY, 12), units=(n,))
                for n in range(1, 6)]
    friday = SATURDAY - timedelta(days=1)
    other_day = create_booking(desks, member, local(friday, 10), local(friday, 12))
    hours = {n: "09:00-18:00" for n in range(5)} | {5: "", 6: "09:00-18:00"}

    found = victims_of(lambda: admin_spaces.set_opening_hours(staff, desks.id, hours, now=NOW))

    assert found == {b.id: {"hours"} for b in saturday}
    assert other_day.id not in found
    assert len(db.session.get(Space, desks.id).opening_hours) == 7  # nothing saved yet

    keep = Resolution({b.id: "keep" for b in saturday}, reason="Saturday members were told in person")
    admin_spaces.set_opening_hours(staff, desks.id, hours, keep, now=NOW)

    assert len(db.session.get(Space, desks.id).opening_hours) == 6
    for booking in saturday:
        assert fresh(booking).status == "confirmed"
        assert fresh(booking).override_reason == "Saturday members were told in person"
    notes = db.session.scalars(select(BookingEvent.note).where(BookingEvent.action == "overridden")).all()
    assert notes == ["Saturday members were told in person"] * 5


def test_hours_victims_may_be_cancelled_with_one_message(create_space, create_booking, staff, member):
    room = create_space(hours=NINE_TO_SIX)
    late = create_booking(room, member, local(SATURDAY, 16), local(SATURDAY, 18))
    hours = {n: "09:00-15:00" for n in range(7)}
    cancel = Resolution({late.id: "cancel"}, message="We now close at 15:00; sorry.")

    admin_spaces.set_opening_hours(staff, room.id, hours, cancel, now=NOW)

    assert fresh(late).status == "cancelled"
    assert not any(h.is_active for h in fresh(late).holds)
    note = db.session.scalar(select(BookingEvent.note).where(BookingEvent.action == "cancelled"))
    assert note == "We now close at 15:00; sorry."


def test_removing_a_holiday_opening_lists_the_bookings_on_that_holiday(create_space, create_booking, staff, member):
    hall = create_space(hours=NINE_TO_SIX, close_on_holidays=True, holiday_country="JP")
    opening_id = admin_spaces.add_holiday_opening(hall.id, MARINE_DAY).id
    on_holiday = create_booking(hall, member, local(MARINE_DAY, 10), local(MARINE_DAY, 12))

    found = victims_of(lambda: admin_spaces.remove_holiday_opening(staff, hall.id, opening_id, now=NOW))

    assert found == {on_holiday.id: {"closed"}}
    assert db.session.get(HolidayOpening, opening_id) is not None
    admin_spaces.remove_holiday_opening(staff, hall.id, opening_id,
                                        Resolution({on_holiday.id: "cancel"}, message="Closed for Marine Day"),
                                        now=NOW)
    db.session.expire_all()
    assert db.session.get(HolidayOpening, opening_id) is None
    assert fresh(on_holiday).status == "cancelled"


def test_longer_buffers_make_the_later_booking_a_victim_that_must_be_cancelled(
        create_space, create_booking, staff, member):
    studio = create_space(hours=NINE_TO_SIX)
    first = create_booking(studio, member, local(SATURDAY, 10), local(SATURDAY, 11))
    second = create_booking(studio, member, local(SATURDAY, 11), local(SATURDAY, 12))
    longer = as_input(studio, setup_minutes=30)

    assert victims_of(lambda: admin_spaces.update_space(staff, studio.id, longer, now=NOW)) == {second.id: {"overlap"}}
    with pytest.raises(VictimsToResolve):  # nobody overrides overlap
        admin_spaces.update_space(staff, studio.id, longer, Resolution({second.id: "keep"}, reason="x"), now=NOW)
    db.session.rollback()

    admin_spaces.update_space(staff, studio.id, longer, Resolution({second.id: "cancel"}, message="Sorry"), now=NOW)

    assert fresh(second).status == "cancelled"
    hold = fresh(first).holds[0]
    assert (hold.occupied_start, hold.occupied_end) == (local(SATURDAY, 9, 30), local(SATURDAY, 11))


def test_fewer_desks_move_bookings_to_free_desks_or_else_they_must_be_cancelled(
        create_space, create_booking, staff, member):
    desks = create_space(kind="pooled", unit_count=4, hours=NINE_TO_SIX)
    low = create_booking(desks, member, local(SATURDAY, 10), local(SATURDAY, 12), units=(1,))
    movable = create_booking(desks, member, local(SATURDAY, 10), local(SATURDAY, 12), units=(4,))
    stuck = create_booking(desks, member, local(SATURDAY, 10), local(SATURDAY, 12), units=(3,))
    two = as_input(desks, unit_count=2)

    with pytest.raises(VictimsToResolve) as found:
        admin_spaces.update_space(staff, desks.id, two, now=NOW)
    db.session.rollback()
    by_id = {v.booking_id: v for v in found.value.victims}
    assert set(by_id) == {movable.id, stuck.id}
    assert by_id[movable.id].moved_to == (2,) and by_id[stuck.id].moved_to == ()

    admin_spaces.update_space(staff, desks.id, two,
                              Resolution({movable.id: "move", stuck.id: "cancel"}, message="Two desks left"), now=NOW)

    assert fresh(low).unit_numbers == [1]
    assert fresh(movable).unit_numbers == [2] and fresh(movable).status == "confirmed"
    assert fresh(stuck).status == "cancelled"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"max_minutes": 60}, "duration"),
        ({"min_notice_minutes": 7 * 24 * 60}, "notice"),
        ({"timezone": "Europe/Berlin"}, "hours"),
        ({"max_days_ahead": 2}, "horizon"),
    ],
)
def test_each_policy_field_names_the_rule_its_victims_break(create_space, create_booking, staff, member, change, code):
    room = create_space(hours=NINE_TO_SIX)
    booking = create_booking(room, member, local(SATURDAY, 10), local(SATURDAY, 12))

    assert victims_of(lambda: admin_spaces.update_space(staff, room.id, as_input(room, **change), now=NOW)) == {
        booking.id: {code}}

    admin_spaces.update_space(staff, room.id, as_input(room, **change), Resolution({booking.id: "keep"}, reason="ok"),
                              now=NOW)
    assert fresh(booking).status == "confirmed"


def test_a_booking_that_already_broke_a_rule_is_not_the_changes_victim(create_space, create_booking, staff, member):
    room = create_space(hours={d: ((time(9), time(12)),) for d in range(7)})
    overridden = create_booking(room, member, local(SATURDAY, 13), local(SATURDAY, 14), override_reason="TV")
    admin_spaces.set_opening_hours(staff, room.id, {n: "09:00-11:00" for n in range(7)}, now=NOW)
    assert fresh(overridden).status == "confirmed"


def test_victims_that_changed_since_staff_saw_them_are_shown_again(create_space, create_booking, staff, member):
    room = create_space(hours=NINE_TO_SIX)
    seen = create_booking(room, member, local(SATURDAY, 16), local(SATURDAY, 17))
    newer = create_booking(room, member, local(SATURDAY, 17), local(SATURDAY, 18))
    hours = {n: "09:00-15:00" for n in range(7)}
    with pytest.raises(VictimsToResolve) as found:
        admin_spaces.set_opening_hours(staff, room.id, hours, Resolution({seen.id: "keep"}, reason="ok"), now=NOW)
    db.session.rollback()
    assert {v.booking_id for v in found.value.victims} == {seen.id, newer.id}
    assert "changed meanwhile" in found.value.message
    assert fresh(seen).override_reason == ""


def test_buffers_that_shift_from_teardown_to_setup_reshape_back_to_back_holds(
        create_space, create_booking, staff, member):
    studio = create_space(hours=NINE_TO_SIX, teardown_minutes=30)
    first = create_booking(studio, member, local(SATURDAY, 10), local(SATURDAY, 11))
    second = create_booking(studio, member, local(SATURDAY, 11, 30), local(SATURDAY, 12))

    admin_spaces.update_space(staff, studio.id, as_input(studio, teardown_minutes=0, setup_minutes=30), now=NOW)

    assert [(h.occupied_start, h.occupied_end) for b in (first, second) for h in fresh(b).holds] == [
        (local(SATURDAY, 9, 30), local(SATURDAY, 11)), (local(SATURDAY, 11), local(SATURDAY, 12))]


def test_a_change_whose_victims_went_away_meanwhile_saves(create_space, create_booking, staff, member):
    room = create_space(hours=NINE_TO_SIX)
    late = create_booking(room, member, local(SATURDAY, 16), local(SATURDAY, 17), status="cancelled")
    hours = {n: "09:00-15:00" for n in range(7)}
    admin_spaces.set_opening_hours(staff, room.id, hours, Resolution({late.id: "cancel"}, message="x"), now=NOW)
    assert admin_spaces.hours_texts(db.session.get(Space, room.id))["day_5"] == "09:00-15:00"


def test_the_trail_names_the_staff_member_who_kept_or_cancelled_each_victim(
        create_space, create_booking, staff, member):
    room = create_space(hours=NINE_TO_SIX)
    kept = create_booking(room, member, local(SATURDAY, 15), local(SATURDAY, 16))
    cancelled = create_booking(room, member, local(SATURDAY, 16), local(SATURDAY, 17))
    hours = {n: "09:00-15:00" for n in range(7)}

    admin_spaces.set_opening_hours(staff, room.id, hours, Resolution(
        {kept.id: "keep", cancelled.id: "cancel"}, reason="Told in person", message="We close at 15:00"), now=NOW)

    events = db.session.execute(select(BookingEvent.booking_id, BookingEvent.action, BookingEvent.actor_id)
                                .where(BookingEvent.action.in_(("overridden", "cancelled")))).all()
    assert sorted(events) == sorted([(kept.id, "overridden", staff.id), (cancelled.id, "cancelled", staff.id)])


@pytest.mark.parametrize(("resolution", "message", "params", "status"), [
    ({"choice": "keep", "reason": "x"},
     "Booking %(id)s cannot be kept as it is: nobody overrides overlap or capacity.", {"id": "victim"}, 409),
    ({"choice": "cancel"}, "Write a message to the members whose bookings are cancelled.", {}, 409),
    ({"choice": "cancel", "message": "Sorry", "field_errors": {"message": ["Too long"]}},
     "Correct the fields marked below; nothing was saved yet.", {}, 422),
])
def test_a_resolution_refused_says_what_to_correct(create_space, create_booking, staff, member,
                                                   resolution, message, params, status):
    studio = create_space(hours=NINE_TO_SIX)
    create_booking(studio, member, local(SATURDAY, 10), local(SATURDAY, 11))
    victim = create_booking(studio, member, local(SATURDAY, 11), local(SATURDAY, 12))
    chosen = Resolution({victim.id: resolution["choice"]}, reason=resolution.get("reason", ""),
                        message=resolution.get("message", ""), field_errors=resolution.get("field_errors", {}))

    with pytest.raises(VictimsToResolve) as refused:
        admin_spaces.update_space(staff, studio.id, as_input(studio, setup_minutes=30), chosen, now=NOW)
    db.session.rollback()

    assert (refused.value.message, refused.value.status_code) == (message, status)
    assert refused.value.params == {k: victim.id for k in params}
    assert [v.booking_id for v in refused.value.victims] == [victim.id]
    assert fresh(victim).status == "confirmed"


def test_a_teardown_as_long_as_a_booking_extends_its_hold_by_that_much(create_space, create_booking, staff, member):
    studio = create_space(hours=NINE_TO_SIX)
    booking = create_booking(studio, member, local(SATURDAY, 10), local(SATURDAY, 11))

    admin_spaces.update_space(staff, studio.id, as_input(studio, teardown_minutes=60), now=NOW)

    assert [(h.occupied_start, h.occupied_end) for h in fresh(booking).holds] == [
        (local(SATURDAY, 10), local(SATURDAY, 12))]


def test_a_change_of_one_space_leaves_the_bookings_of_another_alone(create_space, create_booking, staff, member):
    room, other = create_space(hours=NINE_TO_SIX), create_space(hours=NINE_TO_SIX)
    elsewhere = create_booking(other, member, local(SATURDAY, 16), local(SATURDAY, 17))

    admin_spaces.set_opening_hours(staff, room.id, {n: "09:00-15:00" for n in range(7)}, now=NOW)

    assert admin_spaces.hours_texts(db.session.get(Space, room.id))["day_5"] == "09:00-15:00"
    assert fresh(elsewhere).status == "confirmed" and fresh(elsewhere).override_reason == ""


def test_a_booking_moved_to_a_free_desk_holds_it(create_space, create_booking, create_user, staff, member):
    desks = create_space(kind="pooled", unit_count=3, hours=NINE_TO_SIX)
    moving = create_booking(desks, member, local(SATURDAY, 10), local(SATURDAY, 12), units=(3,))
    two = as_input(desks, unit_count=2)

    admin_spaces.update_space(staff, desks.id, two, Resolution({moving.id: "move"}), now=NOW)

    assert [(h.unit_no, h.is_active) for h in fresh(moving).holds] == [(1, True)]


def test_victims_that_changed_meanwhile_are_shown_again_asking_to_choose_again(
        create_space, create_booking, staff, member):
    room = create_space(hours=NINE_TO_SIX)
    late = create_booking(room, member, local(SATURDAY, 16), local(SATURDAY, 17))

    with pytest.raises(VictimsToResolve) as refused:
        admin_spaces.set_opening_hours(staff, room.id, {n: "09:00-15:00" for n in range(7)},
                                       Resolution({late.id + 1: "cancel"}, message="x"), now=NOW)
    db.session.rollback()

    assert refused.value.message == "The bookings this change breaks changed meanwhile; please choose again."


def test_a_reason_of_exactly_2000_characters_is_accepted(create_space, create_booking, staff, member):
    room = create_space(hours=NINE_TO_SIX)
    late = create_booking(room, member, local(SATURDAY, 16), local(SATURDAY, 17))

    admin_spaces.set_opening_hours(staff, room.id, {n: "09:00-15:00" for n in range(7)},
                                   Resolution({late.id: "keep"}, reason="x" * 2000), now=NOW)

    assert fresh(late).override_reason == "x" * 2000


def test_a_pending_request_the_change_breaks_is_a_victim_too(create_space, create_booking, staff, member):
    room = create_space(hours=NINE_TO_SIX)
    waiting = create_booking(room, member, local(SATURDAY, 16), local(SATURDAY, 17), status="pending")

    found = victims_of(lambda: admin_spaces.set_opening_hours(staff, room.id, {n: "09:00-15:00" for n in range(7)},
                                                              now=NOW))

    assert found == {waiting.id: {"hours"}}


def test_a_message_over_2000_characters_is_refused_saying_the_limit(create_space, create_booking, staff, member):
    room = create_space(hours=NINE_TO_SIX)
    late = create_booking(room, member, local(SATURDAY, 16), local(SATURDAY, 17))

    with pytest.raises(VictimsToResolve) as refused:
        admin_spaces.set_opening_hours(staff, room.id, {n: "09:00-15:00" for n in range(7)},
                                       Resolution({late.id: "cancel"}, message="x" * 2001), now=NOW)
    db.session.rollback()

    assert refused.value.message % refused.value.params == "The text is too long (at most 2000 characters)."
    assert fresh(late).status == "confirmed"
