"""Registering for a public event, changing or cancelling it, and the waiting list moving up.

Every write runs under the lock of the event's space (booking.services.transactions),
so registrations, cancellations and changes of the booking behind the event are
serialised; the database has the last word anyway: triggers count the seats of the
registrations that hold them and a CHECK keeps that count within the capacity
(migration 0012). A write the CHECK refuses is tried once more, placing the party on
the waiting list.

The personal link of a registration carries a secret derived from the registration's
event, address and creation time with the application's secret key (HMAC-SHA-256);
only its SHA-256 is stored, and a link is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.domain import checkin
from booking.domain import events as rules
from booking.domain.values import N_
from booking.extensions import db
from booking.models import Booking, PublicEvent, Registration, User
from booking.models_attendance import AttendeePass
from booking.services import NotFound, ServiceError, Stale, account_tokens
from booking.services.transactions import run_write

SEAT_GUARD = "seats_within_capacity"
ACTIVE = ("registered", "offered", "waiting")
Done = TypeVar("Done")


class PartyTooLarge(ServiceError):
    """A party larger than the event's capacity: it could never be seated, not even from the waiting list."""

    field = "companions"

    def __init__(self, capacity: int) -> None:
        super().__init__(N_("This event has %(capacity)s seats in all: come with at most %(most)s "
                            "accompanying people."), capacity=capacity, most=capacity - 1)


class RegistrationClosed(ServiceError):
    """Registration is not open at this moment: `window` says why and since or until when."""

    status_code = 409

    def __init__(self, window: rules.RegistrationWindow) -> None:
        super().__init__(N_("Registration for this event is not open."))
        self.window = window


class PartyCannotGrow(ServiceError):
    """More people for a party while registration is not open: growing registers more people, so it is
    refused like registering (rules.may_change_party); shrinking and cancelling stay allowed."""

    status_code = 409
    field = "companions"

    def __init__(self) -> None:
        super().__init__(N_("Registration is not open now, so you cannot add people; you can still reduce the "
                            "number of accompanying people or cancel."))


class OfferAfterStart(Stale):
    """An offer confirmed once its event has begun (rules.may_confirm_offer): refused, nothing written."""

    def __init__(self) -> None:
        super().__init__(N_("The event has already begun, so the offered seats can no longer be confirmed."))


class CheckedIn(ServiceError):
    """A cancel or change through the personal link of a party already checked in (checkin.is_checked_in):
    it has come, so the attendee list and the counts keep it as it is; refused, nothing written."""

    status_code = 409

    def __init__(self) -> None:
        super().__init__(N_("You have already checked in at the event, so this registration can no longer be "
                            "cancelled or changed."))


def is_checked_in(registration: Registration) -> bool:
    """Whether the party stands checked in (checkin.is_checked_in): its personal link offers nothing more."""
    return _is_checked_in(db.session(), registration)


def _is_checked_in(session: Session, registration: Registration) -> bool:
    checked_in_at = session.scalar(select(AttendeePass.checked_in_at)
                                   .where(AttendeePass.registration_id == registration.id))
    return checkin.is_checked_in(registration.status, checked_in_at)


def _check_not_checked_in(session: Session, registration: Registration) -> None:
    if _is_checked_in(session, registration):
        raise CheckedIn()


def offers_follow_the_start(session: Session, event: PublicEvent, key: str = "") -> list[Registration]:
    """After the event's start moved (inside the caller's transaction): every open offer whose deadline now
    lies after the start gets the start as its deadline (rules.moved_offer_deadline) and is mailed the new
    deadline, saying it moved because the event did (registration.offer_moved), which is then the only mail
    that person gets about the move (event_mail.told_of_move). The offers changed."""
    from booking.services import event_mail

    changed = []
    for registration in session.scalars(select(Registration).where(
            Registration.event_id == event.id, Registration.status == rules.OFFERED)):
        if registration.offer_expires_at is None:
            continue
        deadline = rules.moved_offer_deadline(registration.offer_expires_at, event.booking.start_dt)
        if deadline != registration.offer_expires_at:
            registration.offer_expires_at = deadline
            registration.sequence += 1  # its calendar object changes in this mail, before the event's is raised
            changed.append(registration)
    for registration in changed:
        event_mail.enqueue(session, "registration.offer_moved", registration, key)
        event_mail.told_of_move(session, registration)  # not told again by the move's event.updated
    return changed


def window_of(event: PublicEvent, now: datetime) -> rules.RegistrationWindow:
    """Where the event's registration stands at `now`."""
    return rules.registration_window(now, event.registration_opens_at, event.registration_closes_at,
                                     event.booking.start_dt, event.booking.end_dt)


def refusal_before_input(registration: Registration, action: str, now: datetime) -> ServiceError | None:
    """The refusal a personal page gives `action` whatever its form holds (rules.refusal_before_input):
    CheckedIn, PartyCannotGrow for a party of one after closing, or None."""
    refusal = rules.refusal_before_input(action, is_checked_in(registration), window_of(registration.event, now),
                                         registration.party_size)
    if refusal == rules.REFUSED_CHECKED_IN:
        return CheckedIn()
    return PartyCannotGrow() if refusal == rules.REFUSED_CLOSED else None


def _check_party(capacity: int, party_size: int) -> None:
    if not rules.party_can_ever_fit(capacity, party_size):
        raise PartyTooLarge(capacity)


@dataclass(frozen=True)
class RegistrationInput:
    """What a visitor (or a signed-in member) gives to register."""

    name: str
    email: str
    organisation: str = ""
    org_kind: str = "individual"
    companions: int = 0
    consent: bool = False
    locale: str = "ja"


@dataclass(frozen=True)
class Registered:
    """The outcome: the registration, and whether it already existed (its link was mailed again)."""

    registration: Registration
    existed: bool = False


def link_secret(key: str, event_id: int, email: str, created_at: datetime) -> str:
    """The secret of a registration's personal link (43 URL-safe characters)."""
    stamp = f"{event_id}:{email}:{created_at.isoformat()}"
    return account_tokens.derive(key, "registration", stamp)


def secret_of(key: str, registration: Registration) -> str:
    return link_secret(key, registration.event_id, registration.email, registration.created_at)


def member_registration(event_id: int, member: User) -> Registration | None:
    """The member's own active registration of the event (made with their account or their address)."""
    return db.session.scalars(select(Registration).where(
        Registration.event_id == event_id, Registration.status.in_(ACTIVE),
        (Registration.user_id == member.id) | (Registration.email == member.email.strip().lower()),
    ).order_by(Registration.id)).first()


def is_seat_refusal(error: Exception) -> bool:
    """Whether the database refused a write that would seat more people than the capacity."""
    return isinstance(error, IntegrityError) and SEAT_GUARD in str(error.orig)


def find_by_secret(secret: str) -> Registration:
    """The registration a personal link names; NotFound for any other secret."""
    wanted = hashlib.sha256(secret.encode("utf-8")).hexdigest()
    found: Registration | None = db.session.scalar(select(Registration).where(Registration.token_hash == wanted))
    if found is None or not hmac.compare_digest(found.token_hash, wanted):
        raise NotFound()
    return found


def visible_event(session: Session, event_id: int, lock: bool = False) -> PublicEvent:
    """A published event whose booking is still on; NotFound otherwise."""
    query = select(PublicEvent).where(PublicEvent.id == event_id).execution_options(populate_existing=True)
    event: PublicEvent | None = session.scalar(query.with_for_update() if lock and _is_postgres(session) else query)
    if event is None or event.status != "published" or event.booking.status != "confirmed":
        raise NotFound()
    return event


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _space_of(event_id: int) -> int:
    space_id = db.session.scalar(
        select(Booking.space_id).join(PublicEvent, PublicEvent.booking_id == Booking.id)
        .where(PublicEvent.id == event_id))
    if space_id is None:
        raise NotFound()
    return int(space_id)


def _check_input(data: RegistrationInput) -> None:
    if not data.consent:
        raise ServiceError(N_("Please agree to the privacy notice to register."))
    if not 0 <= data.companions < rules.MAX_PARTY:
        raise ServiceError(N_("At most %(count)s accompanying people."), count=rules.MAX_PARTY - 1)


def register(event_id: int, data: RegistrationInput, key: str, member: User | None = None,
             now: datetime | None = None) -> Registered:
    """Register `data` for the event: seated when the whole party fits, else on the waiting list.

    One registration per address and event: an address already registered (or
    waiting) gets its existing link mailed again and nothing else changes. A
    cancelled registration of the same address is taken up again, at the end of the queue.
    """
    _check_input(data)
    now = now or utcnow()
    space_id = _space_of(event_id)
    try:
        return run_write(space_id, lambda s: _register(s, event_id, data, key, member, now, False))
    except IntegrityError as error:
        db.session.rollback()
        if not is_seat_refusal(error):
            raise
        return run_write(space_id, lambda s: _register(s, event_id, data, key, member, now, True))


def _register(session: Session, event_id: int, data: RegistrationInput, key: str, member: User | None,
              now: datetime, must_wait: bool) -> Registered:
    from booking.services import event_mail

    event = visible_event(session, event_id, lock=True)
    window = window_of(event, now)
    if not window.is_open:
        raise RegistrationClosed(window)
    email = data.email.strip().lower()
    existing = session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.email == email))
    if existing is not None and existing.status in ACTIVE:
        event_mail.enqueue(session, "registration.link", existing, key)
        return Registered(existing, existed=True)
    party = data.companions + 1
    _check_party(event.capacity, party)
    status = rules.WAITING if must_wait else rules.placement(event.capacity, event.seats_taken, party)
    registration = existing or Registration(event=event, email=email, created_at=now, sequence=0)
    if existing is not None:
        registration.sequence += 1
    registration.user_id = member.id if member is not None else None
    registration.name, registration.organisation = data.name.strip(), data.organisation.strip()
    registration.org_kind, registration.party_size, registration.status = data.org_kind, party, status
    registration.locale = data.locale if data.locale in ("ja", "en") else "ja"
    registration.token_hash = account_tokens.digest(link_secret(key, event.id, email, registration.created_at))
    registration.consented_at = registration.queued_at = registration.updated_at = now
    registration.cancelled_at = registration.offer_expires_at = registration.passed_over_at = None
    session.add(registration)
    session.flush()
    event_mail.enqueue(session, f"registration.{status}", registration, key)
    return Registered(registration)


@dataclass(frozen=True)
class PartyChange:
    """The outcome of change_party: the registration, and whether anything changed (the same size: nothing
    written, no mail)."""

    registration: Registration
    changed: bool


def change_party(secret: str, companions: int, key: str, now: datetime | None = None) -> PartyChange:
    """Change the number of accompanying people of the registration behind a personal link.

    A seated party grows only into free seats (else nothing changes and the refusal
    says how many are free); one that shrinks frees seats for the waiting list. A
    waiting party keeps its place in the queue. No party grows while registration is
    not open (PartyCannotGrow, said before any other refusal); shrinking stays allowed. The same
    size changes nothing (PartyChange.changed False).
    """
    now = now or utcnow()

    def work(session: Session, event: PublicEvent, current: Registration) -> PartyChange:
        if current.status not in ACTIVE:
            raise Stale(N_("This registration was cancelled."))
        _check_not_checked_in(session, current)
        new_size = companions + 1
        # the closed refusal first: while registration is not open, no size above the party's is worth
        # weighing (a forged number must not be told about capacity or limits instead)
        if not rules.may_change_party(window_of(event, now), current.party_size, new_size):
            raise PartyCannotGrow()
        if new_size == current.party_size:
            return PartyChange(current, changed=False)
        if not 0 <= companions < rules.MAX_PARTY:
            raise ServiceError(N_("At most %(count)s accompanying people."), count=rules.MAX_PARTY - 1)
        _check_party(event.capacity, new_size)
        if current.holds_seats and not rules.change_fits(event.capacity, event.seats_taken,
                                                         current.party_size, new_size):
            raise ServiceError(N_("Only %(free)s more seats are free."), free=event.seats_left)
        current.party_size, current.updated_at = new_size, now
        current.sequence += 1
        session.flush()
        from booking.services import event_mail

        event_mail.enqueue(session, "registration.changed", current, key)
        promote_waiting(session, event, key, now)
        return PartyChange(current, changed=True)

    return _under_event_lock(secret, work)


def cancel(secret: str, key: str, now: datetime | None = None) -> Registration:
    """Cancel the registration behind a personal link; freed seats go to the waiting list."""
    now = now or utcnow()

    def work(session: Session, event: PublicEvent, current: Registration) -> Registration:
        from booking.services import event_mail

        if current.status not in ACTIVE:
            raise Stale(N_("This registration was already cancelled."))
        _check_not_checked_in(session, current)
        current.status, current.cancelled_at, current.updated_at = "cancelled", now, now
        current.offer_expires_at = None
        current.sequence += 1
        session.flush()
        event_mail.enqueue(session, "registration.cancelled", current, key)
        promote_waiting(session, event, key, now)
        return current

    return _under_event_lock(secret, work)


def confirm_offer(secret: str, key: str, now: datetime | None = None) -> Registration:
    """Take up an offered seat before its deadline: the registration becomes `registered`."""
    now = now or utcnow()

    def work(session: Session, event: PublicEvent, current: Registration) -> Registration:
        from booking.services import event_mail

        if current.status != "offered" or current.offer_expires_at is None:
            raise Stale(N_("This offer is no longer open."))
        if not rules.may_confirm_offer(now, current.offer_expires_at, event.booking.start_dt):
            if now >= event.booking.start_dt:
                raise OfferAfterStart()
            raise Stale(N_("This offer is no longer open."))
        current.status, current.offer_expires_at, current.updated_at = "registered", None, now
        session.flush()
        event_mail.enqueue(session, "registration.registered", current, key)
        return current

    return _under_event_lock(secret, work)


def _under_event_lock(secret: str, work: Callable[[Session, PublicEvent, Registration], Done]) -> Done:
    """Run `work` in one write transaction holding the event's space lock, on the fresh
    event and registration behind a personal link (NotFound for an unknown link)."""
    registration = find_by_secret(secret)
    event_id, registration_id = registration.event_id, registration.id

    def locked(session: Session) -> Done:
        event = visible_event(session, event_id, lock=True)
        current = session.get(Registration, registration_id, populate_existing=True)
        assert current is not None
        return work(session, event, current)

    return run_write(_space_of(event_id), locked)


def promote_waiting(session: Session, event: PublicEvent, key: str, now: datetime) -> list[Registration]:
    """Move the earliest waiting parties that fit into the free seats (inside the caller's transaction).

    Within 48 hours of the start a promotion is an offer to confirm by a deadline
    (`offered`, holding the seats meanwhile). Each promoted person is mailed; a
    party passed over for being too large is told once. Once the event has started
    nobody moves up (rules.may_promote): an offer could not be confirmed in time.
    """
    from booking.services import event_mail

    session.flush()
    if not rules.may_promote(now, event.booking.start_dt):
        return []
    session.refresh(event, ["seats_taken"])
    queue = _queue(session, event.id)
    result = rules.promote(event.capacity - event.seats_taken, [rules.Waiting(r.id, r.party_size) for r in queue])
    by_id = {r.id: r for r in queue}
    late = rules.needs_confirmation(now, event.booking.start_dt)
    promoted = [by_id[i] for i in result.promoted]
    for registration in promoted:
        registration.status = rules.OFFERED if late else rules.REGISTERED
        registration.offer_expires_at = rules.offer_deadline(now, event.booking.start_dt) if late else None
        registration.updated_at = now
        session.flush()
        event_mail.enqueue(session, "registration.offered" if late else "registration.promoted", registration, key)
    for registration in (by_id[i] for i in result.passed_over):
        if registration.passed_over_at is None:
            registration.passed_over_at = now
            event_mail.enqueue(session, "registration.passed_over", registration, key)
    return promoted


def _queue(session: Session, event_id: int) -> Sequence[Registration]:
    return list(session.scalars(select(Registration).where(
        Registration.event_id == event_id, Registration.status == rules.WAITING)
        .order_by(Registration.queued_at, Registration.id)))


def expire_offers(key: str, now: datetime | None = None) -> int:
    """Let every offer past its deadline lapse (`expired`) and pass its seats on; the number lapsed."""
    now = now or utcnow()
    due = list(db.session.execute(
        select(Registration.id, PublicEvent.id, Booking.space_id)
        .join(PublicEvent, Registration.event_id == PublicEvent.id).join(Booking)
        .where(Registration.status == rules.OFFERED, Registration.offer_expires_at <= now)))
    db.session.rollback()
    lapsed = 0
    for registration_id, event_id, space_id in due:
        lapsed += run_write(space_id, _lapser(int(registration_id), int(event_id), key, now))
    return lapsed


def _lapser(registration_id: int, event_id: int, key: str, now: datetime) -> Callable[[Session], int]:
    return lambda session: _lapse(session, registration_id, event_id, key, now)


def _lapse(session: Session, registration_id: int, event_id: int, key: str, now: datetime) -> int:
    from booking.services import event_mail

    current = session.get(Registration, registration_id, populate_existing=True)
    if current is None or current.status != rules.OFFERED or current.offer_expires_at is None \
            or current.offer_expires_at > now:
        return 0
    current.status, current.updated_at = "expired", now
    current.sequence += 1  # its calendar object becomes a CANCEL, which must follow the offer's REQUEST (RFC 5546)
    session.flush()
    event_mail.enqueue(session, "registration.expired", current, key)
    event = session.get(PublicEvent, event_id)
    if event is not None and event.status == "published" and event.booking.status == "confirmed":
        promote_waiting(session, event, key, now)
    return 1


def seat_counts(event_id: int) -> tuple[int, int]:
    """(seats taken, people waiting) of an event, straight from the rows."""
    rows = db.session.execute(select(Registration.status, Registration.party_size)
                              .where(Registration.event_id == event_id)).all()
    taken = sum(size for status, size in rows if status in ("registered", "offered"))
    waiting = sum(size for status, size in rows if status == "waiting")
    return taken, waiting
