"""The supported range of days, and what one line and several lines of text may hold."""

from __future__ import annotations

from datetime import date

import pytest

from booking.domain.bounds import (
    FIRST_DAY,
    LAST_DAY,
    clean_multiline,
    has_line_break,
    has_visible_text,
    is_single_line,
    is_supported_day,
    one_line,
    typed_day,
)


@pytest.mark.parametrize(("day", "supported"), [
    (date(1, 1, 1), False), (date(1999, 12, 31), False), (FIRST_DAY, True), (date(2030, 1, 7), True),
    (LAST_DAY, True), (date(2101, 1, 1), False), (date(9999, 12, 31), False),
])
def test_only_days_of_the_supported_years_are_accepted(day, supported):
    assert is_supported_day(day) is supported


@pytest.mark.parametrize(("text", "day"), [
    ("2026-01-01", date(2026, 1, 1)), (" 2026-01-01 ", date(2026, 1, 1)), ("２０２６－０１－０１", date(2026, 1, 1)),
    ("２０２６-０１-０１", date(2026, 1, 1)), ("\u30002026-01-01", date(2026, 1, 1)),
    ("9999-12-31", date(9999, 12, 31)),
    ("2026-02-30", None), ("2026-13-01", None), ("0000-01-01", None), ("99999-01-01", None), ("2026-1-1", None),
    ("20260101", None), ("2026-W01-1", None), ("2026-01-01T10:00", None), ("٢٠٢٦-٠١-٠١", None), ("", None),
    ("tomorrow", None), ("2026-01-01" + " " * 50 + "x", None),
])
def test_a_typed_day_is_an_iso_date_in_ascii_or_full_width_digits(text, day):
    assert typed_day(text) == day


@pytest.mark.parametrize(("text", "single"), [
    ("Kick-off", True), ("キックオフ 😀", True), ("", True), ("a b", True),
    ("a\nb", False), ("a\r", False), ("a\tb", False), ("\x00", False), ("\x1b[31m", False), ("\x7f", False),
    ("\x85", False), ("\x9f", False), ("a\u2028b", False), ("a\u2029b", False),
])
def test_a_single_line_has_no_break_and_no_control_character(text, single):
    assert is_single_line(text) is single


@pytest.mark.parametrize(("text", "cleaned"), [
    ("one\r\ntwo\rthree\nfour", "one\ntwo\nthree\nfour"),
    ("tab\there", "tab here"),
    ("bell\x07 escape\x1b del\x7f c1\x9f", "bell escape del c1"),
    ("line\u2028separator\u0085next", "line\nseparator\nnext"),
    ("日本語\n😀", "日本語\n😀"),
])
def test_multiline_text_keeps_line_breaks_as_lf_and_drops_other_controls(text, cleaned):
    assert clean_multiline(text) == cleaned
    assert is_single_line(clean_multiline(text).replace("\n", ""))


@pytest.mark.parametrize(("text", "shown"), [
    ("Kick\r\noff", "Kick off"), ("a\nb\rc", "a b c"), ("x\x01\x1by", "xy"), ("t\tu", "t u"),
    ("p\u2028q", "p q"), ("plain", "plain"),
])
def test_a_stored_value_is_shown_on_one_line(text, shown):
    assert one_line(text) == shown
    assert not has_line_break(one_line(text))


@pytest.mark.parametrize(("text", "visible"), [
    ("\u202e\u200b", False),  # the break-it run's title: right-to-left override and a zero-width space
    ("\u200b\u200c\u200d\ufeff", False), ("\u3000 \u00a0", False), ("", False), ("\u2066\u2069", False),
    ("a", True), ("収録", True), ("\u200b収録", True), ("😀", True),
])
def test_a_value_of_invisible_characters_alone_shows_nothing(text, visible):
    assert has_visible_text(text) is visible


@pytest.mark.parametrize("text", ["\u202eevil", "a\u202ab", "x\u202d", "\u2066x\u2069", "\u2067x", "\u2068x"])
def test_directional_overrides_and_isolates_are_not_in_a_line_and_dropped_from_text(text):
    assert not is_single_line(text)
    assert clean_multiline(text) == text.translate({code: None for code in [*range(0x202A, 0x202F),
                                                                                *range(0x2066, 0x206A)]})
