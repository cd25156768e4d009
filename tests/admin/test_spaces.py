"""Staff create and edit spaces and every field of their policy; wrong input is refused next to its field."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Booking, Space
from tests.admin.conftest import fresh
from tests.conftest import future_day
from tests.summary_html import summary_targets
from tests.views.conftest import form_errors, input_value


def space_form(**overrides):
    values = {
        "slug": "event-hall", "name_ja": "イベントホール", "name_en": "Event hall",
        "description_ja": "トークやミートアップに", "description_en": "For talks and meet-ups",
        "kind": "exclusive", "unit_count": "1", "timezone": "Asia/Tokyo",
        "slot_minutes": "30", "min_minutes": "60", "max_minutes": "240",
        "setup_minutes": "15", "teardown_minutes": "30", "min_notice_minutes": "1440",
        "max_days_ahead": "120", "requires_approval": "y", "pending_holds": "y", "request_deadline_hours": "48",
        "quota_active_bookings": "3", "quota_hours_per_week": "", "close_on_holidays": "y",
        "holiday_country": "jp",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def space_count():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Space))


def test_the_spaces_page_lists_every_space_with_links_to_edit_it(staff_client, create_space):
    studio = create_space(name_en="Studio", name_ja="スタジオ")
    page = staff_client.get("/staff/spaces").get_data(as_text=True)
    assert "スタジオ" in page
    assert f"/staff/spaces/{studio.id}/edit" in page
    assert f"/staff/spaces/{studio.id}/hours" in page


def test_creating_a_space_stores_every_policy_field_and_leads_to_its_hours(staff_client):
    response = staff_client.submit("/staff/spaces/new", space_form())

    assert response.status_code == 302
    space = db.session.scalar(select(Space).where(Space.slug == "event-hall"))
    assert response.headers["Location"] == f"/staff/spaces/{space.id}/hours"
    assert (space.name_ja, space.name_en, space.description_en) == ("イベントホール", "Event hall",
                                                                     "For talks and meet-ups")
    assert (space.kind, space.unit_count, space.timezone) == ("exclusive", 1, "Asia/Tokyo")
    assert (space.slot_minutes, space.min_minutes, space.max_minutes) == (30, 60, 240)
    assert (space.setup_minutes, space.teardown_minutes) == (15, 30)
    assert (space.min_notice_minutes, space.max_days_ahead) == (1440, 120)
    assert space.requires_approval and space.pending_holds and space.close_on_holidays
    assert space.request_deadline_hours == 48
    assert (space.quota_active_bookings, space.quota_hours_per_week) == (3, None)
    assert space.holiday_country == "JP"
    assert space.opening_hours == []


def test_a_new_space_without_opening_hours_cannot_be_booked_yet(staff_client, client):
    staff_client.submit("/staff/spaces/new", space_form(requires_approval=None))
    page = client.get("/spaces/event-hall").get_data(as_text=True)
    assert 'data-state="free"' not in page


def test_unticked_boxes_and_empty_quotas_mean_no_and_no_limit(staff_client, create_space):
    space = create_space(requires_approval=True, pending_holds=True, quota_active_bookings=2)
    form = space_form(slug=space.slug, requires_approval=None, pending_holds=None, close_on_holidays=None,
                      quota_active_bookings="", quota_hours_per_week="")

    assert staff_client.submit(f"/staff/spaces/{space.id}/edit", form).status_code == 302

    space = fresh(Space, space.id)
    assert not space.requires_approval and not space.pending_holds and not space.close_on_holidays
    assert space.quota_active_bookings is None and space.quota_hours_per_week is None


def test_the_edit_form_shows_the_current_policy(staff_client, create_space):
    space = create_space(slug="studio", setup_minutes=45, quota_hours_per_week=10)
    page = staff_client.get(f"/staff/spaces/{space.id}/edit").get_data(as_text=True)
    assert input_value(page, "slug") == "studio"
    assert input_value(page, "setup_minutes") == "45"
    assert input_value(page, "quota_hours_per_week") == "10"


def test_editing_changes_the_policy_of_a_pooled_space(staff_client, create_space):
    desks = create_space(slug="desks", kind="pooled", unit_count=24)
    form = space_form(slug="netsugen-desks", kind="pooled", unit_count="30", name_en="Desks",
                      timezone="Asia/Seoul", slot_minutes="60", min_minutes="60", max_minutes="480")

    response = staff_client.submit(f"/staff/spaces/{desks.id}/edit", form)

    assert response.status_code == 302
    desks = fresh(Space, desks.id)
    assert (desks.slug, desks.unit_count, desks.timezone, desks.slot_minutes) == (
        "netsugen-desks", 30, "Asia/Seoul", 60)


def test_wrong_values_are_refused_next_to_their_fields_with_the_input_kept(staff_client):
    form = space_form(slug="Event Hall!", unit_count="3", timezone="Mars/Olympus",
                      min_minutes="45", max_minutes="abc", holiday_country="XX", name_ja="ホール<b>")

    response = staff_client.submit("/staff/spaces/new", form)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert input_value(page, "slug") == "Event Hall!"
    assert input_value(page, "name_ja") == "ホール<b>"
    assert "ホール&lt;b&gt;" in page
    assert input_value(page, "timezone") == "Mars/Olympus"
    assert len(form_errors(page)) >= 1
    assert space_count() == 0


def test_policy_rules_are_checked_together(staff_client):
    form = space_form(slug="Event Hall!", unit_count="3", timezone="Mars/Olympus", min_minutes="45",
                      max_minutes="30", holiday_country="XX")

    page = staff_client.submit("/staff/spaces/new", form).get_data(as_text=True)

    errors = " ".join(form_errors(page))
    for expected in ("Mars/Olympus", "XX"):
        assert expected in errors
    assert len(form_errors(page)) >= 5  # slug, units, zone, minutes, holiday calendar
    assert space_count() == 0


def test_a_slot_length_that_does_not_divide_the_day_is_refused(staff_client):
    response = staff_client.submit("/staff/spaces/new", space_form(slot_minutes="7", min_minutes="7",
                                                                    max_minutes="70"))
    assert response.status_code == 422
    assert form_errors(response.get_data(as_text=True))
    assert space_count() == 0


def test_a_slug_another_space_uses_is_refused(staff_client, create_space):
    create_space(slug="event-hall")
    response = staff_client.submit("/staff/spaces/new", space_form())
    assert response.status_code == 422
    assert "event-hall" in " ".join(form_errors(response.get_data(as_text=True)))
    assert space_count() == 1


def test_fewer_desks_than_future_bookings_hold_lists_the_booking_before_saving(
        staff_client, create_space, create_user, create_booking):
    desks = create_space(kind="pooled", unit_count=10)
    start = future_day(3).replace(hour=2)
    booking = create_booking(desks, create_user(), start, start.replace(hour=4), units=(8,))
    form = space_form(slug=desks.slug, kind="pooled", unit_count="5")
    staff_client.submit("/language", {"locale": "en"})

    response = staff_client.submit(f"/staff/spaces/{desks.id}/edit", form)

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert f'data-booking="{booking.id}"' in page and "Move it to desk 1" in page
    assert fresh(Space, desks.id).unit_count == 10

    response = staff_client.submit(f"/staff/spaces/{desks.id}/edit", {**form, f"victim_{booking.id}": "move"})

    assert response.status_code == 302
    assert fresh(Space, desks.id).unit_count == 5
    assert fresh(Booking, booking.id).unit_numbers == [1]


def test_a_slot_length_the_opening_hours_do_not_fit_is_refused(staff_client, create_space):
    from datetime import time

    space = create_space(hours={0: ((time(9, 30), time(18)),)})
    response = staff_client.submit(f"/staff/spaces/{space.id}/edit",
                                   space_form(slug=space.slug, slot_minutes="60", min_minutes="60",
                                              max_minutes="240"))
    assert response.status_code == 422
    assert "09:30" in " ".join(form_errors(response.get_data(as_text=True)))
    assert fresh(Space, space.id).slot_minutes == 30


def test_a_form_without_its_token_is_refused(staff_client):
    response = staff_client.post("/staff/spaces/new", data=space_form())
    assert response.status_code == 400
    assert space_count() == 0


def test_an_unknown_space_is_not_found(staff_client):
    assert staff_client.get("/staff/spaces/999/edit").status_code == 404
    assert staff_client.submit("/staff/spaces/999/edit", space_form()).status_code == 404
    assert staff_client.get("/staff/spaces/99999999999/hours").status_code == 404


def test_an_unknown_time_zone_is_refused_next_to_the_time_zone_field(staff_client):
    response = staff_client.submit("/staff/spaces/new", space_form(timezone="Mars/Olympus"))

    assert response.status_code == 422
    assert summary_targets(response.get_data(as_text=True)) == ["timezone"]
    assert space_count() == 0


def policy(**overrides):
    from booking.services.admin_spaces import SpaceInput

    values = {"slug": "hall", "name_ja": "ホール", "name_en": "Hall", "kind": "exclusive", "unit_count": 1,
              "timezone": "Asia/Tokyo", "slot_minutes": 30, "min_minutes": 60, "max_minutes": 240}
    return SpaceInput(**{**values, **overrides})


@pytest.mark.parametrize(("overrides", "errors"), [
    ({"max_minutes": 30}, {"max_minutes": ("The longest booking cannot be shorter than the shortest.", {})}),
    ({"max_minutes": 45}, {"max_minutes": ("Use a multiple of the slot length (%(slot)s).", {"slot": 30})}),
    ({"close_on_holidays": True, "holiday_country": "XX"},
     {"holiday_country": ("No holiday calendar is known for %(country)s.", {"country": "XX"})}),
    ({"slot_minutes": 7, "min_minutes": 7, "max_minutes": 70},
     {"slot_minutes": ("The slot length must divide a day evenly (e.g. 15, 30 or 60).", {})}),
    ({"unit_count": 2}, {"unit_count": ("A whole-room space has exactly one unit.", {})}),
])
def test_each_policy_error_names_its_field_and_says_what_is_wrong(app, overrides, errors):
    from booking.services.admin_spaces import policy_errors

    assert policy_errors(policy(**overrides)) == errors


def test_a_slug_another_space_uses_is_refused_next_to_the_slug_field(staff_client, create_space):
    create_space(slug="event-hall")

    response = staff_client.submit("/staff/spaces/new", space_form(slug="event-hall"))

    assert response.status_code == 422
    assert summary_targets(response.get_data(as_text=True)) == ["slug"]


def test_a_45_minute_slot_keeps_opening_hours_that_lie_on_its_grid(app, create_space, create_user):
    from datetime import time

    from booking.services.admin_spaces import update_space

    room = create_space(slug="room", hours={d: ((time(9), time(10, 30)),) for d in range(7)})

    update_space(create_user(role="staff"), room.id,
                 policy(slug="room", slot_minutes=45, min_minutes=45, max_minutes=90))

    db.session.expire_all()
    assert db.session.get(Space, room.id).slot_minutes == 45


def refused_update(create_user, space_id, data):
    from booking.services.admin_spaces import InvalidInput, update_space

    with pytest.raises(InvalidInput) as refused:
        update_space(create_user(role="staff"), space_id, data)
    return refused.value.errors


def test_an_update_with_a_wrong_policy_names_the_field_and_saves_nothing(app, create_space, create_user):
    room = create_space(slug="room")

    errors = refused_update(create_user, room.id, policy(slug="room", max_minutes=30))

    assert errors == {"max_minutes": ("The longest booking cannot be shorter than the shortest.", {})}
    db.session.expire_all()
    assert db.session.get(Space, room.id).max_minutes == 480


def test_an_update_to_the_slug_of_another_space_is_refused_next_to_the_slug_field(app, create_space, create_user):
    create_space(slug="event-hall")
    room = create_space(slug="room")

    errors = refused_update(create_user, room.id, policy(slug="event-hall"))

    assert errors == {"slug": ("Another space already uses %(slug)s.", {"slug": "event-hall"})}


def test_a_slot_length_the_hours_are_off_is_refused_next_to_the_slot_field(app, create_space, create_user):
    from datetime import time

    room = create_space(slug="room", hours={0: ((time(9, 30), time(12)),)})

    errors = refused_update(create_user, room.id, policy(slug="room", slot_minutes=60, min_minutes=60))

    assert errors == {"slot_minutes": ("The opening hours (%(time)s) are not on the %(slot)s grid; change them first.",
                                       {"time": "09:30", "slot": 60})}


def test_renaming_a_space_stores_fresh_feed_events_for_its_bookings(app, create_space, create_user, create_booking):
    from datetime import timedelta

    from booking.services.admin_spaces import update_space
    from booking.services.feeds import rebuild_events

    room = create_space(slug="room")
    start = future_day(3).replace(hour=1)
    create_booking(room, create_user(), start, start + timedelta(hours=1))

    update_space(create_user(role="staff"), room.id, policy(slug="room", name_en="Renamed hall", max_minutes=480))

    assert rebuild_events(room.id) == 0  # the update re-rendered the booking's event: nothing is stale
