"""Desk bookings name their desks デスク番号 / Desk number(s) in every feed that shows them."""

from __future__ import annotations

import pytest
from flask import current_app

from tests.feeds.conftest import token_for


@pytest.mark.parametrize("locale,label", [("ja", "デスク番号：3、4"), ("en", "Desk numbers: 3, 4")])
def test_the_member_and_staff_feeds_label_the_desk_numbers(fetch, create_space, member, create_user, book,
                                                          locale, label):
    current_app.config["FEED_LOCALE"] = locale
    desks = create_space(slug="desks", kind="pooled", unit_count=24)
    booking = book(desks, member, title="Hot desk", units=(3, 4))
    staff_token = token_for(create_user(role="staff"), "staff")

    for url in (f"/feeds/{token_for(member)}/bookings.ics", f"/feeds/{staff_token}/staff.ics",
                f"/feeds/{staff_token}/staff/desks.ics"):
        description = str(fetch(url).event(booking.uid)["DESCRIPTION"])
        assert label in description, url
        assert "席" not in description


def test_one_desk_is_a_desk_number(fetch, create_space, member, book):
    current_app.config["FEED_LOCALE"] = "en"
    desks = create_space(slug="desks", kind="pooled", unit_count=24)
    booking = book(desks, member, title="Hot desk", units=(7,))

    description = str(fetch(f"/feeds/{token_for(member)}/bookings.ics").event(booking.uid)["DESCRIPTION"])

    assert "Desk number: 7" in description
