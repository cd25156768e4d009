"""The spaces page keeps each space's start facts by data, not by the clock: a booking or a closure
shows on the next view, and the time window moves on as slot boundaries pass."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from booking.extensions import db
from booking.services import admin_spaces, bookings, spaces
from tests.conftest import without_csrf_tokens
from tests.views.conftest import at, tokyo_today

ALL_DAY = {day: ((time(0), time(23, 30)),) for day in range(7)}


@pytest.fixture(autouse=True)
def empty_caches():
    spaces.glance_facts_cache.clear()
    spaces.days_facts_cache.clear()
    yield
    spaces.glance_facts_cache.clear()
    spaces.days_facts_cache.clear()


def page_of(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def fresh_page_of(client) -> str:
    """The page as it is rendered when no facts are kept."""
    spaces.glance_facts_cache.clear()
    spaces.days_facts_cache.clear()
    return page_of(client)


def glance(page: str, day: str) -> str:
    """What the one space's card says of 今日 or 明日 (or いちばん早い空き)."""
    return re.search(rf"<dt[^>]*>{day}</dt>\s*<dd[^>]*>(.*?)</dd>", page).group(1)


def closure(space_id: int | None, day, start: int, end: int) -> admin_spaces.ClosureInput:
    return admin_spaces.ClosureInput(space_id=space_id, start_local=at(day, start).replace(tzinfo=None),
                                     end_local=at(day, end).replace(tzinfo=None), reason="点検")


def test_a_booking_a_closure_and_their_removal_show_on_the_next_view(client, create_space, create_user,
                                                                    create_booking):
    room = create_space(hours=ALL_DAY)
    member = create_user()
    tomorrow = tokyo_today() + timedelta(days=1)
    assert "空き47枠" in glance(page_of(client), "明日")  # 00:00 … 23:00 every 30 minutes

    booked = create_booking(room, member, at(tomorrow, 10), at(tomorrow, 11))
    assert "空き45枠" in glance(page_of(client), "明日")
    added = admin_spaces.add_closure(closure(None, tomorrow, 12, 13))
    assert "空き43枠" in glance(page_of(client), "明日")
    admin_spaces.delete_closure(added.id)
    assert "空き45枠" in glance(page_of(client), "明日")
    bookings.cancel_booking(member, booked.id)
    kept = page_of(client)
    assert "空き47枠" in glance(kept, "明日")
    assert without_csrf_tokens(kept) == without_csrf_tokens(fresh_page_of(client))


def test_the_glance_moves_on_when_a_slot_boundary_passes(client, create_space, monkeypatch):
    create_space(hours=ALL_DAY)
    ten = at(tokyo_today(), 10)
    monkeypatch.setattr("booking.views.main.utcnow", lambda: ten - timedelta(seconds=1))
    before = page_of(client)
    assert "空き27枠" in glance(before, "今日") and "10:00" in glance(before, "いちばん早い空き")
    monkeypatch.setattr("booking.views.main.utcnow", lambda: ten + timedelta(microseconds=1))
    after = page_of(client)
    assert "空き26枠" in glance(after, "今日") and "10:30" in glance(after, "いちばん早い空き")
    assert without_csrf_tokens(after) == without_csrf_tokens(fresh_page_of(client))


def test_visitors_and_members_get_the_same_glance_and_no_booking_of_anyone(app, client, create_space, create_user,
                                                                          create_booking):
    room = create_space(hours=ALL_DAY)
    member = create_user()
    tomorrow = tokyo_today() + timedelta(days=1)
    create_booking(room, member, at(tomorrow, 10), at(tomorrow, 11), title="Aiko's secret recording")
    signed = app.test_client()
    signed.login(member.email)
    seen_by_member, seen_by_visitor = page_of(signed), page_of(client)
    assert glance(seen_by_member, "明日") == glance(seen_by_visitor, "明日")
    assert "secret" not in seen_by_member and "secret" not in seen_by_visitor
    db.session.rollback()
