"""Counts in mail read "1 date" / "3 dates" in English; Japanese keeps its one form (1日程, 3日程)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, ngettext

from booking.services import account_mail, series_mail


@pytest.mark.parametrize(("locale", "count", "subject"), [
    ("en", 1, "Series request rejected: Weekly recording (1 date)"),
    ("en", 3, "Series request rejected: Weekly recording (3 dates)"),
    ("ja", 1, "繰り返し予約をお断りしました：Weekly recording（1日程）"),
    ("ja", 3, "繰り返し予約をお断りしました：Weekly recording（3日程）"),
])
def test_a_series_subject_counts_its_dates(app, locale, count, subject):
    with app.test_request_context(), force_locale(locale):
        assert ngettext(*series_mail.SUBJECTS["rejected"], count, title="Weekly recording", count=count) == subject


@pytest.mark.parametrize(("minutes", "hours", "reset_words", "verify_words"), [
    (1, 1, "for 1 min;", "for 1 h."),
    (30, 48, "for 30 min;", "for 2 days."),
])
def test_the_account_links_say_how_long_they_work_in_english(app, minutes, hours, reset_words, verify_words):
    app.config.update(RESET_LINK_MINUTES=minutes, VERIFY_LINK_HOURS=hours)
    with app.test_request_context(), force_locale("en"):
        _subject, reset = account_mail.render("reset", {"name": "Ann", "nonce": "n1"})
        _subject, verify = account_mail.render("verify", {"name": "Ann", "nonce": "n2"})
    assert reset_words in reset and verify_words in verify
