"""Which rules were in force when: versions cut a period where they change; removed closures stop at removal."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from booking.domain.history import RemovedClosure, RulesVersion, closures_in_force, in_force, opening_of
from booking.domain.values import ClosedRange, Policy


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, tzinfo=UTC)


V1 = RulesVersion(datetime(1970, 1, 1, tzinfo=UTC), Policy(unit_count=1))
V2 = RulesVersion(at(10), Policy(unit_count=2))
V3 = RulesVersion(at(20), Policy(unit_count=3))


@pytest.mark.parametrize(("start", "end", "expected"), [
    (at(1), at(5), [(1, at(1), at(5))]),                                    # before any change
    (at(1), at(15), [(1, at(1), at(10)), (2, at(10), at(15))]),             # across one change
    (at(1), at(25), [(1, at(1), at(10)), (2, at(10), at(20)), (3, at(20), at(25))]),
    (at(10), at(20), [(2, at(10), at(20))]),                                # exactly one version
    (at(21), at(22), [(3, at(21), at(22))]),                                # after the last change
])
def test_a_period_is_cut_where_the_version_in_force_changes(start, end, expected):
    pieces = in_force([V3, V1, V2], start, end)
    assert [(v.policy.unit_count, a, z) for v, a, z in pieces] == expected


def test_before_the_first_version_the_first_one_holds():
    assert [(v.policy.unit_count, a, z) for v, a, z in in_force([V2, V3], at(1), at(12))] == [
        (2, at(1), at(12))]
    assert in_force([], at(1), at(2)) == []


def test_a_removed_closure_counts_up_to_its_removal_only():
    current = [ClosedRange(at(1), at(2), "now")]
    removed = [RemovedClosure(ClosedRange(at(5), at(9), "cut"), at(7)),
               RemovedClosure(ClosedRange(at(12), at(14), "never in force"), at(11)),
               RemovedClosure(ClosedRange(at(15), at(16), "whole"), at(20))]
    assert closures_in_force(current, removed) == [
        ClosedRange(at(1), at(2), "now"), ClosedRange(at(5), at(7), "cut"), ClosedRange(at(15), at(16), "whole")]


def test_holidays_close_unless_the_space_opened_on_them():
    from datetime import date
    version = RulesVersion(at(1), Policy(timezone="UTC"), close_on_holidays=True,
                           holiday_openings=frozenset({date(2026, 7, 20)}))
    closed = version.closed_holidays({date(2026, 7, 20): "Marine Day", date(2026, 9, 21): "Respect for the Aged"})
    assert [(c.start_dt, c.reason) for c in closed] == [(datetime(2026, 9, 21, tzinfo=UTC), "Respect for the Aged")]
    assert RulesVersion(at(1), Policy()).closed_holidays({date(2026, 9, 21): "x"}) == []


def test_stored_opening_rows_become_the_policys_week():
    assert opening_of([[0, "13:00", "18:00"], [0, "09:00", "12:00"], [4, "22:00", "02:00"]]) == {
        0: ((time(9), time(12)), (time(13), time(18))), 4: ((time(22), time(2)),)}


def test_a_version_keeps_its_start_in_utc():
    from zoneinfo import ZoneInfo

    version = RulesVersion(datetime(2026, 6, 2, 9, tzinfo=ZoneInfo("Asia/Tokyo")), Policy())
    assert version.valid_from == at(2, 0) and version.valid_from.tzinfo is UTC


def test_a_closure_removed_the_moment_it_began_never_closed_anything():
    removed = [RemovedClosure(ClosedRange(at(5), at(7), "never"), removed_at=at(5))]
    assert closures_in_force([], removed) == []
