"""feeds.rebuild_events: which stored events it renders again, how far back, and in chunks of a few bookings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from booking.extensions import db
from booking.models import Booking
from booking.services import feeds


def make_stale(*bookings: Booking) -> None:
    table = Booking.__table__
    db.session.execute(update(table).where(table.c.id.in_([b.id for b in bookings])).values(ics_stamp="old"))
    db.session.commit()


def stamps(*bookings: Booking) -> list[str]:
    return [db.session.scalar(select(Booking.ics_stamp).where(Booking.id == b.id)) for b in bookings]


@pytest.mark.parametrize(("settings", "days"), [
    ({}, 15), ({"FEED_DAYS_BACK": 20}, 21), ({"FEED_CANCELLED_DAYS": 30}, 31),
])
def test_rebuilding_reaches_back_a_day_past_the_longest_feed_window(app, space, member, book, settings, days):
    app.config.update(settings)
    booking = book(space, member)
    make_stale(booking)
    edge = booking.end_dt + timedelta(days=days)

    assert feeds.rebuild_events(space.id, now=edge) == 0  # ended exactly at the window's start
    assert feeds.rebuild_events(space.id, now=edge - timedelta(seconds=1)) == 1
    assert stamps(booking) != ["old"]


def test_rebuilding_renders_only_this_spaces_stale_events(space, create_space, member, book):
    fresh, stale = book(space, member, day=7), book(space, member, day=8)
    elsewhere = book(create_space(slug="hall"), member)
    make_stale(stale, elsewhere)

    assert feeds.rebuild_events(space.id) == 1

    assert stamps(elsewhere) == ["old"] and "old" not in stamps(fresh, stale)


@pytest.mark.parametrize(("count", "chunk", "transactions"), [(5, 2, 3), (7, 3, 3), (3, 3, 2)])
def test_rebuilding_walks_the_bookings_in_one_write_transaction_per_chunk(
        space, member, book, monkeypatch, count, chunk, transactions):
    bookings = [book(space, member, day=7 + n) for n in range(count)]
    make_stale(*bookings)
    calls = []
    run_write = feeds.run_write

    def counted(space_id, work):
        calls.append(space_id)
        return run_write(space_id, work)

    monkeypatch.setattr(feeds, "run_write", counted)

    assert feeds.rebuild_events(space.id, chunk=chunk) == count

    assert calls == [space.id] * transactions
    assert "old" not in stamps(*bookings)


def test_rebuilding_in_english_leaves_the_events_already_rendered_in_english(app, space, member, book):
    app.config["FEED_LOCALE"] = "en"
    fresh, stale = book(space, member, day=7), book(space, member, day=8)
    make_stale(fresh, stale)
    assert feeds.rebuild_events(space.id) == 2  # both rendered in English now

    make_stale(stale)
    assert feeds.rebuild_events(space.id) == 1


def test_rebuilding_in_chunks_reaches_every_booking_whatever_order_their_dates_and_last_writes_are_in(
        space, member, book):
    bookings = [book(space, member, day=20 - n) for n in range(5)]  # the later the booking, the earlier its date
    for booking in reversed(bookings):  # written last to first
        make_stale(booking)

    assert feeds.rebuild_events(space.id, chunk=2) == 5

    assert "old" not in stamps(*bookings)
