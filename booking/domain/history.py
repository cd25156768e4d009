"""Which opening rules were in force when: versions of a space, and closures as they stood.

A version holds from its `valid_from` until the next one's; before the first version
the first one holds (the space's rules before anything was recorded). A closure that
staff removed still counted up to its removal, so removing an old closure does not
rewrite the figures of the days it closed. Every instant is UTC; spans are half-open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from booking.domain.rules import holiday_closures
from booking.domain.values import ClosedRange, Policy, as_utc


@dataclass(frozen=True)
class RulesVersion:
    """A space's rules that decide when it is open, in force from `valid_from` on."""

    valid_from: datetime
    policy: Policy
    close_on_holidays: bool = False
    holiday_country: str = "JP"
    holiday_openings: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "valid_from", as_utc(self.valid_from))

    def closed_holidays(self, holidays: dict[date, str]) -> list[ClosedRange]:
        """Whole-day closures for `holidays` (the country's), unless the space opened on them."""
        if not self.close_on_holidays:
            return []
        kept = {day: name for day, name in holidays.items() if day not in self.holiday_openings}
        return holiday_closures(kept, self.policy)


@dataclass(frozen=True)
class RemovedClosure:
    """A closure that was removed at `removed_at`."""

    closure: ClosedRange
    removed_at: datetime


def in_force(versions: Sequence[RulesVersion], start_dt: datetime,
             end_dt: datetime) -> list[tuple[RulesVersion, datetime, datetime]]:
    """[start_dt, end_dt) cut where the version in force changes: (version, start, end), in order.

    `versions` need not be sorted; empty in, empty out.
    """
    start_dt, end_dt = as_utc(start_dt), as_utc(end_dt)
    ordered = sorted(versions, key=lambda v: v.valid_from)
    pieces: list[tuple[RulesVersion, datetime, datetime]] = []
    for n, version in enumerate(ordered):
        begins = start_dt if n == 0 else max(start_dt, version.valid_from)
        ends = end_dt if n + 1 == len(ordered) else min(end_dt, ordered[n + 1].valid_from)
        if begins < ends:
            pieces.append((version, begins, ends))
    return pieces


def closures_in_force(current: Iterable[ClosedRange], removed: Iterable[RemovedClosure]) -> list[ClosedRange]:
    """The current closures, and each removed one cut short at its removal."""
    kept = list(current)
    for gone in removed:
        closure = gone.closure
        ends = min(closure.end_dt, gone.removed_at)
        if closure.start_dt < ends:
            kept.append(ClosedRange(closure.start_dt, ends, closure.reason))
    return kept


def opening_of(rows: Iterable[Sequence[object]]) -> dict[int, tuple[tuple[time, time], ...]]:
    """[[weekday, "HH:MM", "HH:MM"], ...] (as a version stores it) as Policy.opening."""
    week: dict[int, list[tuple[time, time]]] = {}
    for weekday, opens, closes in rows:
        week.setdefault(int(str(weekday)), []).append((time.fromisoformat(str(opens)),
                                                       time.fromisoformat(str(closes))))
    return {day: tuple(sorted(periods)) for day, periods in week.items()}
