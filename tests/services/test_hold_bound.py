"""A booking made under a longer policy stays visible to the rules after staff shorten the policy.

Range reads of holds are bounded below by `spaces.longest_hold`; it must cover every active hold
still stored, not only what the current policy allows (spaces.hold_bound_minutes).
"""

from __future__ import annotations

from dataclasses import replace

from booking.extensions import db
from booking.models import Space
from booking.services import admin_spaces
from booking.services import bookings as booking_service
from booking.services.admin_spaces import SpaceInput
from booking.services.policy_changes import Resolution
from booking.services.spaces import longest_hold
from tests.services.conftest import hours, tokyo_day

START = tokyo_day(10)  # 09:00 in Tokyo
NOW = START - hours(48)


def as_input(space: Space, **changes) -> SpaceInput:
    values = {name: getattr(space, name) for name in SpaceInput.__dataclass_fields__}
    return replace(SpaceInput(**values), **changes)


def conflict_codes(space: Space, member, start, end) -> list[str]:
    db.session.expire_all()
    space = db.session.get(Space, space.id)
    data = booking_service.BookingInput(space_id=space.id, start_dt=start, end_dt=end, title="Check")
    conflicts, _units = booking_service.check_booking(db.session(), space, member, data, NOW, "en")
    return [c.code for c in conflicts]


def shorten_to_two_hours(staff, space: Space, kept) -> None:
    admin_spaces.update_space(staff, space.id, as_input(space, max_minutes=120),
                              Resolution({kept.id: "keep"}, reason="Booked before the change"), now=NOW)


def eight_hours_kept_under_two(create_space, create_user, create_booking):
    """(staff, another member, the room): an 8 h booking kept when staff cut the longest booking to 2 h."""
    staff, member, other = create_user(role="staff"), create_user(), create_user()
    room = create_space()
    shorten_to_two_hours(staff, room, create_booking(room, member, START, START + hours(8)))
    return staff, other, room


def test_an_eight_hour_booking_still_conflicts_after_the_longest_booking_is_cut_to_two_hours(
        create_space, create_user, create_booking):
    staff, other, room = eight_hours_kept_under_two(create_space, create_user, create_booking)

    assert conflict_codes(room, other, START + hours(4), START + hours(5)) == ["overlap"]


def test_a_kept_long_booking_given_a_longer_teardown_still_conflicts_at_its_end(
        create_space, create_user, create_booking):
    staff, other, room = eight_hours_kept_under_two(create_space, create_user, create_booking)
    db.session.expire_all()
    room = db.session.get(Space, room.id)
    admin_spaces.update_space(staff, room.id, as_input(room, teardown_minutes=60), now=NOW)

    # The hold now runs 09:00-18:00 (nine hours), longer than the old eight-hour limit.
    assert conflict_codes(room, other, START + hours(8.5), START + hours(9)) == ["overlap"]


def test_the_bound_follows_a_raised_policy_and_keeps_its_height_when_it_is_lowered(create_space, create_user):
    staff = create_user(role="staff")
    room = create_space(max_minutes=240, setup_minutes=30)
    assert longest_hold(room) == hours(4.5)
    admin_spaces.update_space(staff, room.id, as_input(room, max_minutes=600), now=NOW)
    db.session.expire_all()
    room = db.session.get(Space, room.id)
    assert longest_hold(room) == hours(10.5)
    admin_spaces.update_space(staff, room.id, as_input(room, max_minutes=60, setup_minutes=0), now=NOW)
    db.session.expire_all()
    assert longest_hold(db.session.get(Space, room.id)) == hours(10.5)


def test_a_space_row_written_without_the_orm_is_still_bounded_by_its_policy(
        create_space, create_user, create_booking):
    """The mark's server default is 0; a row inserted or reset by plain SQL keeps the policy's bound."""
    member, other = create_user(), create_user()
    room = create_space(max_minutes=480)
    create_booking(room, member, START, START + hours(4))
    db.session.execute(db.update(Space).where(Space.id == room.id).values(hold_bound_minutes=0)
                       .execution_options(synchronize_session=False))
    db.session.commit()

    assert conflict_codes(room, other, START + hours(3), START + hours(4)) == ["overlap"]
