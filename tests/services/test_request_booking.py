"""request_booking: confirmed or pending, concrete desks, and nothing written on a refusal."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, BookingHold, Closure
from booking.services import bookings as booking_service
from tests.services.conftest import hours, tokyo_day, written

START = tokyo_day(7) + hours(1)  # 10:00 in Tokyo, a week ahead


def reload(booking_id: int) -> Booking:
    db.session.expire_all()
    booking = db.session.get(Booking, booking_id)
    assert booking is not None
    return booking


def test_a_booking_without_approval_is_confirmed_and_holds_the_room(create_user, create_space, ask):
    member, room = create_user(), create_space()
    outcome = ask(member, room, START, START + hours(1), title="Kick-off")
    assert outcome.ok and outcome.conflicts == []
    booking = reload(outcome.booking.id)
    assert (booking.status, booking.title, booking.user_id) == ("confirmed", "Kick-off", member.id)
    assert (booking.start_dt, booking.end_dt) == (START, START + hours(1))
    assert [(h.unit_no, h.is_active) for h in booking.holds] == [(1, True)]


def test_a_booking_needing_approval_is_pending_and_already_holds_the_slot(create_user, create_space, ask):
    studio = create_space(requires_approval=True)
    first = ask(create_user(), studio, START, START + hours(1))
    assert reload(first.booking.id).status == "pending"
    second = ask(create_user(), studio, START + hours(0.5), START + hours(1.5))
    assert [c.code for c in second.conflicts] == ["overlap"]


def test_a_pending_request_does_not_hold_the_slot_when_the_space_says_so(create_user, create_space, ask):
    studio = create_space(requires_approval=True, pending_holds=False)
    first = ask(create_user(), studio, START, START + hours(1))
    assert [h.is_active for h in reload(first.booking.id).holds] == [False]
    assert ask(create_user(), studio, START, START + hours(1)).ok


def test_the_hold_covers_setup_and_teardown(create_user, create_space, ask):
    studio = create_space(setup_minutes=30, teardown_minutes=60)
    outcome = ask(create_user(), studio, START, START + hours(1))
    hold = reload(outcome.booking.id).holds[0]
    assert (hold.occupied_start, hold.occupied_end) == (START - hours(0.5), START + hours(2))


def test_a_pooled_booking_gets_the_lowest_desks_free_for_the_whole_booking(
    create_user, create_space, create_booking, ask
):
    desks = create_space(kind="pooled", unit_count=6)
    other = create_user()
    create_booking(desks, other, START, START + hours(1), units=(1, 2))
    create_booking(desks, other, START + hours(1), START + hours(2), units=(3,))
    outcome = ask(create_user(), desks, START, START + hours(2), seats=2)
    booking = reload(outcome.booking.id)
    assert booking.unit_numbers == [4, 5]
    assert booking.seats == 2
    assert all(h.occupied_start == START and h.occupied_end == START + hours(2) for h in booking.holds)


def test_chosen_desks_are_honoured(create_user, create_space, ask):
    desks = create_space(kind="pooled", unit_count=6)
    outcome = ask(create_user(), desks, START, START + hours(1), seats=2, units=(6, 3))
    assert reload(outcome.booking.id).unit_numbers == [3, 6]


def test_a_full_pooled_space_says_how_many_desks_are_free(create_user, create_space, create_booking, ask):
    desks = create_space(kind="pooled", unit_count=3)
    create_booking(desks, create_user(), START, START + hours(2), units=(1, 2))
    outcome = ask(create_user(), desks, START + hours(1), START + hours(2), seats=2)
    assert [c.code for c in outcome.conflicts] == ["capacity"]
    assert outcome.conflicts[0].params["free"] == 1
    assert outcome.conflicts[0].params["total"] == 3


# Each case: space settings, an offset/length of the request (hours from START), and the rule.
REFUSALS = [
    ("grid", {}, 0.25, 1, "grid"),
    ("too short", {"min_minutes": 120}, 0, 1, "duration"),
    ("too long", {"max_minutes": 60}, 0, 2, "duration"),
    ("outside hours", {}, -2, 1, "hours"),
    ("notice", {"min_notice_minutes": 60 * 24 * 30}, 0, 1, "notice"),
    ("horizon", {"max_days_ahead": 3}, 0, 1, "horizon"),
]


@pytest.mark.parametrize(
    ("settings", "offset", "length", "code"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_a_refused_request_names_the_rule_and_writes_nothing(
    create_user, create_space, ask, settings, offset, length, code
):
    space = create_space(**settings)
    before = written()
    outcome = ask(create_user(), space, START + hours(offset), START + hours(offset + length))
    assert not outcome.ok
    assert code in [c.code for c in outcome.conflicts]
    assert written() == before


def test_a_request_in_the_past_is_refused_and_writes_nothing(create_user, create_space, ask):
    space = create_space()
    past = tokyo_day(-3) + hours(1)
    outcome = ask(create_user(), space, past, past + hours(1))
    assert [c.code for c in outcome.conflicts] == ["past"]
    assert written() == (0, 0)


def test_an_overlapping_request_is_refused_and_writes_nothing(create_user, create_space, create_booking, ask):
    studio = create_space(setup_minutes=30, teardown_minutes=30)
    create_booking(studio, create_user(), START, START + hours(1))
    before = written()
    outcome = ask(create_user(), studio, START + hours(1), START + hours(2))
    assert [c.code for c in outcome.conflicts] == ["overlap"]
    assert written() == before


def test_a_closure_of_the_space_or_of_every_space_is_refused(create_user, create_space, ask):
    room, hall = create_space(), create_space()
    db.session.add_all([
        Closure(space_id=room.id, start_dt=START, end_dt=START + hours(3), reason="maintenance"),
        Closure(space_id=None, start_dt=START + hours(5), end_dt=START + hours(6), reason="inspection"),
    ])
    db.session.commit()
    member = create_user()
    refused = ask(member, room, START + hours(1), START + hours(2))
    assert [(c.code, c.params["reason"]) for c in refused.conflicts] == [("closed", "maintenance")]
    assert ask(member, hall, START + hours(1), START + hours(2)).ok
    everywhere = ask(member, hall, START + hours(5), START + hours(6))
    assert [(c.code, c.params["reason"]) for c in everywhere.conflicts] == [("closed", "inspection")]
    assert written() == (1, 1)


def test_the_locks_one_read_finds_the_holds_and_closures_the_two_reads_found(create_user, create_space,
                                                                             create_booking):
    # The booking POST reads both in one statement inside the space's lock (spaces.holds_and_closures).
    from booking.services import spaces

    room, hall = create_space(setup_minutes=30), create_space()
    member = create_user()
    create_booking(room, member, START, START + hours(1))
    create_booking(room, member, START + hours(3), START + hours(4))
    create_booking(hall, member, START, START + hours(1))
    db.session.add_all([
        Closure(space_id=room.id, start_dt=START + hours(1), end_dt=START + hours(2), reason="maintenance"),
        Closure(space_id=None, start_dt=START - hours(1), end_dt=START + hours(5), reason="inspection"),
        Closure(space_id=hall.id, start_dt=START, end_dt=START + hours(5), reason="hall only"),
        Closure(space_id=room.id, start_dt=START + hours(6), end_dt=START + hours(7), reason="later"),
    ])
    db.session.commit()
    policy = spaces.policy_of(room)
    held = (START - hours(2), START + hours(3) + timedelta(minutes=30))
    asked = (START + hours(1), START + hours(3))

    holds, closures = spaces.holds_and_closures(db.session(), room, policy, *held, *asked, "ja")

    assert sorted(holds, key=repr) == sorted(spaces.active_holds(db.session(), room, *held), key=repr)
    assert len(holds) == 2
    two_reads = spaces.closures_between(db.session(), room, policy, *asked, "ja")
    assert sorted(closures, key=repr) == sorted(two_reads, key=repr)
    assert sorted(c.reason for c in closures) == ["inspection", "maintenance"]


def next_japanese_holiday() -> date:
    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    calendar = holidays.country_holidays("JP", years=[today.year, today.year + 1])
    return min(day for day in calendar if day > today + timedelta(days=2))


def test_a_national_holiday_is_closed_when_the_space_closes_on_holidays(create_user, create_space, ask):
    holiday = next_japanese_holiday()
    start = datetime.combine(holiday, time(10), ZoneInfo("Asia/Tokyo"))
    closing = create_space(close_on_holidays=True, max_days_ahead=400)
    opening = create_space(close_on_holidays=False, max_days_ahead=400)
    member = create_user()
    assert [c.code for c in ask(member, closing, start, start + hours(1)).conflicts] == ["closed"]
    assert ask(member, opening, start, start + hours(1)).ok


def test_the_upcoming_bookings_quota_is_enforced(create_user, create_space, ask):
    space = create_space(quota_active_bookings=1)
    member = create_user()
    assert ask(member, space, START, START + hours(1)).ok
    refused = ask(member, space, START + hours(2), START + hours(3))
    assert [c.code for c in refused.conflicts] == ["quota"]
    assert ask(create_user(), space, START + hours(2), START + hours(3)).ok
    assert written() == (2, 2)


def test_a_refusal_by_the_database_guard_becomes_an_overlap_conflict(
    create_user, create_space, create_booking, ask, monkeypatch
):
    # Pretend the rules saw no holds (as a racing writer would): the database still refuses.
    room = create_space()
    create_booking(room, create_user(), START, START + hours(1))
    monkeypatch.setattr(booking_service, "holds_closures_and_waiting", lambda *args: ([], [], []))
    outcome = ask(create_user(), room, START, START + hours(1))
    assert [c.code for c in outcome.conflicts] == ["overlap"]
    assert written() == (1, 1)
    assert len(db.session.scalars(select(BookingHold)).all()) == 1


def test_checking_a_booking_names_its_conflicts_or_the_desks_it_would_get_and_writes_nothing(
    create_user, create_space, create_booking
):
    desks = create_space(kind="pooled", unit_count=3)
    create_booking(desks, create_user(), START, START + hours(2), units=(1,))
    member = create_user()

    def check(seats: int):
        data = booking_service.BookingInput(space_id=desks.id, start_dt=START, end_dt=START + hours(1),
                                            title="Check", seats=seats)
        return booking_service.check_booking(db.session(), desks, member, data, START - hours(48), "en")

    assert check(2) == ([], [2, 3])
    conflicts, units = check(3)
    assert ([c.code for c in conflicts], units) == (["capacity"], None)
    assert written() == (1, 1)


def test_a_member_who_has_not_confirmed_their_address_is_asked_to_first(create_space, create_user):
    from booking.services import ServiceError
    from booking.services.bookings import BookingInput, request_booking
    from tests.services.conftest import tokyo_day, written

    unverified, studio = create_user(email_verified_at=None), create_space()
    start = tokyo_day() + timedelta(hours=1)

    with pytest.raises(ServiceError) as refused:
        request_booking(unverified, BookingInput(studio.id, start, start + timedelta(hours=1), "Meeting"))

    assert refused.value.message == "Please confirm your e-mail address before booking."
    assert written() == (0, 0)
