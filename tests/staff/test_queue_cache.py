"""The approval queue's kept pages (booking.views.queue_page): never stale, never another viewer's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import force_locale, format_timedelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from booking.caches import BoundedCache
from booking.dates import format_duration
from booking.extensions import db
from booking.models import Booking, Space
from booking.services import staff as staff_service
from booking.services.bookings import cancel_booking
from booking.views import queue_page
from tests.conftest import CSRF_RE, future_day, without_csrf_tokens
from tests.staff.test_pages import ask

DAY = future_day(5)
NOW = datetime.now(UTC).replace(microsecond=0)


def at(hour: int) -> datetime:
    return DAY.replace(hour=hour)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """The queue's clock held still, so two views of one page differ only by what changed."""
    monkeypatch.setattr("booking.views.queue_page.utcnow", lambda: NOW)


@pytest.fixture
def staff_user(create_user):
    return create_user(role="staff", name="Staff Sato")


@pytest.fixture
def staff_client(client, staff_user):
    client.login(staff_user.email)
    return client


@pytest.fixture
def space(create_space):
    return create_space(requires_approval=True, pending_holds=False, name_ja="スタジオ", name_en="Studio")


@pytest.fixture
def member(create_user):
    return create_user(name="Suzuki Hanako", organisation="NPO Kumamoto", email="hanako@example.jp")


def tokenless(page: str) -> str:
    """`page` with every CSRF token set aside (the decision forms' hidden fields too)."""
    return CSRF_RE.sub("csrf_token TOKEN", without_csrf_tokens(page))


def view(client, path="/staff/requests"):
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def anew(app: Flask, client, path="/staff/requests"):
    """The page as it renders with nothing kept."""
    app.extensions["booking_kept_queues"].clear()
    return view(client, path)



def each_change_reaches_the_kept_page(app, staff_client, changes) -> None:
    """Each change (name: callable) alters the kept queue page, which then equals a fresh rendering."""
    for what, change in changes.items():
        before = view(staff_client)
        change()
        db.session.expire_all()
        after = view(staff_client)

        assert after != before, what
        assert tokenless(after) == tokenless(anew(app, staff_client)), what

def test_a_kept_queue_page_is_the_page_rendered_anew(app, staff_client, space, member, create_user):
    for n in range(1, 13):
        start = at(1) + timedelta(minutes=30 * n)
        ask(member if n % 2 else create_user(), space, start, start + timedelta(minutes=30), title=f"Request {n}")
    for path in ("/staff/requests", "/staff/requests?page=2"):
        first = view(staff_client, path)
        kept = view(staff_client, path)
        assert len(app.extensions["booking_kept_queues"]) >= 1

        assert tokenless(kept) == tokenless(first) == tokenless(anew(app, staff_client, path))
    assert "Request 11" in kept and "Request 1<" not in kept


def test_every_change_the_queue_shows_reaches_the_next_view(app, staff_client, space, member, create_user,
                                                            create_booking, staff_user):
    first = ask(member, space, at(2), at(4), title="Podcast")
    second = ask(create_user(name="Tanaka"), space, at(6), at(8), title="Interview")
    view(staff_client)

    changes = {
        "a new request": lambda: ask(create_user(), space, at(9), at(10), title="Late request"),
        "a rival booked": lambda: create_booking(space, create_user(name="Rival Ito"), at(3), at(5),
                                                 title="Confirmed rival"),
        "a request approved": lambda: staff_service.approve(staff_user, second.id),
        "a request cancelled": lambda: cancel_booking(first.user, first.id),
        "a space renamed": lambda: _rename(space, "スタジオ改"),
    }
    each_change_reaches_the_kept_page(app, staff_client, changes)


def _rename(space: Space, name: str) -> None:
    db.session.execute(update(Space).where(Space.id == space.id).values(name_ja=name, name_en=name))
    db.session.commit()


def test_an_edited_rival_title_reaches_the_next_view(app, staff_client, space, member, create_booking, create_user):
    ask(member, space, at(2), at(4), title="Podcast")
    rival = create_booking(space, create_user(), at(3), at(5), title="Old title")
    assert "Old title" in view(staff_client)

    db.session.execute(update(Booking).where(Booking.id == rival.id)
                       .values(title="New title", updated_at=datetime.now(UTC)))
    db.session.commit()

    assert "New title" in view(staff_client)


def clock_at(monkeypatch, instant: datetime) -> None:
    monkeypatch.setattr("booking.views.queue_page.utcnow", lambda: instant)


def test_a_kept_page_never_shows_a_request_as_decidable_after_its_deadline(app, staff_client, space, member,
                                                                           create_booking, monkeypatch):
    """The expiry job has not run: the database still says pending, the page must not."""
    start = NOW + timedelta(days=3)
    deadline = start - timedelta(hours=space.request_deadline_hours)
    booking = create_booking(space, member, start, start + timedelta(hours=1), status="pending",
                             created_at=NOW - timedelta(days=1), title="Late decision")
    approve, reject = f"/staff/requests/{booking.id}/approve", f"/staff/requests/{booking.id}/reject"

    assert approve in view(staff_client)
    clock_at(monkeypatch, deadline - timedelta(microseconds=1))
    page = view(staff_client)
    assert approve in page and re.search(r"(残り|\()1 ?(秒|second)", page)  # kept, and still a moment left
    assert len(app.extensions["booking_kept_queues"]) == 1

    clock_at(monkeypatch, deadline)
    page = view(staff_client)
    assert approve not in page and reject not in page and "Late decision" not in page
    assert not re.search(r"\b0 (秒|seconds?)", page)
    assert tokenless(page) == tokenless(anew(app, staff_client))
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "pending"  # what the job has yet to write


def test_a_deadline_passing_on_another_page_moves_the_kept_pages(app, staff_client, space, member, create_booking,
                                                                  monkeypatch):
    soon = NOW + timedelta(days=2)
    create_booking(space, member, soon, soon + timedelta(hours=1), status="pending",
                   created_at=NOW - timedelta(days=1), title="Most urgent")
    for n in range(10):
        start = NOW + timedelta(days=4, hours=n)
        create_booking(space, member, start, start + timedelta(hours=1), status="pending",
                       created_at=NOW - timedelta(days=1), title=f"Later {n}")
    assert "Later 9" not in view(staff_client) and "Later 9" in view(staff_client, "/staff/requests?page=2")

    clock_at(monkeypatch, soon - timedelta(hours=space.request_deadline_hours))
    first = view(staff_client)
    assert "Most urgent" not in first and "Later 9" in first
    second = view(staff_client, "/staff/requests?page=2")  # one page left: clamped to it
    assert "Most urgent" not in second and "Later 0" in second


def test_the_waiting_time_is_the_clocks_not_the_kept_pages(staff_client, space, member, create_booking, monkeypatch):
    create_booking(space, member, NOW + timedelta(days=3), NOW + timedelta(days=3, hours=1), status="pending",
                   created_at=NOW - timedelta(hours=5))
    monkeypatch.setattr("booking.views.queue_page.utcnow", lambda: NOW)
    assert re.search(r"(待ち時間：|Waiting for )5(時間| h)", view(staff_client))

    monkeypatch.setattr("booking.views.queue_page.utcnow", lambda: NOW + timedelta(days=1))
    assert re.search(r"(待ち時間：|Waiting for )1(日| day)", view(staff_client))


def test_each_staff_member_gets_the_csrf_token_of_their_own_session(app, staff_client, space, member, create_user):
    booking = ask(member, space, at(2), at(4))
    other = app.test_client()
    other.login(create_user(role="staff", name="Staff Kato").email)

    mine, theirs = view(staff_client), view(other)

    assert tokenless(mine).replace("Staff Sato", "Staff Kato") == tokenless(theirs)
    assert set(CSRF_RE.findall(mine)).isdisjoint(CSRF_RE.findall(theirs))
    token = CSRF_RE.search(theirs).group(1)
    answer = other.post(f"/staff/requests/{booking.id}/approve", data={"csrf_token": token})
    assert answer.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "confirmed"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seconds=st.floats(min_value=0, max_value=3 * 365 * 86400, allow_nan=False))
def test_a_kept_duration_reads_as_it_is_formatted_anew(app, seconds):
    """Kept per (language, unit, number): the same text as a fresh formatting, minutes, hours and days
    through format_duration (5時間 / 5 h), a Japanese number glued to its counter (glossary.toml)."""
    with app.test_request_context():
        for language in ("ja", "en"):
            with force_locale(language):
                fresh = queue_page._shown_duration(BoundedCache(4), language, seconds)
                assert queue_page.shown_duration(language, seconds) == fresh
                unit, number = queue_page.duration_shown(seconds)
                if unit in ("minute", "hour", "day"):
                    assert fresh == format_duration(number * {"minute": 1, "hour": 60, "day": 1440}[unit], language)
                elif language == "en":
                    assert fresh == format_timedelta(timedelta(seconds=seconds))
                assert language == "en" or not re.search(r"\d ", fresh)


@pytest.mark.parametrize("hours", [0, 72])
def test_a_changed_request_deadline_policy_reaches_the_kept_page_at_once(app, staff_client, space, member, hours):
    """Issue 16 (tester, point 7): the deadlines shown are computed from the space's
    request_deadline_hours; a kept page must never show the deadlines of the old policy."""
    ask(member, space, at(10), at(12), title="Podcast")
    before = view(staff_client)
    assert tokenless(view(staff_client)) == tokenless(before)  # kept (tokens carry the second they were made in)
    db.session.execute(update(Space).where(Space.id == space.id).values(request_deadline_hours=hours))
    db.session.commit()
    db.session.expire_all()

    after = view(staff_client)

    assert tokenless(after) != tokenless(before)
    assert tokenless(after) == tokenless(anew(app, staff_client))


def test_a_member_renamed_or_registered_after_the_page_was_kept_reaches_the_next_view(app, staff_client, space,
                                                                                      member, create_user):
    """The version holds no column of the members: a member shows only through a booking, and a change
    of what the page shows of one raises the feed version of the spaces of their bookings."""
    ask(member, space, at(2), at(4), title="Podcast")
    assert "Suzuki Hanako" in view(staff_client)

    member.name, member.organisation, member.email = "Suzuki Hana", "NPO Aso", "hana@example.jp"
    db.session.commit()
    renamed = view(staff_client)
    assert "Suzuki Hanako" not in renamed and "NPO Aso" in renamed and "hana@example.jp" in renamed

    newcomer = create_user(name="Newcomer Mori")
    assert "Newcomer Mori" not in view(staff_client)
    ask(newcomer, space, at(6), at(8), title="First visit")
    db.session.expire_all()
    assert "Newcomer Mori" in view(staff_client)
    assert tokenless(view(staff_client)) == tokenless(anew(app, staff_client))


def test_a_proposal_proposed_again_reaches_the_kept_page_behind_a_row_changed_ahead_of_the_clock(
        app, staff_client, space, member, staff_user, create_booking, create_user):
    """A second proposal changes no status, count, hold or feed: only its trail entry tells the version."""
    from booking.services.changes import BookingChange, change_booking

    booking = ask(member, space, at(2), at(3), title="Podcast")
    staff_service.approve(staff_user, booking.id)
    assert change_booking(member, booking.id, BookingChange(at(4), at(5), "Podcast", False)).is_proposal
    seeded = create_booking(space, create_user(), at(20), at(21), title="Seeded")
    db.session.execute(update(Booking).where(Booking.id == seeded.id)
                       .values(updated_at=datetime(2100, 1, 1, tzinfo=UTC)))
    db.session.commit()
    before = view(staff_client)

    assert change_booking(member, booking.id, BookingChange(at(6), at(8), "Podcast", False)).is_proposal
    db.session.expire_all()
    after = view(staff_client)

    assert after != before
    assert tokenless(after) == tokenless(anew(app, staff_client))


def test_every_change_reaches_the_kept_page_behind_a_row_changed_ahead_of_the_clock(
        app, staff_client, space, member, staff_user, create_booking, create_user):
    """The version reads no newest booking or hold and no count of waiting bookings: with the latest
    `updated_at` held still by a seeded row, the trail and the spaces' feed versions still tell each change."""
    from booking.services.changes import BookingChange, approve_change, change_booking, decline_change

    first = ask(member, space, at(2), at(3), title="Podcast")
    second = ask(create_user(name="Tanaka"), space, at(6), at(7), title="Interview")
    seeded = create_booking(space, create_user(), at(20), at(21), title="Seeded")
    db.session.execute(update(Booking).where(Booking.id == seeded.id)
                       .values(updated_at=datetime(2100, 1, 1, tzinfo=UTC)))
    db.session.commit()

    def propose(booking: Booking, hour: int) -> None:
        assert change_booking(booking.user, booking.id, BookingChange(at(hour), at(hour + 1), booking.title,
                                                                      False)).is_proposal
    changes = {
        "a new request": lambda: ask(create_user(), space, at(9), at(10), title="Late request"),
        "a rival booked": lambda: create_booking(space, create_user(name="Rival Ito"), at(2), at(4),
                                                 title="Confirmed rival"),
        "a request approved": lambda: staff_service.approve(staff_user, second.id),
        "a change proposed": lambda: propose(second, 4),
        "a change declined": lambda: decline_change(staff_user, second.id),
        "a change proposed again": lambda: propose(second, 10),
        "a change approved": lambda: approve_change(staff_user, second.id),
        "a request cancelled": lambda: cancel_booking(first.user, first.id),
    }
    each_change_reaches_the_kept_page(app, staff_client, changes)


def test_the_queue_tells_of_no_event_proposal_when_none_waits(staff_client, space, member):
    ask(member, space, at(2), at(4), title="Podcast")

    page = view(staff_client)

    assert "Podcast" in page and "event-proposals-notice" not in page
