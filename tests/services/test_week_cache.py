"""The week grid keeps its clock-free facts per input: never stale after a change, and the clock still counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.caches import BoundedCache
from booking.domain.grid import build_week
from booking.services import admin_spaces, spaces
from booking.services.bookings import BookingInput, cancel_booking, request_booking
from booking.services.spaces import (
    active_holds,
    closures_between,
    own_intervals,
    policy_of,
    week_facts_cache,
    week_view,
)
from booking.services.staff import reject

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2030, 6, 2, 0, 0, tzinfo=UTC)  # Sunday 2030-06-02, 09:00 in Tokyo
MONDAY = date(2030, 6, 3)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TOKYO)


def state(grid, day: date, hour: int, minute: int = 0) -> str:
    return grid.cell(day, time(hour, minute)).state


@pytest.fixture(autouse=True)
def empty_cache():
    week_facts_cache.clear()
    yield
    week_facts_cache.clear()


def book(member, space, start: datetime, hours: int = 1, now: datetime = NOW):
    outcome = request_booking(member, BookingInput(space_id=space.id, start_dt=start,
                                                   end_dt=start + timedelta(hours=hours), title="Test"), now=now)
    assert outcome.ok, outcome.conflicts
    return outcome.booking


def test_a_booking_made_after_the_week_was_seen_shows_at_once_and_its_cancellation_too(create_space, create_user):
    space, member, other = create_space(), create_user(), create_user()
    assert state(week_view(space, MONDAY, other.id, NOW, "ja"), MONDAY, 10) == "free"
    booking = book(member, space, local(MONDAY, 10))
    assert state(week_view(space, MONDAY, other.id, NOW, "ja"), MONDAY, 10) == "taken"
    cancel_booking(member, booking.id, now=NOW)
    assert state(week_view(space, MONDAY, other.id, NOW, "ja"), MONDAY, 10) == "free"


def test_each_viewer_sees_their_own_booking_as_mine_and_the_others_see_it_taken(create_space, create_user):
    space, member, other = create_space(), create_user(), create_user()
    book(member, space, local(MONDAY, 10))
    assert state(week_view(space, MONDAY, member.id, NOW, "ja"), MONDAY, 10) == "mine"
    assert state(week_view(space, MONDAY, other.id, NOW, "ja"), MONDAY, 10) == "taken"
    assert state(week_view(space, MONDAY, member.id, NOW, "ja"), MONDAY, 10) == "mine"


def test_a_request_rejected_after_the_week_was_seen_frees_its_slot_at_once(create_space, create_user):
    space = create_space(requires_approval=True)
    member, other, staff = create_user(), create_user(), create_user(role="staff")
    request = book(member, space, local(MONDAY, 10))
    assert request.status == "pending"
    assert state(week_view(space, MONDAY, other.id, NOW, "ja"), MONDAY, 10) != "free"  # pending requests hold
    reject(staff, request.id, "Recording that day", now=NOW)
    assert state(week_view(space, MONDAY, other.id, NOW, "ja"), MONDAY, 10) == "free"


def test_two_spaces_alike_in_settings_and_change_count_each_show_their_own_holds(create_space, create_user):
    first, second = create_space(slug="room-a"), create_space(slug="room-b")
    member = create_user()
    book(member, first, local(MONDAY, 10))
    book(member, second, local(MONDAY, 14))
    assert first.feed_version == second.feed_version  # the counter stands for the holds of one space
    for space, taken, free in ((first, 10, 14), (second, 14, 10), (first, 10, 14)):
        grid = week_view(space, MONDAY, None, NOW, "ja")
        assert (state(grid, MONDAY, taken), state(grid, MONDAY, free)) == ("taken", "free")


def test_a_closure_added_after_the_week_was_seen_closes_its_cells(create_space, create_user):
    space = create_space()
    assert state(week_view(space, MONDAY, None, NOW, "ja"), MONDAY, 10) == "free"
    admin_spaces.add_closure(admin_spaces.ClosureInput(
        space_id=space.id, start_local=datetime(2030, 6, 3, 10), end_local=datetime(2030, 6, 3, 12), reason="点検"))
    assert state(week_view(space, MONDAY, None, NOW, "ja"), MONDAY, 10) == "closed"


def test_a_kept_week_still_follows_the_clock(create_space):
    space = create_space(min_notice_minutes=60)
    assert state(week_view(space, MONDAY, None, NOW, "ja"), MONDAY, 10) == "free"
    assert len(week_facts_cache) == 1
    later = local(MONDAY, 9, 30).astimezone(UTC)
    grid = week_view(space, MONDAY, None, later, "ja")
    assert len(week_facts_cache) == 1  # the same facts, read again
    assert state(grid, MONDAY, 9) == "past"  # passed
    assert state(grid, MONDAY, 10) == "past"  # inside the hour of notice
    assert state(grid, MONDAY, 10, 30) == "free"


def test_a_changed_opening_is_a_new_policy_and_a_new_grid(create_space, create_user):
    space = create_space()
    assert state(week_view(space, MONDAY, None, NOW, "ja"), MONDAY, 10) == "free"
    space.min_minutes = 120
    grid = week_view(space, MONDAY, None, NOW, "ja")
    assert state(grid, MONDAY, 20) == "closed"  # two hours from 20:00 pass the 21:00 close
    space.min_minutes = 30
    assert state(week_view(space, MONDAY, None, NOW, "ja"), MONDAY, 20) == "free"


def test_the_kept_grid_is_the_grid_the_rules_build(create_space, create_user):
    space = create_space(kind="pooled", unit_count=3, setup_minutes=30)
    member, other = create_user(), create_user()
    book(member, space, local(MONDAY, 10))
    # Holds of one interval on two units, and of another interval overlapping them: the grid
    # reads the holds grouped by interval (`held_units`), the rules one by one.
    book(other, space, local(MONDAY, 10))
    book(other, space, local(MONDAY, 11), hours=2)
    book(member, space, local(MONDAY + timedelta(days=6), 19))
    week_view(space, MONDAY, member.id, NOW, "ja")
    kept = week_view(space, MONDAY, member.id, NOW + timedelta(hours=30), "ja")
    policy = policy_of(space)
    start, end = local(MONDAY, 0), local(MONDAY + timedelta(days=7), 0)
    margin = spaces.longest_hold(space)
    fresh = build_week(policy, MONDAY, active_holds(spaces.db.session, space, start - margin, end + margin),
                       closures_between(spaces.db.session, space, policy, start, end, "ja"),
                       own_intervals(spaces.db.session, space, member.id, start, end), NOW + timedelta(hours=30))
    assert kept == fresh


def test_the_cache_drops_the_least_recently_used_beyond_its_bound():
    cache: BoundedCache[str] = BoundedCache(10, size=len)
    cache.put("a", "12345")
    cache.put("b", "1234")
    assert cache.get("a") == "12345"  # a is now the most recently used
    cache.put("c", "123")
    assert cache.get("b") is None and cache.get("a") == "12345" and cache.get("c") == "123"
    assert cache.used == 8
    cache.put("huge", "x" * 11)
    assert cache.get("huge") is None and cache.used == 8


def test_the_spaces_page_reads_all_spaces_at_once_and_says_what_each_space_alone_says(create_space, create_user):
    from booking.domain.hints import free_start_count, next_free_start

    studio, desks = create_space(), create_space(kind="pooled", unit_count=2, timezone="Europe/Berlin")
    hall = create_space(min_notice_minutes=120, setup_minutes=30)
    member = create_user()
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.astimezone(TOKYO).date()
    tomorrow_noon = local(today + timedelta(days=1), 12)
    for space in (studio, hall):
        book(member, space, tomorrow_noon.replace(hour=10), hours=2, now=now)
    admin_spaces.add_closure(admin_spaces.ClosureInput(
        space_id=None, start_local=tomorrow_noon.replace(tzinfo=None), end_local=tomorrow_noon.replace(
            tzinfo=None, hour=15), reason="点検"))
    found = spaces.availabilities([studio, desks, hall], now, "ja")
    for space in (studio, desks, hall):
        policy = policy_of(space)
        day = now.astimezone(policy.zone).date()
        start = datetime.combine(day, time(0), policy.zone)
        end = start + timedelta(days=2)
        margin = spaces.longest_hold(space)
        holds = active_holds(spaces.db.session, space, start - margin, end + margin)
        closures = closures_between(spaces.db.session, space, policy, start, end, "ja")
        alone = found[space.id]
        assert alone.free_today == free_start_count(day, policy, holds, closures, now)
        assert alone.free_tomorrow == free_start_count(day + timedelta(days=1), policy, holds, closures, now)
        assert alone.next_start == next_free_start(policy, holds, closures, now, search_days=1)
        assert alone == spaces.availability(space, now, "ja")


def test_a_space_full_today_and_tomorrow_opens_where_the_two_week_search_says(create_space, create_user):
    from booking.domain.hints import SEARCH_DAYS, next_free_start

    studio, desks = create_space(), create_space(kind="pooled", unit_count=1)
    member = create_user()
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.astimezone(TOKYO).date()
    for space in (studio, desks):
        admin_spaces.add_closure(admin_spaces.ClosureInput(
            space_id=space.id, start_local=local(today, 0).replace(tzinfo=None),
            end_local=local(today + timedelta(days=2), 0).replace(tzinfo=None), reason="改装"))
        book(member, space, local(today + timedelta(days=2), 9), hours=3, now=now)

    def alone(space):
        policy = policy_of(space)
        start = datetime.combine(today, time(0), policy.zone)
        end = start + timedelta(days=SEARCH_DAYS + 1)
        margin = spaces.longest_hold(space)
        holds = active_holds(spaces.db.session, space, start - margin, end + margin)
        closures = closures_between(spaces.db.session, space, policy, start, end, "ja")
        return next_free_start(policy, holds, closures, now)

    found = spaces.availabilities([studio, desks], now, "ja")
    for space in (studio, desks):
        assert found[space.id].free_today == found[space.id].free_tomorrow == 0
        assert found[space.id].next_start is not None
        assert found[space.id].next_start == alone(space)
    # A new booking changes the answer at once: the kept search is keyed by the holds.
    first = found[studio.id].next_start
    book(member, studio, first.astimezone(TOKYO), hours=1, now=now)
    again = spaces.availabilities([studio], now, "ja")[studio.id]
    assert again.next_start == alone(studio) != first
    # Closed for the whole search: nothing to open on.
    admin_spaces.add_closure(admin_spaces.ClosureInput(
        space_id=desks.id, start_local=local(today, 0).replace(tzinfo=None),
        end_local=local(today + timedelta(days=SEARCH_DAYS + 2), 0).replace(tzinfo=None), reason="改装"))
    assert spaces.availabilities([desks], now, "ja")[desks.id].next_start is None is alone(desks)


def test_a_space_with_no_opening_hours_has_nothing_free_until_it_opens(create_space):
    from booking.domain.hints import next_free_start
    from booking.models import OpeningPeriod

    closed = create_space(hours={})
    studio = create_space()
    now = datetime.now(UTC).replace(microsecond=0)
    listing = spaces.listed_spaces()
    found = spaces.availabilities(listing.spaces, now, "ja", listing.policies)
    assert (found[closed.id].next_start, found[closed.id].free_today, found[closed.id].free_tomorrow) == (None, 0, 0)
    assert found[closed.id].today == now.astimezone(TOKYO).date()
    assert next_free_start(policy_of(closed), [], [], now) is None
    assert found[studio.id] == spaces.availability(studio, now, "ja")
    for day in range(7):
        closed.opening_hours.append(OpeningPeriod(weekday=day, open_time=time(0), close_time=time(0),
                                                  close_next_day=True))
    spaces.db.session.commit()
    listing = spaces.listed_spaces()
    opened = spaces.availabilities(listing.spaces, now, "ja", listing.policies)[closed.id]
    assert opened.next_start is not None and opened.free_tomorrow == 48
