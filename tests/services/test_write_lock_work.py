"""What a booking request does while it holds the space's write lock (issue 21): no rendering.

The feed events and the calendar of the confirmation mail are rendered before the lock
is taken; inside it only the change times are written into those renderings.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from booking import ical
from booking.extensions import db
from booking.models import Booking, OutboxMessage, Space
from booking.services import NotFound, bookings, feed_events, outbox, transactions
from booking.services.bookings import BookingInput, request_booking
from booking.services.feed_events import feed_locale, render_booking
from booking.services.notifications import calendar_message
from tests.conftest import future_day

NOW = datetime(2030, 6, 3, 0, 0, tzinfo=UTC)  # a Monday; 09:00 in Tokyo
MONDAY_TEN = NOW + timedelta(days=7, hours=1)


def watch_the_lock(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """A flag, `[True]` while a space's write lock is held (from the lock taken to the transaction's end)."""
    in_lock = [False]
    original = transactions.write_transaction

    @contextmanager
    def watched(space_id: int | None, **options: Any) -> Iterator[Any]:
        with original(space_id, **options) as session:
            in_lock[0] = space_id is not None
            try:
                yield session
            finally:
                in_lock[0] = False

    monkeypatch.setattr(transactions, "write_transaction", watched)
    return in_lock


@pytest.fixture
def renders_in_lock(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The UIDs of the VEVENTs built from scratch while a space's write lock is held."""
    built: list[str] = []
    in_lock = watch_the_lock(monkeypatch)
    original_component = ical.event_text

    def component(values: ical.EventValues, *args: Any) -> Any:
        if in_lock[0]:
            built.append(values.uid)
        return original_component(values, *args)

    original_components = ical.event_texts

    def components(many: tuple[ical.EventValues, ...]) -> Any:  # a booking's audiences rendered together
        if in_lock[0]:
            built.extend(values.uid for values in many)
        return original_components(many)

    monkeypatch.setattr(ical, "event_text", component)
    monkeypatch.setattr(ical, "event_texts", components)
    return built


def _book(member: Any, space: Any, **fields: Any) -> Booking:
    data = BookingInput(space_id=space.id, start_dt=MONDAY_TEN, end_dt=MONDAY_TEN + timedelta(hours=1),
                        title="Recording", **fields)
    outcome = request_booking(member, data, now=NOW)
    assert outcome.booking is not None, outcome.conflicts
    db.session.expire_all()
    return db.session.get(Booking, outcome.booking.id)  # type: ignore[return-value]


@pytest.mark.parametrize("kind", ["exclusive", "pooled"])
def test_a_confirmed_booking_renders_nothing_inside_the_lock(create_user, create_space, renders_in_lock, kind):
    member = create_user()
    space = create_space(kind=kind, unit_count=6 if kind == "pooled" else 1)

    _book(member, space, seats=2 if kind == "pooled" else 1)

    assert renders_in_lock == []


def test_a_request_waiting_for_approval_renders_nothing_inside_the_lock(create_user, create_space,
                                                                         renders_in_lock):
    member, hall = create_user(), create_space(requires_approval=True)

    assert _book(member, hall).status == "pending"
    assert renders_in_lock == []


def test_the_stored_events_and_the_mail_calendar_are_those_of_the_booking_as_stored(create_user, create_space):
    member, pool = create_user(), create_space(kind="pooled", unit_count=6)

    booking = _book(member, pool, seats=2, purpose="Hackathon", attendees=4)

    rendered = render_booking(booking, booking.space, member, feed_locale())
    assert (booking.ics_public, booking.ics_member, booking.ics_staff, booking.ics_stamp) == (
        rendered.public, rendered.member, rendered.staff, rendered.stamp)
    assert f"DTSTAMP:{booking.updated_at:%Y%m%dT%H%M%SZ}" in booking.ics_member
    message = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "booking.confirmed")).one()
    _method, expected = calendar_message(booking, member.locale or "ja")
    assert base64.b64decode(message.attachments[0]["data"]) == expected


def test_the_events_kept_per_process_follow_the_title_and_the_member_name(create_user, create_space):
    """The audiences' rendered events are kept by the values they show (feed_events._audience_templates)."""
    member, studio = create_user(name="山田 太郎"), create_space()
    booking = _book(member, studio, is_public=True)
    before = render_booking(booking, studio, member, feed_locale())

    booking.title, member.name = "Mixing", "山田 花子"
    after = render_booking(booking, studio, member, feed_locale())

    assert "SUMMARY:Recording" in before.public and "SUMMARY:Mixing" in after.public
    assert "SUMMARY:Mixing" in after.member and "山田 花子" in after.staff and "山田 花子" not in before.staff
    assert after.member.replace("Mixing", "Recording") == before.member


def test_desks_guessed_otherwise_before_the_lock_do_not_reach_the_feeds(create_user, create_space, monkeypatch):
    member, pool = create_user(), create_space(kind="pooled", unit_count=6)
    real_pick, real_ahead = bookings.pick_units, bookings._prepare_ahead

    def ahead(*args: Any) -> Any:  # the rows built ahead of the lock guess desks 5 and 6
        monkeypatch.setattr(bookings, "pick_units", lambda *_args, **_kwargs: [5, 6])
        try:
            prepared = real_ahead(*args)
        finally:
            monkeypatch.setattr(bookings, "pick_units", real_pick)
        assert prepared is not None and prepared.units == (5, 6)
        return prepared

    monkeypatch.setattr(bookings, "_prepare_ahead", ahead)
    booking = _book(member, pool, seats=2)

    assert [h.unit_no for h in booking.holds] == [1, 2]
    rendered = render_booking(booking, booking.space, member, feed_locale())
    assert (booking.ics_member, booking.ics_staff) == (rendered.member, rendered.staff)


@pytest.fixture
def lock_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL run while a space's write lock is held (the lock's own statement included)."""
    seen: list[str] = []
    in_lock = [False]
    original = transactions.write_transaction

    def noted(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if in_lock[0]:
            seen.append(" ".join(statement.split()))

    @contextmanager
    def watched(space_id: int | None, **options: Any) -> Iterator[Any]:
        in_lock[0] = space_id is not None
        try:
            with original(space_id, **options) as session:
                yield session
        finally:
            in_lock[0] = False

    event.listen(db.engine, "before_cursor_execute", noted)
    monkeypatch.setattr(transactions, "write_transaction", watched)
    yield seen
    event.remove(db.engine, "before_cursor_execute", noted)


def test_a_booking_reads_its_space_once_under_the_lock(create_user, create_space, lock_statements):
    member, studio = create_user(), create_space()

    _book(member, studio)

    reads_of_spaces = [s for s in lock_statements if s.startswith("SELECT") and " FROM spaces" in s]
    assert len(reads_of_spaces) == 1, reads_of_spaces  # not again for its feed counter, nor by id after the lock
    assert any("UPDATE spaces SET feed_version" in s for s in lock_statements)  # PostgreSQL: in the INSERT's WITH


def test_feed_change_times_raised_twice_in_one_locked_transaction_still_step_a_second(create_space):
    studio = create_space()

    def twice(session: Any) -> tuple[datetime, datetime]:
        session.get(Space, studio.id)  # read under the lock, as a booking does
        feed_events.raise_feed_versions(session, {studio.id})
        first = session.scalar(select(Space.feed_changed_at).where(Space.id == studio.id))
        feed_events.raise_feed_versions(session, {studio.id})
        second = session.scalar(select(Space.feed_changed_at).where(Space.id == studio.id))
        return first, second

    first, second = transactions.run_write(studio.id, twice)

    assert second - first.replace(microsecond=0) >= timedelta(seconds=1)


def test_the_confirmation_is_sent_after_the_commit_without_a_transaction_to_claim_it(
        create_user, create_space, monkeypatch):
    member, studio = create_user(), create_space()
    other_writes: list[None] = []
    original = transactions.write_transaction

    @contextmanager
    def counted(space_id: int | None, **options: Any) -> Iterator[Any]:
        if space_id is None:
            other_writes.append(None)
        with original(space_id, **options) as session:
            yield session

    monkeypatch.setattr(transactions, "write_transaction", counted)
    _book(member, studio)

    assert len(other_writes) == 1  # recording that it was sent; it was leased in the booking's own INSERT
    message = db.session.scalars(select(OutboxMessage)).one()
    assert (message.status, message.attempts) == ("sent", 1)


def test_a_booking_writes_its_rows_without_reading_the_member_under_the_lock(create_user, create_space,
                                                                          lock_statements):
    member, studio = create_user(), create_space()
    start = future_day(7) + timedelta(hours=1)  # 10:00 in Tokyo, booked at the real time (as a POST is)

    outcome = request_booking(member, BookingInput(space_id=studio.id, start_dt=start,
                                                   end_dt=start + timedelta(hours=1), title="Recording"))

    assert outcome.booking is not None, outcome.conflicts
    assert not [s for s in lock_statements if " FROM users" in s]  # the member was read before the lock
    inserts = sorted(re.findall(r"INSERT INTO (\w+)", " ".join(lock_statements)))
    assert inserts == ["booking_events", "booking_holds", "bookings", "outbox"]
    writes = [s for s in lock_statements if s.startswith(("INSERT", "WITH", "UPDATE"))]
    # PostgreSQL: one statement with the feed counter's UPDATE; SQLite: that UPDATE and four INSERTs.
    assert len(writes) == (1 if db.engine.dialect.name == "postgresql" else 5)


def test_a_space_renamed_while_the_booking_waits_for_the_lock_is_stored_with_its_new_name(
        create_user, create_space, monkeypatch):
    member, studio = create_user(), create_space(name_ja="旧スタジオ")
    real_ahead = bookings._prepare_ahead

    def ahead(*args: Any) -> Any:  # staff rename the space right after the rows were built
        prepared = real_ahead(*args)
        db.session.execute(db.update(Space).where(Space.id == studio.id).values(name_ja="新スタジオ"))
        db.session.commit()
        return prepared

    monkeypatch.setattr(bookings, "_prepare_ahead", ahead)
    booking = _book(member, studio)

    assert "新スタジオ" in booking.ics_public and "旧スタジオ" not in booking.ics_public
    message = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "booking.confirmed")).one()
    assert message.payload["facts"]["space_ja"] == "新スタジオ"
    assert message.payload["facts"]["booking_id"] == booking.id


def test_a_request_for_approval_tells_every_enabled_staff_member_once(create_user, create_space):
    member, hall = create_user(), create_space(requires_approval=True)
    staff = [create_user(role="staff"), create_user(role="admin")]
    create_user(role="staff", is_enabled=False)

    booking = _book(member, hall)

    kinds = db.session.execute(db.select(OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.payload)).all()
    assert sorted((k, r) for k, r, _p in kinds) == sorted(
        [("booking.received", member.email)] + [("booking.waiting", s.email) for s in staff])
    assert {p["facts"]["booking_id"] for _k, _r, p in kinds} == {booking.id}


def test_the_kept_event_values_follow_every_change_of_what_each_audience_is_shown(create_user, create_space):
    member = create_user(name="Aiko", organisation="NPO Kumo")
    booking = _book(member, create_space(), purpose="Hackathon", attendees=4)
    locale = feed_locale()

    def shown() -> tuple[str, str, str]:
        rendered = render_booking(booking, booking.space, member, locale)
        return rendered.public, rendered.member, rendered.staff

    public, member_text, staff = shown()
    assert "Recording" not in public and "Hackathon" in member_text and "Aiko" in staff
    booking.purpose, booking.is_public = "Podcast", True
    public, member_text, staff = shown()
    assert "Recording" in public and "Podcast" in member_text and "Podcast" in staff
    assert "Hackathon" not in member_text + staff
    member.name = "Aiko Sato"
    assert "Aiko Sato" in shown()[2]
    db.session.rollback()


def test_the_space_read_under_the_lock_follows_every_edit_of_the_space(create_user, create_space):
    """The lock's space is built once per worker for its row (spaces.locked_space_cache): an edit is a new row."""
    member, studio = create_user(), create_space()
    assert _book(member, studio).status == "confirmed"

    db.session.get(Space, studio.id).requires_approval = True  # type: ignore[union-attr]
    db.session.commit()
    later = BookingInput(space_id=studio.id, start_dt=MONDAY_TEN + timedelta(hours=2),
                         end_dt=MONDAY_TEN + timedelta(hours=3), title="Recording")
    assert request_booking(member, later, now=NOW).booking.status == "pending"  # type: ignore[union-attr]

    space = db.session.get(Space, studio.id)
    assert space is not None
    for period in space.opening_hours:
        if period.weekday == MONDAY_TEN.weekday():
            db.session.delete(period)
    db.session.commit()
    closed = BookingInput(space_id=studio.id, start_dt=MONDAY_TEN + timedelta(hours=4),
                          end_dt=MONDAY_TEN + timedelta(hours=5), title="Recording")
    assert [c.code for c in request_booking(member, closed, now=NOW).conflicts] == ["hours"]


def test_a_booking_of_a_space_that_is_gone_is_not_found(create_user, create_space):
    member = create_user()
    data = BookingInput(space_id=999_999, start_dt=MONDAY_TEN, end_dt=MONDAY_TEN + timedelta(hours=1), title="X")

    with pytest.raises(NotFound):
        request_booking(member, data, now=NOW)


def test_the_rules_under_the_lock_take_the_policy_built_once_with_the_locked_space(
        create_user, create_space, monkeypatch):
    member, studio = create_user(), create_space()
    _book(member, studio)  # the locked space and its policy built once for the space's row
    built_in_lock: list[int] = []
    in_lock = watch_the_lock(monkeypatch)
    original_policy = bookings.policy_of

    def policy(space: Any) -> Any:
        if in_lock[0]:
            built_in_lock.append(space.id)
        return original_policy(space)

    monkeypatch.setattr(bookings, "policy_of", policy)
    later = BookingInput(space_id=studio.id, start_dt=MONDAY_TEN + timedelta(hours=2),
                         end_dt=MONDAY_TEN + timedelta(hours=3), title="Recording")

    assert request_booking(member, later, now=NOW).booking is not None
    assert built_in_lock == []


def test_a_bookings_mail_is_created_at_the_clock_read_under_the_lock_its_lease_starts_from(create_user,
                                                                                          create_space):
    member, studio = create_user(), create_space()
    _book(member, studio)

    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.created_at == message.due_at - outbox.LEASE


def test_a_desk_booking_next_to_taken_desks_renders_nothing_inside_the_lock(create_user, create_space,
                                                                            create_booking, renders_in_lock):
    member, pool = create_user(), create_space(kind="pooled", unit_count=6)
    create_booking(pool, create_user(), MONDAY_TEN, MONDAY_TEN + timedelta(hours=1), units=(1, 2))

    assert _book(member, pool, seats=2).unit_numbers == [3, 4]
    assert renders_in_lock == []


def test_staff_booking_for_a_member_where_requests_wait_renders_nothing_inside_the_lock(
        create_user, create_space, renders_in_lock):
    member, staff, hall = create_user(), create_user(role="staff"), create_space(requires_approval=True)
    data = BookingInput(space_id=hall.id, start_dt=MONDAY_TEN, end_dt=MONDAY_TEN + timedelta(hours=1),
                        title="Recording")

    outcome = request_booking(member, data, now=NOW, booked_by=staff)

    assert outcome.booking is not None and outcome.booking.status == "confirmed"
    assert renders_in_lock == []


def test_a_request_with_staff_to_tell_builds_its_receipt_and_staff_notice_before_the_lock(
        create_user, create_space, monkeypatch):
    from booking.services import notifications

    member, hall = create_user(), create_space(requires_approval=True)
    staff = create_user(role="staff")
    built_in_lock: list[str] = []
    in_lock = watch_the_lock(monkeypatch)
    original_notices = notifications.new_booking_notices

    def notices(*args: Any) -> Any:
        if in_lock[0]:
            built_in_lock.append(args[0].uid)
        return original_notices(*args)

    monkeypatch.setattr(notifications, "new_booking_notices", notices)

    start = future_day(7) + timedelta(hours=1)  # booked at the real time: rows prepared at NOW are built again
    outcome = request_booking(member, BookingInput(space_id=hall.id, start_dt=start, end_dt=start + timedelta(hours=1),
                                                   title="Recording"))

    assert outcome.booking is not None and outcome.booking.status == "pending"
    assert built_in_lock == []
    queued = db.session.execute(select(OutboxMessage.kind, OutboxMessage.recipient).order_by(OutboxMessage.id)).all()
    assert [tuple(row) for row in queued] == [("booking.received", member.email), ("booking.waiting", staff.email)]


def test_a_bookings_mail_is_leased_as_a_copy_of_its_row_as_the_outbox_leases_one(create_user, create_space,
                                                                                  monkeypatch):
    from booking import delivery

    handed: list[outbox.Claimed] = []
    monkeypatch.setattr(delivery, "kick", lambda _app, _ids, leased=(): handed.extend(leased))
    _book(create_user(), create_space())

    row = db.session.scalars(select(OutboxMessage)).one()
    [leased] = handed
    # the Message-ID a retry after the lease reuses, and the attempt the lease counts (outbox.claim's copy)
    assert (leased.id, leased.recipient, leased.message_uuid, leased.attempts) == (
        row.id, row.recipient, row.message_uuid, row.attempts)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "")
    assert re.fullmatch(r"[0-9a-f]{32}", row.message_uuid)
