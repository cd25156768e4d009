"""The door's banner after a check-in or an undo states what is true now: the outcome its address carries
(opened again with Back, a reload or a link) is checked against the registration; an undo confirms where a
check-in does, next to the search results; the banner's Undo names the party."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from booking.extensions import db
from booking.models_attendance import AttendeePass
from tests.conftest import future_day

CLAIMS = ["accepted", "already", "cancelled", "waiting", "unknown", "not_today", "undone"]


def shown(page: str) -> str | None:
    """The outcome the banner shows (its class), None when the page has no banner."""
    found = re.search(r'<section class="scan ([a-z_]+)"', page)
    return found.group(1) if found else None


def banner(page: str) -> str:
    found = re.search(r'<section class="scan .*?</section>', page, re.S)
    return found.group(0) if found else ""


def sign_in(client, create_user, locale: str = "en") -> None:
    client.login(create_user(role="staff", locale=locale).email)


def check_in(guest) -> None:
    db.session.get(AttendeePass, guest.id).checked_in_at = datetime.now(UTC)
    db.session.commit()


# What the banner may say of each outcome an address can carry, per state of the registration it names
# (None: no banner). A claim is shown while it is true; a check-in taken back since says so.
TABLE = {
    "registered": dict(accepted="undone", already="undone", undone="undone"),
    "checked in": dict(accepted="accepted", already="already"),
    "cancelled": dict(cancelled="cancelled"),
    "waiting": dict(waiting="waiting"),
    "not yet the day": dict(accepted="undone", already="undone", undone="undone", not_today="not_today"),
    "of another event": dict(unknown="unknown"),
    "none": dict(unknown="unknown"),
}


@pytest.mark.parametrize("state", list(TABLE))
def test_the_banner_shows_the_outcome_in_the_address_only_while_it_is_true(client, create_user, create_event,
                                                                           register, state):
    sign_in(client, create_user)
    event = create_event()
    if state == "not yet the day":
        start = future_day(9) + timedelta(hours=8)
        event = create_event(start_dt=start, end_dt=start + timedelta(hours=2))
    status = state if state in ("cancelled", "waiting") else "registered"
    guest = register(create_event() if state == "of another event" else event, name="佐藤 00", status=status)
    if state in ("checked in", "of another event"):
        check_in(guest)
    r = "" if state == "none" else guest.id
    for claim in CLAIMS:
        page = client.get(f"/staff/events/{event.id}/door?outcome={claim}&r={r}").get_data(as_text=True)
        assert shown(page) == TABLE[state].get(claim), claim
        assert ("佐藤 00" in page) == (shown(page) not in (None, "unknown")), claim


@pytest.mark.parametrize(("locale", "checked_in", "undone"), [
    ("ja", "受付済み", "受付を取り消しました。"), ("en", "Checked in", "The check-in was taken back.")])
def test_back_to_a_check_in_that_was_undone_says_it_was_undone(client, create_user, create_event, register,
                                                               locale, checked_in, undone):
    sign_in(client, create_user, locale)
    event = create_event()
    guest = register(event, name="佐藤 00", party_size=2)
    tapped = client.submit(f"/staff/events/{event.id}/door/{guest.id}/in?q=佐藤")
    checked_in_page = client.get(tapped.headers["Location"]).get_data(as_text=True)
    assert checked_in in banner(checked_in_page)
    client.submit(f"/staff/events/{event.id}/door/{guest.id}/undo?q=佐藤")

    page = client.get(tapped.headers["Location"]).get_data(as_text=True)  # Back

    assert checked_in not in banner(page) and undone in banner(page) and "佐藤 00" in banner(page)
    assert f"/door/{guest.id}/in?q=" in page  # the row offers the check-in again


@pytest.mark.parametrize(("locale", "undone", "undo_name"), [
    ("ja", "受付を取り消しました。", "佐藤 00さんの受付を取り消す"),
    ("en", "The check-in was taken back.", "Undo check-in of 佐藤 00")])
def test_an_undo_from_the_results_confirms_in_the_banner_next_to_them(client, create_user, create_event, register,
                                                                     locale, undone, undo_name):
    sign_in(client, create_user, locale)
    event = create_event()
    guest = register(event, name="佐藤 00", party_size=2)
    tapped = client.submit(f"/staff/events/{event.id}/door/{guest.id}/in?q=佐藤")
    checked_in_page = client.get(tapped.headers["Location"]).get_data(as_text=True)
    assert f'aria-label="{undo_name}"' in banner(checked_in_page)  # the banner's Undo names the party

    undo = client.submit(f"/staff/events/{event.id}/door/{guest.id}/undo?q=佐藤")

    assert "outcome=undone" in undo.headers["Location"] and "q=" in undo.headers["Location"]
    page = client.get(undo.headers["Location"]).get_data(as_text=True)
    results = page[page.index('class="door-results"'):]
    assert undone in banner(results) and "佐藤 00" in banner(results)
    assert 'role="status"' in banner(page) and "data-focus-first" in banner(page)
    assert 'class="flash' not in page  # said once, next to the results


def test_back_to_an_undo_after_a_new_check_in_shows_no_banner(client, create_user, create_event, register):
    sign_in(client, create_user)
    event = create_event()
    guest = register(event, name="佐藤 00")
    client.submit(f"/staff/events/{event.id}/door/{guest.id}/in")
    undo = client.submit(f"/staff/events/{event.id}/door/{guest.id}/undo")
    client.submit(f"/staff/events/{event.id}/door/{guest.id}/in")

    page = client.get(undo.headers["Location"]).get_data(as_text=True)  # Back to the undo's page

    assert "outcome=undone" in undo.headers["Location"]
    assert shown(page) is None
