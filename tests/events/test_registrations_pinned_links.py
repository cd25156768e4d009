"""What a personal link and a member's event page do, pinned: the member's own registration on the event page,
the refusals of a cancelled registration, the calendar SEQUENCE a change or a cancellation raises, and an offer
that lapsed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from booking.extensions import db
from booking.models import Registration
from booking.services import Stale
from booking.services import registrations as service
from tests.conftest import future_day
from tests.events.factories import make_event
from tests.events.registering import KEY, row, secret, visitor
from tests.events.test_registration_views import calendar_of, mails

START = future_day(10) + timedelta(hours=8)
NOW = START - timedelta(days=5)
LATE = START - timedelta(hours=30)  # within 48 hours of the start: a promotion is an offer


@pytest.fixture
def event(hall, create_user):
    return make_event(hall, create_user(role="staff"), START, START + timedelta(hours=2), capacity=2,
                      registration_opens_at=NOW - timedelta(days=10))


@pytest.fixture
def other_event(create_space, create_user):
    room = create_space(slug="annex", max_people=40)
    return make_event(room, create_user(role="staff"), START, START + timedelta(hours=2), capacity=2,
                      registration_opens_at=NOW - timedelta(days=10))


# -- a member's own registration, shown on the event page --------------------------------------------------------

def test_a_member_finds_the_registration_made_with_their_account_under_another_address(app, event, create_user):
    member = create_user(email="hana@example.jp")
    service.register(event.id, visitor("hana.work@example.jp"), KEY, member=member, now=NOW)

    mine = service.member_registration(event.id, member)

    assert mine is not None and mine.email == "hana.work@example.jp"


def test_a_member_finds_the_registration_made_with_their_address_before_signing_in(app, event, create_user):
    member = create_user(email="hana@example.jp")
    service.register(event.id, visitor("Hana@Example.jp"), KEY, now=NOW)  # as a visitor: no account on it

    mine = service.member_registration(event.id, member)

    assert mine is not None and mine.email == "hana@example.jp" and mine.user_id is None


def test_a_member_is_not_shown_another_events_registration(app, event, other_event, create_user):
    member = create_user(email="hana@example.jp")
    service.register(other_event.id, visitor("hana@example.jp"), KEY, member=member, now=NOW)

    assert service.member_registration(event.id, member) is None


def test_a_member_is_not_shown_a_registration_they_cancelled(app, event, create_user):
    member = create_user(email="hana@example.jp")
    service.register(event.id, visitor("hana@example.jp"), KEY, member=member, now=NOW)
    service.cancel(secret("hana@example.jp"), KEY, now=NOW + timedelta(minutes=1))

    assert service.member_registration(event.id, member) is None


def test_a_member_is_not_shown_someone_elses_registration(app, event, create_user):
    member = create_user(email="hana@example.jp")
    someone = create_user(email="ken@example.jp")
    service.register(event.id, visitor("ken@example.jp"), KEY, member=someone, now=NOW)

    assert service.member_registration(event.id, member) is None


def test_the_event_page_offers_a_signed_in_member_the_link_to_their_registration(app, client, event, create_user):
    create_user(email="hana@example.jp")
    service.register(event.id, visitor("hana@example.jp"), KEY, now=NOW)  # before they signed in
    link = secret("hana@example.jp")
    assert client.login("hana@example.jp").status_code == 302

    page = client.get(f"/events/{event.id}").get_data(as_text=True)

    assert link in page


# -- a cancelled registration behind a personal link --------------------------------------------------------------

def test_changing_a_cancelled_registration_is_refused_saying_it_was_cancelled(app, event):
    service.register(event.id, visitor("a@example.jp"), KEY, now=NOW)
    link = secret("a@example.jp")
    service.cancel(link, KEY, now=NOW + timedelta(minutes=1))

    with pytest.raises(Stale) as refused:
        service.change_party(link, 1, KEY, now=NOW + timedelta(minutes=2))

    assert refused.value.message == "This registration was cancelled."
    assert row("a@example.jp").party_size == 1


def test_cancelling_twice_is_refused_saying_it_was_already_cancelled(app, event):
    service.register(event.id, visitor("a@example.jp"), KEY, now=NOW)
    link = secret("a@example.jp")
    service.cancel(link, KEY, now=NOW + timedelta(minutes=1))

    with pytest.raises(Stale) as refused:
        service.cancel(link, KEY, now=NOW + timedelta(minutes=2))

    assert refused.value.message == "This registration was already cancelled."
    assert [m.kind for m in mails("a@example.jp")] == ["registration.registered", "registration.cancelled"]


# -- the calendar SEQUENCE --------------------------------------------------------------------------------------

def test_each_change_of_the_party_raises_the_calendar_sequence_by_one(app, event):
    service.register(event.id, visitor("a@example.jp"), KEY, now=NOW)
    service.change_party(secret("a@example.jp"), 1, KEY, now=NOW + timedelta(minutes=1))
    service.change_party(secret("a@example.jp"), 0, KEY, now=NOW + timedelta(minutes=2))

    found = row("a@example.jp")
    assert found.sequence == 2 and found.party_size == 1
    first, *_, last = mails("a@example.jp")
    [before] = calendar_of(first).walk("VEVENT")
    [after] = calendar_of(last).walk("VEVENT")
    assert last.kind == "registration.changed"
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 2


def test_a_cancellation_raises_the_calendar_sequence_by_one(app, event):
    service.register(event.id, visitor("a@example.jp"), KEY, now=NOW)

    service.cancel(secret("a@example.jp"), KEY, now=NOW + timedelta(minutes=1))

    assert row("a@example.jp").sequence == 1
    registered, cancelled = mails("a@example.jp")
    [before] = calendar_of(registered).walk("VEVENT")
    cancel_calendar = calendar_of(cancelled)
    [after] = cancel_calendar.walk("VEVENT")
    assert cancel_calendar["METHOD"] == "CANCEL"
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1


def test_an_offer_that_lapses_is_cancelled_in_the_calendar_with_a_higher_sequence_than_the_offer(app, event):
    """The lapse mail's METHOD:CANCEL replaces the offer's METHOD:REQUEST in the person's calendar only with a
    higher SEQUENCE (RFC 5546 §2.1.4; ../shared/CALENDAR-CLIENTS.md): with the same one, a calendar app
    may keep the offered event. Before 2026-12-02 the lapse sent the offer's SEQUENCE again."""
    for email in ("a@example.jp", "b@example.jp", "c@example.jp"):
        service.register(event.id, visitor(email), KEY, now=NOW)
    service.cancel(secret("a@example.jp"), KEY, now=LATE)
    deadline = row("c@example.jp").offer_expires_at
    assert deadline is not None and service.expire_offers(KEY, deadline) == 1

    offered, lapsed = [m for m in mails("c@example.jp") if m.kind in ("registration.offered", "registration.expired")]
    [before] = calendar_of(offered).walk("VEVENT")
    cancel_calendar = calendar_of(lapsed)
    [after] = cancel_calendar.walk("VEVENT")
    assert calendar_of(offered)["METHOD"] == "REQUEST" and cancel_calendar["METHOD"] == "CANCEL"
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1


# -- an offer that lapsed ---------------------------------------------------------------------------------------

def test_an_offer_that_lapsed_cannot_be_confirmed_even_before_its_old_deadline(app, event):
    """The expiry job ran late or early by the clock of another server: once lapsed, the offer is over, whatever
    the moment the person clicks (the row keeps its old deadline)."""
    for email in ("a@example.jp", "b@example.jp", "c@example.jp"):
        service.register(event.id, visitor(email), KEY, now=NOW)
    service.cancel(secret("a@example.jp"), KEY, now=LATE)
    deadline = row("c@example.jp").offer_expires_at
    assert row("c@example.jp").status == "offered" and deadline is not None
    assert service.expire_offers(KEY, deadline) == 1
    assert row("c@example.jp").offer_expires_at == deadline

    with pytest.raises(Stale) as refused:
        service.confirm_offer(secret("c@example.jp"), KEY, now=deadline - timedelta(hours=1))

    assert refused.value.message == "This offer is no longer open."
    assert row("c@example.jp").status == "expired"
    assert service.seat_counts(event.id) == (1, 0)


def test_an_offered_row_without_a_deadline_cannot_be_confirmed(app, event):
    for email in ("a@example.jp", "b@example.jp", "c@example.jp"):
        service.register(event.id, visitor(email), KEY, now=NOW)
    service.cancel(secret("a@example.jp"), KEY, now=LATE)
    db.session.execute(update(Registration).where(Registration.email == "c@example.jp")
                       .values(offer_expires_at=None))
    db.session.commit()

    with pytest.raises(Stale):
        service.confirm_offer(secret("c@example.jp"), KEY, now=LATE + timedelta(minutes=1))

    assert row("c@example.jp").status == "offered"


def test_a_member_with_two_registrations_of_one_event_is_shown_the_first_one_made(app, event, create_user):
    """One made with the account under a work address, one made earlier as a visitor with the account's
    address... then the work one cancelled and taken up again (queued last): the page still shows the
    registration that was made first, not whichever the database happens to read first."""
    member = create_user(email="hana@example.jp")
    service.register(event.id, visitor("hana.work@example.jp"), KEY, member=member, now=NOW)
    service.register(event.id, visitor("hana@example.jp"), KEY, now=NOW + timedelta(minutes=1))
    service.cancel(secret("hana.work@example.jp"), KEY, now=NOW + timedelta(minutes=2))
    service.register(event.id, visitor("hana.work@example.jp"), KEY, member=member, now=NOW + timedelta(minutes=3))
    first_made = row("hana.work@example.jp")
    assert first_made.status == "registered" and row("hana@example.jp").status == "registered"

    mine = service.member_registration(event.id, member)

    assert mine is not None and mine.id == first_made.id
