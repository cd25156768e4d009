"""Closures: add for one space or all, see the bookings they hit, cancel the chosen ones with a message."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Booking, BookingEvent, Closure
from booking.services.admin_spaces import (
    ClosureInput,
    InvalidInput,
    add_closure,
    bookings_hit,
    cancel_hit_bookings,
    delete_closure,
    upcoming_closures,
)
from booking.services.bookings import BookingInput, request_booking
from tests.admin.conftest import cancel_note, status_of
from tests.conftest import future_day, shown_day
from tests.views.conftest import form_errors, input_value

DAY = future_day(5)  # midnight UTC = 09:00 in Tokyo
LOCAL_DAY = DAY.date().isoformat()


def at(hour, minute=0):
    """An instant on DAY given in UTC hours (Tokyo is UTC+9)."""
    return DAY.replace(hour=hour, minute=minute)


def closure_form(space="all", start="10:00", end="12:00", reason="Building inspection", **extra):
    return {"space": str(space), "start_day": LOCAL_DAY, "start_time": start, "end_day": LOCAL_DAY,
            "end_time": end, "reason": reason, **extra}


def closures():
    db.session.expire_all()
    return db.session.query(Closure).all()


@pytest.fixture
def studio(create_space):
    return create_space(slug="studio", name_en="Studio", name_ja="スタジオ")


@pytest.fixture
def hall(create_space):
    return create_space(slug="hall", name_en="Hall", name_ja="ホール")


@pytest.fixture
def members(create_user):
    return create_user(name="Suzuki Hanako"), create_user(name="Tanaka Ichiro")


def test_a_closure_for_one_space_is_stored_in_its_local_time_and_listed(staff_client, studio):
    response = staff_client.submit("/staff/closures", closure_form(space=studio.id))

    assert response.status_code == 302
    (closure,) = closures()
    assert (closure.space_id, closure.reason) == (studio.id, "Building inspection")
    assert (closure.start_dt, closure.end_dt) == (at(1), at(3))  # 10:00–12:00 in Tokyo
    page = staff_client.get("/staff/closures").get_data(as_text=True)
    assert "Building inspection" in page and "スタジオ" in page
    assert f"{shown_day(DAY.date())} 10:00" in page


def test_a_closure_for_all_spaces_has_no_space(staff_client, studio):
    staff_client.submit("/staff/closures", closure_form(reason="年末年始"))
    (closure,) = closures()
    assert closure.space_id is None
    assert "年末年始" in staff_client.get("/staff/closures").get_data(as_text=True)


@pytest.mark.parametrize("change", [
    {"end_time": "09:00"}, {"end_day": "2000-01-01"}, {"reason": "  "}, {"start_day": "tomorrow"},
    {"start_time": "25:00"}, {"space": "999"}, {"space": "x" * 50}, {"reason": "r" * 201},
], ids=["end-before-start", "end-day-before", "no-reason", "bad-date", "bad-time", "unknown-space",
        "garbage-space", "long-reason"])
def test_a_wrong_closure_is_refused_with_the_input_kept(staff_client, studio, change):
    form = {**closure_form(space=studio.id), **change}

    response = staff_client.submit("/staff/closures", form)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert form_errors(page)
    assert input_value(page, "end_day") == form["end_day"]
    assert closures() == []


def test_adding_a_closure_shows_the_active_bookings_it_hits(staff_client, studio, hall, members, create_booking):
    suzuki, tanaka = members
    confirmed = create_booking(studio, suzuki, at(2), at(4), title="Podcast <live>")
    pending = create_booking(hall, tanaka, at(1), at(2), title="Meet-up", status="pending")
    create_booking(studio, tanaka, at(2, 30), at(3), title="Long gone", status="cancelled")
    create_booking(studio, tanaka, at(5), at(6), title="After the closure")

    response = staff_client.submit("/staff/closures", closure_form(), follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "Podcast &lt;live&gt;" in page and "Meet-up" in page
    assert "Suzuki Hanako" in page and "Tanaka Ichiro" in page
    assert "Long gone" not in page and "After the closure" not in page
    assert f'name="booking_ids" value="{confirmed.id}"' in page
    assert f'name="booking_ids" value="{pending.id}"' in page


def test_a_closure_of_one_space_hits_only_that_space(staff_client, studio, hall, members, create_booking):
    create_booking(hall, members[0], at(2), at(4), title="In the hall")
    page = staff_client.submit("/staff/closures", closure_form(space=studio.id), follow_redirects=True).get_data(
        as_text=True)
    assert "In the hall" not in page


def hit_page(client, closure_id):
    return f"/staff/closures/{closure_id}/bookings"


@pytest.fixture
def hit(staff_client, studio, hall, members, create_booking):
    """A closure over two bookings of two members."""
    suzuki, tanaka = members
    first = create_booking(studio, suzuki, at(2), at(4), title="Recording")
    second = create_booking(hall, tanaka, at(1), at(2), title="Meet-up", status="pending")
    staff_client.submit("/staff/closures", closure_form())
    return closures()[0], first, second


def test_cancelling_the_chosen_bookings_records_the_message_for_each_member(staff_client, hit):
    closure, first, second = hit
    message = "The floor is closed for a building inspection. Sorry!"

    response = staff_client.submit(hit_page(staff_client, closure.id),
                                   {"booking_ids": [str(first.id)], "message": message})

    assert response.status_code == 302
    assert status_of(first.id) == "cancelled"
    assert cancel_note(first.id) == message
    assert status_of(second.id) == "pending"
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="flash success"' in page
    assert f'name="booking_ids" value="{first.id}"' not in page
    assert f'name="booking_ids" value="{second.id}"' in page


def test_cancelling_every_hit_booking_leaves_nothing_to_decide(staff_client, hit):
    closure, first, second = hit
    staff_client.submit(hit_page(staff_client, closure.id),
                        {"booking_ids": [str(first.id), str(second.id)], "message": "Closed, sorry."})
    assert status_of(first.id) == status_of(second.id) == "cancelled"
    assert cancel_note(second.id) == "Closed, sorry."
    events = db.session.query(BookingEvent).filter_by(action="cancelled").all()
    assert {e.actor.name for e in events} == {"Staff Sato"}
    page = staff_client.get(hit_page(staff_client, closure.id)).get_data(as_text=True)
    assert "Recording" not in page and "Meet-up" not in page


@pytest.mark.parametrize("data", [
    {"message": "Closed."},
    {"booking_ids": ["FIRST"], "message": "   "},
    {"booking_ids": ["FIRST"], "message": "x" * 2001},
    {"booking_ids": ["abc"], "message": "Closed."},
    {"booking_ids": ["999999"], "message": "Closed."},
])
def test_a_cancel_form_without_choice_or_message_or_with_a_foreign_id_writes_nothing(staff_client, hit, data):
    closure, first, second = hit
    data = {**data, "booking_ids": [first.id if v == "FIRST" else v for v in data.get("booking_ids", [])]}

    response = staff_client.submit(hit_page(staff_client, closure.id), data)

    assert response.status_code == 422
    assert form_errors(response.get_data(as_text=True))
    assert status_of(first.id) == "confirmed" and status_of(second.id) == "pending"
    assert cancel_note(first.id) is None


def test_a_booking_cancelled_meanwhile_makes_the_form_stale_and_nothing_else_changes(
    staff_client, hit, members
):
    from booking.services.bookings import cancel_booking

    closure, first, second = hit
    cancel_booking(members[0], first.id)

    response = staff_client.submit(hit_page(staff_client, closure.id),
                                   {"booking_ids": [str(first.id), str(second.id)], "message": "Closed."})

    assert response.status_code == 422
    assert form_errors(response.get_data(as_text=True))
    assert status_of(second.id) == "pending"


def test_keeping_the_bookings_is_a_link_back_and_changes_nothing(staff_client, hit):
    closure, first, _second = hit
    page = staff_client.get(hit_page(staff_client, closure.id)).get_data(as_text=True)
    assert 'href="/staff/closures"' in page
    assert status_of(first.id) == "confirmed"


def test_after_a_closure_nobody_can_book_into_it(staff_client, studio, members):
    staff_client.submit("/staff/closures", closure_form(space=studio.id, reason="Lighting maintenance"))
    outcome = request_booking(members[0], BookingInput(studio.id, at(2), at(3), "Try"))
    assert not outcome.ok
    assert [c.code for c in outcome.conflicts] == ["closed"]


def test_deleting_a_closure_reopens_the_time(staff_client, studio, members):
    staff_client.submit("/staff/closures", closure_form(space=studio.id))
    (closure,) = closures()

    response = staff_client.submit(f"/staff/closures/{closure.id}/delete")

    assert response.status_code == 302
    assert closures() == []
    assert request_booking(members[0], BookingInput(studio.id, at(2), at(3), "Try")).ok


def test_past_closures_are_not_listed(staff_client, studio):
    db.session.add(Closure(space_id=None, start_dt=DAY - timedelta(days=30), end_dt=DAY - timedelta(days=29),
                           reason="Long ago"))
    db.session.commit()
    assert "Long ago" not in staff_client.get("/staff/closures").get_data(as_text=True)


@pytest.mark.parametrize("method, url", [
    ("GET", "/staff/closures/999/bookings"), ("POST", "/staff/closures/999/bookings"),
    ("POST", "/staff/closures/999/delete"), ("GET", "/staff/closures/0/bookings"),
])
def test_unknown_closures_are_not_found(staff_client, method, url):
    response = staff_client.get(url) if method == "GET" else staff_client.submit(url, {"message": "x"})
    assert response.status_code == 404


def test_staff_may_cancel_any_members_booking_with_a_note(app, create_user, studio, members, create_booking):
    from booking.services.bookings import cancel_booking

    booking = create_booking(studio, members[0], at(2), at(4))
    staff = create_user(role="staff")

    cancel_booking(staff, booking.id, note="Sorry, a TV recording moved here.")

    assert status_of(booking.id) == "cancelled"
    assert cancel_note(booking.id) == "Sorry, a TV recording moved here."
    assert db.session.get(Booking, booking.id).holds[0].is_active is False



def test_the_service_refuses_a_message_over_2000_characters_saying_the_limit(app, create_user, hit):
    closure, first, _second = hit

    with pytest.raises(InvalidInput) as refused:
        cancel_hit_bookings(create_user(role="staff"), closure.id, [first.id], "x" * 2001)

    message, params = refused.value.errors["message"]
    assert message % params == "The message is too long (at most 2000 characters)."
    assert status_of(first.id) == "confirmed"


def test_the_service_refuses_a_blank_message_asking_for_one(app, create_user, hit):
    closure, first, _second = hit

    with pytest.raises(InvalidInput) as refused:
        cancel_hit_bookings(create_user(role="staff"), closure.id, [first.id], "   ")

    assert refused.value.errors["message"] == ("Write a message to the members.", {})
    assert status_of(first.id) == "confirmed"


def test_a_closure_of_a_space_in_another_zone_is_read_in_that_spaces_local_time(app, create_space):
    berlin = create_space(slug="berlin", timezone="Europe/Berlin")
    day = DAY.date()

    closure = add_closure(ClosureInput(berlin.id, datetime.combine(day, time(10)), datetime.combine(day, time(12)),
                                       "Inspection"))

    assert closure.start_dt == datetime.combine(day, time(10), ZoneInfo("Europe/Berlin"))


def test_a_closure_form_sent_twice_adds_one_closure(app, studio):
    day = DAY.date()
    data = ClosureInput(studio.id, datetime.combine(day, time(10)), datetime.combine(day, time(12)), "Inspection",
                        submit_token="token-1")

    first, again = add_closure(data), add_closure(data)

    assert again.id == first.id and len(closures()) == 1


def test_removing_a_closure_writes_under_its_spaces_lock(app, studio, locked_spaces):
    """A removal reopens the space's time: ordered against that space's bookings by the space's lock."""
    day = DAY.date()
    closure = add_closure(ClosureInput(studio.id, datetime.combine(day, time(10)), datetime.combine(day, time(12)),
                                       "Inspection"))
    locked_spaces.clear()

    delete_closure(closure.id)

    assert locked_spaces == [studio.id] and closures() == []


def test_the_bookings_a_closure_hits_are_listed_by_start(app, studio, members, create_booking):
    suzuki, tanaka = members
    later = create_booking(studio, suzuki, at(3), at(4))
    sooner = create_booking(studio, tanaka, at(1), at(2))
    closure = Closure(space_id=studio.id, start_dt=at(0), end_dt=at(5), reason="Inspection")
    db.session.add(closure)
    db.session.commit()

    assert [b.id for b in bookings_hit(closure)] == [sooner.id, later.id]


def test_a_closure_ending_at_the_time_given_is_no_longer_upcoming(app, studio):
    closure = Closure(space_id=studio.id, start_dt=at(1), end_dt=at(3), reason="Inspection")
    db.session.add(closure)
    db.session.commit()

    assert upcoming_closures(now=at(3)) == []
    assert upcoming_closures(now=at(3) - timedelta(microseconds=1)) == [closure]


def test_a_closure_ending_before_it_starts_is_refused_with_the_end_marked(app, studio):
    day = DAY.date()
    data = ClosureInput(studio.id, datetime.combine(day, time(12)), datetime.combine(day, time(10)), "Inspection")

    with pytest.raises(InvalidInput) as refused:
        add_closure(data)

    assert refused.value.message == "Please check the marked fields."
    assert refused.value.errors == {"end_day": ("The end must be after the start.", {})}
    assert closures() == []


def test_cancelling_a_booking_the_closure_no_longer_hits_asks_staff_to_choose_again(
        app, create_user, create_booking, studio, members, hit):
    from booking.services import Stale

    closure, first, _second = hit
    elsewhere = create_booking(studio, members[0], DAY + timedelta(days=1, hours=2), DAY + timedelta(days=1, hours=3))

    with pytest.raises(Stale) as refused:
        cancel_hit_bookings(create_user(role="staff"), closure.id, [first.id, elsewhere.id], "Closed for works")

    assert refused.value.message == "The bookings this closure hits changed; please choose again."
    assert (status_of(first.id), status_of(elsewhere.id)) == ("confirmed", "confirmed")


def test_upcoming_closures_are_listed_by_start_whatever_order_they_were_added_in(app, studio):
    later = Closure(space_id=studio.id, start_dt=at(6), end_dt=at(7), reason="Later")
    earlier = Closure(space_id=None, start_dt=at(1), end_dt=at(2), reason="Earlier")
    db.session.add(later)
    db.session.commit()
    db.session.add(earlier)
    db.session.commit()

    assert upcoming_closures(now=at(0)) == [earlier, later]
