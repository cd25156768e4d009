"""The booking form's fields are copied from one kept per definition (booking.forms._bound_copy):
nothing one form is given, types or is told reaches another."""

from __future__ import annotations

from booking.forms import BookingForm, EditBookingForm, _bound_fields, booking_form

TYPED = {"day": "2026-12-10", "start_time": "10:00", "end_time": "11:00", "title": "Study group", "seats": "30"}


def bound(app, data=None, **kwargs):
    with app.test_request_context("/spaces/room/book", method="POST" if data else "GET", data=data or {},
                                  headers={"Accept-Language": "ja"}):
        form = booking_form(False, **kwargs)
        if data:
            form.validate()
        return form


def test_a_fresh_form_shows_nothing_of_a_form_posted_before(app):
    posted = bound(app, {**TYPED, "title": ""}, desks=24)
    assert posted.title.errors and posted.seats.errors and posted.day.data is not None
    fresh = bound(app)
    assert fresh.day.data is None and fresh.title.data is None and fresh.seats.data == 1
    assert not any(field.errors or field.raw_data for field in fresh)
    assert fresh.submit_token.data != posted.submit_token.data
    assert all(fresh[name] is not posted[name] and fresh[name]._form is fresh for name in ("day", "title", "seats"))


def test_a_space_s_desk_range_stays_with_its_own_form(app):
    narrow = bound(app, TYPED, desks=24)
    wide = bound(app, TYPED, desks=40)
    unbounded = bound(app, TYPED)
    assert [str(e) for e in narrow.seats.errors] == ["デスクは1～24台の範囲でお選びください。"]
    assert wide.seats.errors == []
    assert unbounded.seats.errors == []
    assert [str(e) for e in bound(app, TYPED, desks=12).seats.errors] == ["デスクは1～12台の範囲でお選びください。"]


def test_staff_members_and_changes_get_their_own_fields(app):
    with app.test_request_context("/", method="POST", data={**TYPED, "override_notice": "y"}):
        staff = booking_form(True)
        edit = EditBookingForm(desks=24)
        member = booking_form(False)
        assert staff.chosen_overrides() == {"notice"} and member.chosen_overrides() == frozenset()
        assert "override_notice" not in member._fields and "units" in edit._fields
        assert type(staff) is BookingForm and staff.day is not member.day is not edit.day


def test_one_field_is_kept_per_definition(app):
    for _ in range(3):
        bound(app, TYPED, desks=24)
        bound(app)
    kept = len(_bound_fields)
    bound(app, TYPED, desks=12)
    assert len(_bound_fields) == kept
    assert all(field._form is None for field in _bound_fields.values())
