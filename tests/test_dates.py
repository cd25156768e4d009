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
    (datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN), "2026年10月25日(日) 02:30（UTC+02:00）",
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


# Break-it report 16, item 6: one limit written "From 1 h to 9 h", "From 60 to 540 minutes" and
# "lasts 60 to 540 minutes" (ja 「30分～4時間」 and 「30～240分」). One writer for every length.
@pytest.mark.parametrize(("minutes", "ja", "en"), [
    (0, "0分", "0 min"),
    (1, "1分", "1 min"),
    (30, "30分", "30 min"),
    (60, "1時間", "1 h"),
    (90, "1時間30分", "1 h 30 min"),
    (240, "4時間", "4 h"),
    (540, "9時間", "9 h"),
    (1440, "1日", "1 day"),
    (1500, "1日1時間", "1 day 1 h"),
    (2 * 1440 + 5, "2日5分", "2 days 5 min"),
    (60 * 24 * 60, "60日", "60 days"),
])
def test_one_writer_for_every_length_of_time(minutes, ja, en):
    from booking.dates import format_duration
    from booking.domain.values import Minutes

    assert format_duration(minutes, "ja") == ja and format_duration(minutes, "en") == en
    # In a refusal, a length is typed (Minutes) and written by the same function, per locale.
    assert localise({"length": Minutes(minutes)}, "ja") == {"length": ja}
    assert localise({"length": Minutes(minutes)}, "en") == {"length": en}
    assert plain_value(Minutes(minutes)) == en


def test_the_booking_form_the_space_page_and_the_refusal_write_a_limit_alike(app):
    """The same words for the same limit: the policy line, the form's hint and the duration refusal."""
    from flask_babel import force_locale

    from booking.domain.rules import check_duration
    from booking.views.helpers import conflict_message, minutes_text
    from tests.domain.test_rules_time import at, policy, request

    conflict = check_duration(request(at(10), at(10, 30)), policy(min_minutes=60, max_minutes=540))[0]
    for locale, shortest, longest in (("ja", "1時間", "9時間"), ("en", "1 h", "9 h")):
        with app.test_request_context(), force_locale(locale):
            assert (minutes_text(60), minutes_text(540)) == (shortest, longest)
            text = conflict_message(conflict)
            assert shortest in text and longest in text and "540" not in text
