"""The staff queue shows a series' pending requests as one request: approve or reject all, or per date."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.extensions import db
from booking.models import Booking
from booking.services import staff as staff_service
from booking.services.bookings import BookingInput, request_booking
from booking.services.series import book_series, grouped_queue
from tests.services.test_series import FIRST, at, weekly


@pytest.fixture
def staff_client(client, create_user):
    client.login(create_user(role="staff", locale="en").email)
    return client


@pytest.fixture
def hall(create_space):
    return create_space(requires_approval=True, pending_holds=False)


def request_series(member, hall, count=3):
    outcome = book_series(member, weekly(hall.id, count=count), [FIRST + timedelta(weeks=n) for n in range(count)])
    return outcome.series, [b.id for b in outcome.booked]


def statuses(ids):
    db.session.expire_all()
    return [db.session.get(Booking, i).status for i in ids]


def test_the_queue_shows_a_series_as_one_request_with_a_checkbox_per_date(staff_client, create_user, hall):
    series, ids = request_series(create_user(name="Mori"), hall)
    single = request_booking(create_user(), BookingInput(hall.id, at(FIRST, 15), at(FIRST, 16), "Talk")).booking
    html = staff_client.get("/staff/requests").get_data(as_text=True)
    assert html.count(f'id="series-{series.id}"') == 1 and "Series: 3 dates" in html
    for booking_id in ids:
        assert f'name="approve" value="{booking_id}" checked' in html
        assert f'action="/staff/requests/{booking_id}/approve"' not in html
    assert f'action="/staff/requests/{single.id}/approve"' in html


def test_approving_the_ticked_dates_rejects_the_rest_with_the_note(staff_client, create_user, hall):
    series, ids = request_series(create_user(), hall)
    response = staff_client.submit(f"/series/{series.id}/decide",
                                   {"approve": [str(ids[0]), str(ids[2])], "note": "Busy that week", "decide": "1"})
    assert response.status_code == 302 and response.location.endswith("/staff/requests")
    assert statuses(ids) == ["confirmed", "rejected", "confirmed"]
    assert f'id="series-{series.id}"' not in staff_client.get("/staff/requests").get_data(as_text=True)


def test_reject_every_date_needs_a_note_then_rejects_all(staff_client, create_user, hall):
    series, ids = request_series(create_user(), hall)
    everything = {"approve": [str(i) for i in ids], "reject_all": "1"}
    page = staff_client.submit(f"/series/{series.id}/decide", {**everything, "note": ""})
    assert page.status_code == 200 and "Write a note for the member" in page.get_data(as_text=True)
    assert statuses(ids) == ["pending"] * 3
    staff_client.submit(f"/series/{series.id}/decide", {**everything, "note": "The hall is closed for works"})
    assert statuses(ids) == ["rejected"] * 3


def test_a_series_with_one_pending_date_left_is_a_single_request(staff_client, create_user, hall):
    series, ids = request_series(create_user(), hall, count=2)
    staff_client.submit(f"/staff/requests/{ids[0]}/approve", {})
    assert statuses(ids) == ["confirmed", "pending"]
    html = staff_client.get("/staff/requests").get_data(as_text=True)
    assert f'id="series-{series.id}"' not in html and f'action="/staff/requests/{ids[1]}/approve"' in html


def test_a_series_counts_as_one_request_of_the_paged_queue_and_never_straddles_two_pages(app, create_user, hall):
    from booking.services import staff as staff_service

    series, ids = request_series(create_user(), hall, count=3)
    singles = [request_booking(create_user(), BookingInput(hall.id, at(FIRST + timedelta(days=n), 15),
                                                           at(FIRST + timedelta(days=n), 16), "Talk")).booking.id
               for n in range(1, 4)]

    pages = [staff_service.approval_queue_page(n, size=2) for n in (1, 2, 3)]

    assert [p.total for p in pages] == [4, 4, 4] and [p.pages for p in pages] == [2, 2, 2]
    assert pages[2].number == 2  # past the last page: the last page
    shown = [[e.booking.id for e in p.entries] for p in pages[:2]]

    def flat(queue):
        return [e.booking.id for item in grouped_queue(queue) for e in getattr(item, "entries", [item])]

    assert flat(pages[0].entries) + flat(pages[1].entries) == flat(staff_service.approval_queue())
    assert any(set(ids) <= set(page) for page in shown)
    assert sorted(shown[0] + shown[1]) == sorted(ids + singles)


def test_a_series_of_two_pending_dates_is_one_request_of_the_queue_page(app, create_user, hall):
    _series, ids = request_series(create_user(name="Mori"), hall, count=2)

    page = staff_service.approval_queue_page(1)

    assert page.total == 1 and sorted(e.booking.id for e in page.entries) == sorted(ids)


def test_a_series_of_two_pending_dates_is_one_series_request_of_the_grouped_queue(app, create_user, hall):
    series, ids = request_series(create_user(), hall, count=2)

    [request] = grouped_queue(staff_service.approval_queue())

    assert request.series.id == series.id and [e.booking.id for e in request.entries] == ids


def test_a_proposed_change_of_one_date_and_the_other_pending_date_stay_two_single_entries(app, create_user, hall):
    from booking.services.changes import BookingChange, change_booking

    member = create_user()
    _series, ids = request_series(member, hall, count=2)
    staff_service.approve(create_user(role="staff"), ids[0])
    first = db.session.get(Booking, ids[0])
    later = first.start_dt + timedelta(hours=3)
    assert change_booking(member, first.id, BookingChange(later, later + timedelta(hours=2), first.title,
                                                          False)).is_proposal

    queue = grouped_queue(staff_service.approval_queue())

    assert [(e.booking.id, e.is_change) for e in queue] == [(ids[0], True), (ids[1], False)]
