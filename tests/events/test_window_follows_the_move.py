"""The registration period follows a moved event (break-it pass 2026-12-01): registration closes at the latest
at the start (rules.registration_period), so an event moved earlier shows, offers in its JSON-LD and accepts
registrations only up to its new start; one moved to before its registration was to open never opens, and
says so truly, never "opens on" a date after the event."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from booking.extensions import db
from booking.models import Booking
from tests.events.test_kept_event_page import visit
from tests.events.test_registration_views import register
from tests.events.test_registration_window import registrations, set_window


def _move(event, start: datetime) -> None:
    booking = db.session.get(Booking, event.booking_id)
    booking.start_dt, booking.end_dt = start, start + timedelta(hours=1)
    db.session.commit()


def _json_ld(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))


def test_an_event_moved_earlier_shows_and_offers_registration_only_up_to_its_new_start(client, kick_off):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    set_window(kick_off.id, (now - timedelta(days=1)).replace(minute=5), (now + timedelta(days=20)).replace(minute=13))
    new_start = (now + timedelta(days=3)).replace(minute=47)
    _move(kick_off, new_start)
    client.submit("/language", {"locale": "en"})

    page = visit(client, f"/events/{kick_off.id}")
    offer = _json_ld(page)["offers"]

    period = re.search(r'<dt>Registration</dt><dd[^>]*>(.*?)</dd>', page, re.S).group(1)
    assert ":47" in period and ":13" not in period
    assert datetime.fromisoformat(offer["validThrough"]) == new_start


def test_an_event_moved_before_its_opening_says_registration_is_not_open_and_refuses_one(client, kick_off):
    now = datetime.now(UTC)
    set_window(kick_off.id, now + timedelta(days=6), now + timedelta(days=8))
    _move(kick_off, now + timedelta(days=3))

    page = visit(client, f"/events/{kick_off.id}")
    response = register(client, kick_off, "early@example.jp")

    assert "に始まります" not in page and "申込受付の開始前" in page
    assert "validFrom" not in _json_ld(page)["offers"]
    assert response.status_code == 409 and "申込受付の開始前" in response.get_data(as_text=True)
    assert registrations() == []


def _resubmitted(client, booking_id: int, **changes) -> tuple[str, object]:
    """The staff event form as it is shown, posted back with `changes` (agenda rows left out: the move in these
    tests shifts the booking only)."""
    from tests.views.conftest import input_value

    page = client.get(f"/bookings/{booking_id}/event").get_data(as_text=True)
    names = set(re.findall(r'<(?:input|textarea)[^>]*\bname="([^"]+)"', page)) - {"csrf_token"}
    values = {n: input_value(page, n) or "" for n in names if not n.startswith("agenda_")}
    values["accepts_walk_ins"] = "y"
    values.update(changes)
    return page, client.submit(f"/bookings/{booking_id}/event", values)


def test_staff_save_other_edits_of_an_event_moved_earlier_and_the_form_shows_the_closing_that_holds(
        client, kick_off, create_user):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    set_window(kick_off.id, now - timedelta(days=1), (now + timedelta(days=20)).replace(minute=13))
    new_start = (now + timedelta(days=3)).replace(minute=47)
    _move(kick_off, new_start)
    client.login(create_user(role="staff").email)

    page, saved = _resubmitted(client, kick_off.booking_id, title_en="Moved kick-off")

    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert ":47" in re.search(r'name="closes_time"[^>]*>', page).group(0)
    db.session.rollback()
    assert db.session.get(type(kick_off), kick_off.id).title_en == "Moved kick-off"


def test_staff_save_other_edits_of_an_event_moved_before_its_opening(client, kick_off, create_user):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    set_window(kick_off.id, now + timedelta(days=6), now + timedelta(days=8))
    _move(kick_off, now + timedelta(days=3))
    client.login(create_user(role="staff").email)

    _page, saved = _resubmitted(client, kick_off.booking_id, title_en="Moved kick-off")

    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(type(kick_off), kick_off.id).title_en == "Moved kick-off"


# Break-it pass 2026-12-01, second round, item 1: an event moved to before its opening (window "never") read as
# closed ("Registration closed: 0 of 2 seats taken") and sold out (JSON-LD SoldOut) with every seat free.
def _seats(page: str) -> str:
    return re.search(r'<dd class="seats-left">(.*?)</dd>', page, re.S).group(1)


def _moved_before_its_opening(kick_off) -> None:
    now = datetime.now(UTC)
    set_window(kick_off.id, now + timedelta(days=6), now + timedelta(days=8))
    _move(kick_off, now + timedelta(days=3))


def test_an_event_moved_before_its_opening_takes_no_registration_not_closed_nor_sold_out(client, kick_off):
    _moved_before_its_opening(kick_off)

    page, listed = visit(client, f"/events/{kick_off.id}"), visit(client, "/events")
    client.submit("/language", {"locale": "en"})
    page_en, listed_en = visit(client, f"/events/{kick_off.id}"), visit(client, "/events")

    assert _seats(page) == "定員3席（このイベントは申込を受け付けていません）"
    assert _seats(page_en) == "3 seats; this event takes no registration"
    for shown in (page, listed):
        assert "申込終了" not in shown and "定員3席（このイベントは申込を受け付けていません）" in shown
    for shown in (page_en, listed_en):
        assert "Registration closed" not in shown and "3 seats; this event takes no registration" in shown
    assert _json_ld(page)["offers"]["availability"] == "https://schema.org/Discontinued"
    assert _json_ld(page)["eventStatus"] == "https://schema.org/EventScheduled"


def test_staff_see_a_proposal_moved_before_its_opening_take_no_registration_not_its_stored_period(
        client, hall, create_user):
    from tests.events.factories import make_event

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now + timedelta(days=3)
    member = create_user()
    make_event(hall, member, start, start + timedelta(hours=1), status="pending", created_by_id=member.id,
               registration_opens_at=now + timedelta(days=6), registration_closes_at=now + timedelta(days=8))
    client.login(create_user(role="staff").email)

    page = client.get("/staff/event-proposals").get_data(as_text=True)

    period = re.search(r'<dt>申込受付</dt><dd[^>]*>(.*?)</dd>', page, re.S).group(1)
    assert period == "このイベントでは受け付けていません"


def test_staff_reopen_an_event_moved_before_its_opening_by_changing_only_the_opening_day(
        client, kick_off, create_user):
    """The form showed the stored closing, after the moved event's end, and refused it (「申込終了はイベント終了
    までにしてください」) when only the opening changed: it shows the closing that holds, the new start."""
    from zoneinfo import ZoneInfo

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    set_window(kick_off.id, now + timedelta(days=6), now + timedelta(days=8))
    new_start = (now + timedelta(days=3)).replace(minute=47)
    _move(kick_off, new_start)
    client.login(create_user(role="staff").email)
    earlier = (now - timedelta(days=1)).astimezone(ZoneInfo("Asia/Tokyo")).date().isoformat()

    page, saved = _resubmitted(client, kick_off.booking_id, opens_day=earlier)

    assert ":47" in re.search(r'name="closes_time"[^>]*>', page).group(0)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.rollback()
    event = db.session.get(type(kick_off), kick_off.id)
    assert event.registration_closes_at == new_start
    assert _seats(visit(client, f"/events/{kick_off.id}")) == "残り3席"  # open now, up to the new start
