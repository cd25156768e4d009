"""The window of an event's registration (booking.domain.events.registration_window): open, or why not
and since or until when; it agrees with is_registration_open."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from booking.domain import events as rules


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 6, 3, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(("now", "state", "instant"), [
    (at(8, 59), "not_yet", at(9)),
    (at(9), "open", at(11)),
    (at(10, 59), "open", at(11)),
    (at(11), "closed", at(11)),
    (at(11, 59), "closed", at(11)),
    (at(12), "started", at(12)),
    (at(13, 59), "started", at(12)),
    (at(14), "over", at(14)),
])
def test_the_registration_window_says_why_it_is_not_open_and_since_or_until_when(now, state, instant):
    window = rules.registration_window(now, at(9), at(11), at(12), at(14))
    assert (window.state, window.at) == (state, instant)
    assert window.is_open is rules.is_registration_open(now, at(9), at(11), at(12))


def test_registration_closing_after_the_start_closes_at_the_start():
    window = rules.registration_window(at(11), at(9), at(13), at(11), at(14))
    assert (window.state, window.at) == (rules.STARTED, at(11))
    assert rules.registration_window(at(10), at(9), at(13), at(11), at(14)).at == at(11)
