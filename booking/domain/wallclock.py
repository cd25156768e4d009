"""Local wall times as people type them: times a clock change skips, and times it repeats.

Python quietly maps a skipped wall time (02:30 on a spring-forward night) to an
instant that reads differently on the clock, and reads a repeated one (01:30 on a
fall-back night) as its first occurrence unless `fold=1` asks for the second.
These helpers make both cases explicit, so a form can refuse the first and offer
a choice for the second, and a feed can write a repeated time in UTC
(RFC 5545 §3.3.5 reads a repeated local time with a TZID as its first occurrence).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)
# No zone has skipped more than a day (Samoa, 2011-12-30); searching two is enough.
LONGEST_GAP = timedelta(days=2)


class NonexistentTime(ValueError):
    """A wall time the clocks skip; `first_valid` is the first local time after the gap."""

    def __init__(self, wall: datetime, first_valid: datetime) -> None:
        super().__init__(f"{wall:%Y-%m-%d %H:%M} does not exist; the first valid time is {first_valid:%H:%M}")
        self.wall = wall
        self.first_valid = first_valid


def exists(day: date, at: time, zone: ZoneInfo) -> bool:
    """Whether the wall clock of `zone` shows `at` on `day` at all."""
    local = datetime.combine(day, at.replace(fold=0), zone)
    back = local.astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None, fold=0) == local.replace(tzinfo=None, fold=0)


def is_repeated(day: date, at: time, zone: ZoneInfo) -> bool:
    """Whether `at` on `day` happens twice (the hour an autumn clock change repeats)."""
    if not exists(day, at, zone):
        return False
    first = datetime.combine(day, at.replace(fold=0), zone)
    return first.utcoffset() != first.replace(fold=1).utcoffset()


def is_repeated_instant(instant: datetime, zone: ZoneInfo) -> bool:
    """Whether an instant's local wall time in `zone` is one the clocks show twice."""
    local = instant.astimezone(zone)
    return local.utcoffset() != local.replace(fold=1 - local.fold).utcoffset()


def first_valid(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first existing local wall time at or after `at` on `day` (aware, in `zone`)."""
    wall = datetime.combine(day, at.replace(fold=0))
    limit = wall + LONGEST_GAP
    while wall < limit and not exists(wall.date(), wall.time(), zone):
        wall += MINUTE
    return wall.replace(tzinfo=zone)


def wall_instant(day: date, at: time, zone: ZoneInfo, fold: int = 0) -> datetime:
    """The instant (UTC) a wall clock shows `at` on `day`; `fold=1` picks a repeated time's second occurrence.

    Raises NonexistentTime for a time the clocks skip, naming the first valid one.
    Outside a repeated hour `fold` changes nothing.
    """
    if not exists(day, at, zone):
        raise NonexistentTime(datetime.combine(day, at, zone), first_valid(day, at, zone))
    return datetime.combine(day, at.replace(fold=1 if fold else 0), zone).astimezone(UTC)


def utc_offset_label(instant: datetime, zone: ZoneInfo) -> str:
    """The UTC offset the wall clock of `zone` has at `instant`, as "UTC-04:00"."""
    offset = instant.astimezone(zone).utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
