"""Bytes on the wire: escaping, folding of Japanese text, CRLF, no BOM, no injection."""

from __future__ import annotations

from booking.services import feeds
from tests.feeds.conftest import parse

INJECTION = "Talk\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil\nSUMMARY:Injected"
TRICKY = 'Kick-off, Q&A; path C:\\temp\\new "quoted"'
JAPANESE = "県庁32階 共創フロア キックオフイベント：デジタルで地域課題を解決するアイデアソン（第３回）"


def _body(space_slug: str = "studio") -> bytes:
    return feeds.space_feed(space_slug).build()


def test_a_title_that_tries_to_inject_an_event_stays_one_property(space, member, book):
    booking = book(space, member, title=INJECTION, is_public=True)
    body = _body()

    feed = parse(body)

    assert body.count(b"\r\nBEGIN:VEVENT\r\n") == 1
    assert [str(e["UID"]) for e in feed.events] == [booking.uid]
    assert str(feed.event(booking.uid)["SUMMARY"]) == INJECTION
    assert b"\r\nUID:evil" not in body
    assert feed.vevents[0].summary.value == INJECTION


def test_commas_semicolons_backslashes_and_quotes_survive_the_round_trip(space, member, book):
    booking = book(space, member, title=TRICKY, is_public=True)

    feed = parse(_body())

    assert str(feed.event(booking.uid)["SUMMARY"]) == TRICKY
    assert feed.vevents[0].summary.value == TRICKY
    assert "SUMMARY:Kick-off\\, Q&A\\; path C:\\\\temp\\\\new" in feed.text


def test_lone_carriage_returns_and_control_characters_cannot_break_lines(space, member, book):
    book(space, member, title="one\rtwo\x07\x0bthree", is_public=True)
    body = _body()

    assert b"\r" not in body.replace(b"\r\n", b"")
    assert not any(byte < 0x20 and byte not in (0x0D, 0x0A, 0x09) for byte in body)
    assert parse(body).summaries() == ["one\ntwothree"]


def test_japanese_titles_are_folded_at_75_octets_without_splitting_a_character(space, member, book):
    booking = book(space, member, title=JAPANESE * 2, is_public=True)
    body = _body()

    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # raises if a character was split across a fold
    feed = parse(body)
    assert str(feed.event(booking.uid)["SUMMARY"]) == JAPANESE * 2
    assert feed.vevents[0].summary.value == JAPANESE * 2


def test_every_line_ends_with_crlf_and_there_is_no_bom(space, member, book):
    book(space, member, title="予約\n二行目", is_public=True)
    body = _body()

    assert not body.startswith(b"\xef\xbb\xbf")
    assert body.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
