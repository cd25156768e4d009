"""The personal registration page (break-it pass 2026-12-01): its times name the time zone as the event page
does (aside), as do the events list and the offer mail's deadline; after registration has closed it offers
only what is still allowed (shrinking the party, cancelling), in Japanese and English, never "Change"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from booking.services import registrations as service
from tests.events.test_offers_follow_the_start import (
    EARLIER,
    KEY,
    NOW,
    _move_earlier,
    _row,
    offered,  # noqa: F401  (fixture)
)
from tests.events.test_party_after_closing import close
from tests.events.test_registration_views import link_of, mails, register, rendered

ZONED = "（Asia/Tokyo）"


def _buttons(page):
    return re.findall(r'<button type="submit" name="action" value="(\w+)"', page)


def test_the_personal_page_names_the_time_zone_of_the_event_and_the_offers_deadline(
        client, offered, monkeypatch):  # noqa: F811
    monkeypatch.setattr("booking.views.events.utcnow", lambda: NOW)
    page = client.get(f"/events/r/{service.secret_of(KEY, _row('c@example.jp'))}").get_data(as_text=True)

    when = re.search(r"<dt>日時</dt><dd>(.*?)</dd>", page).group(1)
    deadline = re.search(r"<dt>確認期限</dt><dd>(.*?)</dd>", page).group(1)
    assert when.endswith(ZONED) and deadline.endswith(ZONED)


def test_the_events_list_names_the_time_zone(client, kick_off):
    page = client.get("/events").get_data(as_text=True)

    assert re.search(r'<span class="meta">[^<]*\d{2}:\d{2}（Asia/Tokyo）', page)


def test_the_offer_mail_names_the_time_zone_of_its_deadline(app, offered):  # noqa: F811
    with app.test_request_context():
        body = rendered(mails("c@example.jp")[-1])[1]

    assert "18:00（Asia/Tokyo）" in body


def test_an_offer_of_an_event_that_began_is_not_offered_for_confirmation(
        client, offered, create_user, monkeypatch):  # noqa: F811
    link = f"/events/r/{service.secret_of(KEY, _row('c@example.jp'))}"
    monkeypatch.setattr("booking.views.events.utcnow", lambda: NOW)
    before = client.get(link).get_data(as_text=True)
    _move_earlier(create_user(role="staff"), offered.booking_id)
    monkeypatch.setattr("booking.views.events.utcnow", lambda: EARLIER + timedelta(minutes=1))
    page = client.get(link).get_data(as_text=True)

    assert _buttons(before) == ["change", "confirm", "cancel"] and "変更する" in before
    assert "confirm" not in _buttons(page) and "cancel" in _buttons(page)


@pytest.mark.parametrize(("locale", "button", "hint"), [
    ("ja", "人数を減らす", "同伴者の人数を減らすことはできますが、増やすことはできません。"),
    ("en", "Reduce the number of people", "You can reduce the number of accompanying people, not add to it"),
])
def test_after_closing_a_party_with_companions_is_offered_only_to_shrink_or_cancel(
        client, kick_off, monkeypatch, locale, button, hint):
    register(client, kick_off, "two@example.jp", companions=2)
    link = link_of(mails("two@example.jp")[0])
    after = close(kick_off)
    monkeypatch.setattr("booking.views.events.utcnow", lambda: after)
    if locale == "en":
        client.submit("/language", {"locale": "en"})

    page = client.get(link).get_data(as_text=True)

    assert _buttons(page) == ["change", "cancel"] and button in page and hint in page
    assert "変更する" not in page and ">Change<" not in page
    assert 'max="2"' in re.search(r'<input[^>]*name="companions"[^>]*>', page).group(0)
    assert 'aria-describedby="companions-hint"' in page


def test_after_closing_a_party_of_one_is_offered_only_to_cancel(client, kick_off, monkeypatch):
    register(client, kick_off, "one@example.jp")
    link = link_of(mails("one@example.jp")[0])
    after = close(kick_off)
    monkeypatch.setattr("booking.views.events.utcnow", lambda: after)

    page = client.get(link).get_data(as_text=True)
    cancelled = client.submit(link, {"action": "cancel", "companions": "0"})

    assert _buttons(page) == ["cancel"] and "変更する" not in page
    assert cancelled.status_code == 302 and "申込を取り消しました" in client.get(link).get_data(as_text=True)


def test_the_staff_event_pages_name_the_time_zone_of_the_event(client, kick_off, create_user):
    """The same fault on the staff's side: the attendees list, an event's attendees and the event form."""
    client.login(create_user(role="staff").email)

    pages = [client.get(path).get_data(as_text=True) for path in (
        "/staff/events/", f"/staff/events/{kick_off.id}/attendees", f"/bookings/{kick_off.booking_id}/event")]

    for page in pages:
        assert re.search(r'class="meta">[^<]*\d{2}:\d{2}[^<]*（Asia/Tokyo）', page)
