"""My bookings: upcoming and past, cancelling, other members' ids, and escaping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.extensions import db
from booking.models import Booking
from booking.services.my_bookings import BookingLine
from tests.views.conftest import at, cell_states, monday_ahead, tokyo_today

MONDAY = monday_ahead()
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def member(client, create_user):
    user = create_user(locale="en")
    client.login(user.email)
    return user


def status_of(booking_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def section(page: str, heading: str) -> str:
    """The part of the page under one <h2> heading."""
    after = page.split(f"<h2>{heading}</h2>", 1)[1]
    return after.split("<h2>", 1)[0]


def test_my_bookings_lists_upcoming_and_past_separately(client, create_user, create_space, create_booking, member):
    room = create_space(name_en="Studio")
    last_week = tokyo_today() - timedelta(days=7)
    create_booking(room, member, at(MONDAY, 10), at(MONDAY, 11), title="Recording next week")
    create_booking(room, member, at(last_week, 10), at(last_week, 11), title="Recording last week")
    create_booking(room, create_user(), at(MONDAY, 13), at(MONDAY, 14), title="Someone else's")
    page = client.get("/bookings").get_data(as_text=True)
    upcoming, past = section(page, "Upcoming"), section(page, "Past")
    assert "Recording next week" in upcoming and "Recording last week" not in upcoming
    assert "Recording last week" in past
    assert "Cancel" in upcoming and "Cancel" not in past
    assert "Someone else" not in page


def test_a_member_without_bookings_is_told_so(client, member):
    page = client.get("/bookings").get_data(as_text=True)
    assert "No upcoming bookings." in page and "No past bookings." in page


def test_cancelling_before_the_start_frees_the_slot(client, create_space, create_booking, member):
    room = create_space(slug="room")
    booking = create_booking(room, member, at(MONDAY, 10), at(MONDAY, 11))
    week = f"/spaces/room?week={MONDAY.isoformat()}"
    assert cell_states(client.get(week).get_data(as_text=True))[f"{MONDAY.isoformat()}T10:00"] == "mine"

    response = client.submit(f"/bookings/{booking.id}/cancel")

    assert response.status_code == 302 and response.headers["Location"] == "/bookings"
    assert "You cancelled" in client.get("/bookings").get_data(as_text=True)
    assert status_of(booking.id) == "cancelled"
    assert "Cancelled" in client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert cell_states(client.get(week).get_data(as_text=True))[f"{MONDAY.isoformat()}T10:00"] == "free"


@pytest.mark.parametrize(("locale", "said", "not_said"), [
    ("en", "You cancelled “Talk”", ["The booking was cancelled", "You can undo"]),
    ("ja", "「Talk」（", ["予約を取り消しました。", "分間は元に戻せます"]),
])
def test_cancelling_says_so_once_beside_the_undo_button(client, create_space, create_user, create_booking,
                                                        locale, said, not_said):
    member = create_user(locale=locale)
    client.login(member.email)
    booking = create_booking(create_space(slug="room"), member, at(MONDAY, 10), at(MONDAY, 11), title="Talk")

    client.submit(f"/bookings/{booking.id}/cancel")
    page = client.get("/bookings").get_data(as_text=True)

    panel = page.split('class="confirm undo"')[1].split("</form>")[0]
    assert said in panel and f'action="/bookings/{booking.id}/undo"' in page and 'type="submit"' in panel
    assert 'class="flash' not in page and not [words for words in not_said if words in page]


def test_a_booking_that_has_started_cannot_be_cancelled(client, create_space, create_booking, member):
    room = create_space()
    today = tokyo_today()
    started = create_booking(room, member, at(today, 0), at(today, 23, 30))
    detail = client.get(f"/bookings/{started.id}").get_data(as_text=True)
    assert "Cancel this booking" not in detail
    response = client.submit(f"/bookings/{started.id}/cancel")
    assert response.status_code == 400
    assert "A booking that has started can no longer be cancelled." in response.get_data(as_text=True)
    assert status_of(started.id) == "confirmed"


def test_cancelling_twice_is_a_conflict_not_an_error(client, create_space, create_booking, member):
    booking = create_booking(create_space(), member, at(MONDAY, 10), at(MONDAY, 11))
    client.submit(f"/bookings/{booking.id}/cancel")
    response = client.submit(f"/bookings/{booking.id}/cancel")
    assert response.status_code == 409
    assert status_of(booking.id) == "cancelled"


def test_a_cancel_without_csrf_token_changes_nothing(client, create_space, create_booking, member):
    booking = create_booking(create_space(), member, at(MONDAY, 10), at(MONDAY, 11))
    response = client.post(f"/bookings/{booking.id}/cancel")
    assert response.status_code in (302, 400)
    assert status_of(booking.id) == "confirmed"


def test_another_members_booking_is_not_found_on_detail_and_cancel(
    client, create_user, create_space, create_booking, member
):
    theirs = create_booking(create_space(), create_user(), at(MONDAY, 10), at(MONDAY, 11), title="Private plan")
    detail = client.get(f"/bookings/{theirs.id}")
    assert detail.status_code == 404 and "Private plan" not in detail.get_data(as_text=True)
    assert client.submit(f"/bookings/{theirs.id}/cancel").status_code == 404
    assert status_of(theirs.id) == "confirmed"


@pytest.mark.parametrize("booking_id", ["abc", "1.5", "-1", "0", "1e3", "99999999999999999999"])
def test_a_malformed_or_unknown_booking_id_is_not_found(client, member, booking_id):
    assert client.get(f"/bookings/{booking_id}").status_code == 404
    assert client.submit(f"/bookings/{booking_id}/cancel").status_code == 404


def test_bookings_need_a_signed_in_member(client, create_user, create_space, create_booking):
    booking = create_booking(create_space(), create_user(), at(MONDAY, 10), at(MONDAY, 11))
    for url in ("/bookings", f"/bookings/{booking.id}"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_script_in_a_title_is_shown_as_text_everywhere(client, create_space, member):
    create_space(slug="room")
    response = client.submit("/spaces/room/book", {
        "day": MONDAY.isoformat(), "start_time": "10:00", "end_time": "11:00",
        "title": SCRIPT, "purpose": SCRIPT, "attendees": "1",
    })
    assert response.status_code == 302
    for url in (response.headers["Location"], "/bookings"):
        page = client.get(url).get_data(as_text=True)
        assert ESCAPED in page
        assert SCRIPT not in page


def test_a_script_in_a_refused_form_is_shown_escaped(client, create_space, member):
    create_space(slug="room", max_minutes=30)
    page = client.submit("/spaces/room/book", {
        "day": MONDAY.isoformat(), "start_time": "10:00", "end_time": "11:00",
        "title": SCRIPT, "purpose": SCRIPT, "attendees": "1",
    }).get_data(as_text=True)
    assert ESCAPED in page and SCRIPT not in page


def test_a_script_in_a_members_name_is_shown_as_text(client, create_user):
    user = create_user(name=SCRIPT)
    client.login(user.email)
    page = client.get("/").get_data(as_text=True)
    assert ESCAPED in page and SCRIPT not in page


def test_a_script_in_a_space_description_is_shown_as_text(client, create_space):
    create_space(slug="room", description_ja=SCRIPT, name_ja=SCRIPT)
    for url in ("/", "/spaces/room"):
        page = client.get(url).get_data(as_text=True)
        assert ESCAPED in page and SCRIPT not in page


@pytest.mark.parametrize(("locale", "name_en", "shown"), [
    ("en", "Studio", "Studio"), ("ja", "Studio", "スタジオ"), ("en", "", "スタジオ"),
])
def test_a_line_names_its_space_in_english_only_for_an_english_reader_and_when_it_has_an_english_name(
        locale, name_en, shown):
    start = datetime(2026, 12, 1, tzinfo=UTC)
    line = BookingLine(1, "Recording", "confirmed", start, start + timedelta(hours=1), None, "スタジオ", name_en,
                       "Asia/Tokyo")
    assert line.space_name(locale) == shown
