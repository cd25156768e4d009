"""Check-in codes, what a scan does, the counts of an event, retention and reminder timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.domain.checkin import (
    ALPHABET,
    CODE_LENGTH,
    Outcome,
    Party,
    anonymise_at,
    can_undo_check_in,
    checkin_outcome,
    display_code,
    is_checked_in,
    is_due_for_anonymising,
    is_reminder_due,
    new_code,
    normalise_code,
    reminder_at,
    standing,
    standing_outcome,
    tally,
)

CODE = new_code(bytes([0x12, 0x34, 0x56, 0x78, 0x9A]))


def test_a_code_is_eight_unambiguous_characters_shown_in_two_groups():
    assert len(CODE) == CODE_LENGTH
    assert set(CODE) <= set(ALPHABET)
    assert not set(CODE) & set("ILOU")
    assert display_code(CODE) == f"{CODE[:4]}-{CODE[4:]}"


def test_a_code_needs_five_random_bytes():
    with pytest.raises(ValueError):
        new_code(b"1234")


@given(st.binary(min_size=5, max_size=5))
def test_every_new_code_reads_back_as_itself(random_bytes):
    code = new_code(random_bytes)
    assert normalise_code(code) == code
    assert normalise_code(display_code(code).lower()) == code


@pytest.mark.parametrize("typed", [
    "{d}", "{lower}", " {d} ", "{spaced}", "{fullwidth}", "https://booking.example.jp/staff/events/3/door?code={d}",
    "{d_katakana_dash}",
])
def test_typing_is_forgiving(typed):
    shown = display_code(CODE)
    text = typed.format(d=shown, lower=shown.lower(), spaced=" ".join(CODE),
                        fullwidth=shown.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}),
                        d_katakana_dash=shown.replace("-", "ー"))
    assert normalise_code(text) == CODE


def test_confusable_letters_read_as_the_digits():
    code = next(new_code(bytes([n, 0, 0, 0, n])) for n in range(256) if "0" in new_code(bytes([n, 0, 0, 0, n])))
    assert normalise_code(code.replace("0", "O")) == code


@given(st.binary(min_size=5, max_size=5), st.integers(0, CODE_LENGTH - 1), st.integers(1, 31))
def test_one_mistyped_character_is_never_a_valid_code(random_bytes, position, shift):
    code = new_code(random_bytes)
    wrong = ALPHABET[(ALPHABET.index(code[position]) + shift) % 32]
    assert normalise_code(code[:position] + wrong + code[position + 1:]) is None


@pytest.mark.parametrize("typed", ["", "ABC", "ABCDEFGHJ", "ABCD-EFG!", "ＡＢＣ", "x" * 10_000])
def test_what_cannot_be_a_code_is_none(typed):
    assert normalise_code(typed) is None


@pytest.mark.parametrize(("status", "checked_in_at", "outcome"), [
    ("registered", None, Outcome.ACCEPTED),
    ("registered", datetime(2026, 12, 1, tzinfo=UTC), Outcome.ALREADY),
    ("cancelled", None, Outcome.CANCELLED),
    ("cancelled", datetime(2026, 12, 1, tzinfo=UTC), Outcome.CANCELLED),
    ("waiting", None, Outcome.WAITING),
    (None, None, Outcome.UNKNOWN),
])
def test_only_a_registered_party_not_yet_in_is_accepted(status, checked_in_at, outcome):
    assert checkin_outcome(status, checked_in_at) == outcome


@pytest.mark.parametrize(("status", "checked_in_at", "said"), [
    ("registered", datetime(2026, 12, 1, tzinfo=UTC), "checked_in"),
    ("registered", None, "expected"),
    ("waiting", None, "waiting"),
    ("offered", None, "offered"),
    ("expired", None, "expired"),
    ("cancelled", None, "cancelled"),
    ("cancelled", datetime(2026, 12, 1, tzinfo=UTC), "cancelled"),
    ("waiting", datetime(2026, 12, 1, tzinfo=UTC), "waiting"),
])
def test_a_row_says_checked_in_only_of_a_registered_party_that_is_in(status, checked_in_at, said):
    assert standing(status, checked_in_at) == said


@pytest.mark.parametrize(("status", "checked_in_at", "settled"), [
    ("registered", datetime(2026, 12, 1, tzinfo=UTC), True),
    ("registered", None, False),
    ("cancelled", datetime(2026, 12, 1, tzinfo=UTC), False),
    ("waiting", datetime(2026, 12, 1, tzinfo=UTC), False),
])
def test_only_a_registered_party_that_is_in_counts_as_checked_in(status, checked_in_at, settled):
    assert is_checked_in(status, checked_in_at) is settled


@pytest.mark.parametrize(("status", "checked_in_at", "forgotten", "undoable"), [
    ("registered", datetime(2026, 12, 1, tzinfo=UTC), False, True),
    ("registered", datetime(2026, 12, 1, tzinfo=UTC), True, False),
    ("registered", None, False, False),
    ("cancelled", datetime(2026, 12, 1, tzinfo=UTC), False, False),
])
def test_only_a_checked_in_party_that_kept_its_data_is_offered_undo(status, checked_in_at, forgotten, undoable):
    assert can_undo_check_in(status, checked_in_at, forgotten) is undoable


def test_counts_are_persons_with_companions_and_no_shows_are_registered_not_checked_in():
    parties = [Party("registered", 2, True), Party("registered", 0, False), Party("registered", 1, False),
               Party("waiting", 1, False), Party("cancelled", 3, False)]
    counts = tally(parties, walk_ins=4)
    assert (counts.registered, counts.companions, counts.waiting) == (6, 3, 2)
    assert (counts.checked_in, counts.walk_ins, counts.no_shows, counts.present) == (3, 4, 3, 7)


def test_an_empty_event_counts_nothing():
    counts = tally([], walk_ins=0)
    assert (counts.registered, counts.no_shows, counts.present) == (0, 0, 0)


END = datetime(2026, 12, 1, 9, 45, tzinfo=UTC)


@pytest.mark.parametrize(("now", "due"), [
    (END + timedelta(days=30) - timedelta(seconds=1), False),
    (END + timedelta(days=30), True),
    (END + timedelta(days=400), True),
])
def test_attendee_data_is_removed_the_retention_period_after_the_end(now, due):
    assert is_due_for_anonymising(END, 30, now) is due


def test_retention_cannot_be_negative_but_may_be_none_at_all():
    with pytest.raises(ValueError, match="^retention cannot be negative$"):
        anonymise_at(END, -1)
    assert anonymise_at(END, 0) == END


START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # Tuesday 17:00 in Tokyo


def test_the_reminder_goes_at_ten_local_time_the_day_before():
    assert reminder_at(START, "Asia/Tokyo") == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert reminder_at(START, "Europe/Berlin") == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


EARLY = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(("now", "registered_at", "due"), [
    (datetime(2026, 11, 30, 0, 59, tzinfo=UTC), EARLY, False),
    (datetime(2026, 11, 30, 1, 0, tzinfo=UTC), EARLY, True),
    (START - timedelta(minutes=1), EARLY, True),
    (START, EARLY, False),
    (datetime(2026, 11, 30, 3, 0, tzinfo=UTC), datetime(2026, 11, 30, 2, 0, tzinfo=UTC), False),
])
def test_a_reminder_is_due_from_the_day_before_until_the_start_for_earlier_registrations(now, registered_at, due):
    assert is_reminder_due(START, "Asia/Tokyo", registered_at, now) is due


def test_the_door_opens_three_hours_before_the_start_and_closes_at_the_end_of_the_local_day():
    from booking.domain.checkin import is_door_open

    tokyo = ZoneInfo("Asia/Tokyo")
    start = datetime(2026, 12, 10, 17, 0, tzinfo=tokyo)
    end = start + timedelta(hours=2)
    assert not is_door_open(start, end, "Asia/Tokyo", start - timedelta(days=9))
    assert not is_door_open(start, end, "Asia/Tokyo", start - timedelta(hours=3, seconds=1))
    assert is_door_open(start, end, "Asia/Tokyo", start - timedelta(hours=3))
    assert is_door_open(start, end, "Asia/Tokyo", datetime(2026, 12, 10, 23, 59, tzinfo=tokyo))
    assert not is_door_open(start, end, "Asia/Tokyo", datetime(2026, 12, 11, 0, 0, tzinfo=tokyo))
    early = datetime(2026, 12, 10, 1, 0, tzinfo=tokyo)  # never the evening before
    assert not is_door_open(early, early + timedelta(hours=1), "Asia/Tokyo", early - timedelta(hours=2))


def test_an_early_morning_events_door_opens_at_local_midnight_not_the_evening_before():
    from booking.domain.checkin import door_window

    tokyo = ZoneInfo("Asia/Tokyo")
    start = datetime(2026, 12, 10, 1, 0, tzinfo=tokyo)
    opens, closes = door_window(start, start + timedelta(hours=1), "Asia/Tokyo")
    assert opens == datetime(2026, 12, 10, 0, 0, tzinfo=tokyo) and closes == datetime(2026, 12, 11, 0, 0, tzinfo=tokyo)
    assert opens.tzinfo is UTC and closes.tzinfo is UTC


def test_a_registration_made_at_the_reminder_instant_gets_no_reminder():
    send_at = reminder_at(START, "Asia/Tokyo")
    assert not is_reminder_due(START, "Asia/Tokyo", send_at, send_at + timedelta(minutes=1))
    assert is_reminder_due(START, "Asia/Tokyo", send_at - timedelta(seconds=1), send_at)


def test_the_reminder_time_of_day_can_be_chosen():
    from datetime import time

    evening = reminder_at(START, "Asia/Tokyo", time(18))
    assert evening == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    early = datetime(2026, 11, 29, tzinfo=UTC)
    assert not is_reminder_due(START, "Asia/Tokyo", early, evening - timedelta(seconds=1), time(18))
    assert is_reminder_due(START, "Asia/Tokyo", early, evening, time(18))


def test_the_reminder_day_is_the_day_before_on_the_local_calendar_not_the_utc_one():
    early = datetime(2026, 12, 1, 7, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # still 30 November in UTC
    send_at = reminder_at(early, "Asia/Tokyo")
    assert send_at == datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")) and send_at.tzinfo is UTC


def test_a_code_carries_the_first_35_random_bits_most_significant_first():
    from booking.domain.checkin import DATA_LENGTH

    assert new_code(bytes(5))[:DATA_LENGTH] == "0000000"
    assert new_code(b"\xff" * 5)[:DATA_LENGTH] == "ZZZZZZZ"
    assert new_code(bytes([0b00001000, 0, 0, 0, 0]))[:DATA_LENGTH] == "1000000"
    assert new_code(bytes([0, 0, 0, 0, 0b00100000]))[:DATA_LENGTH] == "0000001"
    assert new_code(bytes([0, 0, 0, 0, 0b00011111]) + b"\xff")[:DATA_LENGTH] == "0000000"  # bits past 35 unused
    number = 0x123456789A >> 5
    assert new_code(bytes([0x12, 0x34, 0x56, 0x78, 0x9A])) == "".join(
        ALPHABET[(number >> (5 * (6 - i))) & 31] for i in range(7)) + CODE[-1]


def test_too_few_random_bytes_are_refused():
    with pytest.raises(ValueError, match="^a check-in code needs 5 random bytes$"):
        new_code(bytes(4))


def test_the_check_character_needs_exactly_seven_characters():
    from booking.domain.checkin import check_character

    assert check_character(CODE[:7]) == CODE[7]
    for wrong in (CODE[:6], CODE[:7] + "0"):
        with pytest.raises(ValueError):
            check_character(wrong)



IN = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(("claimed", "status", "checked_in_at", "is_open", "said"), [
    (Outcome.ACCEPTED, "registered", IN, True, Outcome.ACCEPTED),
    (Outcome.ALREADY, "registered", IN, True, Outcome.ALREADY),
    (Outcome.ACCEPTED, "registered", None, True, Outcome.UNDONE),  # taken back since
    (Outcome.ALREADY, "registered", None, True, Outcome.UNDONE),
    (Outcome.UNDONE, "registered", None, True, Outcome.UNDONE),
    (Outcome.UNDONE, "registered", IN, True, None),  # checked in again since
    (Outcome.ACCEPTED, "cancelled", None, True, None),
    (Outcome.ACCEPTED, "waiting", None, True, None),
    (Outcome.UNDONE, "cancelled", None, True, None),
    (Outcome.CANCELLED, "cancelled", None, True, Outcome.CANCELLED),
    (Outcome.CANCELLED, "registered", None, True, None),
    (Outcome.WAITING, "offered", None, True, Outcome.WAITING),
    (Outcome.WAITING, "registered", IN, True, None),
    (Outcome.NOT_TODAY, "registered", None, False, Outcome.NOT_TODAY),
    (Outcome.NOT_TODAY, "registered", None, True, None),  # the door has opened since
    (Outcome.NOT_TODAY, "registered", IN, True, None),
    (Outcome.UNKNOWN, None, None, True, Outcome.UNKNOWN),  # a code no registration of the event has
    (Outcome.UNKNOWN, "registered", None, True, None),
    (Outcome.ACCEPTED, None, None, True, None),  # no registration of this event named
    (Outcome.UNDONE, None, None, True, None),
])
def test_an_outcome_carried_by_an_address_is_said_only_while_true(claimed, status, checked_in_at, is_open, said):
    assert standing_outcome(claimed, status, checked_in_at, is_open) == said


def test_a_forgotten_registrations_address_is_recognised_and_no_real_address_is():
    from booking.domain.checkin import forgotten_email, is_forgotten

    assert forgotten_email(5) == "deleted-5@invalid" and is_forgotten(forgotten_email(5))
    assert not is_forgotten("deleted-5@invalid.example.jp")  # the suffix must end the address
    assert not is_forgotten("sato.deleted-5@invalid")  # and the prefix start it
    assert not is_forgotten("hanako@example.jp")
