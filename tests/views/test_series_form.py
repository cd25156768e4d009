"""The series form: preview with a checkbox per date, book the ticked ones, cancel this and following."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking
from booking.services.series import book_series
from tests.services.test_series import FIRST, weekly
from tests.views.conftest import at, monday_ahead

MONDAY = monday_ahead()


def typed(**overrides):
    values = {"day": MONDAY.isoformat(), "start_time": "10:00", "end_time": "11:00", "title": "週次収録",
              "repeat": "weekly", "interval": "1", "weekdays": ["0"], "count": "4", "preview": "1"}
    values.update(overrides)
    return values


@pytest.fixture
def member(client, create_user):
    user = create_user(locale="en")
    client.login(user.email)
    return user


def test_preview_lists_every_date_with_its_outcome_and_writes_nothing(client, member, create_space, create_booking,
                                                                     create_user):
    studio = create_space()
    taken = MONDAY + timedelta(weeks=1)
    create_booking(studio, create_user(), at(taken, 10), at(taken, 11))
    page = client.submit(f"/series/{studio.slug}/new", typed())
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for n in range(4):
        assert (MONDAY + timedelta(weeks=n)).isoformat() in html
    assert "overlaps another booking" in html
    assert html.count('name="dates"') == 4 and len(re.findall(r'name="dates"[^>]*checked>', html)) == 3
    assert db.session.scalar(select(Booking.id).where(Booking.user_id == member.id)) is None


def test_booking_the_ticked_dates_skips_the_rest_then_cancel_following(client, member, create_space):
    studio = create_space()
    ticked = [(MONDAY + timedelta(weeks=n)).isoformat() for n in (0, 1, 3)]
    response = client.submit(f"/series/{studio.slug}/new", typed(dates=ticked, book="1"))
    assert response.status_code == 302
    rows = list(db.session.scalars(select(Booking).where(Booking.user_id == member.id).order_by(Booking.start_dt)))
    assert [b.start_dt.astimezone(at(MONDAY, 0).tzinfo).date().isoformat() for b in rows] == ticked
    detail = client.get(f"/bookings/{rows[1].id}").get_data(as_text=True)
    assert "part of a series" in detail
    client.submit(f"/series/cancel/{rows[1].id}", {"scope": "following"})
    db.session.expire_all()
    assert [b.status for b in db.session.scalars(select(Booking).order_by(Booking.start_dt))] == [
        "confirmed", "cancelled", "cancelled"]


def test_a_date_taken_since_the_preview_is_named(client, member, create_space, create_booking, create_user):
    studio = create_space()
    lost = MONDAY + timedelta(weeks=2)
    create_booking(studio, create_user(), at(lost, 10), at(lost, 11))
    dates = [(MONDAY + timedelta(weeks=n)).isoformat() for n in range(3)]
    page = client.submit(f"/series/{studio.slug}/new", typed(dates=dates, book="1", count="3"))
    html = page.get_data(as_text=True)
    assert page.status_code == 409 and lost.isoformat() in html and "2 dates were booked" in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"count": ""}, "Give either a number of dates or an end date."),
        ({"weekdays": []}, "Choose at least one weekday."),
        ({"count": "999"}, "Choose between 1 and 366."),
        ({"until": "2000-01-01", "count": ""}, "The end date must not be before the first date."),
        ({"dates": ["not-a-date"], "book": "1"}, "Choose at least one date to book."),
    ],
)
def test_bad_input_is_named_next_to_the_field_and_kept(client, member, create_space, overrides, message):
    studio = create_space()
    page = client.submit(f"/series/{studio.slug}/new", typed(**overrides))
    assert page.status_code in (400, 422) and message in page.get_data(as_text=True)
    assert "週次収録" in page.get_data(as_text=True)
    assert db.session.scalar(select(Booking.id)) is None


def test_japanese_is_the_default(client, create_user, create_space):
    user = create_user()
    client.login(user.email)
    page = client.get(f"/series/{create_space().slug}/new").get_data(as_text=True)
    assert "プレビュー" in page


def test_someone_elses_series_date_cannot_be_cancelled(client, member, create_space, create_booking, create_user):
    other = create_booking(create_space(), create_user(), at(MONDAY, 10), at(MONDAY, 11))
    response = client.submit(f"/series/cancel/{other.id}", {"scope": "all"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Booking, other.id).status == "confirmed"


def test_staff_decide_a_series_from_the_queue(client, create_user, create_space):
    member, staff = create_user(), create_user(role="staff", locale="en")
    studio = create_space(requires_approval=True)
    client.login(member.email)
    client.submit(f"/series/{studio.slug}/new", typed(dates=[(MONDAY + timedelta(weeks=n)).isoformat()
                                                            for n in range(3)], book="1", count="3"))
    rows = list(db.session.scalars(select(Booking).order_by(Booking.start_dt)))
    assert [b.status for b in rows] == ["pending"] * 3 and rows[0].title == "週次収録"
    client.submit("/logout")
    client.login(staff.email)
    queue = client.get("/staff/requests").get_data(as_text=True)
    assert f"/series/{rows[0].series_id}/decide" in queue
    page = client.submit(f"/series/{rows[0].series_id}/decide", {"approve": [rows[0].id, rows[2].id], "note": "重複"})
    assert page.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Booking, b.id).status for b in rows] == ["confirmed", "rejected", "confirmed"]
    client.submit("/logout")
    client.login(member.email)
    assert client.get(f"/series/{rows[0].series_id}/decide").status_code == 403


def test_change_following_previews_the_conflicts_then_changes_the_free_dates(
        client, member, create_space, create_booking, create_user):
    studio = create_space()
    ticked = [(MONDAY + timedelta(weeks=n)).isoformat() for n in range(3)]
    client.submit(f"/series/{studio.slug}/new", typed(dates=ticked, book="1"))
    rows = list(db.session.scalars(select(Booking).where(Booking.user_id == member.id).order_by(Booking.start_dt)))
    assert "Change the time or title of this and all following dates" in client.get(
        f"/bookings/{rows[1].id}").get_data(as_text=True)
    form = client.get(f"/series/change/{rows[1].id}").get_data(as_text=True)
    assert 'value="10:00"' in form and 'value="11:00"' in form
    create_booking(studio, create_user(), at(MONDAY + timedelta(weeks=2), 14), at(MONDAY + timedelta(weeks=2), 15))
    values = {"start_time": "14:00", "end_time": "15:00", "title": "Afternoon", "preview": "1"}
    preview = client.submit(f"/series/change/{rows[1].id}", values)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Preview of the change" in html
    assert "overlaps another booking" in html and ticked[0] not in html
    db.session.expire_all()
    assert {b.title for b in rows} == {"週次収録"}
    done = client.submit(f"/series/change/{rows[1].id}", {**values, "confirm": "1"})
    assert done.status_code == 409 and "Dates that kept their time" in done.get_data(as_text=True)
    db.session.expire_all()
    assert [(b.start_dt.astimezone(at(MONDAY, 0).tzinfo).hour, b.title) for b in rows] == [
        (10, "週次収録"), (14, "Afternoon"), (10, "Afternoon")]


def test_change_following_of_someone_elses_booking_is_not_found(client, member, create_space, create_user):
    other = book_series(create_user(), weekly(create_space().id, count=1), [FIRST]).booked[0]
    assert client.get(f"/series/change/{other.id}").status_code == 404
    assert client.submit(f"/series/change/{other.id}", {"start_time": "11:00", "end_time": "12:00",
                                                       "title": "x", "confirm": "1"}).status_code == 404


def test_one_date_at_another_time_is_previewed_and_booked_at_that_time(client, member, create_space, create_booking,
                                                                       create_user):
    studio = create_space()
    moved = MONDAY + timedelta(weeks=1)
    create_booking(studio, create_user(), at(moved, 10), at(moved, 11))
    key = f"{moved:%Y%m%d}"
    first = client.submit(f"/series/{studio.slug}/new", typed(count="3")).get_data(as_text=True)
    assert f'name="start_{key}"' in first and "overlaps another booking" in first
    again = client.submit(f"/series/{studio.slug}/new", typed(count="3", **{f"start_{key}": "13:00",
                                                                          f"end_{key}": "14:00"}))
    html = again.get_data(as_text=True)
    assert "overlaps another booking" not in html and f"{moved:%a} {moved.day} {moved:%b %Y}, 13:00–14:00" in html
    assert len(re.findall(r'name="dates"[^>]*checked>', html)) == 3
    dates = [(MONDAY + timedelta(weeks=n)).isoformat() for n in range(3)]
    client.submit(f"/series/{studio.slug}/new", typed(count="3", dates=dates, book="1",
                                                      **{f"start_{key}": "13:00", f"end_{key}": "14:00"}))
    rows = list(db.session.scalars(select(Booking).where(Booking.user_id == member.id).order_by(Booking.start_dt)))
    assert [(b.start_dt, b.end_dt) for b in rows] == [
        (at(MONDAY, 10), at(MONDAY, 11)), (at(moved, 13), at(moved, 14)),
        (at(MONDAY + timedelta(weeks=2), 10), at(MONDAY + timedelta(weeks=2), 11))]


def test_desks_purpose_and_attendees_reach_every_date(client, member, create_space):
    desks = create_space(kind="pooled", unit_count=6)
    dates = [(MONDAY + timedelta(weeks=n)).isoformat() for n in range(2)]
    too_many = client.submit(f"/series/{desks.slug}/new", typed(count="2", seats="7"))
    assert too_many.status_code == 422 and "Choose between 1 and 6 desks." in too_many.get_data(as_text=True)
    client.submit(f"/series/{desks.slug}/new", typed(count="2", seats="3", purpose="ハッカソン", attendees="12",
                                                     dates=dates, book="1"))
    rows = list(db.session.scalars(select(Booking).where(Booking.user_id == member.id)))
    assert [(b.seats, len(b.unit_numbers), b.purpose, b.attendees) for b in rows] == [(3, 3, "ハッカソン", 12)] * 2


def test_staff_override_the_horizon_on_the_series_form_and_members_cannot(client, create_user, create_space):
    studio = create_space(max_days_ahead=16)
    member = create_user(locale="en")
    client.login(member.email)
    page = client.submit(f"/series/{studio.slug}/new", typed(override_horizon="y", override_reason="x"))
    assert "override_horizon" not in page.get_data(as_text=True)
    assert "Bookings open at most 16 days ahead" in page.get_data(as_text=True)
    client.submit("/logout")
    client.login(create_user(role="staff", locale="en").email)
    asked = typed(override_horizon="y", override_reason="Season recording")
    html = client.submit(f"/series/{studio.slug}/new", asked).get_data(as_text=True)
    assert 'name="override_horizon"' in html and len(re.findall(r'name="dates"[^>]*checked>', html)) == 4


def test_cancelling_several_dates_asks_first_names_them_and_promises_no_undo(client, member, create_space):
    studio = create_space()
    ticked = [(MONDAY + timedelta(weeks=n)).isoformat() for n in range(3)]
    client.submit(f"/series/{studio.slug}/new", typed(dates=ticked, book="1", count="3"))
    rows = list(db.session.scalars(select(Booking).where(Booking.user_id == member.id).order_by(Booking.start_dt)))
    detail = client.get(f"/bookings/{rows[1].id}").get_data(as_text=True)
    assert f'<form method="get" action="/series/cancel/{rows[1].id}"' in detail

    page = client.get(f"/series/cancel/{rows[1].id}?scope=following")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Cancel these dates?" in html and "cannot be undone" in html
    assert html.count("<li>") >= 2 and "Yes, cancel these 2 dates" in html and 'value="following"' in html
    assert "you can undo" not in html
    db.session.expire_all()
    assert [b.status for b in db.session.scalars(select(Booking).order_by(Booking.start_dt))] == ["confirmed"] * 3

    response = client.submit(f"/series/cancel/{rows[1].id}", {"scope": "following"})
    assert response.status_code == 302
    listing = client.get("/bookings").get_data(as_text=True)
    assert "cannot be undone" in listing and "Undo the cancellation" not in listing
    refused = client.submit(f"/bookings/{rows[1].id}/undo")
    assert refused.status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, rows[1].id).status == "cancelled"


def test_deciding_a_series_with_nothing_pending_goes_back_to_the_queue(client, create_user, create_space):
    member, staff = create_user(), create_user(role="staff", locale="en")
    studio = create_space()
    series_id = book_series(member, weekly(studio.id, count=2), [FIRST + timedelta(weeks=n) for n in range(2)]
                            ).booked[0].series_id
    client.login(staff.email)
    response = client.get(f"/series/{series_id}/decide")
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/requests")
    assert "No date of this series waits for a decision" in client.get("/staff/requests").get_data(as_text=True)
