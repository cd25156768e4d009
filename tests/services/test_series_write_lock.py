"""What booking a series does while it holds the space's write lock (issue 17): no rendering, no collection.

Each date's feed events and mail calendar are rendered before the lock (series._render_series_ahead);
a date booked as guessed stores those events as they are, and the mail's calendars only get
their change times written in. A date that comes out otherwise under the lock (other desks,
another status) is rendered there in full, so what is stored is always that date's own.
"""

from __future__ import annotations

import base64
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from booking import ical
from booking.domain.recurrence import Freq, RecurrenceRule
from booking.extensions import db
from booking.models import Booking, BookingEvent, OutboxMessage, Space
from booking.services import feed_events, series, transactions
from booking.services.feed_events import feed_locale, render_booking
from booking.services.notifications import calendar_message
from booking.services.series import SeriesInput, book_series

TOKYO = ZoneInfo("Asia/Tokyo")
# Booked at the real time: a change time after the clock under the lock would be pulled back to it.
FIRST = datetime.now(TOKYO).date() + timedelta(days=8)


@pytest.fixture
def in_lock(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What happens while a space's write lock is held (UIDs): VEVENTs built from scratch, bookings whose
    feed events are rendered (even from templates); and whether the collector was on."""
    seen: dict[str, Any] = {"built": [], "rendered": [], "collector_on": []}
    holding = [False]
    original_transaction, original_component = transactions.write_transaction, ical.event_text
    original_render = feed_events.render_booking

    @contextmanager
    def watched(space_id: int | None, **options: Any) -> Iterator[Any]:
        with original_transaction(space_id, **options) as session:
            holding[0] = space_id is not None
            if holding[0]:
                seen["collector_on"].append(gc.isenabled())
            try:
                yield session
            finally:
                holding[0] = False

    def component(values: ical.EventValues, *args: Any) -> Any:
        if holding[0]:
            seen["built"].append(values.uid)
        return original_component(values, *args)

    original_components = ical.event_texts

    def components(many: tuple[ical.EventValues, ...]) -> Any:  # a booking's audiences rendered together
        if holding[0]:
            seen["built"].extend(values.uid for values in many)
        return original_components(many)

    def render(booking: Booking, *args: Any) -> Any:
        if holding[0]:
            seen["rendered"].append(booking.uid)
        return original_render(booking, *args)

    monkeypatch.setattr(transactions, "write_transaction", watched)
    monkeypatch.setattr(ical, "event_text", component)
    monkeypatch.setattr(ical, "event_texts", components)
    monkeypatch.setattr(feed_events, "render_booking", render)
    return seen


def weekly(space: Space, count: int = 3, seats: int = 1) -> SeriesInput:
    rule = RecurrenceRule(Freq.WEEKLY, weekdays=(FIRST.weekday(),), count=count)
    return SeriesInput(space.id, "Weekly recording", FIRST, time(10), time(12), rule, seats=seats,
                       purpose="Programme", attendees=3)


def _booked(member: Any, data: SeriesInput) -> list[Booking]:
    days = [FIRST + timedelta(weeks=n) for n in range(data.rule.count or 0)]
    outcome = book_series(member, data, days)
    assert len(outcome.booked) == len(days), [i.conflicts for i in outcome.items]
    db.session.expire_all()
    return list(db.session.scalars(select(Booking).where(Booking.series_id == outcome.series.id)  # type: ignore[union-attr]
                                   .order_by(Booking.start_dt)))


def _stored_is_own(booking: Booking) -> None:
    rendered = render_booking(booking, booking.space, booking.user, feed_locale())
    assert (booking.ics_public, booking.ics_member, booking.ics_staff, booking.ics_stamp) == (
        rendered.public, rendered.member, rendered.staff, rendered.stamp)


@pytest.mark.parametrize("kind", ["exclusive", "pooled"])
def test_a_confirmed_series_renders_nothing_and_collects_nothing_inside_the_lock(create_user, create_space, in_lock,
                                                                                 kind):
    member = create_user()
    space = create_space(kind=kind, unit_count=6 if kind == "pooled" else 1)

    _booked(member, weekly(space, seats=2 if kind == "pooled" else 1))

    assert in_lock["built"] == in_lock["rendered"] == []
    assert in_lock["collector_on"] == [False]
    assert gc.isenabled()


def test_a_series_waiting_for_approval_renders_nothing_inside_the_lock(create_user, create_space, in_lock):
    member, hall = create_user(), create_space(requires_approval=True)

    assert {b.status for b in _booked(member, weekly(hall))} == {"pending"}
    assert in_lock["built"] == in_lock["rendered"] == []


def test_the_stored_events_and_the_mail_calendars_are_those_of_each_date_as_stored(create_user, create_space):
    member, pool = create_user(), create_space(kind="pooled", unit_count=6)

    bookings = _booked(member, weekly(pool, seats=2))

    for booking in bookings:
        _stored_is_own(booking)
        assert f"DTSTAMP:{booking.updated_at:%Y%m%dT%H%M%SZ}" in booking.ics_member
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "booking.series")).one()
    attached = [base64.b64decode(a["data"]) for a in message.attachments]
    assert attached == [calendar_message(b, member.locale or "ja")[1] for b in bookings]


def test_desks_taken_between_the_render_and_the_lock_do_not_reach_the_feeds(create_user, create_space,
                                                                            create_booking, monkeypatch, in_lock):
    member, pool = create_user(), create_space(kind="pooled", unit_count=6)
    real_ahead = series._render_series_ahead
    taken_on = datetime.combine(FIRST + timedelta(weeks=1), time(10), TOKYO)

    def ahead(*args: Any) -> Any:  # somebody takes desks 1 and 2 of the second date meanwhile
        prepared = real_ahead(*args)
        create_booking(pool, create_user(), taken_on, taken_on + timedelta(hours=2), units=(1, 2))
        return prepared

    monkeypatch.setattr(series, "_render_series_ahead", ahead)
    first, second, third = _booked(member, weekly(pool, seats=2))

    assert [[h.unit_no for h in b.holds] for b in (first, second, third)] == [[1, 2], [3, 4], [1, 2]]
    # Its member and staff events and its mail's calendar show desks: built again under the lock (the public
    # event with them, as the three are rendered together: feed_events._audience_templates).
    assert in_lock["built"] == [second.uid] * 4
    assert in_lock["rendered"] == [second.uid]
    for booking in (first, second, third):
        _stored_is_own(booking)


def test_a_status_other_than_rendered_is_rendered_again_under_the_lock(create_user, create_space, monkeypatch):
    member, studio = create_user(), create_space()
    real_ahead = series._render_series_ahead

    def ahead(*args: Any) -> Any:  # staff make the studio require approval meanwhile
        prepared = real_ahead(*args)
        studio.requires_approval = True
        db.session.commit()
        return prepared

    monkeypatch.setattr(series, "_render_series_ahead", ahead)
    bookings = _booked(member, weekly(studio))

    assert {b.status for b in bookings} == {"pending"}
    for booking in bookings:
        _stored_is_own(booking)


def test_a_collector_disabled_before_stays_disabled(create_user, create_space):
    member, studio = create_user(), create_space()
    gc.disable()
    try:
        _booked(member, weekly(studio, count=1))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_dates_are_inserted_in_one_statement_per_table_with_ids_in_date_order(create_user, create_space,
                                                                                 create_booking):
    member, studio = create_user(), create_space()
    create_booking(studio, create_user(), datetime.combine(FIRST, time(8), TOKYO),
                   datetime.combine(FIRST, time(9), TOKYO))  # ids already taken before the series
    inserts: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO"):
            inserts.append(statement.split()[2])

    sa_event.listen(db.engine, "before_cursor_execute", note)
    try:
        bookings = _booked(member, weekly(studio, count=12))
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", note)

    assert sorted(inserts) == ["booking_events", "booking_holds", "booking_series", "bookings", "outbox"]
    ids = [b.id for b in bookings]
    assert ids == sorted(ids) and len(set(ids)) == 12
    trail = db.session.execute(select(BookingEvent.booking_id, BookingEvent.id).where(BookingEvent.booking_id.in_(ids))
                               .order_by(BookingEvent.id)).all()
    assert [booking_id for booking_id, _id in trail] == ids
    holds = [h.id for b in bookings for h in b.holds]
    assert holds == sorted(holds)
