"""Check-in at the door: the code on a confirmation, what a scan may do, and the day's counts.

A check-in code is eight characters of Crockford's base32 (no I, L, O or U, so
nothing reads as another character): seven random ones and a check character, shown
as `ABCD-EFGH`. Typing is forgiving (lower case, spaces, hyphens, O for 0, I and L
for 1); the check character catches a single mistyped character and most swapped
neighbours, so the door says "not a valid code" rather than "unknown". A scanner may
read the whole QR text (a link with `code=`), which is accepted too.

The rules are pure: the services pass the registration's state and the clock.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from booking.domain.values import as_utc

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DATA_LENGTH = 7
CODE_LENGTH = DATA_LENGTH + 1
RANDOM_BYTES = 5  # 40 bits, of which the 35 of seven characters are used
_WEIGHTS = (1, 3, 5, 7, 9, 11, 13)  # odd: invertible mod 32, so one wrong character always shows
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IN_LINK = re.compile(r"[?&]code=([^&#\s]+)")


def check_character(data: str) -> str:
    """The check character of seven code characters (weighted sum mod 32)."""
    total = sum(weight * ALPHABET.index(char) for weight, char in zip(_WEIGHTS, data, strict=True))
    return ALPHABET[total % 32]


def new_code(random_bytes: bytes) -> str:
    """A code from at least RANDOM_BYTES random bytes (the caller draws them: the domain has no randomness)."""
    if len(random_bytes) < RANDOM_BYTES:
        raise ValueError("a check-in code needs 5 random bytes")
    number = int.from_bytes(random_bytes[:RANDOM_BYTES], "big") >> (RANDOM_BYTES * 8 - DATA_LENGTH * 5)
    data = "".join(ALPHABET[(number >> (5 * (DATA_LENGTH - 1 - i))) & 31] for i in range(DATA_LENGTH))
    return data + check_character(data)


def display_code(code: str) -> str:
    """`ABCD-EFGH`: two groups of four, easier to read out and type."""
    return f"{code[:4]}-{code[4:]}"


def normalise_code(typed: str) -> str | None:
    """The code someone typed or a scanner read, as stored; None when it cannot be a code.

    Accepts a QR link (`…?code=ABCD-EFGH`), any case, full-width characters, spaces and
    hyphens, and the characters people confuse (O/0, I/L/1). A wrong check character gives None.
    """
    text = unicodedata.normalize("NFKC", typed[:200])  # full-width letters from a Japanese IME
    found = _IN_LINK.search(text)
    text = found.group(1) if found else text
    cleaned = re.sub(r"[\s\-‐-―ー]", "", text).upper().translate(_TYPOS)
    if len(cleaned) != CODE_LENGTH or any(char not in ALPHABET for char in cleaned):
        return None
    return cleaned if check_character(cleaned[:DATA_LENGTH]) == cleaned[DATA_LENGTH] else None


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    ALREADY = "already"  # checked in before: the door is told when, never twice
    CANCELLED = "cancelled"  # the registration was cancelled: refused
    WAITING = "waiting"  # still on the waiting list: no seat, refused
    UNKNOWN = "unknown"  # no registration of this event has the code
    NOT_TODAY = "not_today"  # outside the event's day: the door is not open yet, or no longer
    UNDONE = "undone"  # not a scan's: the check-in was taken back (said like the others)


DOOR_OPENS_BEFORE = timedelta(hours=3)

# The address a registration keeps once its person is forgotten (deleted through the personal link, or the
# event's data removed): unique per event as the column must be, under the reserved TLD, and never shown.
FORGOTTEN_PREFIX, FORGOTTEN_SUFFIX = "deleted-", "@invalid"


def forgotten_email(registration_id: int) -> str:
    """The placeholder address of a forgotten registration."""
    return f"{FORGOTTEN_PREFIX}{registration_id}{FORGOTTEN_SUFFIX}"


def is_forgotten(email: str) -> bool:
    """Whether `email` is a forgotten registration's placeholder: shown as nothing, never searched, and its
    check-in is not undone (nobody could cancel the seats it would then hold)."""
    return email.startswith(FORGOTTEN_PREFIX) and email.endswith(FORGOTTEN_SUFFIX)


def door_window(event_start: datetime, event_end: datetime, zone: str) -> tuple[datetime, datetime]:
    """When the door accepts check-ins: [opens, closes), in UTC.

    It opens DOOR_OPENS_BEFORE the start, but never before the local midnight of the
    event's day, and closes at the end of that local day (or at the end of an
    event running past midnight).
    """
    local_zone = ZoneInfo(zone)
    start, end = as_utc(event_start), as_utc(event_end)
    day = start.astimezone(local_zone).date()
    midnight = datetime.combine(day, time(0), local_zone).astimezone(start.tzinfo)
    day_end = datetime.combine(day + timedelta(days=1), time(0), local_zone).astimezone(start.tzinfo)
    return max(start - DOOR_OPENS_BEFORE, midnight), max(day_end, end)


def is_door_open(event_start: datetime, event_end: datetime, zone: str, now: datetime) -> bool:
    """Whether a check-in at `now` is allowed: only on the event's day (see door_window)."""
    opens, closes = door_window(event_start, event_end, zone)
    return opens <= as_utc(now) < closes


def checkin_outcome(status: str | None, checked_in_at: datetime | None) -> Outcome:
    """What a scan of a registration in `status` (None: not found) does.

    Only a registered (confirmed) party that has not checked in yet is let in.
    """
    if status is None:
        return Outcome.UNKNOWN
    if status == "cancelled":
        return Outcome.CANCELLED
    if status != "registered":
        return Outcome.WAITING
    if checked_in_at is not None:
        return Outcome.ALREADY
    return Outcome.ACCEPTED


def standing(status: str, checked_in_at: datetime | None) -> str:
    """Where a registration stands on the event's day, as the attendee list and the door's rows say it.

    "checked_in" for a registered party that has checked in, "expected" for one that has not yet; any other
    status (waiting, offered, cancelled, expired) as it is: such a party has no seat, so a check-in left over
    from before it lost its seat does not count (the tally counts registered parties only).
    """
    if status != "registered":
        return status
    return "expected" if checked_in_at is None else "checked_in"


def is_checked_in(status: str, checked_in_at: datetime | None) -> bool:
    """Whether a party counts as at the event (standing "checked_in"): such a registration is settled, so it
    can no longer be cancelled or changed through its personal link, and only it has a check-in to undo."""
    return standing(status, checked_in_at) == "checked_in"


def can_undo_check_in(status: str, checked_in_at: datetime | None, forgotten: bool) -> bool:
    """Whether the door may offer to take a check-in back: only a party standing checked in, and not one that
    deleted its data (undone, it would hold seats that no personal link can cancel any more)."""
    return is_checked_in(status, checked_in_at) and not forgotten


def standing_outcome(claimed: Outcome, status: str | None, checked_in_at: datetime | None,
                     is_open: bool) -> Outcome | None:
    """What the door may say now of the outcome `claimed` by an address (opened again: Back, a reload, a link).

    `status` and `checked_in_at` are the named registration's now (status None: the address names no
    registration of the event); `is_open` whether the door is open now (read for NOT_TODAY only). The
    claim while it is true; UNDONE for a check-in taken back since (the party is registered and not in);
    None, no banner, for anything else: the address is never taken for the registration's state.
    """
    if status is None:
        return claimed if claimed == Outcome.UNKNOWN else None
    current = checkin_outcome(status, checked_in_at)
    if claimed in (Outcome.ACCEPTED, Outcome.ALREADY, Outcome.UNDONE):
        if current == Outcome.ALREADY:
            return None if claimed == Outcome.UNDONE else claimed
        return Outcome.UNDONE if current == Outcome.ACCEPTED else None
    if claimed == Outcome.NOT_TODAY:
        return claimed if current == Outcome.ACCEPTED and not is_open else None
    return claimed if claimed == current else None


@dataclass(frozen=True)
class Party:
    """One registration as the counts see it."""

    status: str  # "registered", "waiting", "cancelled", … (issue 18's statuses)
    companions: int
    checked_in: bool

    @property
    def persons(self) -> int:
        return 1 + self.companions


@dataclass(frozen=True)
class Tally:
    """The counts of one event, in persons (a party is its registrant and companions)."""

    registered: int
    companions: int
    waiting: int
    checked_in: int
    walk_ins: int

    @property
    def no_shows(self) -> int:
        """Registered persons who did not check in (final once the event is over)."""
        return self.registered - self.checked_in

    @property
    def present(self) -> int:
        return self.checked_in + self.walk_ins


def tally(parties: list[Party], walk_ins: int) -> Tally:
    """Counts of registered (with companions), waiting, checked in and walk-in persons."""
    registered = [p for p in parties if p.status == "registered"]
    return Tally(
        registered=sum(p.persons for p in registered),
        companions=sum(p.companions for p in registered),
        waiting=sum(p.persons for p in parties if p.status == "waiting"),
        checked_in=sum(p.persons for p in registered if p.checked_in),
        walk_ins=walk_ins,
    )


def anonymise_at(event_end: datetime, retention_days: int) -> datetime:
    """When the attendees' personal data of an event ending at `event_end` is removed."""
    if retention_days < 0:
        raise ValueError("retention cannot be negative")
    return as_utc(event_end) + timedelta(days=retention_days)


def is_due_for_anonymising(event_end: datetime, retention_days: int, now: datetime) -> bool:
    return as_utc(now) >= anonymise_at(event_end, retention_days)


REMINDER_TIME = time(10)  # local time on the day before


def reminder_at(event_start: datetime, zone: str, at: time = REMINDER_TIME) -> datetime:
    """The instant the reminder of an event goes out: `at` local time on the day before (UTC)."""
    local_zone = ZoneInfo(zone)
    day_before: date = as_utc(event_start).astimezone(local_zone).date() - timedelta(days=1)
    return datetime.combine(day_before, at, local_zone).astimezone(as_utc(event_start).tzinfo)


def is_reminder_due(event_start: datetime, zone: str, registered_at: datetime, now: datetime,
                    at: time = REMINDER_TIME) -> bool:
    """Whether a registration gets its reminder now.

    From `at` on the local day before until the start; a registration made after
    that moment has just had its confirmation, so it gets none.
    """
    send_at = reminder_at(event_start, zone, at)
    return send_at <= as_utc(now) < as_utc(event_start) and as_utc(registered_at) < send_at
