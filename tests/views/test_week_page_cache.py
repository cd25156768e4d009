"""The week page is kept per distinct page with its per-request parts filled in: never stale, never
another viewer's."""

from __future__ import annotations

import html
from datetime import time, timedelta

import pytest

from booking.extensions import db
from booking.models import OpeningPeriod
from booking.services import admin_spaces
from booking.views import week_grid
from tests.conftest import CSRF_RE, without_csrf_tokens
from tests.events.factories import make_event
from tests.views.conftest import at, cell_states, monday_ahead


@pytest.fixture(autouse=True)
def empty_caches(empty_week_caches):
    """Every test here starts and ends with the week caches empty (tests/views/conftest.py)."""


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def fresh_page_of(client, url: str) -> str:
    """The page as it is rendered when nothing is kept."""
    week_grid.pages.clear()
    return page_of(client, url)


def test_a_kept_page_is_the_page_rendered_anew_for_visitors_members_and_staff(app, client, create_space,
                                                                              create_user, create_booking):
    space = create_space(slug="studio")
    monday = monday_ahead()
    member = create_user(name="<b>Aiko & Co</b>")
    create_booking(space, member, at(monday, 10), at(monday, 11))
    staff = create_user(role="staff", name="Staff 'Ken'")
    visitor, signed_member, signed_staff = app.test_client(), app.test_client(), app.test_client()
    signed_member.login(member.email)
    signed_staff.login(staff.email)
    wednesday = (monday + timedelta(days=2)).isoformat()
    for viewer in (visitor, signed_member, signed_staff):
        for url in (f"/spaces/studio?week={monday.isoformat()}", f"/spaces/studio?week={wednesday}"):
            page_of(viewer, url)  # kept
            kept = page_of(viewer, url)
            assert without_csrf_tokens(kept) == without_csrf_tokens(fresh_page_of(viewer, url))
            assert f'name="next" value="{html.escape(url)}"' in kept  # the address this request asked
    member_page = page_of(signed_member, f"/spaces/studio?week={monday.isoformat()}")
    assert "&lt;b&gt;Aiko &amp; Co&lt;/b&gt;" in member_page and "Ken" not in member_page
    assert cell_states(member_page)[f"{monday.isoformat()}T10:00"] == "mine"
    staff_page = page_of(signed_staff, f"/spaces/studio?week={monday.isoformat()}")
    assert "Staff &#39;Ken&#39;" in staff_page and "Aiko" not in staff_page
    assert cell_states(staff_page)[f"{monday.isoformat()}T10:00"] == "taken"


def test_each_viewer_gets_the_csrf_token_of_their_own_session(app, client, create_space):
    create_space(slug="studio")
    url = f"/spaces/studio?week={monday_ahead().isoformat()}"
    first, second = client, app.test_client()
    first_token = CSRF_RE.search(page_of(first, url)).group(1)
    second_token = CSRF_RE.search(page_of(second, url)).group(1)
    assert first_token != second_token
    assert len(week_grid.pages) == 1  # both pages came from one kept page
    # The token works with its own session only: the language switch accepts it.
    answer = first.post("/language", data={"csrf_token": first_token, "locale": "en", "next": url})
    assert answer.status_code == 302
    assert second.post("/language", data={"csrf_token": first_token, "locale": "en"}).status_code == 400


def test_a_closure_an_hours_change_and_a_renamed_space_show_on_the_next_view(client, create_space):
    space = create_space(slug="studio", name_ja="スタジオ")
    monday = monday_ahead()
    url = f"/spaces/studio?week={monday.isoformat()}"
    assert cell_states(page_of(client, url))[f"{monday.isoformat()}T10:00"] == "free"
    admin_spaces.add_closure(admin_spaces.ClosureInput(
        space_id=None, start_local=at(monday, 10).replace(tzinfo=None), end_local=at(monday, 11).replace(tzinfo=None),
        reason="点検"))
    assert cell_states(page_of(client, url))[f"{monday.isoformat()}T10:00"] == "closed"
    assert cell_states(page_of(client, url))[f"{monday.isoformat()}T20:00"] == "free"
    db.session.execute(OpeningPeriod.__table__.update().where(
        OpeningPeriod.space_id == space.id, OpeningPeriod.weekday == monday.weekday()).values(close_time=time(20)))
    db.session.commit()
    assert cell_states(page_of(client, url))[f"{monday.isoformat()}T20:00"] == "closed"
    db.session.execute(type(space).__table__.update().where(type(space).id == space.id).values(name_ja="新スタジオ"))
    db.session.commit()
    assert "新スタジオ" in page_of(client, url)


def test_a_kept_page_follows_the_clock_to_the_slot_boundary(client, create_space, monkeypatch):
    create_space(slug="studio")
    monday = monday_ahead()
    url = f"/spaces/studio?week={monday.isoformat()}"
    ten = at(monday, 10)
    monkeypatch.setattr("booking.views.spaces.utcnow", lambda: ten - timedelta(minutes=15))
    assert cell_states(page_of(client, url))[f"{monday.isoformat()}T10:00"] == "free"
    monkeypatch.setattr("booking.views.spaces.utcnow", lambda: ten)
    assert cell_states(page_of(client, url))[f"{monday.isoformat()}T10:00"] == "free"
    assert len(week_grid.pages) == 1  # the clock moved, no slot boundary passed: the same page
    monkeypatch.setattr("booking.views.spaces.utcnow", lambda: ten + timedelta(microseconds=1))
    states = cell_states(page_of(client, url))
    assert states[f"{monday.isoformat()}T10:00"] == "past" and states[f"{monday.isoformat()}T10:30"] == "free"


def test_events_published_after_the_page_was_kept_show_on_the_next_view(client, create_space, create_user):
    hall = create_space(slug="hall")
    monday = monday_ahead()
    url = f"/spaces/hall?week={monday.isoformat()}"
    assert 'class="space-events"' not in page_of(client, url)
    event = make_event(hall, create_user(role="staff"), at(monday, 17), at(monday, 19))
    page = page_of(client, url)
    assert 'class="space-events"' in page and "サテライトオフィス合同キックオフ" in page
    event.status = "withdrawn"
    db.session.commit()
    assert "中止" in page_of(client, url)


def test_a_message_to_flash_shows_once_on_the_week_page(client, create_space):
    create_space(slug="studio")
    url = f"/spaces/studio?week={monday_ahead().isoformat()}"
    page_of(client, url)
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "<i>お知らせ</i>")]
    assert "&lt;i&gt;お知らせ&lt;/i&gt;" in page_of(client, url)
    assert "お知らせ" not in page_of(client, url)


def test_a_layout_that_reads_more_of_the_viewer_than_the_kept_page_knows_fails_loudly():
    viewer = week_grid._StandIn("current_user", is_authenticated=True, is_staff=False, name="x")
    assert viewer.is_staff is False
    with pytest.raises(RuntimeError, match="current_user.email"):
        _ = viewer.email
