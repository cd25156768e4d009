"""What a row of the door's search and of the attendee list says of a party (checked in, with its time, or
not yet; waiting, offered, cancelled), and that every form of those pages comes back to the same search."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models_attendance import AttendeePass

SEARCH = "佐藤"


def sign_in(client, create_user, locale: str) -> None:
    client.login(create_user(role="staff", locale=locale).email)


def check_in(guest, at: datetime) -> None:
    db.session.get(AttendeePass, guest.id).checked_in_at = at
    db.session.commit()


def door_rows(page: str) -> dict[str, str]:
    """The door's result rows by the party's name."""
    rows = re.findall(r'<li class="door-hit">(.*?)</li>', page, re.S)
    return {re.search(r"<strong>(.*?)</strong>", row).group(1): row for row in rows}


def list_statuses(page: str) -> dict[str, str]:
    """The attendee table's status cell by the party's name."""
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr><td>(.*?)<br>.*?</td>\s*<td>.*?</td>\s*<td>\d+</td><td>(.*?)</td>", body, re.S)
    return dict(rows)


WORDS = {
    "ja": dict(checked_in="受付済み（{time}）", expected="申込済み（未受付）", waiting="キャンセル待ち",
               offered="繰り上げ確認待ち", cancelled="取り消し済み", listed_in="受付済み"),
    "en": dict(checked_in="Checked in ({time})", expected="Registered, not checked in yet",
               waiting="Waiting list", offered="Seat offered", cancelled="Cancelled", listed_in="Checked in"),
}


@pytest.fixture
def parties(create_event, register):
    """An event with one party of each standing, all found by SEARCH; returns (event, check-in time)."""
    event = create_event()
    at = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=7)
    check_in(register(event, name="佐藤 入場"), at)
    register(event, name="佐藤 未着")
    register(event, name="佐藤 待ち", status="waiting")
    register(event, name="佐藤 繰上", status="offered")
    register(event, name="佐藤 取消", status="cancelled")
    return event, at.astimezone(ZoneInfo(event.booking.space.timezone)).strftime("%H:%M")


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_a_door_row_says_whether_the_party_is_in_with_its_time_and_offers_the_matching_action(
        client, create_user, parties, locale):
    event, time = parties
    sign_in(client, create_user, locale)
    words = WORDS[locale]

    rows = door_rows(client.get(f"/staff/events/{event.id}/door?q={SEARCH}").get_data(as_text=True))

    said = {name: html.unescape(re.sub(r"\s+", " ", re.search(r'<small class="meta">(.*?)</small>', row,
                                                                  re.S).group(1))) for name, row in rows.items()}
    assert said == {"佐藤 入場": f"テスト株式会社 · {words['checked_in'].format(time=time)}",
                    "佐藤 未着": f"テスト株式会社 · {words['expected']}",
                    "佐藤 待ち": f"テスト株式会社 · {words['waiting']}",
                    "佐藤 繰上": f"テスト株式会社 · {words['offered']}",
                    "佐藤 取消": f"テスト株式会社 · {words['cancelled']}"}
    assert "/undo?" in rows["佐藤 入場"] and "/in?" not in rows["佐藤 入場"]
    assert "/in?" in rows["佐藤 未着"] and "/undo?" not in rows["佐藤 未着"]
    assert all("<form" not in rows[name] for name in ("佐藤 待ち", "佐藤 繰上", "佐藤 取消"))


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_the_attendee_list_says_who_is_in_and_who_is_not_yet(client, create_user, parties, locale):
    event, _time = parties
    sign_in(client, create_user, locale)
    words = WORDS[locale]

    statuses = list_statuses(client.get(f"/staff/events/{event.id}/attendees").get_data(as_text=True))

    assert statuses == {"佐藤 入場": words["listed_in"], "佐藤 未着": words["expected"],
                        "佐藤 待ち": words["waiting"], "佐藤 繰上": words["offered"],
                        "佐藤 取消": words["cancelled"]}


def post_actions(page: str, event_id: int) -> list[str]:
    """The addresses of the page's own POST forms (those of this event's staff pages)."""
    actions = [html.unescape(a) for a in re.findall(r'<form method="post" action="([^"]*)"', page)]
    return [a for a in actions if a.startswith(f"/staff/events/{event_id}/")]


def query_of(address: str) -> list[str]:
    return parse_qs(urlsplit(address).query).get("q", [])


@pytest.mark.parametrize("page", ["door", "attendees"])
def test_every_form_of_a_searched_page_carries_the_search(client, create_user, create_event, register, page):
    sign_in(client, create_user, "en")
    event = create_event()
    guest = register(event, name="佐藤 一郎")
    check_in(guest, datetime.now(UTC))
    client.submit(f"/staff/events/{event.id}/walk-ins", {"name": "", "organisation": ""})  # the take-back form

    actions = post_actions(client.get(f"/staff/events/{event.id}/{page}?q={SEARCH}").get_data(as_text=True),
                           event.id)

    expected = {"door": ["/door/code", "/door/{r}/undo", "/walk-ins", "/walk-ins/undo"],
                "attendees": ["/message", "/withdraw"]}[page]
    assert sorted(urlsplit(a).path for a in actions) == sorted(
        f"/staff/events/{event.id}" + p.format(r=guest.id) for p in expected)
    assert all(query_of(a) == [SEARCH] for a in actions), actions


def test_a_walk_in_and_its_take_back_come_back_to_the_search(client, create_user, create_event, register):
    sign_in(client, create_user, "en")
    event = create_event()
    register(event, name="佐藤 一郎")
    door = f"/staff/events/{event.id}/door?q={SEARCH}"
    [counted] = [a for a in post_actions(client.get(door).get_data(as_text=True), event.id) if "/walk-ins" in a]

    added = client.submit(counted, {"name": "飛び入り", "organisation": ""})

    assert added.status_code == 302 and query_of(added.headers["Location"]) == [SEARCH]
    page = client.get(added.headers["Location"]).get_data(as_text=True)
    assert 'id="count-walk-ins">1<' in page and "佐藤 一郎" in page
    [take_back] = [a for a in post_actions(page, event.id) if a.startswith(f"/staff/events/{event.id}/walk-ins/undo")]
    undone = client.submit(take_back)
    assert undone.status_code == 302 and query_of(undone.headers["Location"]) == [SEARCH]


def test_a_refused_walk_in_shows_the_search_results_again(client, create_user, create_event, register):
    from tests.conftest import future_day

    sign_in(client, create_user, "en")
    start = future_day(9) + timedelta(hours=8)
    event = create_event(start_dt=start, end_dt=start + timedelta(hours=2))
    register(event, name="佐藤 一郎")

    response = client.submit(f"/staff/events/{event.id}/walk-ins?q={SEARCH}", {"name": "", "organisation": ""})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "佐藤 一郎" in door_rows(page) and all(query_of(a) == [SEARCH] for a in post_actions(page, event.id))


@pytest.mark.parametrize(("path", "data"), [
    ("message", {"subject": "Doors open at 16:30", "body": "See you there."}),
    ("withdraw", {"note": "", "booking": "keep", "confirm": "y"}),
])
def test_the_attendee_list_forms_come_back_to_the_search(client, create_user, create_event, register, path, data):
    sign_in(client, create_user, "en")
    event = create_event()
    register(event, name="佐藤 一郎")
    register(event, name="鈴木 二郎")

    refused = client.submit(f"/staff/events/{event.id}/{path}?q={SEARCH}", {})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "佐藤 一郎" in page and "鈴木 二郎" not in page
    assert all(query_of(a) == [SEARCH] for a in post_actions(page, event.id))

    done = client.submit(f"/staff/events/{event.id}/{path}?q={SEARCH}", data)
    assert done.status_code == 302 and query_of(done.headers["Location"]) == [SEARCH]
