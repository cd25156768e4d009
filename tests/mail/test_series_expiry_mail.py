"""Dates of a series whose requests expire in one run: one mail, with the expiry's reason in the member's language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.services.expiry import expire_due_requests
from booking.services.series import book_series
from tests.mail.conftest import text_of
from tests.mail.test_series_mail import days, weekly


@pytest.mark.parametrize(("locale", "subject", "reason"), [
    ("en", "Series request expired: Weekly recording (2 dates)",
     "Note from the staff: Staff did not decide on this request before its deadline."),
    ("ja", "繰り返し予約の申請が期限切れになりました：Weekly recording（2日程）",
     "スタッフからのメッセージ：期限までにスタッフがこの申請を判断しませんでした。"),
])
def test_dates_of_a_series_expiring_together_are_one_mail_giving_the_reason_in_the_members_language(
        inbox, create_user, create_space, locale, subject, reason):
    member = create_user(locale=locale)
    hall = create_space(requires_approval=True, request_deadline_hours=24)
    outcome = book_series(member, weekly(hall.id, count=2), days(2))
    inbox.messages.clear()
    last = max(b.start_dt for b in outcome.booked)

    assert len(expire_due_requests(last - timedelta(hours=23))) == 2

    message = inbox.only_one_to(member.email)
    assert message["Subject"] == subject
    assert reason in text_of(message)
