"""booking.dates.localise: the values of a message written for people, per locale."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from booking.dates import localise
from booking.domain.values import YearMonth, plain_value

TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(("value", "ja", "en"), [
    (date(2026, 12, 4), "2026年12月4日(金)", "Fri 4 Dec 2026"),
    (datetime(2026, 12, 4, 15, 0, tzinfo=TOKYO), "2026年12月4日(金) 15:00", "Fri 4 Dec 2026, 15:00"),
    (datetime(2026, 12, 4, 6, 0, tzinfo=UTC), "2026年12月4日(金) 06:00", "Fri 4 Dec 2026, 06:00"),
    (datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN), "2026年10月25日(日) 02:30 (UTC+02:00)",
     "Sun 25 Oct 2026, 02:30 (UTC+02:00)"),
    (YearMonth(2027, 2), "2027年2月", "Feb 2027"),
    ("maintenance", "maintenance", "maintenance"),
    (3, 3, 3),
])
def test_dates_in_a_message_are_written_per_locale_and_the_rest_is_kept(value, ja, en):
    assert localise({"v": value}, "ja") == {"v": ja}
    assert localise({"v": value}, "en") == {"v": en}


def test_untranslated_text_keeps_iso_dates_for_logs_and_tests():
    assert plain_value(date(2026, 12, 4)) == "2026-12-04"
    assert plain_value(datetime(2026, 12, 4, 15, 0, tzinfo=TOKYO)) == "2026-12-04 15:00"
    assert plain_value(YearMonth(2027, 2)) == "2027-02"
