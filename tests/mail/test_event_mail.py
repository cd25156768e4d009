"""Registrants' mail through the real SMTP server: confirmation, promotion, change, cancellation, event moved.

Each mail's calendar part is read by icalendar and by ical.js; its MIME method equals METHOD,
the UID is the event's, and SEQUENCE rises with every message to the same person.
"""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar

from booking.extensions import db
from booking.models import PublicEvent
from booking.services import registrations as service
from tests.events.factories import make_event
from tests.feeds.test_parsers_agree import read_with_ical_js
from tests.mail.conftest import DAY, calendars_of, text_of

KEY = "test-secret"
LINK_RE = re.compile(r"https://booking\.example\.jp(/events/r/[A-Za-z0-9_-]+)")


def visitor(email, companions=0, locale="ja"):
    return service.RegistrationInput(name=f"Visitor {email}", email=email, companions=companions, consent=True,
                                     locale=locale)


def calendar(message):
    [part] = calendars_of(message)
    raw = part.get_payload(decode=True)
    parsed = icalendar.Calendar.from_ical(raw)
    [event] = parsed.walk("VEVENT")
    assert part.get_param("method") == str(parsed["METHOD"])
    return raw, str(parsed["METHOD"]), event


def test_confirmation_promotion_change_cancellation_and_move_each_carry_the_event(
        inbox, create_user, create_space):
    hall = create_space(slug="hall", max_people=80, name_ja="イベントホール", name_en="Event hall")
    start = DAY + timedelta(hours=8)
    event = make_event(hall, create_user(role="staff"), start, start + timedelta(hours=2), capacity=2)

    service.register(event.id, visitor("a@example.jp", companions=1, locale="en"), KEY)
    service.register(event.id, visitor("b@example.jp"), KEY)
    confirmation = inbox.only_one_to("a@example.jp")
    assert "Registration confirmed" in confirmation["Subject"]
    secret = LINK_RE.search(text_of(confirmation)).group(1).removeprefix("/events/r/")
    assert "キャンセル待ち" in inbox.only_one_to("b@example.jp")["Subject"]
    assert calendars_of(inbox.only_one_to("b@example.jp")) == []  # no seat, no calendar entry yet
    inbox.messages.clear()

    service.change_party(secret, 0, KEY)  # frees a seat: b moves up
    changed, promoted = inbox.only_one_to("a@example.jp"), inbox.only_one_to("b@example.jp")
    inbox.messages.clear()
    service.cancel(secret, KEY)
    cancelled = inbox.only_one_to("a@example.jp")
    inbox.messages.clear()
    booking = db.session.get(PublicEvent, event.id).booking
    booking.start_dt += timedelta(hours=1)
    booking.end_dt += timedelta(hours=1)
    db.session.commit()
    moved = inbox.only_one_to("b@example.jp")

    parts = [calendar(m) for m in (confirmation, changed, promoted, cancelled, moved)]
    assert [method for _raw, method, _e in parts] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL", "REQUEST"]
    assert {str(e["UID"]) for _r, _m, e in parts} == {event.uid}
    a_sequences = [int(e["SEQUENCE"]) for _r, _m, e in (parts[0], parts[1], parts[3])]
    assert a_sequences == sorted(a_sequences) and len(set(a_sequences)) == 3
    assert int(parts[4][2]["SEQUENCE"]) > int(parts[2][2]["SEQUENCE"])
    read = read_with_ical_js([raw for raw, _m, _e in parts])
    assert [r["events"][0]["uid"] for r in read] == [event.uid] * 5
    assert read[4]["events"][0]["start"]["utc"] == (start + timedelta(hours=1)).timestamp()
    assert "お席をご用意しました" in promoted["Subject"]


def test_a_calendar_that_cannot_be_built_leaves_the_mail_without_it_and_the_log_names_the_registration(
        inbox, create_user, create_space, monkeypatch, caplog):
    from booking.services import event_mail

    hall = create_space(slug="hall", max_people=80)
    start = DAY + timedelta(hours=8)
    event = make_event(hall, create_user(role="staff"), start, start + timedelta(hours=2), capacity=2)

    def broken(*args, **kwargs):
        raise ValueError("no calendar today")

    monkeypatch.setattr(event_mail, "calendar_message", broken)

    done = service.register(event.id, visitor("a@example.jp"), KEY)

    message = inbox.only_one_to("a@example.jp")
    assert calendars_of(message) == []
    assert (f"could not build the calendar of event {event.id} for registration {done.registration.id}"
            in caplog.messages)


def test_a_japanese_confirmation_names_the_event_in_its_subject_and_writes_the_time_in_japanese(
        inbox, create_user, create_space):
    from booking.dates import format_span_in_zone

    hall = create_space(slug="hall", max_people=80)
    start = DAY + timedelta(hours=8)
    event = make_event(hall, create_user(role="staff"), start, start + timedelta(hours=2))

    service.register(event.id, visitor("a@example.jp", locale="ja"), KEY)

    confirmation = inbox.only_one_to("a@example.jp")
    assert event.title_ja in confirmation["Subject"] and "None" not in confirmation["Subject"]
    when = format_span_in_zone(start, start + timedelta(hours=2), "Asia/Tokyo", "ja")
    assert "年" in when and "（Asia/Tokyo）" in when
    assert when in text_of(confirmation)
