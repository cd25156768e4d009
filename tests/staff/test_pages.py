"""The approval queue and the decision buttons, as staff use them in the browser."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, Closure, User
from booking.services.bookings import BookingInput, cancel_booking, request_booking
from tests.conftest import future_day

DAY = future_day(5)


def at(hour, minute=0):
    return DAY.replace(hour=hour, minute=minute)


def status_of(booking_id):
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def ask(member, space, start, end, title="Kick-off"):
    """A request through the service, so pending holds are stored as the space says."""
    outcome = request_booking(member, BookingInput(space.id, start, end, title))
    assert outcome.ok, outcome.conflicts
    return outcome.booking


@pytest.fixture
def staff_client(client, create_user):
    client.login(create_user(role="staff", name="Staff Sato").email)
    return client


@pytest.fixture
def space(create_space):
    return create_space(requires_approval=True, pending_holds=False, name_ja="スタジオ", name_en="Studio")


@pytest.fixture
def member(create_user):
    return create_user(name="Suzuki Hanako", organisation="NPO Kumamoto", email="hanako@example.jp")


def test_the_queue_shows_each_request_with_its_member_and_rivals(
    staff_client, space, member, create_user
):
    first = ask(member, space, at(2), at(4), title="Podcast <live>")
    ask(create_user(name="Tanaka"), space, at(3), at(5), title="Interview")

    page = staff_client.get("/staff/requests").get_data(as_text=True)

    assert "Podcast &lt;live&gt;" in page
    assert "Suzuki Hanako" in page and "NPO Kumamoto" in page and "hanako@example.jp" in page
    assert page.index("Podcast") < page.index("Interview")
    assert f'href="/staff/bookings/{first.id}"' in page
    assert page.count("Tanaka") == 2  # the second request, and as the rival of the first


def test_every_approve_form_of_the_queue_carries_the_form_token(staff_client, space, member, create_user):
    requests = [ask(member, space, at(2), at(4)), ask(create_user(), space, at(6), at(8), title="Interview")]

    page = staff_client.get("/staff/requests").get_data(as_text=True)

    for booking in requests:
        form = re.search(rf'action="/staff/requests/{booking.id}/approve"[^>]*>(.*?)</form>', page, re.S)
        assert form is not None
        assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', form.group(1))


def test_an_empty_queue_says_nothing_is_waiting(staff_client):
    page = staff_client.get("/staff/requests").get_data(as_text=True)
    assert "承認待ちの申請はありません" in page or "No requests are waiting." in page


def test_approving_from_the_queue_confirms_and_says_so(staff_client, space, member, create_user):
    booking = ask(member, space, at(2), at(4))
    rival = ask(create_user(), space, at(3), at(5))

    response = staff_client.submit(f"/staff/requests/{booking.id}/approve", follow_redirects=True)

    assert response.status_code == 200
    assert status_of(booking.id) == "confirmed"
    assert status_of(rival.id) == "rejected"
    page = response.get_data(as_text=True)
    assert 'class="flash success"' in page


def test_approving_a_request_the_member_just_cancelled_explains_instead_of_failing(
    staff_client, space, member, create_booking
):
    booking = create_booking(space, member, at(2), at(4), status="pending")
    queue = staff_client.get("/staff/requests").get_data(as_text=True)
    assert f"/staff/requests/{booking.id}/approve" in queue
    cancel_booking(member, booking.id)

    response = staff_client.submit(f"/staff/requests/{booking.id}/approve", follow_redirects=True)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="flash error"' in page
    assert status_of(booking.id) == "cancelled"


def test_approving_into_a_new_closure_shows_the_closure(staff_client, space, member, create_booking):
    booking = create_booking(space, member, at(2), at(4), status="pending")
    db.session.add(Closure(space_id=space.id, start_dt=at(0), end_dt=at(12), reason="設備点検"))
    db.session.commit()

    page = staff_client.submit(f"/staff/requests/{booking.id}/approve", follow_redirects=True).get_data(
        as_text=True)

    assert "設備点検" in page
    assert status_of(booking.id) == "pending"


def test_rejecting_without_a_note_asks_for_one_and_changes_nothing(staff_client, space, member, create_booking):
    booking = create_booking(space, member, at(2), at(4), status="pending")

    response = staff_client.submit(f"/staff/requests/{booking.id}/reject", {"note": "  "})

    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert status_of(booking.id) == "pending"


def test_rejecting_with_a_note_rejects_the_request(staff_client, space, member, create_booking):
    booking = create_booking(space, member, at(2), at(4), status="pending")

    response = staff_client.submit(f"/staff/requests/{booking.id}/reject", {"note": "TV recording that day."})

    assert response.status_code == 302
    assert status_of(booking.id) == "rejected"


def test_a_huge_note_is_refused_next_to_the_field(staff_client, space, member, create_booking):
    booking = create_booking(space, member, at(2), at(4), status="pending")

    response = staff_client.submit(f"/staff/requests/{booking.id}/reject", {"note": "x" * 5000})

    assert response.status_code == 422
    assert status_of(booking.id) == "pending"


def test_a_decision_without_the_form_token_is_refused(staff_client, space, member, create_booking):
    booking = create_booking(space, member, at(2), at(4), status="pending")

    response = staff_client.post(f"/staff/requests/{booking.id}/approve")

    assert response.status_code == 400
    assert status_of(booking.id) == "pending"


@pytest.mark.parametrize("url", [
    "/staff/bookings/999", "/staff/bookings/abc", "/staff/requests/999/reject", "/staff/requests/-1/reject",
])
def test_unknown_bookings_are_not_found(staff_client, url):
    assert staff_client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/staff/requests/999/approve", "/staff/requests/999/reject"])
def test_deciding_unknown_bookings_is_not_found(staff_client, url):
    assert staff_client.submit(url, {"note": "No"}).status_code == 404


def test_the_staff_page_of_a_started_request_shows_it_expired_with_no_decision(staff_client, space, member,
                                                                               create_booking):
    """No request outlives its start (domain.statuses.request_deadline): one still pending in the
    database has expired, and the page says so before the expiry job writes it."""
    from datetime import UTC, datetime, timedelta

    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    booking = create_booking(space, member, start, start + timedelta(hours=3), status="pending")

    page = staff_client.get(f"/staff/bookings/{booking.id}").get_data(as_text=True)

    assert f"/staff/requests/{booking.id}/approve" not in page
    assert f"/staff/requests/{booking.id}/reject" not in page
    assert 'class="status expired"' in page


def request_ids_on(page):
    return [int(i) for i in re.findall(r'<section class="request" id="request-(\d+)"', page)]


@pytest.fixture
def twelve_requests(space, create_user):
    """Twelve requests, one an hour: the earliest start has the earliest deadline."""
    member = create_user(name="Many Requests")
    return [ask(member, space, at(n), at(n + 1), title=f"Request {n}").id for n in range(12)]


def test_the_queue_shows_ten_requests_a_page_most_urgent_first_with_the_totals(staff_client, twelve_requests):
    first = staff_client.get("/staff/requests").get_data(as_text=True)
    second = staff_client.get("/staff/requests?page=2").get_data(as_text=True)

    assert request_ids_on(first) == twelve_requests[:10]
    assert request_ids_on(second) == twelve_requests[10:]
    assert ("12 requests waiting, most urgent first: 1–10 shown." in first
            or "承認待ち12件（期限の近い順）：1～10件目を表示" in first)
    assert re.search(r'<a rel="next" href="/staff/requests\?page=2">', first)
    assert 'rel="prev"' not in first
    assert re.search(r'<a rel="prev" href="/staff/requests\?page=1">', second)
    assert 'href="/staff/requests?page=3"' not in second


def test_a_page_past_the_last_shows_the_last_and_a_malformed_page_the_first(staff_client, twelve_requests):
    assert request_ids_on(staff_client.get("/staff/requests?page=99").get_data(as_text=True)) == twelve_requests[10:]
    assert request_ids_on(staff_client.get("/staff/requests?page=" + "9" * 40).get_data(as_text=True)) \
        == twelve_requests[10:]
    for page in ("0", "-1", "two", ""):
        assert request_ids_on(staff_client.get(f"/staff/requests?page={page}").get_data(as_text=True)) \
            == twelve_requests[:10]


def test_a_short_queue_has_no_pager(staff_client, space, member):
    ask(member, space, at(2), at(4))
    page = staff_client.get("/staff/requests").get_data(as_text=True)
    assert 'rel="next"' not in page and "?page=" not in page


def test_deciding_on_the_queues_second_page_returns_to_the_second_page(staff_client, twelve_requests):
    """Break-it run 2026-11-29: approving or rejecting on page 2 led back to page 1."""
    second = staff_client.get("/staff/requests?page=2").get_data(as_text=True)
    approved, rejected = twelve_requests[10], twelve_requests[11]
    assert f'action="/staff/requests/{approved}/approve?page=2"' in second
    assert f'href="/staff/requests/{rejected}/reject?page=2"' in second

    response = staff_client.submit(f"/staff/requests/{approved}/approve?page=2")
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/requests?page=2")

    reject_page = staff_client.get(f"/staff/requests/{rejected}/reject?page=2").get_data(as_text=True)
    assert f'action="/staff/requests/{rejected}/reject?page=2"' in reject_page
    response = staff_client.submit(f"/staff/requests/{rejected}/reject?page=2", {"note": "The hall is taken."})
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/requests?page=2")

    first = staff_client.get("/staff/requests").get_data(as_text=True)
    assert "?page=" not in re.sub(r'<nav.*?</nav>', "", first, flags=re.S)  # page 1's forms carry no page


def test_the_kept_staff_menu_is_in_the_language_of_each_page(staff_client):
    """The menu is rendered once per language and kept: a staff member who changes language gets the other menu."""
    japanese = staff_client.get("/staff/members").get_data(as_text=True)
    staff = db.session.scalars(select(User).where(User.name == "Staff Sato")).one()
    staff.locale = "en" if staff.locale == "ja" else "ja"
    db.session.commit()

    english = staff_client.get("/staff/members").get_data(as_text=True)

    menu = re.compile(r'<nav class="staff-menu".*?</nav>', re.S)
    assert ("承認待ちの申請" in menu.search(japanese).group()) != ("承認待ちの申請" in menu.search(english).group())
    assert ("Requests to approve" in menu.search(japanese).group()) != (
        "Requests to approve" in menu.search(english).group())
