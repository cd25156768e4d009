"""Staff overrides: notice, horizon, hours and quota only, with a stored reason; never for members."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Booking, Closure
from booking.services import ServiceError
from booking.services.bookings import BookingInput, request_booking
from tests.services.conftest import written

# A fixed clock: 2030-06-03 is a Monday; midnight UTC is 09:00 in Tokyo.
NOW = datetime(2030, 6, 3, 0, 0, tzinfo=UTC)
SOON = NOW + timedelta(hours=1)  # 10:00 in Tokyo, one hour ahead
NEXT_WEEK = NOW + timedelta(days=7, hours=1)
REASON = "Prefectural TV recording moved at short notice"


def ask(member, space, start, end, **keywords):
    data = BookingInput(space_id=space.id, start_dt=start, end_dt=end, title="Recording")
    return request_booking(member, data, now=NOW, **keywords)


def codes(outcome):
    return [c.code for c in outcome.conflicts]


@pytest.fixture
def breaking(create_space):
    """breaking(rule) -> (space, start, end): a request that breaks that one rule (quota: once booked)."""

    def make(rule):
        if rule == "notice":
            return create_space(min_notice_minutes=24 * 60), SOON, SOON + timedelta(hours=1)
        if rule == "horizon":
            far = NOW + timedelta(days=40, hours=1)
            return create_space(max_days_ahead=30), far, far + timedelta(hours=1)
        if rule == "hours":
            evening = NEXT_WEEK + timedelta(hours=9)  # 19:00 in Tokyo
            nine_to_six = {d: ((time(9), time(18)),) for d in range(7)}
            return create_space(hours=nine_to_six), evening, evening + timedelta(hours=1)
        return create_space(quota_active_bookings=1), NEXT_WEEK, NEXT_WEEK + timedelta(hours=1)

    return make


@pytest.fixture
def staff(create_user):
    return create_user(role="staff")


@pytest.mark.parametrize("rule", ["notice", "horizon", "hours", "quota"])
def test_staff_override_each_overridable_rule_and_the_reason_is_stored(rule, breaking, staff, create_booking):
    space, start, end = breaking(rule)
    if rule == "quota":
        create_booking(space, staff, start + timedelta(days=1), end + timedelta(days=1))
    assert codes(ask(staff, space, start, end)) == [rule]

    outcome = ask(staff, space, start, end, overrides=frozenset({rule}), override_reason=f"  {REASON} ")
    assert outcome.ok, outcome.conflicts
    db.session.expire_all()
    assert db.session.get(Booking, outcome.booking.id).override_reason == REASON


def test_a_booking_without_overrides_stores_no_reason(create_space, staff):
    outcome = ask(staff, create_space(), NEXT_WEEK, NEXT_WEEK + timedelta(hours=1), override_reason="ignored")
    assert outcome.ok and outcome.booking.override_reason == ""


def test_an_override_drops_only_the_rule_it_names(create_space, staff):
    strict = create_space(min_notice_minutes=24 * 60, hours={d: ((time(9), time(10)),) for d in range(7)})
    outcome = ask(staff, strict, SOON, SOON + timedelta(hours=1),
                  overrides=frozenset({"hours"}), override_reason=REASON)
    assert codes(outcome) == ["notice"]
    assert written() == (0, 0)


def test_the_hours_quota_can_be_overridden_too(create_space, staff, create_booking):
    space = create_space(quota_hours_per_week=3)
    create_booking(space, staff, NEXT_WEEK, NEXT_WEEK + timedelta(hours=2))
    later = NEXT_WEEK + timedelta(days=1)
    refused = ask(staff, space, later, later + timedelta(hours=2))
    assert codes(refused) == ["quota"]
    assert "(1 h left)" in refused.conflicts[0].render()
    overridden = ask(staff, space, later, later + timedelta(hours=2),
                     overrides=frozenset({"quota"}), override_reason=REASON)
    assert overridden.ok


def test_no_override_gets_past_a_booking_that_holds_the_room(create_space, create_user, staff, create_booking):
    studio = create_space(min_notice_minutes=24 * 60)
    create_booking(studio, create_user(), SOON, SOON + timedelta(hours=1))
    everything = frozenset({"notice", "horizon", "hours", "quota"})
    outcome = ask(staff, studio, SOON, SOON + timedelta(hours=1), overrides=everything, override_reason=REASON)
    assert codes(outcome) == ["overlap"]
    assert written() == (1, 1)


def test_no_override_gets_past_missing_desks_or_a_closure(create_space, create_user, staff, create_booking):
    desks = create_space(kind="pooled", unit_count=2)
    create_booking(desks, create_user(), NEXT_WEEK, NEXT_WEEK + timedelta(hours=1), units=(1, 2))
    db.session.add(Closure(space_id=desks.id, start_dt=NEXT_WEEK, end_dt=NEXT_WEEK + timedelta(hours=4),
                           reason="inspection"))
    db.session.commit()
    everything = frozenset({"notice", "horizon", "hours", "quota"})
    outcome = ask(staff, desks, NEXT_WEEK, NEXT_WEEK + timedelta(hours=1), overrides=everything, override_reason=REASON)
    assert codes(outcome) == ["closed", "capacity"]


@pytest.mark.parametrize("rule", ["overlap", "capacity", "closed", "past", "grid", "duration", "anything"])
def test_naming_a_rule_that_cannot_be_overridden_is_refused(rule, create_space, staff):
    with pytest.raises(ServiceError) as refused:
        ask(staff, create_space(), NEXT_WEEK, NEXT_WEEK + timedelta(hours=1),
            overrides=frozenset({"notice", rule}), override_reason=REASON)
    assert rule in refused.value.params["rules"]
    assert written() == (0, 0)


@pytest.mark.parametrize("reason", ["", "   "])
def test_staff_must_say_why_they_override(reason, breaking, staff):
    space, start, end = breaking("notice")
    with pytest.raises(ServiceError):
        ask(staff, space, start, end, overrides=frozenset({"notice"}), override_reason=reason)
    assert written() == (0, 0)


def test_a_member_naming_an_override_is_refused_and_nothing_is_written(breaking, create_user):
    space, start, end = breaking("notice")
    with pytest.raises(ServiceError):
        ask(create_user(), space, start, end, overrides=frozenset({"notice"}), override_reason=REASON)
    assert written() == (0, 0)


# --- the booking form ----------------------------------------------------------------------


def form_data(day, start="10:00", end="11:00", **extra):
    return {"day": day.isoformat(), "start_time": start, "end_time": end, "title": "Recording", **extra}


FORGED = {"override_notice": "y", "override_horizon": "y", "override_hours": "y", "override_quota": "y",
          "override_reason": "I say so"}


@pytest.fixture
def short_notice_studio(create_space):
    # A full day of notice: tomorrow 10:00 in Tokyo is always too soon... unless overridden.
    return create_space(slug="studio", min_notice_minutes=3 * 24 * 60)


def tomorrow_in_tokyo():
    return (datetime.now(UTC) + timedelta(days=1)).astimezone(ZoneInfo("Asia/Tokyo")).date()


def test_staff_see_the_override_fields_and_their_override_is_stored(client, staff, short_notice_studio):
    client.login(staff.email)
    assert 'name="override_notice"' in client.get("/spaces/studio/book").get_data(as_text=True)
    response = client.submit("/spaces/studio/book", form_data(
        tomorrow_in_tokyo(), override_notice="y", override_reason=REASON))
    assert response.status_code == 302, response.get_data(as_text=True)
    booking = db.session.scalar(db.select(Booking))
    assert booking.override_reason == REASON and booking.user_id == staff.id


def test_staff_overriding_without_a_reason_get_a_form_error(client, staff, short_notice_studio):
    client.login(staff.email)
    response = client.submit("/spaces/studio/book", form_data(tomorrow_in_tokyo(), override_notice="y"))
    assert response.status_code == 422
    assert written() == (0, 0)


def test_a_member_does_not_see_override_fields_and_forged_ones_are_ignored(client, create_user, short_notice_studio):
    member = create_user()
    client.login(member.email)
    assert "override_" not in client.get("/spaces/studio/book").get_data(as_text=True)
    response = client.submit("/spaces/studio/book", form_data(tomorrow_in_tokyo(), **FORGED))
    assert response.status_code == 422
    assert "予約締切は開始の3日前です。" in response.get_data(as_text=True)  # the notice (4,320 minutes) refuses it
    assert written() == (0, 0)


def test_staff_asked_why_they_override_are_told_which_rules_they_named(breaking, staff):
    space, start, end = breaking("notice")

    with pytest.raises(ServiceError) as refused:
        ask(staff, space, start, end, overrides=frozenset({"notice", "hours"}), override_reason=" ")

    assert refused.value.message == "Give a reason for overriding %(rules)s."
    assert list(refused.value.params["rules"]) == ["hours", "notice"]


def test_staff_naming_an_override_and_no_reason_at_all_are_refused(breaking, staff):
    space, start, end = breaking("notice")

    with pytest.raises(ServiceError):
        ask(staff, space, start, end, overrides=frozenset({"notice"}))

    assert written() == (0, 0)
