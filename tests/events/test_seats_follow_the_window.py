"""No page invites registering or joining the waiting list while registration is not open: the seats row of
the event page and of the event lists (/events, a space's page) and the JSON-LD offer follow the registration
window (rules.seat_wording, rules.offer_availability), also on a page kept from before the clock passed the
closing time. A refused registration shows the typed values without a button to send them, and says why once."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from booking.extensions import db
from tests.events.test_kept_event_page import forget_kept_pages, visit
from tests.events.test_registration_views import register
from tests.events.test_registration_window import registrations, set_window

FULL_WAITING_JA, FULL_WAITING_EN = "満席（キャンセル待ち受付中）", "Full (waiting list open)"


def json_ld(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))


def fill(client, event) -> None:
    register(client, event, "all@example.jp", companions=2)  # takes all three seats


def close_a_while_ago(event) -> datetime:
    closed = datetime.now(UTC) - timedelta(minutes=5)
    set_window(event.id, closed - timedelta(days=10), closed)
    return closed


def at_clock(monkeypatch, instant: datetime) -> None:
    monkeypatch.setattr("booking.views.events.utcnow", lambda: instant)


def test_after_closing_a_full_events_page_says_its_seats_are_taken_not_that_the_waiting_list_is_open(
        client, kick_off):
    fill(client, kick_off)
    close_a_while_ago(kick_off)

    page = visit(client, f"/events/{kick_off.id}")

    assert FULL_WAITING_JA not in page and "キャンセル待ち" not in page
    assert "申込終了：3席中3席が埋まっています" in page
    assert json_ld(page)["offers"]["availability"] == "https://schema.org/SoldOut"


def test_after_closing_the_events_list_says_so_too_in_english(client, kick_off):
    fill(client, kick_off)
    close_a_while_ago(kick_off)
    client.submit("/language", {"locale": "en"})

    page = visit(client, "/events")

    assert FULL_WAITING_EN not in page and "Registration closed: 3 of 3 seats taken" in page


def test_an_event_that_has_started_lists_no_seats_left(client, kick_off, monkeypatch):
    at_clock(monkeypatch, kick_off.booking.start_dt + timedelta(minutes=10))

    listed, detail, space = (visit(client, path) for path in ("/events", f"/events/{kick_off.id}", "/spaces/hall"))

    for page in (listed, detail, space):
        assert "残り3席" not in page and "申込終了：3席中0席が埋まっています" in page


def test_the_events_list_follows_the_clock_past_the_closing_time(client, kick_off, monkeypatch):
    closes = kick_off.booking.start_dt - timedelta(days=1)
    set_window(kick_off.id, kick_off.registration_opens_at, closes)
    at_clock(monkeypatch, closes - timedelta(minutes=1))
    before = visit(client, "/events")
    at_clock(monkeypatch, closes)

    after = visit(client, "/events")

    assert "残り3席" in before
    assert "残り3席" not in after and "申込終了：3席中0席が埋まっています" in after


def test_a_spaces_page_kept_before_closing_shows_the_events_seats_as_closed_after_it(client, kick_off, monkeypatch):
    fill(client, kick_off)
    closes = kick_off.booking.start_dt - timedelta(days=1)
    set_window(kick_off.id, kick_off.registration_opens_at, closes)
    at_clock(monkeypatch, closes - timedelta(minutes=1))
    before = visit(client, "/spaces/hall")
    at_clock(monkeypatch, closes)

    after = visit(client, "/spaces/hall")

    assert FULL_WAITING_JA in before
    assert FULL_WAITING_JA not in after and "申込終了：3席中3席が埋まっています" in after


def test_the_kept_event_page_changes_its_seats_row_and_offer_once_the_clock_passes_the_closing_time(
        app, client, kick_off, monkeypatch):
    path, closes = f"/events/{kick_off.id}", kick_off.booking.start_dt - timedelta(days=1)
    set_window(kick_off.id, kick_off.registration_opens_at, closes)
    fill(client, kick_off)
    forget_kept_pages(app)
    at_clock(monkeypatch, closes - timedelta(minutes=1))
    before = visit(client, path)  # kept
    at_clock(monkeypatch, closes)

    after = visit(client, path)

    assert FULL_WAITING_JA in before and json_ld(before)["offers"]["availability"] == "https://schema.org/SoldOut"
    assert FULL_WAITING_JA not in after and "申込終了：3席中3席が埋まっています" in after


def test_the_offer_says_when_registration_opens_and_ends_and_is_not_to_be_had_before_it_opens(
        client, kick_off, monkeypatch):
    zone = ZoneInfo("Asia/Tokyo")
    opens, start = kick_off.registration_opens_at, kick_off.booking.start_dt
    at_clock(monkeypatch, opens - timedelta(minutes=1))
    early = json_ld(visit(client, f"/events/{kick_off.id}"))["offers"]
    at_clock(monkeypatch, opens)

    offer = json_ld(visit(client, f"/events/{kick_off.id}"))["offers"]

    assert early["availability"] == "https://schema.org/OutOfStock"
    assert offer["availability"] == "https://schema.org/InStock"
    assert offer["validFrom"] == opens.astimezone(zone).isoformat()
    assert offer["validThrough"] == min(kick_off.registration_closes_at, start).astimezone(zone).isoformat()


def test_the_window_messages_name_the_time_zone(client, kick_off):
    close_a_while_ago(kick_off)

    page = visit(client, f"/events/{kick_off.id}")

    assert "（Asia/Tokyo）に締め切りました。" in page


def test_a_refused_registration_says_why_once_next_to_the_input_and_offers_no_button_to_send_it(
        client, kick_off):
    close_a_while_ago(kick_off)

    response = register(client, kick_off, "late@example.jp", companions=1)
    page = response.get_data(as_text=True)

    assert response.status_code == 409 and 'value="late@example.jp"' in page
    assert 'id="error-summary"' not in page and 'id="registration-closed" role="alert"' in page
    assert 'class="errors"' not in page and page.count("に締め切りました。") == 1
    assert f'action="/events/{kick_off.id}/register" class="registration"' not in page
    assert "参加を申し込む</button>" not in page
    assert registrations() == []


def test_a_registration_refused_for_a_withdrawn_event_has_no_form_to_send_again(client, kick_off, create_user):
    from booking.services.attendee_mail import withdraw_event

    withdraw_event(kick_off.id, create_user(role="staff"), "", release_booking=False)

    response = register(client, kick_off, "late@example.jp")
    page = response.get_data(as_text=True)

    assert response.status_code == 409 and 'value="late@example.jp"' in page
    assert f'action="/events/{kick_off.id}/register" class="registration"' not in page
    assert "参加を申し込む</button>" not in page
    assert 'disabled aria-describedby="event-cancelled"' in page
    db.session.rollback()
    assert registrations() == []
