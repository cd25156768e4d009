"""Stateful property: after any sequence of operations, every feed's validators follow its body.

A hypothesis RuleBasedStateMachine books, approves, rejects, cancels, renames
spaces and members, changes a space's time zone, and lets days pass. After each
step it fetches every feed kind (space, member, staff over every space, staff of
one space) and checks:

- through the service, at the simulated day: body changed => ETag changed;
- over HTTP, at the real clock: the ETag and Last-Modified served before the
  step get 200 when the body changed and 304 when the step wrote nothing.

The window is short (a few days back, two weeks ahead) so that passing days
move bookings in and out of it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, User
from booking.services import ServiceError, feed_tokens, staff
from booking.services.admin_spaces import SpaceInput, update_space
from booking.services.bookings import BookingInput, cancel_booking, request_booking
from booking.services.feeds import member_feed, space_feed, staff_feed
from booking.services.policy_changes import Resolution, VictimsToResolve
from booking.services.transactions import run_write

ZONES = ("Asia/Tokyo", "Europe/Berlin", "America/New_York")


@pytest.fixture
def app_config() -> dict[str, Any]:
    # One client polls the same feeds through every example: no feed rate limit (booking.limits) here.
    return {"FEED_DAYS_BACK": 3, "FEED_DAYS_AHEAD": 14, "FEED_CANCELLED_DAYS": 2,
            "RATELIMIT_FEED": "1000000 per minute"}


@dataclass
class Seen:
    etag: str
    body: bytes
    last_modified: str | None


def _update_space(staff_user: User, space_id: int, data: SpaceInput) -> None:
    """update_space as staff would save it: bookings the change breaks (issue 15) are cancelled."""
    try:
        update_space(staff_user, space_id, data)
    except VictimsToResolve as refused:
        cancel_all = Resolution({victim.booking_id: "cancel" for victim in refused.victims}, message="Sorry")
        update_space(staff_user, space_id, data, cancel_all)


def _space_input(space: Any, **changes: Any) -> SpaceInput:
    values = {f.name: getattr(space, f.name) for f in fields(SpaceInput)}
    return SpaceInput(**{**values, **changes})


def test_validators_follow_every_visible_change(client, create_space, create_user):
    tokyo = create_space(requires_approval=True, name_ja="東京, 1;2", timezone="Asia/Tokyo")
    berlin = create_space(kind="pooled", unit_count=3, timezone="Europe/Berlin")
    spaces = [tokyo, berlin]
    members = [create_user(), create_user()]
    staff_user = create_user(role="staff")
    member_token = feed_tokens.renew_token(members[0], "member")
    staff_token = feed_tokens.renew_token(staff_user, "staff")
    urls = {
        "space-tokyo": f"/spaces/{tokyo.slug}/calendar.ics",
        "space-berlin": f"/spaces/{berlin.slug}/calendar.ics",
        "member": f"/feeds/{member_token}/bookings.ics",
        "staff-all": f"/feeds/{staff_token}/staff.ics",
        "staff-tokyo": f"/feeds/{staff_token}/staff/{tokyo.slug}.ics",
    }
    space_ids = [s.id for s in spaces]
    slugs = [s.slug for s in spaces]
    member_ids = [m.id for m in members]

    class Feeds(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.days = 0
            self.wrote = False
            self.service_seen: dict[str, Seen] = {}
            self.http_seen: dict[str, Seen] = {}

        def _feeds(self) -> dict[str, Any]:
            now = datetime.now(UTC) + timedelta(days=self.days)
            return {
                "space-tokyo": space_feed(slugs[0], now=now),
                "space-berlin": space_feed(slugs[1], now=now),
                "member": member_feed(member_token, now=now),
                "staff-all": staff_feed(staff_token, now=now),
                "staff-tokyo": staff_feed(staff_token, slugs[0], now=now),
            }

        def _bookings(self, *statuses: str) -> list[Booking]:
            db.session.rollback()
            return list(db.session.scalars(
                select(Booking).where(Booking.space_id.in_(space_ids), Booking.status.in_(statuses))
                .order_by(Booking.id)))

        @rule(space=st.integers(0, 1), member=st.integers(0, 1), day=st.integers(-2, 18),
              hour=st.integers(9, 19), public=st.booleans())
        def book(self, space: int, member: int, day: int, hour: int, public: bool) -> None:
            zone = ZoneInfo(db.session.get(type(tokyo), space_ids[space]).timezone)
            local_day = datetime.now(zone).date() + timedelta(days=day)
            start = datetime.combine(local_day, time(hour), zone)
            user = db.session.get(User, member_ids[member])
            data = BookingInput(space_id=space_ids[space], start_dt=start, end_dt=start + timedelta(hours=1),
                                title=f"T{day}{hour}", is_public=public)
            outcome = request_booking(user, data, now=start - timedelta(days=3) if day < 1 else None)
            self.wrote = outcome.ok

        @rule(pick=st.integers(0, 50))
        def approve(self, pick: int) -> None:
            pending = self._bookings("pending")
            if pending:
                try:
                    staff.approve(staff_user, pending[pick % len(pending)].id)
                    self.wrote = True
                except ServiceError:
                    self.wrote = False

        @rule(pick=st.integers(0, 50))
        def reject(self, pick: int) -> None:
            pending = self._bookings("pending")
            if pending:
                staff.reject(staff_user, pending[pick % len(pending)].id, "No, sorry")
                self.wrote = True

        @rule(pick=st.integers(0, 50))
        def cancel(self, pick: int) -> None:
            future = [b for b in self._bookings("pending", "confirmed") if b.start_dt > datetime.now(UTC)]
            if future:
                booking = future[pick % len(future)]
                cancel_booking(db.session.get(User, booking.user_id), booking.id)
                self.wrote = True

        @rule(space=st.integers(0, 1), name=st.sampled_from(["Studio", "Hall, big", "A;B\\C", "ホール"]))
        def rename_space(self, space: int, name: str) -> None:
            current = db.session.get(type(tokyo), space_ids[space])
            _update_space(staff_user, space_ids[space], _space_input(current, name_ja=name, name_en=name))
            self.wrote = True

        @rule(space=st.integers(0, 1), zone=st.sampled_from(ZONES))
        def change_time_zone(self, space: int, zone: str) -> None:
            current = db.session.get(type(tokyo), space_ids[space])
            _update_space(staff_user, space_ids[space], _space_input(current, timezone=zone))
            self.wrote = True

        @rule(member=st.integers(0, 1), name=st.sampled_from(["Ann", "Bo, Jr.", "佐藤"]))
        def rename_member(self, member: int, name: str) -> None:
            def work(session: Any) -> None:
                session.get(User, member_ids[member]).name = name

            run_write(None, work)
            self.wrote = True

        @rule(days=st.integers(1, 4))
        def time_passes(self, days: int) -> None:
            self.days += days
            self.wrote = False

        @invariant()
        def body_changed_means_etag_changed(self) -> None:
            db.session.rollback()
            for kind, feed in self._feeds().items():
                body = feed.build()
                before = self.service_seen.get(kind)
                if before is not None and body != before.body:
                    assert feed.etag != before.etag, f"{kind}: body changed under the same ETag"
                if before is not None and feed.etag == before.etag:
                    assert body == before.body, f"{kind}: same ETag, different body"
                self.service_seen[kind] = Seen(feed.etag, body, None)

        @invariant()
        def old_validators_get_200_after_a_change_and_304_otherwise(self) -> None:
            for kind, url in urls.items():
                response = client.get(url)
                assert response.status_code == 200
                before = self.http_seen.get(kind)
                if before is not None:
                    changed = response.data != before.body
                    by_etag = client.get(url, headers={"If-None-Match": f'"{before.etag}"'}).status_code
                    if changed:
                        assert by_etag == 200, f"{kind}: 304 for an old ETag after a change"
                    elif not self.wrote:
                        assert by_etag == 304, f"{kind}: 200 though nothing changed"
                    if before.last_modified is not None:
                        by_date = client.get(url, headers={"If-Modified-Since": before.last_modified}).status_code
                        if changed:
                            assert by_date == 200, f"{kind}: 304 for an old Last-Modified after a change"
                        elif not self.wrote:
                            assert by_date == 304, f"{kind}: 200 for an unchanged Last-Modified"
                self.http_seen[kind] = Seen(response.headers["ETag"].strip('"'), response.data,
                                            response.headers.get("Last-Modified"))
            self.wrote = False

    run_state_machine_as_test(Feeds, settings=settings(
        max_examples=6, stateful_step_count=10, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))
