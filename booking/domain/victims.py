"""The victims of a policy change: future bookings a new policy would break.

Staff change opening hours, holiday openings, buffers, the number of desks,
duration limits, notice or the time zone; bookings made under the old policy
stay. This module says which of them the new policy breaks, and how:

- a calendar or time rule (`grid`, `duration`, `hours`, `closed`, `notice`,
  `horizon`) that the booking met before and breaks now: staff may keep the
  booking as a recorded override, or cancel it;
- its units (`overlap`, `capacity`): fewer desks, or longer buffers that make
  two bookings' occupied intervals meet. Nobody overrides those (SPEC §5), so the
  booking must move to other units of the same time (when some are free) or be
  cancelled. Bookings keep their units first come, first served (lowest id first).

A rule a booking already broke under the old policy (a staff override, say) is
not the change's doing and is not reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from booking.domain.rules import check_request, occupied, pick_units
from booking.domain.values import N_, ClosedRange, Conflict, Hold, Listed, Policy, Request

UNIT_CODES = frozenset({"overlap", "capacity"})
IGNORED = frozenset({"past", "quota"})


@dataclass(frozen=True)
class Standing:
    """A future booking (pending or confirmed) as it stands: instants in UTC, its units.

    `holds_units` is False for a pending request in a space where pending requests do not hold time.
    """

    booking_id: int
    user_id: int
    start_dt: datetime
    end_dt: datetime
    seats: int
    units: tuple[int, ...]
    holds_units: bool = True

    def request(self) -> Request:
        return Request(self.start_dt, self.end_dt, self.seats, self.user_id)


@dataclass(frozen=True)
class Victim:
    """One booking the change breaks: the new conflicts, and the units it could move to.

    `moved_to` is empty when no other units are free for its whole time.
    """

    booking_id: int
    conflicts: tuple[Conflict, ...]
    moved_to: tuple[int, ...] = ()

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(c.code for c in self.conflicts)

    @property
    def must_move(self) -> bool:
        """Its units are gone: it moves to `moved_to` or is cancelled; keeping it is not allowed."""
        return bool(self.codes & UNIT_CODES)

    @property
    def can_move(self) -> bool:
        return self.must_move and bool(self.moved_to)


@dataclass(frozen=True)
class Side:
    """One side of a change: the policy and the closures (closed holidays included) it implies."""

    policy: Policy
    closures: Sequence[ClosedRange]


def _rule_codes(booking: Standing, side: Side, now: datetime) -> dict[str, Conflict]:
    conflicts = check_request(booking.request(), side.policy, (), side.closures, now, suggest=False)
    return {c.code: c for c in conflicts if c.code not in IGNORED | UNIT_CODES}


def _unit_conflict(booking: Standing, policy: Policy) -> Conflict:
    if policy.is_pooled:
        return Conflict("capacity", N_("Desk %(units)s is gone or taken for this time (buffers included)."),
                        {"units": Listed(booking.units)})
    return Conflict("overlap", N_("With the new setup and teardown it overlaps an earlier booking."), {})


def find_victims(
    bookings: Sequence[Standing],
    fixed: Sequence[Hold],
    before: Side,
    after: Side,
    now: datetime,
) -> list[Victim]:
    """The bookings `after` breaks that `before` did not, by booking id.

    `bookings` are the future bookings the change may touch; `fixed` are holds it
    cannot touch (bookings already under way), with their occupied intervals.
    Units are re-checked with `after`'s unit count and buffers; a booking whose
    units clash moves, when it can, to the lowest free units for its whole time.
    """
    kept: list[Hold] = list(fixed)
    victims = []
    for booking in sorted(bookings, key=lambda b: b.booking_id):
        broken = _rule_codes(booking, after, now)
        for code in _rule_codes(booking, before, now):
            broken.pop(code, None)
        conflicts = list(broken.values())
        moved: tuple[int, ...] = ()
        if booking.holds_units:
            start_dt, end_dt = occupied(booking.request(), after.policy)
            units = booking.units
            fits = pick_units(booking.request(), after.policy, kept, units) == list(units)
            if not fits:
                conflicts.append(_unit_conflict(booking, after.policy))
                moved = tuple(pick_units(booking.request(), after.policy, kept) or ())
                units = moved
            kept += [Hold(booking.booking_id, booking.user_id, u, start_dt, end_dt) for u in units]
        if conflicts:
            victims.append(Victim(booking.booking_id, tuple(conflicts), moved))
    return victims
