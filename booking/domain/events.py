"""Public events and their registrations (SPEC §9): pure rules, values in, decisions out.

Seats: a registration for a party of `party_size` people (the registrant and their
companions) takes that many seats, all or none. A party that does not fit as a whole
waits, as a whole. When seats come free, the earliest waiting parties that fit are
promoted, in queue order; a larger party earlier in the queue keeps its place (and is
told why it was passed over). Within PROMOTION_NOTICE of the start a promotion is an
offer that must be confirmed by a deadline, after which the seats pass on.

Nothing here reads the clock or a database: the services pass `now` and the rows' values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from booking.domain.values import N_, as_utc

PROMOTION_NOTICE = timedelta(hours=48)
OFFER_HOURS = 12  # how long a late promotion waits for its confirmation (never past the start)
MAX_PARTY = 10  # the registrant and at most nine companions
# The events visitors see: a withdrawn event stays visible, as cancelled.
SHOWN_STATUSES = ("published", "withdrawn")
REGISTERED = "registered"
WAITING = "waiting"
OFFERED = "offered"


@dataclass(frozen=True)
class EventProblem:
    """A reason an event cannot be saved as given: a stable code and a message (translated at the edge)."""

    code: str
    message: str
    field: str = ""
    params: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class AgendaSlot:
    """One agenda item's time: it starts at `start_dt` and lasts `minutes`."""

    start_dt: datetime
    minutes: int

    @property
    def end_dt(self) -> datetime:
        return self.start_dt + timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Waiting:
    """One entry of the waiting list, in queue order."""

    registration_id: int
    party_size: int


@dataclass(frozen=True)
class Promotion:
    """What freeing seats does to the waiting list: who moves up, and who is passed over (too large)."""

    promoted: tuple[int, ...]
    passed_over: tuple[int, ...]


def placement(capacity: int, seats_taken: int, party_size: int) -> str:
    """`registered` when the whole party fits in the free seats, else `waiting` (never split)."""
    if party_size < 1:
        raise ValueError("a party has at least one person")
    return REGISTERED if seats_taken + party_size <= capacity else WAITING


def promote(free_seats: int, queue: Sequence[Waiting]) -> Promotion:
    """The earliest waiting parties that fit in `free_seats`, in queue order.

    A party too large for the seats still free when its turn comes keeps its place
    and is listed in `passed_over`; later, smaller parties may move up past it.
    """
    promoted: list[int] = []
    passed: list[int] = []
    for entry in queue:
        if entry.party_size <= free_seats:
            promoted.append(entry.registration_id)
            free_seats -= entry.party_size
        elif free_seats > 0:
            passed.append(entry.registration_id)
    return Promotion(tuple(promoted), tuple(passed))


def needs_confirmation(now: datetime, event_start: datetime) -> bool:
    """Whether a promotion at `now` must be confirmed: the event starts within PROMOTION_NOTICE."""
    return as_utc(event_start) - as_utc(now) <= PROMOTION_NOTICE


def offer_deadline(now: datetime, event_start: datetime) -> datetime:
    """Until when a late promotion waits for its confirmation: OFFER_HOURS, and never past the start."""
    return min(as_utc(now) + timedelta(hours=OFFER_HOURS), as_utc(event_start))


def party_can_ever_fit(capacity: int, party_size: int) -> bool:
    """Whether a party could ever be seated: never when it is larger than the whole event."""
    return party_size <= capacity


def change_fits(capacity: int, seats_taken: int, old_size: int, new_size: int) -> bool:
    """Whether a seated party may change from `old_size` to `new_size` people (growing needs free seats)."""
    return seats_taken - old_size + new_size <= capacity


def registration_ends(closes_at: datetime, event_start: datetime) -> datetime:
    """When registration really ends: at its closing time, or at the event's start when that comes first."""
    return min(as_utc(closes_at), as_utc(event_start))


def is_registration_open(now: datetime, opens_at: datetime, closes_at: datetime, event_start: datetime) -> bool:
    """Registration is open in [opens_at, closes_at), and never once the event has started."""
    now = as_utc(now)
    return as_utc(opens_at) <= now < registration_ends(closes_at, event_start)


def registration_period(opens_at: datetime, closes_at: datetime,
                        event_start: datetime) -> tuple[datetime, datetime] | None:
    """The registration period that holds for an event starting at `event_start`: [opens_at, ends) with
    `registration_ends` (so an event moved earlier pulls the closing in to its new start), or None when
    that leaves nothing (an event moved to before its registration was to open: it never opens, and no
    page may say it opens on a date after the event)."""
    ends = registration_ends(closes_at, event_start)
    return (as_utc(opens_at), ends) if as_utc(opens_at) < ends else None


# Where an event's registration stands at a moment (registration_window): open, or why not. NEVER: the
# period is empty (registration_period), so registration does not open at all for the event: never said
# as closed (it was not open) nor as opening later.
OPEN, NOT_YET, CLOSED, STARTED, OVER, NEVER = "open", "not_yet", "closed", "started", "over", "never"


@dataclass(frozen=True)
class RegistrationWindow:
    """`state` at a moment and the instant that explains it: when registration opens (not yet),
    closes (open), closed (closed), when the event started (started) or ended (over)."""

    state: str
    at: datetime

    @property
    def is_open(self) -> bool:
        return self.state == OPEN


def registration_window(now: datetime, opens_at: datetime, closes_at: datetime, event_start: datetime,
                        event_end: datetime) -> RegistrationWindow:
    """Where registration stands at `now`: open exactly when `is_registration_open`, else why not and since
    or until when. An empty period comes first (never: the event was moved to before its opening, `at` is
    the start), at every moment of the event's life, also once it began or ended: registration that never
    opened did not close. Then the event being over; then whichever ended registration first, the closing
    time (closed, also after the start) or the start (started: a closing time at or after it); then the
    opening time. A full event stays open: the party joins the waiting list."""
    now = as_utc(now)
    if registration_period(opens_at, closes_at, event_start) is None:
        return RegistrationWindow(NEVER, as_utc(event_start))
    if now >= as_utc(event_end):
        return RegistrationWindow(OVER, as_utc(event_end))
    if now >= as_utc(closes_at) and as_utc(closes_at) < as_utc(event_start):
        return RegistrationWindow(CLOSED, as_utc(closes_at))
    if now >= as_utc(event_start):
        return RegistrationWindow(STARTED, as_utc(event_start))
    if now < as_utc(opens_at):
        return RegistrationWindow(NOT_YET, as_utc(opens_at))
    return RegistrationWindow(OPEN, registration_ends(closes_at, event_start))


def may_promote(now: datetime, event_start: datetime) -> bool:
    """Whether freed seats may move the waiting list up at `now`: only while a promotion's deadline
    (`offer_deadline`, never past the start) still lies after `now`, so never once the event has started.
    Afterwards the waiting list stays as it is: nobody is offered seats they can no longer confirm."""
    return offer_deadline(now, event_start) > as_utc(now)


def moved_offer_deadline(expires_at: datetime, event_start: datetime) -> datetime:
    """An open offer's deadline once its event (re)starts at `event_start`: as `offer_deadline`, never past
    the start, so an event moved earlier pulls the deadlines of its open offers in with it."""
    return min(as_utc(expires_at), as_utc(event_start))


def may_confirm_offer(now: datetime, expires_at: datetime | None, event_start: datetime) -> bool:
    """Whether an offer may be taken up at `now`: before its deadline and before the event starts (an offer
    made before the event was moved earlier may still carry a deadline after the new start)."""
    return expires_at is not None and as_utc(now) < as_utc(expires_at) and as_utc(now) < as_utc(event_start)


def may_change_party(window: RegistrationWindow, old_size: int, new_size: int) -> bool:
    """A party may always shrink (or stay); it grows only while registration is open, as growing
    registers more people (for a seated party and for one on the waiting list alike)."""
    return new_size <= old_size or window.is_open


# Why a post to a personal page is refused whatever sizes it carries (refusal_before_input).
REFUSED_CHECKED_IN, REFUSED_CLOSED = "checked_in", "closed"


def refusal_before_input(action: str, is_checked_in: bool, window: RegistrationWindow, party_size: int) -> str | None:
    """The refusal of a personal page's action (cancel, change, confirm) that does not depend on the posted
    size, or None: a party that has checked in may do none of them (all refused alike); a party of one may not
    change while registration is not open (it has no one to leave out, so every other size grows it). Said
    before the form is read, so a forged or missing size is never answered with an error about a field the
    page does not show."""
    if is_checked_in:
        return REFUSED_CHECKED_IN
    if action == "change" and party_size == 1 and not window.is_open:
        return REFUSED_CLOSED
    return None


# What the seats of an event are said to be (seat_wording): seats left; full, with the waiting list open
# only while registration is; once registration has ended, how many of the seats were taken; or, when it
# never opens (NEVER), that the event takes no registration, with the seats taken if any.
SEATS_LEFT, FULL_WAITING, FULL, SEATS_TAKEN = "seats_left", "full_waiting", "full", "seats_taken"
NO_REGISTRATION = "no_registration"


@dataclass(frozen=True)
class SeatWording:
    """`kind` (one of the five above) and its number: seats left, or seats taken of `capacity`."""

    kind: str
    count: int
    capacity: int


def seat_wording(window_state: str, capacity: int, seats_taken: int) -> SeatWording:
    """What the seats row says in registration state `window_state`: never an invitation to register or to
    join the waiting list unless registration is open (before it opens: the seats left, or full)."""
    left = max(0, capacity - seats_taken)
    if window_state == NEVER:  # not "closed": it was never open
        return SeatWording(NO_REGISTRATION, min(seats_taken, capacity), capacity)
    if window_state not in (OPEN, NOT_YET):
        return SeatWording(SEATS_TAKEN, min(seats_taken, capacity), capacity)
    if left:
        return SeatWording(SEATS_LEFT, left, capacity)
    return SeatWording(FULL_WAITING if window_state == OPEN else FULL, 0, capacity)


def offer_availability(window_state: str, seats_left: int, is_cancelled: bool) -> str:
    """The schema.org ItemAvailability of an event's offer (its registration) in `window_state`:
    Discontinued when the event is called off; InStock while open with seats left, SoldOut while open and
    full (a waiting list is no seat); OutOfStock before registration opens (none to be had yet: the offer's
    validFrom says from when); SoldOut once registration has ended (no more to be had).

    When registration never opens (NEVER: the event was moved to before its opening), Discontinued, whose
    schema.org definition is "Indicates that the item has been discontinued": the offer is withdrawn for
    good, there is no period and no validFrom. Not SoldOut ("Indicates that the item has sold out"): no seat
    was taken. Not OutOfStock ("Indicates that the item is out of stock"): that says the offer stands but is
    short for now, as before an opening that will come; this one will never be made. The event itself stays
    eventStatus EventScheduled, so only the registration reads as discontinued, not the event."""
    if is_cancelled or window_state == NEVER:
        return "Discontinued"
    if window_state == OPEN:
        return "InStock" if seats_left else "SoldOut"
    return "OutOfStock" if window_state == NOT_YET else "SoldOut"


def agenda_problems(booking_start: datetime, booking_end: datetime,
                    slots: Sequence[AgendaSlot]) -> list[EventProblem]:
    """What is wrong with an agenda: items outside the booking, or items that overlap each other.

    Items are half-open [start, start + minutes); back-to-back items are fine.
    """
    start, end = as_utc(booking_start), as_utc(booking_end)
    problems: list[EventProblem] = []
    for number, slot in enumerate(slots, start=1):
        if as_utc(slot.start_dt) < start or as_utc(slot.end_dt) > end:
            problems.append(EventProblem("agenda_outside", N_("Agenda item %(number)s lies outside the booking."),
                                         f"agenda-{number}", (("number", number),)))
    ordered = sorted(enumerate(slots, start=1), key=lambda item: as_utc(item[1].start_dt))
    for (_, first), (number, second) in zip(ordered, ordered[1:], strict=False):
        if as_utc(second.start_dt) < as_utc(first.end_dt):
            problems.append(EventProblem("agenda_overlap", N_("Agenda item %(number)s overlaps the one before it."),
                                         f"agenda-{number}", (("number", number),)))
    return problems


def capacity_problems(capacity: int, max_people: int | None, seats_taken: int) -> list[EventProblem]:
    """A capacity must be at least 1, within the space's maximum, and not below the seats already given."""
    if capacity < 1:
        return [EventProblem("capacity", N_("The capacity must be at least 1."), "capacity")]
    if max_people is None:
        return [EventProblem("max_people", N_("This space has no maximum number of people set; "
                                              "staff set it before events take registrations."), "capacity")]
    if capacity > max_people:
        return [EventProblem("max_people", N_("This space admits at most %(limit)s people."), "capacity",
                             (("limit", max_people),))]
    if capacity < seats_taken:
        return [EventProblem("seats_taken", N_("%(taken)s seats are already taken."), "capacity",
                             (("taken", seats_taken),))]
    return []


def shown_closing(closes_at: datetime, event_start: datetime) -> datetime:
    """The closing the event form shows (and sends back when left alone): the one that holds for the event's
    start, `registration_ends`, also when the period is empty (an event moved to before its opening: its
    stored closing lies after the event, a value the form may not put there itself)."""
    return registration_ends(closes_at, event_start)


def kept_period(opens_at: datetime, closes_at: datetime, stored: tuple[datetime, datetime] | None,
                event_start: datetime) -> tuple[datetime, datetime]:
    """The registration period a save writes: the `stored` one when the form sent back what it showed for
    it (the stored opening, and the stored closing or its `shown_closing`), else the one posted. So other
    edits of an event moved to before its opening keep its stored period (the shown closing, its start,
    is not after that opening and could not be written), and `window_problems` does not check it again."""
    if stored is not None and as_utc(opens_at) == as_utc(stored[0]) and as_utc(closes_at) in (
            as_utc(stored[1]), as_utc(shown_closing(stored[1], event_start))):
        return stored
    return opens_at, closes_at


def window_problems(opens_at: datetime, closes_at: datetime, event_end: datetime,
                    stored: tuple[datetime, datetime] | None = None) -> list[EventProblem]:
    """Registration opens before it closes, and closes no later than the event ends. A period left as it is
    `stored` is not checked again: moving the event already clipped it (registration_period), so other
    changes to a moved event save without touching it."""
    if stored is not None and (as_utc(opens_at), as_utc(closes_at)) == (as_utc(stored[0]), as_utc(stored[1])):
        return []
    if as_utc(closes_at) <= as_utc(opens_at):
        return [EventProblem("window", N_("Registration must close after it opens."), "registration_closes")]
    if as_utc(closes_at) > as_utc(event_end):
        return [EventProblem("window", N_("Registration must close by the end of the event."),
                             "registration_closes")]
    return []


def shifted_agenda(old_start: datetime, new_start: datetime, new_end: datetime,
                   slots: Sequence[AgendaSlot]) -> list[AgendaSlot] | None:
    """The agenda moved with its booking: every item by the booking's start offset.

    None when the moved agenda would not fit the new booking (a shorter booking):
    the move must then be refused, an agenda always lies inside its booking.
    """
    offset = as_utc(new_start) - as_utc(old_start)
    moved = [AgendaSlot(as_utc(slot.start_dt) + offset, slot.minutes) for slot in slots]
    if any(problem.code == "agenda_outside" for problem in agenda_problems(new_start, new_end, moved)):
        return None
    return moved
