"""Plain values the rules work on: policy, holds, closures, requests, conflicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo


def N_(message: str) -> str:
    """Mark a message for translation; the presentation layer translates it."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message with a count for translation as (singular, plural); shown with ngettext."""
    return singular, plural


# A value in a message. A `date` or a local (aware) `datetime` stays typed until the page or
# mail shows it: booking.dates.localise writes it per locale (2026年12月4日(金) / Fri 4 Dec 2026).
@dataclass(frozen=True)
class YearMonth:
    """A calendar month in a message ("2026年2月" / "Feb 2026" once shown)."""

    year: int
    month: int


class Minutes(int):
    """A length of time in a message, in whole minutes. Every page, form, refusal and mail writes
    it the same way (booking.dates.format_duration: 1時間30分 / 1 h 30 min), never as a bare number."""


class Listed(tuple[object, ...]):
    """A list in a message (desk numbers, opening periods, rule codes). Every page, refusal, mail and
    feed joins it the same way (booking.dates.join_list: 1、2、3 / 1, 2, 3), never with a fixed ", "."""


class Range(tuple[object, object]):
    """A range in a message (first, last), e.g. an opening period's clock times. Every page, refusal,
    mail and feed writes it the same way (booking.dates.format_range: 09:00～12:00 / 09:00–12:00)."""


MessageValue = str | int | date | YearMonth | Listed | Range


def duration_text(minutes: int) -> str:
    """A length in English for logs and untranslated text (Conflict.render): 30 min, 1 h 30 min, 2 days."""
    days, rest = divmod(int(minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} day" + ("s" if days != 1 else "")] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{mins} min"] if mins or not parts else []
    return " ".join(parts)


def plain_value(value: MessageValue) -> str | int:
    """A message value for logs and untranslated text: dates as ISO 8601 (2026-12-04, 2026-12-04 15:00)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, YearMonth):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, Minutes):
        return duration_text(value)
    if isinstance(value, Range):
        return f"{plain_value(value[0])}–{plain_value(value[1])}"  # type: ignore[arg-type]
    if isinstance(value, Listed):
        return ", ".join(str(plain_value(item)) for item in value)  # type: ignore[arg-type]
    return value


def as_utc(instant: datetime) -> datetime:
    """The same instant in UTC; naive datetimes are refused, never guessed."""
    if instant.tzinfo is UTC:
        return instant  # the common case (rows from the database, instants already converted)
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("the rules need aware datetimes")
    return instant.astimezone(UTC)


def _normalise(value: object, *names: str) -> None:
    # Aware datetimes sharing one tzinfo compare and subtract as wall times (Python ignores
    # the UTC offset and `fold` then), which is wrong across daylight saving switches.
    # Every instant the rules see is therefore kept in UTC.
    for name in names:
        object.__setattr__(value, name, as_utc(getattr(value, name)))


@dataclass(frozen=True)
class Policy:
    """A space's booking policy, as the rules need it."""

    timezone: str = "Asia/Tokyo"
    kind: str = "exclusive"
    unit_count: int = 1
    slot_minutes: int = 30
    min_minutes: int = 30
    max_minutes: int = 480
    setup_minutes: int = 0
    teardown_minutes: int = 0
    min_notice_minutes: int = 0
    max_days_ahead: int = 90
    quota_active_bookings: int | None = None
    quota_hours_per_week: int | None = None
    opening: Mapping[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)

    @cached_property
    def zone(self) -> ZoneInfo:
        # Read for every instant the rules convert: looked up once per policy, not per use.
        return ZoneInfo(self.timezone)

    @cached_property
    def memo(self) -> dict[object, object]:
        """Values the rules derive from this policy alone (it never changes), kept for its lifetime."""
        return {}

    @cached_property
    def key(self) -> tuple[object, ...]:
        """Every value of the policy in one hashable tuple (`opening` as sorted weekday pairs)."""
        values = [getattr(self, f.name) for f in fields(self) if f.name != "opening"]
        return (*values, tuple(sorted(self.opening.items())))

    @property
    def is_pooled(self) -> bool:
        return self.kind == "pooled"

    @property
    def setup(self) -> timedelta:
        return timedelta(minutes=self.setup_minutes)

    @property
    def teardown(self) -> timedelta:
        return timedelta(minutes=self.teardown_minutes)


@dataclass(frozen=True)
class Hold:
    """An active hold of one unit over an occupied interval (buffers included)."""

    booking_id: int
    user_id: int
    unit_no: int
    start_dt: datetime
    end_dt: datetime

    def __post_init__(self) -> None:
        _normalise(self, "start_dt", "end_dt")


@dataclass(frozen=True)
class ClosedRange:
    """A closed range of a space (a closure, or a closed holiday), with its reason."""

    start_dt: datetime
    end_dt: datetime
    reason: str = ""

    def __post_init__(self) -> None:
        _normalise(self, "start_dt", "end_dt")


@dataclass(frozen=True)
class Request:
    """What a member asks for: an interval in UTC and a number of units."""

    start_dt: datetime
    end_dt: datetime
    seats: int = 1
    user_id: int = 0

    def __post_init__(self) -> None:
        _normalise(self, "start_dt", "end_dt")

    @property
    def length(self) -> timedelta:
        return self.end_dt - self.start_dt


@dataclass(frozen=True)
class Usage:
    """The member's own active bookings in this space (for quotas)."""

    intervals: tuple[tuple[datetime, datetime], ...] = ()

    def __post_init__(self) -> None:
        utc = tuple((as_utc(start), as_utc(end)) for start, end in self.intervals)
        object.__setattr__(self, "intervals", utc)

    def future_count(self, now: datetime) -> int:
        return sum(1 for _start, end in self.intervals if end > now)


@dataclass(frozen=True)
class Conflict:
    """One broken rule: a stable code and a translatable message with its values."""

    code: str
    message: str
    params: Mapping[str, MessageValue] = field(default_factory=dict)

    def render(self) -> str:
        """The untranslated message with its values filled in (dates as ISO 8601, for logs and tests)."""
        return self.message % {key: plain_value(value) for key, value in self.params.items()}


OVERRIDABLE = frozenset({"notice", "horizon", "hours", "quota"})


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants (in UTC) where a local calendar day starts and ends."""
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return as_utc(start), as_utc(end)
